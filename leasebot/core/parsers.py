"""The API's JSON parser: bounded in size and nesting, so no body can crash a request.

DRF's own ``JSONParser`` reads the whole stream (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
never sees it) and lets ``json`` recurse as deep as the body nests, which ends in a
``RecursionError`` (a 500) at about a thousand levels. This one reads at most
``LEASEBOT_API_MAX_JSON_BYTES`` and measures the nesting before decoding; both limits
answer 400 with the reason.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# A JSON string with its escapes: removed before the brackets are counted, so a "[" inside
# a string does not count as nesting.
_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """Return how deep the arrays and objects of a JSON text nest (0 for a scalar).

    Iterative on purpose: measuring must not recurse either. An unbalanced text gives
    some number; ``json.loads`` refuses it afterwards anyway.
    """
    depth = deepest = 0
    for match in _BRACKET_RE.finditer(_STRING_RE.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    """Parse a JSON body of bounded size and depth; anything else is a 400 with a reason."""

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.LEASEBOT_API_MAX_JSON_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"the JSON body is larger than {limit} bytes")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ParseError(f"the JSON body is not valid {encoding} text") from exc
        max_depth = settings.LEASEBOT_API_MAX_JSON_DEPTH
        if json_depth(text) > max_depth:
            raise ParseError(f"the JSON body nests deeper than {max_depth} levels")
        try:
            # As DRF's own parser: NaN and Infinity refused unless STRICT_JSON is off.
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
