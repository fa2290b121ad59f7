"""The one DRF exception handler: every lease-bot error becomes a 4xx with a reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from leasebot.core.exceptions import Conflict, LeasebotError, NotAllowed, ValidationFailed

_STATUS: dict[type[LeasebotError], int] = {
    ValidationFailed: status.HTTP_400_BAD_REQUEST,
    NotAllowed: status.HTTP_409_CONFLICT,
    Conflict: status.HTTP_409_CONFLICT,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors to HTTP answers; leave everything else to DRF."""
    if isinstance(exc, LeasebotError):
        code = next((c for cls, c in _STATUS.items() if isinstance(exc, cls)), status.HTTP_409_CONFLICT)
        body: dict[str, Any] = {"detail": exc.message, "code": exc.error_class}
        public = {k: v for k, v in exc.extra.items() if k in {"reasons", "field", "status", "errors"}}
        body.update(public)
        return Response(body, status=code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        return Response({"detail": "the request conflicts with existing data"}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
