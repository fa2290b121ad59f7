"""Serve the five replicas, the control API and the IMAP mailbox.

In tests::

    server = SandboxServer(port=0).start()    # free loopback ports, background threads
    server.url                                # "http://127.0.0.1:54321"
    server.stop()

For ``make run`` and the demo, ``manage.py sandbox`` calls :meth:`SandboxServer.serve_forever`.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from platforms.sandbox.control import PREFIX, ControlAPI
from platforms.sandbox.imap import IMAPServer, MailStore
from platforms.sandbox.replicas import REPLICAS, Replica
from platforms.sandbox.state import PLATFORMS, SandboxState
from platforms.sandbox.web import Request, Response, esc, page

logger = logging.getLogger(__name__)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: SandboxServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A browser that gave up on a slow page closes the connection: not an error here.
        logger.debug("sandbox: connection from %s ended early", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "sandbox"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("sandbox: %s", format % args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request.build(self.command, self.path, headers, body)
        try:
            response = self.server.sandbox.dispatch(req)
        except Exception:
            logger.exception("sandbox: handler failed for %s %s", self.command, self.path)
            response = page("<!doctype html><title>500</title><h1>Internal Server Error</h1>", 500)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class SandboxServer:
    """The sandbox: HTTP (replicas + control API) and IMAP, sharing one :class:`SandboxState`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 8765, *, imap_port: int = 0, state: SandboxState | None = None
    ) -> None:
        self.state = state or SandboxState()
        self.mail = MailStore()
        self.http = _HTTPServer((host, port), _Handler)
        self.http.sandbox = self
        self.imap = IMAPServer((host, imap_port), self.mail)
        self.host = host
        self.replicas: dict[str, Replica] = {cls.slug: cls(self.state) for cls in REPLICAS}
        self.control = ControlAPI(self.state, root_url=lambda: self.url, imap_url=self.imap_url)
        self._install_mail_sink()
        self._threads: list[threading.Thread] = []

    def _install_mail_sink(self) -> None:
        self.state.mail_sink = self.mail.deliver
        self.state.reset_hooks.append(self.mail.clear)

    @property
    def port(self) -> int:
        return int(self.http.server_address[1])

    @property
    def imap_port(self) -> int:
        return int(self.imap.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def platform_url(self, platform: str) -> str:
        return f"{self.url}/{platform}"

    def imap_url(self, user: str, password: str) -> str:
        return f"imap://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{self.imap_port}/INBOX"

    def dispatch(self, req: Request) -> Response:
        if req.path == PREFIX or req.path.startswith(PREFIX + "/"):
            return self.control.handle(req)
        head, _, rest = req.path.lstrip("/").partition("/")
        replica = self.replicas.get(head)
        if replica is not None:
            req.path = "/" + rest
            return replica.handle(req)
        links = "".join(f"<li><a href='/{esc(p)}/'>{esc(p)}</a></li>" for p in PLATFORMS)
        status = 200 if req.path == "/" else 404
        return page(
            f"<!doctype html><title>lease-bot sandbox</title><h1>lease-bot sandbox</h1><ul>{links}</ul>", status
        )

    def start(self) -> SandboxServer:
        """Serve in background threads and return at once."""
        for name, target in (("sandbox-http", self.http.serve_forever), ("sandbox-imap", self.imap.serve_forever)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve until interrupted (the IMAP server in a thread, HTTP in this one)."""
        thread = threading.Thread(target=self.imap.serve_forever, name="sandbox-imap", daemon=True)
        thread.start()
        self._threads.append(thread)
        try:
            self.http.serve_forever()
        finally:
            self.imap.shutdown()

    def stop(self) -> None:
        self.http.shutdown()
        self.imap.shutdown()
        self.http.server_close()
        self.imap.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
