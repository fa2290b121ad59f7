"""HTTP answers that carry renter data are never stored by a browser or a proxy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    """Mark answers under ``LEASEBOT_NO_STORE_PREFIXES`` ``Cache-Control: no-store``.

    The API and the review pages answer with renters' names, messages and contacts; a shared
    machine's browser cache or a caching proxy must keep none of it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(tuple(settings.LEASEBOT_NO_STORE_PREFIXES)):
            response["Cache-Control"] = "no-store"
        return response
