"""What every replica shares: routing, sessions, request counting and fault injection.

The HTML of each site lives in its own module; only the bot-wall pages (captcha, block,
429) are built here, each in the style of a real vendor (Cloudflare, PerimeterX,
DataDome, Incapsula, Akamai), because that is what the guard has to recognise.
"""

from __future__ import annotations

import abc
import dataclasses
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from platforms.sandbox import behaviour
from platforms.sandbox.render import Renderer, SiteRendering
from platforms.sandbox.replicas import overlays, renamed
from platforms.sandbox.state import Account, SandboxState, Thread
from platforms.sandbox.web import Request, Response, esc, json_response, page, redirect

Handler = Callable[..., Response]


@dataclasses.dataclass(frozen=True)
class Route:
    """A URL pattern of one replica."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = False  # Needs a logged-in session; otherwise redirect to the login page.
    identify_by: str = ""  # A login form field naming the account (so faults and counts apply).


def route(method: str, pattern: str, handler: Handler, *, auth: bool = False, identify_by: str = "") -> Route:
    return Route(method, re.compile(f"^{pattern}$"), handler, auth=auth, identify_by=identify_by)


class Replica(abc.ABC):
    """One platform's site: a router plus the common gate every request passes."""

    slug: ClassVar[str]
    session_cookie: ClassVar[str]
    login_path: ClassVar[str]
    return_param: ClassVar[str] = "next"
    #: The site's own zone; an account's ``time_zone`` (its user's setting) takes its place.
    timezone: ClassVar[str] = "UTC"
    captcha_style: ClassVar[str] = "cloudflare"
    block_style: ClassVar[str] = "cloudflare"
    block_status: ClassVar[int] = 403
    #: How this site shows message text: its plain markup and the traits the real site applies.
    rendering: ClassVar[SiteRendering]
    #: The ``renamed`` layout (platforms/sandbox/replicas/renamed.py): classes that carry meaning
    #: (kept), and the class of the element the new build moves one level down.
    renamed_keep: ClassVar[frozenset[str]] = frozenset()
    renamed_moved: ClassVar[str] = ""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.routes = self.build_routes()

    # --- to be provided by each site --------------------------------------------------

    @abc.abstractmethod
    def build_routes(self) -> list[Route]:
        """Return this site's URL routes."""

    def not_found(self, req: Request) -> Response:
        return page("<!doctype html><title>Not found</title><h1>Page not found</h1>", 404)

    # --- plumbing ---------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        req.prefix = f"/{self.slug}"
        account = self.state.session_account(self.slug, req.cookies.get(self.session_cookie))
        account = self.session_life(req, account)
        for candidate in self.routes:
            if candidate.method != req.method:
                continue
            match = candidate.pattern.match(req.path)
            if not match:
                continue
            if candidate.identify_by:
                account = self.state.find_account(self.slug, req.form.get(candidate.identify_by, "").strip())
            gated, account = self.gate(req, account, identified=bool(candidate.identify_by))
            if gated is not None:
                return gated
            if candidate.auth and account is None:
                return self.unauthenticated(req)
            response = candidate.handler(req, account, **match.groupdict())
            # A login form's answer belongs to no session yet: only a logged-in browser's pages get overlays.
            return response if candidate.identify_by else self.furnish(req, account, response)
        self.state.count_request(self.slug, account, req.path)
        return self.not_found(req)

    def gate(
        self, req: Request, account: Account | None, *, identified: bool = False
    ) -> tuple[Response | None, Account | None]:
        """Count the request and apply the account's faults, in the order a real site would.

        Session expiry hits requests that carry a session, not login forms (``identified``).
        """
        self.state.count_request(self.slug, account, req.path)
        if account is None:
            return None, None
        self.slow_response(account)
        slow = self.state.take_fault(account, "slow")
        if slow is not None and slow.delay > 0:
            time.sleep(slow.delay)
        if not identified and self.state.take_fault(account, "session_expired") is not None:
            self.state.expire_sessions(account)
            return None, None
        if self.state.take_fault(account, "captcha") is not None:
            return self.captcha_page(req), account
        if self.state.take_fault(account, "block") is not None:
            return self.block_page(req), account
        limited = self.state.take_fault(account, "rate_limit")
        if limited is not None:
            return self.rate_limited_page(limited.retry_after), account
        return None, account

    # --- page behaviour traits (platforms/sandbox/behaviour.py) ---------------------------

    def session_life(self, req: Request, account: Account | None) -> Account | None:
        """Count a request made with a session; past its ``session_lifetime`` the session is gone (None)."""
        if account is None:
            return None
        max_requests, max_seconds = behaviour.session_limits(account.profile)
        token = req.cookies.get(self.session_cookie)
        if not self.state.use_session(self.slug, token, max_requests=max_requests, max_seconds=max_seconds):
            return None
        return account

    def unauthenticated(self, req: Request) -> Response:
        """A page without a session goes to the login page; a script's fetch gets HTTP 401 (as Rails and Laravel answer XHR)."""
        if self.scripted(req):
            return json_response({"error": "Unauthenticated."}, 401)
        return self.login_redirect(req)

    @staticmethod
    def scripted(req: Request) -> bool:
        """Whether a page's script made the request (its fetch says so, as jQuery's and Rails' UJS do)."""
        return req.headers.get("x-requested-with", "").lower() == "xmlhttprequest"

    def slow_response(self, account: Account) -> None:
        """Wait the ``slow_responses`` delay for this request (seeded by the account's request count)."""
        delay = behaviour.response_delay(account.profile, self.slug, account.requests)
        if delay > 0:
            time.sleep(delay)

    def login_redirect(self, req: Request) -> Response:
        return redirect(req.url(self.login_path, **{self.return_param: req.full_path}))

    def open_session(self, account: Account, response: Response) -> Response:
        token = self.state.open_session(account)
        return response.set_cookie(self.session_cookie, token, path=f"/{self.slug}")

    def renderer(self, account: Account) -> Renderer:
        """Show this account's message bodies as its rendering profile says (plain by default)."""
        return Renderer(self.rendering, account.profile)

    def furnish(self, req: Request, account: Account | None, response: Response) -> Response:
        """Put the account's overlays (consent banner, interstitial) in front of the page, as its profile says (not in a script's fetch: its answer is no page).

        Under the ``renamed`` layout the page is first renamed as a new front-end build
        would rename it (:mod:`platforms.sandbox.replicas.renamed`).
        """
        if account is None or self.scripted(req):
            return response
        shows = self.renderer(account)
        if (
            shows.layout() == "renamed"
            and response.status == 200
            and response.content_type.startswith("text/html")
            and not self.drift(account)
        ):
            html = response.body.decode("utf-8")
            response.body = renamed.apply(html, keep=self.renamed_keep, moved=self.renamed_moved).encode("utf-8")
        return overlays.furnish(self.slug, req, shows, response)

    def drift(self, account: Account | None) -> bool:
        return self.state.has_fault(account, "drift")

    def zone(self, account: Account) -> str:
        """The zone this account's pages print local times in: the one its user set, else the site's own."""
        return account.time_zone or self.timezone

    def local(self, when: datetime, account: Account) -> datetime:
        return when.astimezone(ZoneInfo(self.zone(account)))

    def page_size(self) -> int:
        return max(1, int(self.state.config["page_size"]))

    def paginate(self, account: Account, page_no: int) -> tuple[list[Thread], bool]:
        threads = self.state.sorted_threads(account)
        size = self.page_size()
        start = max(0, page_no) * size
        return threads[start : start + size], start + size < len(threads)

    def reply_outcome(self, account: Account, thread: Thread, raw_body: str) -> tuple[Response | None, Any]:
        """Apply the send faults; return an error page (or ``None``) and the stored message."""
        if thread.closed or self.state.take_fault(account, "send_reject") is not None:
            return self.error_page("This conversation is closed and cannot receive new messages.", 410), None
        if self.state.take_fault(account, "send_unknown") is not None:
            message = self.state.record_reply(account, thread, raw_body, confirmed=False)
            return self.error_page("Something went wrong. Please try again later.", 500), message
        stall = self.state.take_fault(account, "send_stall")
        message = self.state.record_reply(account, thread, raw_body, confirmed=True)
        if stall is not None and stall.delay > 0:
            # Recorded, but the confirmation takes its time: the window a worker can die in.
            time.sleep(stall.delay)
        return None, message

    def error_page(self, text: str, status: int) -> Response:
        return page(
            f"<!doctype html><html><head><title>Error {status}</title></head>"
            f"<body class='error-page'><h1>Sorry</h1><p class='error'>{esc(text)}</p></body></html>",
            status,
        )

    # --- bot walls --------------------------------------------------------------------

    def captcha_page(self, req: Request) -> Response:
        ray = secrets.token_hex(8)
        if self.captcha_style == "perimeterx":
            body = (
                "<!doctype html><html lang='en'><head><title>Access to this page has been denied</title></head><body>"
                "<div id='px-captcha-wrapper'><h1>Before we continue...</h1>"
                "<p>Press &amp; Hold to confirm you are a human (and not a bot).</p>"
                "<div id='px-captcha' role='button' aria-label='Press &amp; Hold'></div>"
                f"<p class='px-ref'>Reference ID {ray}</p></div>"
                "<script>window._pxAppId='PXsandbox';window._pxJsClientSrc='/px/client/main.min.js';</script>"
                "</body></html>"
            )
        elif self.captcha_style == "datadome":
            body = (
                "<!doctype html><html><head><title>furnishedfinder.com</title></head><body>"
                f"<script>var dd={{'rt':'c','cid':'{ray}','hsh':'sandbox','b':1,'s':0,'host':'geo.captcha-delivery.com'}}</script>"
                "<iframe title='DataDome CAPTCHA' src='about:blank' data-src='https://geo.captcha-delivery.com/captcha/' "
                "width='100%' height='500'></iframe></body></html>"
            )
        else:
            body = (
                "<!doctype html><html lang='en-US'><head><title>Just a moment...</title></head><body>"
                "<div class='main-wrapper' role='main'><div class='main-content'>"
                "<h1 class='zone-name-title'>Verify you are human by completing the action below.</h1>"
                "<div id='challenge-stage'><div class='cf-turnstile-wrapper'>"
                "<iframe title='Widget containing a Cloudflare security challenge' src='about:blank'></iframe>"
                "</div></div></div></div>"
                f"<script>window._cf_chl_opt={{cvId:'3',cRay:'{ray}',cType:'managed'}};</script>"
                "</body></html>"
            )
        return page(body, 403)

    def block_page(self, req: Request) -> Response:
        incident = secrets.token_hex(10)
        if self.block_style == "incapsula":
            body = (
                "<!doctype html><html><head><meta name='robots' content='noindex,nofollow'></head><body>"
                "<iframe id='main-iframe' src='about:blank' data-src='/_Incapsula_Resource?SWUDNSAI=31' "
                "frameborder='0'>Request unsuccessful. Incapsula incident ID: "
                f"{incident}</iframe></body></html>"
            )
        elif self.block_style == "akamai":
            body = (
                "<!doctype html><html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
                "You don't have permission to access this page on this server.<p>"
                f"Reference&#32;&#35;18&#46;{incident}</p></body></html>"
            )
        else:
            body = (
                "<!doctype html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
                "<div id='cf-wrapper'><div id='cf-error-details'><h1>Sorry, you have been blocked</h1>"
                "<h2>You are unable to access this site</h2>"
                f"<p>Cloudflare Ray ID: <strong>{incident}</strong></p></div></div></body></html>"
            )
        return page(body, self.block_status)

    def rate_limited_page(self, retry_after: int) -> Response:
        return page(
            "<!doctype html><html><head><title>429 Too Many Requests</title></head><body>"
            "<h1>Too Many Requests</h1><p>You have sent too many requests in a given amount of time.</p>"
            "</body></html>",
            429,
            headers=[("Retry-After", str(retry_after))],
        )
