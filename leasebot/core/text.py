"""Characters that never go into a reply: bidirectional overrides and control characters.

A bidi override (U+202E and its kin) makes a renter read another text than the one an
agent approved ("Trojan Source"); control characters are invisible, can break a
platform's form and have no place in a chat message. Newline and tab stay. An agent's
text carrying any of them is refused with their names (``unsafe_characters``); the bot's
own text, built from templates and renter-supplied values, is cleaned (``strip_unsafe``).
"""

from __future__ import annotations

import unicodedata

#: Explicit directional formatting characters (Unicode bidi algorithm, and the marks).
BIDI_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates and pop
)
ALLOWED_CONTROLS = frozenset("\n\t")


def _unsafe(char: str) -> bool:
    if char in ALLOWED_CONTROLS:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def _name(char: str) -> str:
    # Control characters have no Unicode name; their code point says enough.
    return f"U+{ord(char):04X}" + (f" {unicodedata.name(char)}" if unicodedata.name(char, "") else "")


def unsafe_characters(text: str) -> list[str]:
    """Return each distinct unsafe character of ``text`` by code point and name, in order of appearance."""
    seen: dict[str, None] = {}
    for char in normalise_newlines(text):
        if _unsafe(char):
            seen.setdefault(char, None)
    return [_name(char) for char in seen]


def normalise_newlines(text: str) -> str:
    """Return ``text`` with CR LF and lone CR as LF (what a form's textarea sends is no control)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_unsafe(text: str) -> str:
    """Return ``text`` with newlines normalised and every unsafe character removed."""
    return "".join(char for char in normalise_newlines(text) if not _unsafe(char))
