"""Serializer fields of the API's text inputs: strings only, and reply text without unsafe characters.

DRF's ``CharField`` turns a JSON number or boolean into its text (``{"body": 123}`` became a
reply reading "123"); these refuse anything but a JSON string, with a reason.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from leasebot.core.text import normalise_newlines, unsafe_characters


class StrictCharField(serializers.CharField):
    """A ``CharField`` that accepts a JSON string only."""

    default_error_messages = {"not_a_string": "must be a string, not {kind}"}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string", kind=type(data).__name__)
        return str(super().to_internal_value(data))


class ReplyTextField(StrictCharField):
    """The text of a reply a person writes: a string without bidi overrides or control characters.

    Newline and tab are allowed (CR LF is read as a newline); anything else of the kind is
    refused with its code point and name, so the writer sees what to remove.
    """

    default_error_messages = {"unsafe": "contains characters a reply may not carry: {chars}"}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str):
            chars = unsafe_characters(data)
            if chars:
                self.fail("unsafe", chars=", ".join(chars))
            data = normalise_newlines(data)
        return super().to_internal_value(data)
