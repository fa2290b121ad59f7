"""How a replica shows a message's text, and the realism profile that makes it show it like a real site.

A real site never shows a reply exactly as it was typed: it curls the quotes, linkifies URLs
(dropping the scheme, adding ``www.`` or a trailing slash, shortening the link text), swaps
emoji for images, turns line breaks into ``<br>`` or paragraphs, folds blank lines, leaves
entities in, normalises Unicode, appends a signature, cuts the inbox preview with an
ellipsis, and shows a fresh reply a few seconds late. Each of those is a *trait* here.

* Every replica declares a :class:`SiteRendering`: its base markup (what the plain pages have
  always done) and the traits that site applies, with the knob values it may use.
* An account's :class:`Profile` says which traits are on: ``plain`` (none: the pages are
  byte for byte what they were before traits existed), ``realistic`` (the site's declared
  traits, knobs drawn from a seeded generator so a run can be replayed), or either of them
  with traits pinned on or off one at a time by a test.
* A :class:`Renderer` turns a stored body into what the page shows (HTML, the text a
  script renders, or the inbox preview).

The profile lives in the sandbox state per account and is set through the control API,
like faults (``POST /__control__/profile``, ``POST /__control__/traits``).
"""

from __future__ import annotations

import dataclasses
import html
import json
import random
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

Markup = Literal["br", "paragraphs", "pre", "text"]

PROFILES = ("plain", "realistic")


class RenderError(ValueError):
    """An unknown profile, trait or knob, or a knob value out of range."""


@dataclasses.dataclass(frozen=True)
class Knob:
    """One setting of a trait: its default, and either the values allowed or the type a value must have."""

    default: Any
    choices: tuple[Any, ...] = ()
    kind: type = str
    minimum: float | None = None

    def coerce(self, trait: str, name: str, value: Any) -> Any:
        if self.choices:
            if value not in self.choices:
                raise RenderError(f"{trait}.{name} must be one of {', '.join(map(str, self.choices))}")
            return value
        try:
            coerced = self.kind(value)
        except (TypeError, ValueError):
            raise RenderError(f"{trait}.{name} must be a {self.kind.__name__}") from None
        if self.minimum is not None and coerced < self.minimum:
            raise RenderError(f"{trait}.{name} must be at least {self.minimum}")
        return coerced


@dataclasses.dataclass(frozen=True)
class Trait:
    """A way a real site changes how a sent text is shown."""

    name: str
    doc: str
    knobs: Mapping[str, Knob] = dataclasses.field(default_factory=dict)


TRAITS: dict[str, Trait] = {
    t.name: t
    for t in (
        Trait(
            "curly_quotes", "Straight quotes become curly ones, -- and --- dashes, ... an ellipsis (smart typography)."
        ),
        Trait(
            "linkify",
            "URLs become links; the link text is the URL as typed, without its scheme, normalised "
            "(no scheme, www. added to a bare domain, a trailing slash) or shortened with an ellipsis.",
            {
                "display": Knob("as_typed", ("as_typed", "no_scheme", "host_path", "short")),
                "short_chars": Knob(24, kind=int, minimum=8),
            },
        ),
        Trait("paragraphs", "Blank-line separated blocks become <p> paragraphs, single line breaks <br>."),
        Trait("collapse_blank_lines", "Runs of blank lines become one blank line."),
        Trait(
            "emoji_images",
            "Emoji become <img> tags whose alt text is the emoji itself or empty.",
            {"alt": Knob("emoji", ("emoji", "none"))},
        ),
        Trait("entities", "HTML entities stay visible (the text was escaped twice): & shows as &amp;."),
        Trait("nbsp", "The space after a sentence's end is a non-breaking space."),
        Trait(
            "unicode_form",
            "The text is stored in another Unicode normalisation form.",
            {"form": Knob("NFC", ("NFC", "NFD", "NFKC"))},
        ),
        Trait("markdown", "*em*, _em_ and **strong** are rendered; the markers disappear."),
        Trait(
            "signature",
            "A footer is appended to every message sent from the account (in the thread, not the preview).",
            {"text": Knob("--\nSent from the sandbox", kind=str)},
        ),
        Trait(
            "preview",
            "The inbox preview is cut at a word boundary and ends with an ellipsis (0 chars: the site's length).",
            {"chars": Knob(0, kind=int, minimum=0)},
        ),
        Trait(
            "delayed_visibility",
            "A reply sent through the site's form appears in the thread only this many seconds after the click.",
            {"seconds": Knob(3.0, kind=float, minimum=0.0)},
        ),
        Trait(
            "date_formats",
            "Times are printed as the site prints them, by the message's age: relative (just now, 2h), "
            "local (Today 9:14 AM, Yesterday, Monday, Nov 23) or absolute (11/23/2026), each replica its own forms.",
        ),
        Trait(
            "object_literal",
            "Data embedded for the page's scripts is a JavaScript expression, not strict JSON: an object literal "
            "(unquoted keys, single quotes, trailing commas) or Laravel's JSON.parse('...').",
            {"style": Knob("literal", ("literal", "laravel_js"))},
        ),
        # Page furniture (issue 13): layout variants and overlays. See platforms/sandbox/replicas/overlays.py.
        Trait(
            "layout",
            "The inbox and thread pages come in one of the site's layout variants (an A/B test, a redesign "
            "being rolled out): other wrappers, nesting and classes, some data in attributes instead of text. "
            "``renamed`` is a change shipped without notice: the classic pages with classes and ids renamed "
            "and one element moved a level (platforms/sandbox/replicas/renamed.py); no site draws it.",
            {"variant": Knob("classic", ("classic", "redesign", "renamed"))},
        ),
        Trait(
            "consent_banner",
            "A cookie-consent banner overlays every page, catching clicks, until accepted; accepting stores "
            "the site's consent cookie, so the banner stays away for that browser.",
        ),
        Trait(
            "interstitial",
            "A modal (get the app, complete your profile) overlays every page, above any consent banner, "
            "until closed; closing stores a cookie.",
            {"kind": Knob("app_download", ("app_download", "complete_profile"))},
        ),
        # --- page behaviour: paging, session life, slow and partial loads (see docs/platforms.md) ---
        Trait(
            "thread_paging",
            'A thread shows only its latest messages; older ones come behind a "Load earlier messages" '
            "button or a sentinel that loads on scroll (a script fetches the thread page's older part), "
            "or on the thread's next page (a link).",
            {
                "latest": Knob(10, kind=int, minimum=1),
                "style": Knob("button", ("button", "scroll", "page_link")),
            },
        ),
        Trait(
            "session_lifetime",
            "The site drops a session after this many requests made with it, or this many seconds after "
            "login (0: no such limit); the next page goes to the login page, a script's fetch gets HTTP 401.",
            {
                "requests": Knob(0, kind=int, minimum=0),
                "seconds": Knob(0.0, kind=float, minimum=0.0),
            },
        ),
        Trait(
            "slow_responses",
            "Every response waits a seeded pseudo-random delay of up to max_ms milliseconds first.",
            {"max_ms": Knob(150, kind=int, minimum=0)},
        ),
        Trait(
            "deferred_list",
            "A thread's message list is only partly in the HTML: a script adds the rest after ms "
            "milliseconds, the list marked aria-busy (with a loading indicator) until it has.",
            {
                "shown": Knob(1, kind=int, minimum=0),
                "ms": Knob(300.0, kind=float, minimum=0.0),
            },
        ),
    )
}


#: The traits about a page's furniture (layout and overlays) rather than message text.
FURNITURE = frozenset({"layout", "consent_banner", "interstitial"})
#: The traits about how pages behave (paging, session life, delays, late lists) rather than message text.
BEHAVIOUR = frozenset({"thread_paging", "session_lifetime", "slow_responses", "deferred_list"})
#: Traits that leave message text alone: a profile with only these shows text as ``plain`` does.
PAGE_TRAITS = FURNITURE | BEHAVIOUR


@dataclasses.dataclass(frozen=True)
class SiteRendering:
    """How one replica shows message text: its base markup and the traits the real site applies.

    ``markup`` is the plain rendering: ``br`` (each line break a ``<br>``), ``paragraphs``
    (Rails' ``simple_format``), ``pre`` (escaped text in a ``white-space: pre-wrap`` element) or
    ``text`` (no markup: a script sets the text). ``realistic`` maps each trait the site applies
    to the values each of its knobs may take (the profile's seed picks one).
    """

    markup: Markup
    preview_chars: int
    realistic: Mapping[str, Mapping[str, tuple[Any, ...]]]

    def __post_init__(self) -> None:
        for name, knobs in self.realistic.items():
            trait = TRAITS.get(name)
            if trait is None:
                raise RenderError(f"unknown trait {name!r}")
            for knob, values in knobs.items():
                if knob not in trait.knobs or not values:
                    raise RenderError(f"{name}.{knob}: unknown knob or no values")
                for value in values:
                    trait.knobs[knob].coerce(name, knob, value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "markup": self.markup,
            "preview_chars": self.preview_chars,
            "realistic": {t: {k: list(v) for k, v in knobs.items()} for t, knobs in self.realistic.items()},
        }


@dataclasses.dataclass
class Profile:
    """The traits on for one account, with their knob values."""

    name: str = "plain"
    seed: int | None = None
    traits: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    pinned: list[str] = dataclasses.field(default_factory=list)

    def on(self, trait: str) -> bool:
        return trait in self.traits

    def knob(self, trait: str, name: str) -> Any:
        return self.traits.get(trait, {}).get(name, TRAITS[trait].knobs[name].default)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seed": self.seed,
            "traits": {k: dict(v) for k, v in sorted(self.traits.items())},
            "pinned": list(self.pinned),
        }


def build_profile(name: str, site: SiteRendering, *, platform: str, seed: int = 0) -> Profile:
    """Return the named profile for a site: ``plain`` (no trait) or ``realistic`` (the site's traits, seeded)."""
    if name == "plain":
        return Profile()
    if name != "realistic":
        raise RenderError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    rng = random.Random(f"{platform}:{seed}")
    # Page furniture and page behaviour each draw from a generator of their own, so adding either
    # left every other trait's draw as it was.
    furniture_rng = random.Random(f"{platform}:{seed}:furniture")
    behaviour_rng = random.Random(f"{platform}:{seed}:behaviour")
    traits: dict[str, dict[str, Any]] = {}
    for trait in sorted(site.realistic):
        knobs = site.realistic[trait]
        draw = furniture_rng if trait in FURNITURE else behaviour_rng if trait in BEHAVIOUR else rng
        traits[trait] = {knob: draw.choice(knobs[knob]) for knob in sorted(knobs)}
    return Profile(name="realistic", seed=seed, traits=traits)


def pin_trait(profile: Profile, site: SiteRendering, trait: str, *, on: bool = True, **knobs: Any) -> Profile:
    """Switch one trait on (with ``knobs``; unset knobs take the site's first declared value or
    the trait's default) or off, in place; return the profile."""
    spec = TRAITS.get(trait)
    if spec is None:
        raise RenderError(f"unknown trait {trait!r}; known: {', '.join(TRAITS)}")
    unknown = set(knobs) - set(spec.knobs)
    if unknown:
        raise RenderError(f"unknown knobs for {trait}: {', '.join(sorted(unknown))}")
    if not on:
        profile.traits.pop(trait, None)
    else:
        declared = site.realistic.get(trait, {})
        values = {name: declared[name][0] for name in declared}
        values |= {name: spec.knobs[name].coerce(trait, name, value) for name, value in knobs.items()}
        profile.traits[trait] = values
    if trait not in profile.pinned:
        profile.pinned.append(trait)
    return profile


# --- the transforms -----------------------------------------------------------------------


def esc(value: str) -> str:
    return html.escape(value, quote=True)


def simple_format(text: str, inline: Callable[[str], str] = esc) -> str:
    """Rails' ``simple_format``: blank-line separated paragraphs in ``<p>``, line breaks as ``<br>``."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + "<br>".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs)


def curly_quotes(text: str) -> str:
    """Smart typography as SmartyPants does it: curly quotes and apostrophes, en and em dashes, an ellipsis."""
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    text = re.sub(r'(^|[\s(\[{\u2014\u2013])"', "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(^|[\s(\[{\u2014\u2013])'", "\\1\u2018", text)
    return text.replace("'", "\u2019")


def collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", text)


# The site's own linkifier (as Rails' auto_link or a chat widget does it): scheme and www. URLs.
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'\u2018\u2019\u201c\u201d\u2026)\]]+", re.I)
_LINK_TRAILING = ".,;:!?"
# Emoji as Twemoji-style renderers find them: flags, keycaps, pictographs with their modifiers.
_PICTO = "\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff\U0001f900-\U0001f9ff\U0001fa70-\U0001faff\u2600-\u27bf\u2b50\u2b55\u231a\u231b\u23e9-\u23f3\u23f8-\u23fa"
_EMOJI = re.compile(
    "[\U0001f1e6-\U0001f1ff]{2}"
    "|[0-9#*]\ufe0f?\u20e3"
    f"|[{_PICTO}]\ufe0f?[\U0001f3fb-\U0001f3ff]?(?:\u200d[{_PICTO}]\ufe0f?[\U0001f3fb-\U0001f3ff]?)*"
)
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_EM_STAR = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<!\w)_(\S(?:.*?\S)?)_(?!\w)")
_SENTENCE_SPACE = re.compile(r"(?<=[.!?]) (?=\S)")


def link_display(url: str, style: str, short_chars: int) -> str:
    """The text a linkified URL shows."""
    if style == "as_typed":
        return url
    no_scheme = re.sub(r"^https?://", "", url, flags=re.I)
    decoded = unquote(no_scheme)
    no_scheme = no_scheme if re.search(r"\s", decoded) else decoded
    if style == "no_scheme":
        return no_scheme
    if style == "short":
        return no_scheme if len(no_scheme) <= short_chars else no_scheme[:short_chars] + "\u2026"
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.netloc
    if not host.lower().startswith("www.") and host.count(".") == 1:
        host = f"www.{host}"
    path = parts.path or "/"
    if not parts.query and not path.endswith("/"):
        path += "/"
    return host + path + (f"?{parts.query}" if parts.query else "")


class Renderer:
    """Shows one account's message bodies the way its replica's profile says."""

    def __init__(self, site: SiteRendering, profile: Profile) -> None:
        self.site = site
        self.profile = profile
        # Furniture (layout, overlays) and page behaviour (paging, delays...) leave the text alone:
        # a profile with nothing else shows text as plain does.
        self.plain = not set(profile.traits) - PAGE_TRAITS

    # --- text-level traits (what the site stores or prints, before any markup) ---------

    def _text(self, body: str, direction: str, *, signed: bool = True) -> str:
        p = self.profile
        text = body.replace("\r\n", "\n")
        if p.on("unicode_form"):
            text = unicodedata.normalize(p.knob("unicode_form", "form"), text)
        if p.on("signature") and direction == "out" and signed:
            text = f"{text.rstrip()}\n\n{p.knob('signature', 'text')}"
        if p.on("curly_quotes"):
            text = curly_quotes(text)
        if p.on("collapse_blank_lines"):
            text = collapse_blank_lines(text)
        return text

    # --- inline markup ------------------------------------------------------------------

    def _escape_text(self, text: str) -> str:
        p = self.profile
        out = esc(esc(text)) if p.on("entities") else esc(text)
        if p.on("markdown"):
            out = _STRONG.sub(r"<strong>\1</strong>", out)
            out = _EM_STAR.sub(r"<em>\1</em>", out)
            out = _EM_UNDERSCORE.sub(r"<em>\1</em>", out)
        if p.on("nbsp"):
            out = _SENTENCE_SPACE.sub("&nbsp;", out)
        return out

    def _link(self, url: str) -> str:
        href = url if re.match(r"https?://", url, re.I) else f"http://{url}"
        shown = link_display(url, self.profile.knob("linkify", "display"), self.profile.knob("linkify", "short_chars"))
        return f"<a href='{esc(href)}' rel='nofollow noopener' target='_blank'>{esc(shown)}</a>"

    def _emoji(self, emoji: str) -> str:
        alt = emoji if self.profile.knob("emoji_images", "alt") == "emoji" else ""
        codes = "-".join(f"{ord(c):x}" for c in emoji if c != "\ufe0f")
        return f"<img class='emoji' draggable='false' alt='{esc(alt)}' data-code='{codes}' src='data:,'>"

    def _inline(self, segment: str) -> str:
        """Escape one line (or a whole pre-wrapped text), with links and emoji images where the profile says."""
        pieces: list[tuple[str, str]] = [("text", segment)]
        if self.profile.on("linkify"):
            pieces = _split(pieces, _LINK, "link", trailing=_LINK_TRAILING)
        if self.profile.on("emoji_images"):
            pieces = _split(pieces, _EMOJI, "emoji")
        render = {"text": self._escape_text, "link": self._link, "emoji": self._emoji}
        return "".join(render[kind](value) for kind, value in pieces)

    # --- what the replicas call ---------------------------------------------------------

    def body(self, body: str, direction: str) -> str:
        """The HTML of a message body on the thread page."""
        markup = self.site.markup
        if self.plain:
            if markup == "br":
                return "<br>".join(esc(line) for line in body.split("\n"))
            if markup == "paragraphs":
                return simple_format(body)
            return esc(body)
        text = self._text(body, direction)
        if self.profile.on("paragraphs") and markup in ("br", "pre"):
            markup = "paragraphs"
        if markup == "br":
            return "<br>".join(self._inline(line) for line in text.split("\n"))
        if markup == "paragraphs":
            return simple_format(text, self._inline)
        return self._inline(text)

    def text(self, body: str, direction: str) -> str:
        """The text a script shows (no markup: only the text-level traits, entities and nbsp apply)."""
        if self.plain:
            return body
        text = self._text(body, direction)
        if self.profile.on("entities"):
            text = esc(text)
        if self.profile.on("nbsp"):
            text = _SENTENCE_SPACE.sub("\u00a0", text)
        return text

    def preview(self, body: str, direction: str) -> str:
        """The escaped inbox preview of a message."""
        limit = self.site.preview_chars
        if self.plain:
            return esc(body[:limit])
        text = self._text(body, direction, signed=False)  # The signature is a footer of the thread view.
        if self.profile.on("preview"):
            limit = int(self.profile.knob("preview", "chars")) or limit
            text = " ".join(text.split())
            if len(text) > limit:
                cut = text[: limit - 1]
                space = cut.rfind(" ")
                if space > limit // 2:
                    cut = cut[:space]
                text = cut.rstrip() + "\u2026"
        else:
            text = text[:limit]
        return esc(esc(text)) if self.profile.on("entities") else esc(text)

    def reply_delay(self) -> float | None:
        """Seconds before a reply sent through the form shows up, when the profile delays it."""
        if self.profile.on("delayed_visibility"):
            return float(self.profile.knob("delayed_visibility", "seconds"))
        return None

    def embed(self, data: Any) -> str:
        """Data as the page hands it to its scripts: JSON, or (``object_literal``) a JavaScript expression."""
        if not self.profile.on("object_literal"):
            return json.dumps(data)
        if self.profile.knob("object_literal", "style") == "laravel_js":
            return laravel_js(data)
        return js_literal(data)

    def dates(self) -> bool:
        """Whether times are printed as the real site prints them (``date_formats``)."""
        return self.profile.on("date_formats")

    # --- page furniture: layout variants and overlays -----------------------------------

    def layout(self) -> str:
        """The layout variant of the inbox and thread pages (``classic``: the markup the replica always had)."""
        if self.profile.on("layout"):
            return str(self.profile.knob("layout", "variant"))
        return "classic"

    def interstitial(self) -> str | None:
        """The kind of modal shown over the page until closed, if any."""
        if self.profile.on("interstitial"):
            return str(self.profile.knob("interstitial", "kind"))
        return None

    def consent_banner(self) -> bool:
        """Whether a cookie-consent banner overlays the page until accepted."""
        return self.profile.on("consent_banner")


# --- embedded data ------------------------------------------------------------------------

_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_JS_RESERVED = frozenset({"true", "false", "null", "undefined", "function", "return", "new", "this", "class"})


def _js_string(text: str) -> str:
    """A single-quoted JavaScript string, safe inside a script or an attribute (``</`` broken up)."""
    out = ["'"]
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "\u2028\u2029" or ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        elif char == "/":
            out.append("\\/")
        else:
            out.append(char)
    out.append("'")
    return "".join(out)


def js_literal(value: Any) -> str:
    """A JavaScript object literal as a person writes one in a template: bare keys, single quotes, trailing commas."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = key if _JS_IDENTIFIER.fullmatch(key) and key not in _JS_RESERVED else _js_string(key)
            parts.append(f"{name}: {js_literal(item)},")
        return "{ " + " ".join(parts) + " }" if parts else "{}"
    if isinstance(value, list):
        return "[" + " ".join(f"{js_literal(item)}," for item in value) + "]"
    if isinstance(value, str):
        return _js_string(value)
    return json.dumps(value)


def _php_json_string(text: str) -> str:
    """A string as PHP's ``json_encode`` writes it with Laravel's flags (HEX_TAG, HEX_APOS, HEX_AMP, HEX_QUOT)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append("\\u0022")
        elif char in "<>&'":
            out.append(f"\\u{code:04X}")
        elif char == "\\":
            out.append("\\\\")
        elif char == "/":
            out.append("\\/")
        elif char in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or code > 0x7E:
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _php_json(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_php_json_string(str(k))}:{_php_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_php_json(v) for v in value) + "]"
    if isinstance(value, str):
        return _php_json_string(value)
    return json.dumps(value)


def laravel_js(value: Any) -> str:
    """Laravel's ``Js::from`` (Blade's ``@js``): an object as ``JSON.parse('<its JSON, JSON-encoded again>')``."""
    return "JSON.parse('" + _php_json_string(_php_json(value))[1:-1] + "')"


def _split(
    pieces: list[tuple[str, str]], pattern: re.Pattern[str], kind: str, *, trailing: str = ""
) -> list[tuple[str, str]]:
    """Split the text pieces at ``pattern``'s matches (trailing punctuation stays text)."""
    out: list[tuple[str, str]] = []
    for piece_kind, value in pieces:
        if piece_kind != "text":
            out.append((piece_kind, value))
            continue
        last = 0
        for found in pattern.finditer(value):
            token = found.group().rstrip(trailing) if trailing else found.group()
            if not token or (kind == "link" and token.lower() in ("http://", "https://", "www.")):
                continue
            out.append(("text", value[last : found.start()]))
            out.append((kind, token))
            last = found.start() + len(token)
        out.append(("text", value[last:]))
    return [(k, v) for k, v in out if v]


# --- reading a page back as a person (and a connector) sees it ----------------------------

_BREAK_TAGS = frozenset({"br"})
_BLOCK_TAGS = frozenset({"p", "div", "li", "ul", "ol", "dd", "dt", "dl", "blockquote", "h1", "h2", "h3", "tr"})


def visible_text(fragment: str, *, pre: bool = False, img_alt: bool = False) -> str:
    """Return the text of an HTML fragment roughly as ``innerText`` gives it.

    ``<br>`` is a line break, a paragraph or block a blank line around it, whitespace runs
    collapse (unless ``pre``: a ``white-space: pre-wrap`` element), images contribute their alt
    text only with ``img_alt`` (``innerText`` leaves it out).
    """
    from html.parser import HTMLParser

    chunks: list[str] = []

    class _Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in _BREAK_TAGS:
                chunks.append("\x00br\x00")
            elif tag in _BLOCK_TAGS:
                chunks.append("\x00p\x00")
            elif tag == "img" and img_alt:
                chunks.append(dict(attrs).get("alt") or "")

        def handle_endtag(self, tag: str) -> None:
            if tag in _BLOCK_TAGS:
                chunks.append("\x00p\x00")

        def handle_data(self, data: str) -> None:
            chunks.append(data if pre else re.sub(r"[ \t\n\r\f]+", " ", data))

    reader = _Reader(convert_charrefs=True)
    reader.feed(fragment)
    reader.close()
    text = "".join(chunks)
    if not pre:
        text = re.sub(r" *(\x00(?:br|p)\x00) *", r"\1", text)
    text = re.sub(r"(?:\x00p\x00)+", "\n\n", text).replace("\x00br\x00", "\n")
    return text.strip("\n") if pre else text.strip()
