"""Data a page embeds for its scripts, read without running any script.

Pages hand their scripts data in more shapes than strict JSON: an Alpine component's
``x-data`` is a JavaScript expression (``{ id: 5, content: 'Hi', }``: unquoted keys,
single quotes, trailing commas), and Laravel's ``Js::from`` (Blade's ``@js``) writes an
object as ``JSON.parse('{\\u0022id\\u0022:5}')``. :func:`parse_js_data` reads JSON, those
object literals and that one ``JSON.parse('...')`` call, and nothing else: it is a small
recursive-descent parser over a fixed grammar, never ``eval``, with limits on nesting
and size. Anything outside the grammar (a function call, a variable, a template
literal, ``undefined``, a stray character) is :class:`JsDataError`, a ``ValueError`` the
connectors turn into ``SelectorDrift``.

Accepted: objects (keys as identifiers, quoted strings or numbers), arrays, strings in
single or double quotes with JavaScript's escapes (``\\n``, ``\\xHH``, ``\\uHHHH``,
``\\u{H...}``, line continuations), numbers (JSON's, plus a leading ``+``, ``.5``, ``5.``
and hexadecimal), ``true``, ``false``, ``null``, trailing commas, and ``//`` or ``/* */``
comments between tokens.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Deepest nesting accepted (a hostile page can nest thousands deep).
MAX_DEPTH = 64
#: Longest input accepted, in characters.
MAX_LENGTH = 2_000_000

_IDENT = re.compile(r"[A-Za-z_$\u00aa-\uffff][A-Za-z0-9_$\u00aa-\uffff]*")
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_JSON_PARSE = re.compile(r"JSON\s*\.\s*parse\s*\(")
_LINE_BREAKS = "\n\r\u2028\u2029"


class JsDataError(ValueError):
    """The text is not data in the accepted grammar (the message says where, never the content)."""


def parse_js_data(text: str) -> Any:
    """Return the value of a JSON text, a JavaScript object literal or ``JSON.parse('<json>')``."""
    if len(text) > MAX_LENGTH:
        raise JsDataError("embedded data too long")
    return _Reader(text).document()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> JsDataError:
        return JsDataError(f"{what} at offset {self.pos}")

    def skip(self) -> None:
        found = _SPACE.match(self.text, self.pos)
        if found:
            self.pos = found.end()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        self.skip()
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def document(self) -> Any:
        self.skip()
        call = _JSON_PARSE.match(self.text, self.pos)
        if call:
            # Laravel's Js::from: JSON.parse('<the JSON, escaped as a JavaScript string>').
            self.pos = call.end()
            self.skip()
            if self.peek() not in ("'", '"'):
                raise self.fail("JSON.parse without a string")
            inner = self.string()
            self.expect(")")
            value = _Reader(inner).document()
        else:
            value = self.value(0)
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("unexpected text after the data")
        return value

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("data nested too deeply")
        self.skip()
        char = self.peek()
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char in ("'", '"'):
            return self.string()
        number = _NUMBER.match(self.text, self.pos)
        if number and number.group():
            self.pos = number.end()
            return _number(number.group())
        word = _IDENT.match(self.text, self.pos)
        if word:
            literal = {"true": True, "false": False, "null": None}
            if word.group() in literal:
                self.pos = word.end()
                return literal[word.group()]
            raise self.fail("a name where a value belongs")
        raise self.fail("no value" if not char else "unexpected character")

    def object(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        out: dict[str, Any] = {}
        while True:
            self.skip()
            char = self.peek()
            if char == "}":
                self.pos += 1
                return out
            found = _IDENT.match(self.text, self.pos)
            if char in ("'", '"'):
                key = self.string()
            elif found is not None:
                key = found.group()
                self.pos = found.end()
            else:
                number = _NUMBER.match(self.text, self.pos)
                if not number or not number.group():
                    raise self.fail("expected a key")
                self.pos = number.end()
                key = _js_number_key(_number(number.group()))
            self.expect(":")
            out[key] = self.value(depth + 1)
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("expected ',' or '}'")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        out: list[Any] = []
        while True:
            self.skip()
            if self.peek() == "]":
                self.pos += 1
                return out
            out.append(self.value(depth + 1))
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise self.fail("expected ',' or ']'")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        parts: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail("unterminated string")
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(parts)
            if char in _LINE_BREAKS[:2]:
                raise self.fail("line break in a string")
            if char != "\\":
                end = self.pos
                while end < len(text) and text[end] not in (quote, "\\", "\n", "\r"):
                    end += 1
                parts.append(text[self.pos : end])
                self.pos = end
                continue
            parts.append(self.escape())

    def escape(self) -> str:
        text = self.text
        self.pos += 1
        if self.pos >= len(text):
            raise self.fail("unterminated escape")
        char = text[self.pos]
        self.pos += 1
        if char in _ESCAPES:
            if char == "0" and self.peek().isdigit():
                raise self.fail("octal escape")
            return _ESCAPES[char]
        if char == "x":
            return chr(self.hex_digits(2))
        if char == "u":
            if self.peek() == "{":
                end = text.find("}", self.pos)
                if end < 0 or not 1 <= end - self.pos - 1 <= 6:
                    raise self.fail("bad code point escape")
                digits = text[self.pos + 1 : end]
                self.pos = end + 1
                return _code_point(digits, self)
            unit = self.hex_digits(4)
            if 0xD800 <= unit <= 0xDBFF and text.startswith("\\u", self.pos):
                save = self.pos
                self.pos += 2
                low = self.hex_digits(4)
                if 0xDC00 <= low <= 0xDFFF:
                    return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                self.pos = save
            return chr(unit)
        if char == "\r":  # A line continuation (CRLF or CR): nothing.
            if self.peek() == "\n":
                self.pos += 1
            return ""
        if char in _LINE_BREAKS:
            return ""
        if char.isdigit():
            raise self.fail("octal escape")
        return char  # \' \" \\ \/ and any other character stand for themselves.

    def hex_digits(self, count: int) -> int:
        digits = self.text[self.pos : self.pos + count]
        if len(digits) != count or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise self.fail("bad hex escape")
        self.pos += count
        return int(digits, 16)


def _code_point(digits: str, reader: _Reader) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]+", digits) or int(digits, 16) > 0x10FFFF:
        raise reader.fail("bad code point escape")
    return chr(int(digits, 16))


def _number(raw: str) -> int | float:
    sign = -1 if raw.startswith("-") else 1
    body = raw.lstrip("+-")
    if body[:2].lower() == "0x":
        return sign * int(body, 16)
    if re.fullmatch(r"\d+", body):
        if len(body) > 1 and body.startswith("0"):
            raise JsDataError("a number with a leading zero")
        return sign * int(body)
    value = float(body)
    if value != value or value in (float("inf"), float("-inf")):
        raise JsDataError("a number out of range")
    return sign * value


def _js_number_key(value: int | float) -> str:
    """A numeric key names the property JavaScript would: its canonical string."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)
