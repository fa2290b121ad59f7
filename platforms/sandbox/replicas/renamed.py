"""The ``renamed`` layout variant: the change sites ship without notice, to exercise healing locators.

A new front-end build renames the page's classes and ids (CSS modules, a design system's
new prefix: ``message_body`` becomes ``c4f1a9e``) and moves one element one level (the
message text wrapped in a new ``div``). What carries data is left alone, as a real build
leaves it: ``data-*`` and ``name`` attributes, ids with digits in them (``msg_123``), the
classes the site itself gives meaning to (a message's direction, listed by each replica
in ``renamed_keep``) and every class or id the page's own scripts use. The page's styles
are renamed with it, so it looks as before.

Applied to the HTML of a logged-in account's pages (``Replica.furnish``), before the
overlays go in front, when the account's profile pins ``layout`` to ``renamed``.
"""

from __future__ import annotations

import hashlib
import re

_CLASS_ATTR = re.compile(r"(\sclass=)(['\"])(.*?)\2", re.S)
_ID_ATTR = re.compile(r"(\sid=)(['\"])(.*?)\2", re.S)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S | re.I)


def new_name(token: str) -> str:
    """The build's name for a class or id: a short hash, as CSS modules print them."""
    return "c" + hashlib.sha256(token.encode()).hexdigest()[:7]


def _wrap_moved(html: str, moved: str) -> str:
    """Wrap each element whose classes include ``moved`` in a new ``div``: it moves one level down."""
    token = re.escape(moved)
    pattern = re.compile(
        r"<(?P<tag>[a-z][a-z0-9]*)\b[^>]*\sclass=(['\"])(?:(?!\2).)*(?<![\w-])"
        + token
        + r"(?![\w-])(?:(?!\2).)*\2[^>]*>.*?</(?P=tag)>",
        re.S,
    )
    return pattern.sub(lambda m: f"<div class='moved-wrap'>{m.group(0)}</div>", html)


def apply(html: str, *, keep: frozenset[str], moved: str) -> str:
    """Return the page as the renamed build shows it (see the module docstring)."""
    scripts = " ".join(_SCRIPT.findall(html))
    if moved:
        html = _wrap_moved(html, moved)

    def renamed(token: str) -> str:
        if (
            not token
            or token in keep
            or re.search(r"\d", token)
            or re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", scripts)
        ):
            return token
        return new_name(token)

    mapping: dict[str, str] = {}

    def classes(match: re.Match[str]) -> str:
        tokens = match.group(3).split()
        out = []
        for token in tokens:
            mapping.setdefault(token, renamed(token))
            out.append(mapping[token])
        return f"{match.group(1)}{match.group(2)}{' '.join(out)}{match.group(2)}"

    def ids(match: re.Match[str]) -> str:
        token = match.group(3)
        mapping.setdefault(token, renamed(token))
        return f"{match.group(1)}{match.group(2)}{mapping[token]}{match.group(2)}"

    # Scripts keep their text: split around them, rename the markup only.
    parts = re.split(r"(<script\b[^>]*>.*?</script>)", html, flags=re.S | re.I)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            parts[i] = _ID_ATTR.sub(ids, _CLASS_ATTR.sub(classes, part))
    html = "".join(parts)

    def style(match: re.Match[str]) -> str:
        css = match.group(2)
        for old, new in mapping.items():
            if old != new:
                css = re.sub(rf"([.#]){re.escape(old)}(?![\w-])", rf"\g<1>{new}", css)
        return f"{match.group(1)}{css}{match.group(3)}"

    return _STYLE.sub(style, html)
