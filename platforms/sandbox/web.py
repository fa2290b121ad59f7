"""A tiny request/response layer for the sandbox (standard library only).

The replicas are plain functions from :class:`Request` to :class:`Response`; the server
module turns ``http.server`` requests into these and back.
"""

from __future__ import annotations

import dataclasses
import html
import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode


@dataclasses.dataclass
class Request:
    """One HTTP request, already parsed."""

    method: str
    path: str  # Below the replica's prefix, e.g. "/roommate/logon.pl".
    query: dict[str, str]
    form: dict[str, str]
    body: bytes
    headers: dict[str, str]
    cookies: dict[str, str]
    prefix: str = ""  # The replica's mount point, e.g. "/spareroom".

    @classmethod
    def build(cls, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Request:
        path, _, qs = raw_path.partition("?")
        query = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        cookies: dict[str, str] = {}
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # noqa: BLE001 - a malformed cookie header is ignored, as browsers' servers do.
                jar = SimpleCookie()
            cookies = {k: m.value for k, m in jar.items()}
        return cls(
            method=method.upper(), path=path or "/", query=query, form=form, body=body, headers=headers, cookies=cookies
        )

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        data = json.loads(self.body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def url(self, path: str, **query: Any) -> str:
        """Return an absolute path inside this replica."""
        qs = urlencode({k: v for k, v in query.items() if v is not None})
        return f"{self.prefix}{path}" + (f"?{qs}" if qs else "")

    @property
    def full_path(self) -> str:
        qs = urlencode(self.query)
        return f"{self.prefix}{self.path}" + (f"?{qs}" if qs else "")


@dataclasses.dataclass
class Response:
    """One HTTP response."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def set_cookie(
        self, name: str, value: str, *, path: str = "/", max_age: int | None = None, http_only: bool = True
    ) -> Response:
        parts = [f"{name}={value}", f"Path={path}", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if http_only:
            parts.append("HttpOnly")
        self.headers.append(("Set-Cookie", "; ".join(parts)))
        return self

    def delete_cookie(self, name: str, *, path: str = "/") -> Response:
        return self.set_cookie(name, "", path=path, max_age=0)


def page(body: str, status: int = 200, *, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status=status, body=body.encode("utf-8"), headers=list(headers or []))


def redirect(location: str, status: int = 302) -> Response:
    return Response(status=status, body=b"", headers=[("Location", location)])


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status=status, body=json.dumps(data, default=str).encode(), content_type="application/json")


def esc(value: object) -> str:
    """Escape text for HTML bodies and attributes."""
    return html.escape(str(value), quote=True)
