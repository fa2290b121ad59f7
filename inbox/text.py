"""Text clean-up shared by the engine, the guardrails and the redaction step (pure functions)."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG_RE = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^>]{0,500}>", re.IGNORECASE | re.DOTALL)
_BREAK_TAG_RE = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?\s*>", re.IGNORECASE)
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
# Invisible characters used to split trigger words ("ig\u200bnore") or hide text.
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_REPEAT_RE = re.compile(r"(\w)\1{2,}")


def strip_html(text: str) -> str:
    """Return the visible text of an HTML fragment (platform messages sometimes carry markup)."""
    if "<" not in text and "&" not in text:
        return text
    text = _BREAK_TAG_RE.sub("\n", text)
    text = _TAG_RE.sub(" ", text)
    return html.unescape(text)


def clean(text: str) -> str:
    """Return display-safe plain text: no markup, no invisible characters, tidy spaces."""
    text = unicodedata.normalize("NFKC", strip_html(text or ""))
    text = _INVISIBLE_RE.sub("", text)
    text = _SPACE_RE.sub(" ", text)
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


def fold(text: str) -> str:
    """Return text folded for matching: clean, lower case, accents removed, stretched letters shrunk.

    "Hellooooo, ¿está DISPONIBLE?" becomes "helloo, ¿esta disponible?".
    """
    text = clean(text).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _REPEAT_RE.sub(r"\1\1", text)


def words(text: str) -> list[str]:
    """Return the word tokens of folded text."""
    return re.findall(r"[a-z0-9$']+", text)
