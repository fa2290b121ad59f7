"""Is the message a platform shows the reply we typed? Tolerant comparison of typed and shown text.

Sites rarely show a reply exactly as it was typed: they curl quotes, leave entities in,
linkify URLs (scheme dropped, ``www.`` added, a trailing slash, the link text shortened),
swap emoji for images, turn line breaks into ``<br>`` or paragraphs, fold blank lines,
normalise Unicode, use non-breaking spaces, append a signature, and cut the inbox preview
with an ellipsis. Comparing exact text (or whitespace-folded text) then misses our own
reply, and a missed reply is sent again: the one thing lease-bot must never do.

* :func:`canonical` maps a text to a form in which those renderings coincide.
* :func:`match` says how a shown text relates to a typed one: :attr:`MatchKind.EXACT`,
  :attr:`MatchKind.CANONICAL`, :attr:`MatchKind.PREFIX` (a truncated preview) or
  :attr:`MatchKind.NONE`.
* :func:`check_sent` weighs a thread's candidates after a send (or a crash) and returns
  :attr:`Verdict.CONFIRMED`, :attr:`Verdict.UNKNOWN` or :attr:`Verdict.ABSENT` with the
  evidence. Only ``ABSENT`` means "safe to send again", so every doubt leans to ``UNKNOWN``.

Pure Python, standard library only: no Django, no I/O. Texts are compared as a browser's
``innerText`` gives them (line breaks kept); ``textContent`` of ``<p>a</p><p>b</p>`` glues
the paragraphs ("ab"), which no sound comparison can undo.
"""

from __future__ import annotations

import dataclasses
import enum
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

#: A truncated preview must keep at least this many canonical characters to count as ours.
PREFIX_MIN_CHARS = 40

Direction = Literal["in", "out"]


class MatchKind(enum.Enum):
    """How a shown text relates to the typed one, strongest first."""

    EXACT = "exact"  # The same text (line endings and outer whitespace aside).
    CANONICAL = "canonical"  # The same after :func:`canonical` (a re-rendering of the same text).
    PREFIX = "prefix"  # A truncated preview whose visible part starts the typed text.
    NONE = "none"  # Another text.

    @property
    def full(self) -> bool:
        """True for a match on the whole text (EXACT or CANONICAL)."""
        return self in (MatchKind.EXACT, MatchKind.CANONICAL)


# --- character folding ----------------------------------------------------------------

# Only characters NFKC leaves alone (or maps to the same fold): a site may normalise before we
# fold, so the acute accent (NFKC: space + combining acute) and the double prime (two primes) are not listed.
_QUOTES_SINGLE = "\u2018\u2019\u201a\u201b\u2032\u2035\u02b9\u02bb\u02bc\u02bd\u02c8\uff07"
_QUOTES_DOUBLE = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u301d\u301e\uff02"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
_FOLD = str.maketrans(
    {
        **dict.fromkeys(_QUOTES_SINGLE, "'"),
        **dict.fromkeys(_QUOTES_DOUBLE, '"'),
        **dict.fromkeys(_DASHES, "-"),
        "\u2026": "...",
        "`": "",  # Markdown code spans: the backticks are not shown.
    }
)
_HYPHEN_RUN = re.compile(r"-{2,}")  # "--" and "---" become en and em dashes under smart typography.
_MARKDOWN = re.compile(r"[*_]|~~")  # Emphasis and strike-through markers a Markdown renderer hides.
_WHITESPACE = re.compile(r"\s+")


def _emoji_class() -> str:
    """A regex class of pictographic code points that NFKC leaves alone (those it decomposes, like
    "™" to "TM" or "🄰" to "A", are compared as their decomposition instead)."""
    ranges = [
        (0x1F000, 0x1FAFF),  # Mahjong, cards, enclosed supplement, pictographs, emoticons, transport, flags.
        (0x2600, 0x27BF),  # Miscellaneous symbols and dingbats.
        (0x2300, 0x23FF),  # Miscellaneous technical (⌚ ⏰ ⏩ ...).
        (0x2B00, 0x2BFF),  # Arrows and shapes (⬆ ⭐ ⭕).
        (0x2194, 0x2199),
        (0x21A9, 0x21AA),
        (0x25AA, 0x25AB),
        (0x25B6, 0x25B6),
        (0x25C0, 0x25C0),
        (0x25FB, 0x25FE),
        (0x2934, 0x2935),
        (0x3030, 0x3030),
        (0x303D, 0x303D),
        (0x3297, 0x3297),
        (0x3299, 0x3299),
        (0x00A9, 0x00A9),
        (0x00AE, 0x00AE),
        (0x203C, 0x203C),
        (0x2049, 0x2049),
        (0xFE00, 0xFE0F),  # Variation selectors (text or emoji presentation).
        (0xE0020, 0xE007F),  # Tag characters (subdivision flags).
        (0xE0100, 0xE01EF),  # Variation selectors supplement.
        (0x20E3, 0x20E3),  # Combining keycap.
    ]
    runs: list[tuple[int, int]] = []
    for low, high in ranges:
        for code in range(low, high + 1):
            char = chr(code)
            if unicodedata.normalize("NFKC", char) != char:
                continue
            if runs and runs[-1][1] == code - 1:
                runs[-1] = (runs[-1][0], code)
            else:
                runs.append((code, code))
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)


_EMOJI = re.compile(f"[{_emoji_class()}]")
_KEYCAP = re.compile("[0-9#*]\ufe0f?\u20e3")  # "1️⃣": an image replaces the digit too.

# Markup left in a text (a site that escaped twice, or markup typed as text): line-level tags
# stand for a break, images for their alt text, every other tag for nothing.
_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)\b([^<>]*)>", re.I)
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "ul", "ol", "tr", "td", "blockquote", "h1", "h2", "h3", "hr"})
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _tag(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name == "img":
        alt = _ALT.search(match.group(3))
        return next((g for g in alt.groups() if g is not None), "") if alt else ""
    return " " if name in _BLOCK_TAGS else ""


def _visible_char(char: str) -> bool:
    """Drop format and control characters (zero-width spaces, joiners, bidi marks, soft hyphens)."""
    return char.isspace() or unicodedata.category(char) not in ("Cf", "Cc")


# --- URLs -------------------------------------------------------------------------------

_URL = re.compile(
    r"""(?<![\w@/.\-])
    (?: (?:https?|ftp)://
      | www\d{0,3}\.
      | (?=[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,24}\b) )
    [^\s<>"'`]+""",
    re.X,
)
_URL_TRAILING = ".,;:!?)]}"
_CUT_LINK = re.compile(r"^(.+?)\.{3,}[^\w.]*$")  # "example.com/very/lo..." maybe followed by ")" or ","
#: Query parameters that only track the click; a site or a share sheet adds or drops them freely.
_TRACKING_EXACT = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi"}
    | {"mkt_tok", "yclid", "ref_src", "trk"}
)
#: Parameters of click-tracking redirectors (``l.php?u=``, ``/url?q=``, ``/redirect?url=``) that carry the real target.
_REDIRECT_KEYS = ("u", "url", "q", "target", "dest", "destination", "redirect", "redirect_url", "to", "link", "out")
#: Link shorteners: a site may show one in place of the typed URL; it cannot be resolved here.
SHORTENERS = frozenset(
    {"bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "buff.ly", "is.gd", "rebrand.ly", "lnkd.in", "cutt.ly"}
    | {"shorturl.at", "tiny.cc", "t.ly", "rb.gy", "s.id", "bl.ink", "trib.al", "dlvr.it"}
)
_ANY_URL = r"[a-z0-9][a-z0-9.-]*\.[a-z]{2,24}\S*"  # What a shortened link may stand for in the typed text.


def _tracking(key: str) -> bool:
    key = unquote(key).lower()
    return key.startswith("utm_") or key in _TRACKING_EXACT


def _partial_tracking(param: str) -> bool:
    """True for the last parameter of a cut link text when it may be the start of a tracking one."""
    if "=" in param:
        return _tracking(param.split("=", 1)[0])
    key = unquote(param).lower()
    return "utm_".startswith(key) or key.startswith("utm_") or any(t.startswith(key) for t in _TRACKING_EXACT)


def _reduce_url(core: str, *, truncated: bool = False) -> str:
    """Reduce a URL to host + path (+ non-tracking query): no scheme, ``www.``, port, fragment or trailing slash.

    For a link text cut short (``truncated``), a last query parameter that may be the start
    of a tracking one is dropped too.
    """
    target = core
    parts = None
    for _ in range(3):  # Unwrap nested redirectors, a few levels deep at most.
        try:
            parts = urlsplit(target if "://" in target else f"http://{target}")
        except ValueError:
            return core
        inner = next(
            (
                value
                for key, value in parse_qsl(parts.query, keep_blank_values=True)
                if key.lower() in _REDIRECT_KEYS and re.match(r"(?:https?://|www\.)", value, re.I)
            ),
            None,
        )
        if inner is None:
            break
        target = inner
    if parts is None:
        return core
    netloc = re.sub(r"^www\d{0,3}\.", "", parts.netloc.lower())
    netloc = re.sub(r":(?:80|443)$", "", netloc)
    path = unquote(parts.path, errors="replace").rstrip("/")
    # Keep encoded whitespace encoded: a decoded space would end the link for the other side.
    path = re.sub(r"\s", lambda m: quote(m.group()), path)
    params = [p for p in parts.query.split("&") if p]
    if truncated and params and _partial_tracking(params[-1]):
        params.pop()
    query = "&".join(p for p in params if not _tracking(p.split("=", 1)[0]))
    reduced = netloc + path + (f"?{query}" if query else "")
    reduced = unicodedata.normalize("NFKC", reduced.casefold())
    reduced = re.sub(r"\s", "%20", reduced)
    return reduced or core


@dataclasses.dataclass(frozen=True)
class _Link:
    """A URL in a canonical text: its reduced form's span, and how it may have been shortened."""

    start: int
    end: int
    truncated: bool  # Shown with its end cut off ("example.com/very/lo...").
    shortener: bool  # A link-shortener URL.


@dataclasses.dataclass(frozen=True)
class _Canonical:
    text: str
    links: tuple[_Link, ...]


def _fold(text: str) -> str:
    """Entities, Unicode, markup, emoji, invisibles, quotes, dashes, case and spaces (not URLs, not Markdown)."""
    folded = text.replace("\r\n", "\n")
    for _ in range(10):  # Entities and NFKC to a fixed point ("&amp;amp;", a fullwidth ampersand).
        step = unicodedata.normalize("NFKC", html.unescape(folded.translate(_FOLD)))
        if step == folded:
            break
        folded = step
    folded = _TAG.sub(_tag, folded)
    folded = _KEYCAP.sub("", folded)
    folded = _EMOJI.sub("", folded)
    folded = "".join(c for c in folded if _visible_char(c))
    folded = _HYPHEN_RUN.sub("-", folded.translate(_FOLD))
    folded = unicodedata.normalize("NFKC", folded.casefold())
    return _WHITESPACE.sub(" ", folded).strip()


def _unmark(piece: str) -> str:
    """Drop Markdown emphasis markers (after URL reduction: ``utm_source`` must stay readable)."""
    return _WHITESPACE.sub(" ", _MARKDOWN.sub("", piece))


def _analyse(text: str) -> _Canonical:
    folded = _fold(text)
    out: list[str] = []
    links: list[_Link] = []
    length = 0
    last = 0
    for found in _URL.finditer(folded):
        token = found.group()
        cut = _CUT_LINK.match(token)  # A link text cut short: what precedes the dots is all URL.
        truncated = cut is not None
        core = cut.group(1) if cut is not None else token.rstrip(_URL_TRAILING)
        tail = token[len(core) :]
        if not core:
            continue
        before = _unmark(folded[last : found.start()])
        if not out:
            before = before.lstrip()
        reduced = _unmark(_reduce_url(core, truncated=truncated)).replace(" ", "") or core
        out.append(before)
        length += len(before)
        host = reduced.split("/", 1)[0].split("?", 1)[0]
        links.append(_Link(length, length + len(reduced), truncated=truncated, shortener=host in SHORTENERS))
        out.extend((reduced, tail))
        length += len(reduced) + len(tail)
        last = found.end()
    rest = _unmark(folded[last:])
    out.append(rest.lstrip() if not out else rest)
    text = "".join(out)
    return _Canonical(text.rstrip(), tuple(links))


def canonical(text: str) -> str:
    """Return the canonical form of a message text.

    Two renderings of the same text have the same canonical form: HTML entities are
    unescaped (repeatedly), the text is NFKC-normalised and case-folded, quotes and dashes are
    folded to ASCII (a curly apostrophe is "'", an en dash "-"), emoji, keycaps, variation selectors and
    zero-width characters are removed, stray tags become a space (block) or nothing (an image
    becomes its alt text), Markdown emphasis markers go, every run of whitespace (non-breaking
    spaces, line and paragraph breaks) becomes one space, and each URL is reduced to host and
    path: no scheme, ``www.``, default port, fragment, trailing slash or tracking parameters
    (``utm_*``, ``fbclid``...), with click-tracking redirectors unwrapped.
    """
    return _analyse(text).text


def _relaxed(shown: _Canonical) -> re.Pattern[str] | None:
    """A pattern for typed texts the shown one may stand for, when it shows shortened links."""
    if not any(link.truncated or link.shortener for link in shown.links):
        return None
    pieces: list[str] = []
    position = 0
    for link in shown.links:
        if not (link.truncated or link.shortener):
            continue
        pieces.append(re.escape(shown.text[position : link.start]))
        position = link.end
        if link.truncated:
            visible = shown.text[link.start : link.end]
            if "www.".startswith(visible):
                pieces.append(_ANY_URL)  # Cut inside the "www." that the reduction would have dropped.
            else:
                pieces.append(re.escape(visible) + r"\S*")
            position += 3  # The "..." that marked the cut.
        else:
            shorteners = "|".join(re.escape(host) for host in sorted(SHORTENERS))
            pieces.append(rf"(?!(?:{shorteners})(?:[/?]|\s|$)){_ANY_URL}")
    pieces.append(re.escape(shown.text[position:]))
    return re.compile("".join(pieces))


_SIGNATURE_DELIMITER = re.compile("^\\s*(?:-{2,}|\u2014|\u2013|_{2,})\\s*$")
_SIGNATURE_LINE = re.compile(r"^\s*(?:sent|posted|delivered)\s+(?:from|via|using|with|by)\s+\S.{0,80}$", re.I)


def _without_signature(shown: str, signatures: Sequence[str]) -> list[str]:
    """Return the shown text without a trailing signature, one variant per way it may end."""
    lines = shown.replace("\r\n", "\n").split("\n")
    variants: list[str] = []
    delimiters = [i for i, line in enumerate(lines) if _SIGNATURE_DELIMITER.match(line)]
    if delimiters:
        variants.append("\n".join(lines[: delimiters[-1]]))
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if filled and _SIGNATURE_LINE.match(lines[filled[-1]]):
        variants.append("\n".join(lines[: filled[-1]]))
    wanted = {canonical(s) for s in signatures} - {""}
    if wanted:
        for cut in range(1, len(lines)):
            if canonical("\n".join(lines[-cut:])) in wanted:
                variants.append("\n".join(lines[:-cut]))
    return variants


def _loose(text: str) -> str:
    """NFKC without whitespace or emoji modifiers: for texts made of emoji only."""
    folded = unicodedata.normalize("NFKC", html.unescape(_TAG.sub(_tag, text)))
    return "".join(c for c in folded if _visible_char(c) and not c.isspace() and not "\ufe00" <= c <= "\ufe0f")


def _prefix(typed: str, shown: str, *, previews: bool = True) -> bool:
    """True when ``shown`` (canonical) is a truncated preview of ``typed`` (canonical).

    ``previews=False`` is for full message bodies (a thread page): there a shorter text is a
    truncation only when it says so with an ellipsis, since two replies that differ in their
    last words are two replies, not a preview of one.
    """
    ellipsis = shown.endswith("...")
    if not previews and not ellipsis:
        return False
    visible = shown[:-3].rstrip() if ellipsis else shown
    if not visible or visible == typed:
        return ellipsis and visible == typed
    attempts = [visible]
    if " " in visible:
        attempts.append(visible.rsplit(" ", 1)[0])  # The cut may fall inside a word, URL or entity.
    return any(len(v) >= PREFIX_MIN_CHARS and typed.startswith(v) for v in attempts)


def match(typed: str, shown: str, *, signatures: Sequence[str] = (), previews: bool = True) -> MatchKind:
    """Say how ``shown`` (a message as the site shows it) relates to ``typed`` (what we sent).

    ``EXACT``: the same text, line endings and outer whitespace aside. ``CANONICAL``: the same
    :func:`canonical` form; also when the site shows a shortened link text
    ("example.com/very/lo…") or a link-shortener URL where a URL was typed, or appends a
    signature (a ``--`` delimiter line, a last line like "Sent via RentHop", or one of
    ``signatures``). ``PREFIX``: the shown text is a truncated preview — its canonical form,
    without a trailing ellipsis, starts the typed one and keeps at least
    :data:`PREFIX_MIN_CHARS` characters (or all of the typed text, then with an ellipsis).
    ``NONE`` otherwise.

    A typed text made only of emoji has an empty canonical form; it then matches a shown text
    with the same emoji, or one with nothing visible left (the images had no alt text).
    """
    if typed.replace("\r\n", "\n").strip() == shown.replace("\r\n", "\n").strip():
        return MatchKind.EXACT
    typed_c = _analyse(typed)
    variants = (shown, *_without_signature(shown, signatures))
    if not typed_c.text:
        for variant in variants:
            if canonical(variant):
                continue  # Words where only emoji were typed.
            variant_loose = _loose(variant)
            if not variant_loose or variant_loose == _loose(typed):
                return MatchKind.CANONICAL
        return MatchKind.NONE
    for variant in variants:
        shown_c = _analyse(variant)
        if shown_c.text == typed_c.text:
            return MatchKind.CANONICAL
        relaxed = _relaxed(shown_c)
        if relaxed is not None and relaxed.fullmatch(typed_c.text):
            return MatchKind.CANONICAL
    if _prefix(typed_c.text, _analyse(shown).text, previews=previews):
        return MatchKind.PREFIX
    return MatchKind.NONE


# --- choosing among a thread's candidates ---------------------------------------------


class Verdict(enum.Enum):
    """What a read-back of the thread says about one send."""

    CONFIRMED = "confirmed"  # Exactly one message of ours is the reply: record its ref, never send again.
    UNKNOWN = "unknown"  # Something may be the reply: do not send again; a person or a later look decides.
    ABSENT = "absent"  # Nothing of ours arrived: sending (again) cannot make a duplicate.


@dataclasses.dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread as read back from the site."""

    ref: str
    body: str
    sent_at: datetime
    direction: Direction


@dataclasses.dataclass(frozen=True)
class Evidence:
    """How one outbound candidate (at or after the claim time) compared with the typed text."""

    ref: str
    kind: MatchKind
    sent_at: datetime


@dataclasses.dataclass(frozen=True)
class SentCheck:
    """The verdict on one send, with what it rests on (log it: it explains every decision)."""

    verdict: Verdict
    ref: str | None  # The confirmed message's ref; None unless CONFIRMED.
    evidence: tuple[Evidence, ...]  # Every outbound candidate, newest last, NONE matches included.
    outbound_before: int | None  # Outbound messages in the thread before the click, when known.
    outbound_now: int  # Outbound messages in the thread as read now.
    reason: str

    @property
    def matched(self) -> tuple[Evidence, ...]:
        """The candidates that matched at all (any kind but NONE)."""
        return tuple(e for e in self.evidence if e.kind is not MatchKind.NONE)


def check_sent(
    typed: str,
    messages: Iterable[ThreadMessage],
    *,
    claimed_at: datetime,
    outbound_before: int | None = None,
    tolerance: timedelta = timedelta(0),
    signatures: Sequence[str] = (),
    previews: bool = True,
) -> SentCheck:
    """Decide whether ``typed`` is in the thread, from the thread's messages as read now.

    ``messages`` is the whole thread as read (both directions); the candidates are its
    outbound messages sent at or after ``claimed_at - tolerance`` (the time the send was
    claimed; ``tolerance`` covers sites that show times to the minute). ``outbound_before``
    is the number of outbound messages the thread had before the click, when it was read.

    * CONFIRMED: exactly one candidate matches, and it matches the whole text (EXACT or
      CANONICAL).
    * UNKNOWN: several candidates match; or only a truncated preview (PREFIX) does; or none
      matches but the outbound count changed since ``outbound_before`` (without that count:
      an outbound message arrived after the claim) — a reply may be there in a form we do not
      recognise, so sending again could duplicate it.
    * ABSENT: no candidate matches and the outbound count did not change. ABSENT means "not
      visible now": on a site that shows new messages late, look again before sending.
    """
    if claimed_at.tzinfo is None:
        raise ValueError("claimed_at must be timezone-aware")
    thread = list(messages)
    outbound = [m for m in thread if m.direction == "out"]
    since = claimed_at - tolerance
    candidates = sorted((m for m in outbound if m.sent_at >= since), key=lambda m: m.sent_at)
    evidence = tuple(
        Evidence(m.ref, match(typed, m.body, signatures=signatures, previews=previews), m.sent_at) for m in candidates
    )
    full = [e for e in evidence if e.kind.full]
    partial = [e for e in evidence if e.kind is MatchKind.PREFIX]

    def verdict(kind: Verdict, reason: str, ref: str | None = None) -> SentCheck:
        return SentCheck(kind, ref, evidence, outbound_before, len(outbound), reason)

    if len(full) == 1 and not partial:
        return verdict(Verdict.CONFIRMED, f"one candidate matches ({full[0].kind.value})", full[0].ref)
    if len(full) > 1:
        return verdict(Verdict.UNKNOWN, f"{len(full)} candidates match the whole text")
    if full:
        return verdict(Verdict.UNKNOWN, "one candidate matches, others match a truncated form")
    if partial:
        return verdict(Verdict.UNKNOWN, f"only a truncated form matches ({len(partial)} candidate(s))")
    if outbound_before is not None:
        if len(outbound) != outbound_before:
            return verdict(
                Verdict.UNKNOWN,
                f"outbound count went from {outbound_before} to {len(outbound)} but no text matches",
            )
        return verdict(Verdict.ABSENT, "no candidate matches and the outbound count did not change")
    if candidates:
        return verdict(Verdict.UNKNOWN, f"{len(candidates)} outbound message(s) after the claim, none matches")
    return verdict(Verdict.ABSENT, "no outbound message after the claim")
