"""Remove personal data the LLM engine does not need before any text leaves for it."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Phone numbers: +1 (212) 555-0100, 212.555.0100, +44 7700 900123 ... (at least 7 digits).
PHONE_RE = re.compile(r"(?<![\w$])\+?\d[\d\s().-]{6,}\d(?![\w%])")
SSN_RE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
CARD_RE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_HANDLE_RE = re.compile(r"(?<!\w)@[A-Za-z0-9_.]{3,30}\b")


def _looks_like_phone(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    # A price ("2,450") or a year range is not a phone; dates with dashes rarely reach 10 digits.
    return 7 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", match.strip())


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Return ``text`` with e-mail addresses, phone numbers, SSNs, card numbers and given names masked."""
    text = EMAIL_RE.sub("[email]", text)
    text = SSN_RE.sub("[ssn]", text)
    text = CARD_RE.sub(lambda m: "[card]" if len(re.sub(r"\D", "", m.group())) >= 13 else m.group(), text)
    text = PHONE_RE.sub(lambda m: "[phone]" if _looks_like_phone(m.group()) else m.group(), text)
    text = _HANDLE_RE.sub("[handle]", text)
    for name in names:
        for part in {name.strip(), *name.split()}:
            if len(part) >= 2:
                text = re.sub(rf"\b{re.escape(part)}\b", "[name]", text, flags=re.IGNORECASE)
    return text
