"""Furnished Finder: passwordless sign-in with an e-mailed one-time code; an ASP.NET inbox.

Observed (platforms.md): e-mail in ``#username``, a "Login" submit, a one-time code by
e-mail typed into ``[data-testid='code']``; the older landlord inbox
``members/Tenant-Message`` with rows ``#messageList .card``, ``.msg-username a``,
``.OtimeSpan``, ``.tenant-msg-description``; threads ``members/messages`` with
``#divChatHistory .msg-wrap``, ``.uname a``, ``.message-content``, ``.m-time``; reply
``#NewReply`` and ``#btnSend``; ``pagination-next`` test ids; "Tenant Leads" and
"Messages" on the dashboard. Modelled: the anti-forgery token, the code e-mail's wording,
the date format (America/Chicago), the landlord-side class ``msg-right``, the traveler
profile link ``members/traveler?id=<traveler id>`` behind ``.uname a`` (the renter's handle;
a thread seeded without one links the thread's own id, as the replica always did).
With ``date_formats`` times are Stream Chat's defaults (observed in stream-chat-react: the
channel list's calendar format "3:05 PM", "Yesterday", "Monday", "11/23/2026"; a message's
``<time datetime=ISO title=ISO>3:05PM</time>``); that this inbox shows them is modelled.
"""

from __future__ import annotations

import email.policy
import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from platforms.sandbox import behaviour, datefmt
from platforms.sandbox.render import SiteRendering
from platforms.sandbox.replicas.base import Replica, Route, route
from platforms.sandbox.state import Account, Thread, utcnow
from platforms.sandbox.web import Request, Response, esc, page, redirect

TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"


class FurnishedFinder(Replica):
    slug = "furnishedfinder"
    session_cookie = "ff_auth"
    login_path = "/login"
    return_param = "ReturnUrl"
    timezone = "America/Chicago"
    captcha_style = "datadome"
    block_style = "akamai"
    block_status = 200  # Served as a normal page: only its content says "blocked".
    # Realistic: as a Stream Chat message list renders text (Markdown, links without their
    # scheme, paragraphs with line breaks kept), an ellipsis preview, replies late.
    # The ``renamed`` layout (replicas/renamed.py): classes kept carry the message's direction; the body moves a level.
    renamed_keep = frozenset({"msg-right"})
    renamed_moved = "message-content"
    rendering = SiteRendering(
        markup="pre",
        preview_chars=100,
        realistic={
            "linkify": {"display": ("no_scheme",)},
            "paragraphs": {},
            "markdown": {},
            "preview": {},
            "delayed_visibility": {"seconds": (1.0, 3.0)},
            "date_formats": {},
            # Page furniture (modelled): the inbox moved onto Stream Chat's UI next to the older one
            # (the move is reported: platforms.md), a consent banner and a profile dialog in Radix markup.
            "layout": {"variant": ("classic", "redesign")},
            "consent_banner": {},
            "interstitial": {"kind": ("complete_profile",)},
            # Page behaviour (platforms/sandbox/behaviour.py): Stream's message list (older messages
            # on scroll, 25 a page; the list filled by script after load), session expiry, slow pages.
            "thread_paging": {"latest": (25,), "style": ("scroll",)},
            "session_lifetime": {"requests": (120, 200)},
            "slow_responses": {"max_ms": (60, 150)},
            "deferred_list": {"shown": (0,), "ms": (150.0, 400.0)},
        },
    )

    def build_routes(self) -> list[Route]:
        return [
            route("GET", r"/", self.home),
            route("GET", r"/login", self.login_form),
            route("POST", r"/login", self.login_submit, identify_by="Username"),
            route("POST", r"/login/verify", self.verify, identify_by="Username"),
            route("GET", r"/Account/Logout", self.logout),
            route("GET", r"/members/dashboard", self.dashboard, auth=True),
            route("GET", r"/members/Tenant-Message", self.inbox, auth=True),
            route("GET", r"/members/messages", self.thread_page, auth=True),
            route("POST", r"/members/messages/send", self.reply, auth=True),
            route("GET", r"/property/(?P<property_id>\d+)", self.listing),
        ]

    def layout(self, req: Request, title: str, content: str, *, logged_in: bool) -> str:
        nav = (
            f"<a href='{req.url('/members/dashboard')}'>Dashboard</a> <a href='{req.url('/members/Tenant-Message')}'>Messages</a> "
            f"<a class='logout' href='{req.url('/Account/Logout')}'>Logout</a>"
            if logged_in
            else f"<a href='{req.url('/login')}'>Login</a>"
        )
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(title)} | Furnished Finder</title></head><body>"
            f"<header class='ff-header'><a class='brand' href='{req.url('/')}'>Furnished Finder</a><nav>{nav}</nav></header>"
            f"<main class='container body-content'>{content}</main></body></html>"
        )

    def anti_forgery(self) -> str:
        return f"<input name='__RequestVerificationToken' type='hidden' value='{self.state.issue_token(self.slug)}'>"

    def home(self, req: Request, account: Account | None) -> Response:
        return page(
            self.layout(
                req,
                "Furnished rentals for traveling professionals",
                "<h1>Furnished Finder</h1>",
                logged_in=account is not None,
            )
        )

    def login_form(self, req: Request, account: Account | None, *, error: str = "") -> Response:
        alert = (
            f"<div class='validation-summary-errors text-danger'><ul><li>{esc(error)}</li></ul></div>" if error else ""
        )
        content = (
            f"<div class='login-card'><h1>Landlord Login</h1>{alert}"
            f"<form method='post' action='{req.url('/login')}' id='loginForm'>{self.anti_forgery()}"
            f"<input type='hidden' name='ReturnUrl' value='{esc(req.query.get('ReturnUrl', ''))}'>"
            "<label for='username'>Email</label>"
            "<input id='username' name='Username' type='email' autocomplete='email' placeholder='you@example.com'>"
            "<p class='hint'>We'll e-mail you a one-time login code. No password needed.</p>"
            "<button type='submit' class='btn btn-primary'>Login</button></form></div>"
        )
        return page(self.layout(req, "Login", content, logged_in=False))

    def code_form(self, req: Request, username: str, *, error: str = "", return_url: str = "") -> Response:
        name, _, domain = username.partition("@")
        masked = f"{name[:1]}***@{domain}"
        alert = f"<div class='validation-summary-errors text-danger' role='alert'>{esc(error)}</div>" if error else ""
        content = (
            f"<div class='login-card'><h1>Check your email</h1><p>We sent a 6-digit code to {esc(masked)}.</p>{alert}"
            f"<form method='post' action='{req.url('/login/verify')}' id='codeForm'>{self.anti_forgery()}"
            f"<input type='hidden' name='Username' value='{esc(username)}'>"
            f"<input type='hidden' name='ReturnUrl' value='{esc(return_url)}'>"
            "<input data-testid='code' name='Code' inputmode='numeric' maxlength='6' autocomplete='one-time-code'>"
            "<button type='submit' data-testid='verify-code' class='btn btn-primary'>Verify</button></form></div>"
        )
        return page(self.layout(req, "Enter code", content, logged_in=False))

    def login_submit(self, req: Request, account: Account | None) -> Response:
        if not self.state.check_token(self.slug, req.form.get("__RequestVerificationToken")):
            return page(
                self.layout(
                    req,
                    "Error",
                    "<h2 class='text-danger'>Error.</h2><p>An error occurred while processing your request.</p>",
                    logged_in=False,
                ),
                400,
            )
        if account is None:
            return self.login_form(req, None, error="We couldn't find a landlord account with that email address.")
        code = f"{secrets.randbelow(1_000_000):06d}"
        now = utcnow()
        with self.state.lock:
            account.login_codes.append((code, now))
            del account.login_codes[:-5]
        self.send_code(account, code)
        return self.code_form(req, account.username, return_url=req.form.get("ReturnUrl", ""))

    def send_code(self, account: Account, code: str) -> None:
        mail = EmailMessage()
        mail["From"] = "Furnished Finder <no-reply@furnishedfinder.com>"
        mail["To"] = account.username
        mail["Subject"] = "Your Furnished Finder login code"
        mail["Date"] = format_datetime(utcnow())
        mail["Message-ID"] = make_msgid(domain="furnishedfinder.com")
        mail.set_content(
            f"Hi {account.display_name},\n\nYour one-time login code is {code}.\n"
            "It expires in 10 minutes. If you did not try to log in, you can ignore this e-mail.\n"
        )
        sink = self.state.mail_sink
        if sink is not None:
            sink(account.mailbox_user, account.mailbox_password, mail.as_bytes(policy=email.policy.SMTP))

    def verify(self, req: Request, account: Account | None) -> Response:
        username = req.form.get("Username", "")
        return_url = req.form.get("ReturnUrl", "")
        if account is None:
            return self.login_form(req, None, error="We couldn't find a landlord account with that email address.")
        code = req.form.get("Code", "").strip()
        ttl = timedelta(seconds=float(self.state.config["login_code_ttl_s"]))
        now = utcnow()
        with self.state.lock:
            match = next((c for c in account.login_codes if c[0] == code and now - c[1] <= ttl), None)
            if match is not None:
                account.login_codes.remove(match)
        if match is None:
            account.failed_logins += 1
            return self.code_form(req, username, error="That code is invalid or has expired.", return_url=return_url)
        target = return_url if return_url.startswith(f"/{self.slug}/") else req.url("/members/dashboard")
        return self.open_session(account, redirect(target))

    def logout(self, req: Request, account: Account | None) -> Response:
        self.state.close_session(self.slug, req.cookies.get(self.session_cookie))
        return redirect(req.url("/")).delete_cookie(self.session_cookie, path=f"/{self.slug}")

    def dashboard(self, req: Request, account: Account) -> Response:
        content = (
            f"<h1>Welcome back, {esc(account.display_name)}</h1><div class='dash-tiles'>"
            f"<a class='tile' href='{req.url('/members/Tenant-Leads')}'>Tenant Leads</a>"
            f"<a class='tile' href='{req.url('/members/Tenant-Message')}'>Messages</a></div>"
        )
        return page(self.layout(req, "Dashboard", content, logged_in=True))

    def inbox(self, req: Request, account: Account) -> Response:
        raw = req.query.get("page", "1")
        page_no = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        threads, more = self.paginate(account, page_no - 1)
        now = utcnow()
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        cards = []
        for t in threads:
            last = t.visible_messages(now)[-1]
            preview = shows.preview(last.body, last.direction)
            if shows.dates():
                stamp = datefmt.stream_channel_preview(last.sent_at, now, self.zone(account))
            else:
                stamp = self.local(last.sent_at, account).strftime(TIME_FORMAT)
            href = req.url("/members/messages", threadId=t.id)
            if redesign:
                cards.append(self.redesign_row(t, href, preview, stamp))
            elif drift:
                cards.append(
                    f"<div data-testid='conversation-card-{t.id}' class='rt-Card'><a href='#' data-conv='{t.id}'>{esc(t.renter_name)}</a>"
                    f"<p>{preview}</p></div>"
                )
            else:
                cards.append(
                    f"<div class='card' data-thread-id='{t.id}'><div class='card-body'>"
                    f"<div class='msg-username'><a href='{href}'>{esc(t.renter_name)}</a></div>"
                    f"<span class='OtimeSpan'>{stamp}</span>"
                    f"<div class='tenant-msg-description'>{preview}</div>"
                    f"<div class='property-name'>{esc(t.listing_title)}</div></div></div>"
                )
        if drift:
            listing = f"<div data-testid='conversation-list'>{''.join(cards)}</div>"
        elif redesign and cards:
            listing = (
                "<div class='str-chat str-chat__channel-list str-chat__channel-list-messenger'>"
                f"<div class='str-chat__channel-list-messenger__main'>{''.join(cards)}</div></div>"
            )
        elif cards:
            listing = f"<div id='messageList'>{''.join(cards)}</div>"
        else:
            listing = "<div id='messageList'><div class='no-message'>You have no messages.</div></div>"
        pager = "<nav aria-label='pagination' class='pagination'>"
        if page_no > 1:
            pager += f"<a data-testid='pagination-previous' href='{req.url('/members/Tenant-Message', page=page_no - 1)}'>Previous</a>"
        if more:
            pager += f"<a data-testid='pagination-next' href='{req.url('/members/Tenant-Message', page=page_no + 1)}'>Next</a>"
        pager += "</nav>"
        return page(self.layout(req, "Messages", f"<h2>Tenant Messages</h2>{listing}{pager}", logged_in=True))

    def thread_page(self, req: Request, account: Account, *, notice: str = "") -> Response:
        raw = req.query.get("threadId", "")
        thread = account.threads.get(int(raw)) if raw.isdigit() else None
        if thread is None:
            return page(
                self.layout(
                    req, "Not found", "<div class='alert alert-warning'>Conversation not found.</div>", logged_in=True
                ),
                404,
            )
        return self.render_thread(req, account, thread, notice=notice)

    def render_thread(self, req: Request, account: Account, thread: Thread, *, notice: str = "") -> Response:
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        wraps = []
        window = behaviour.thread_window(account.profile, thread.visible_messages(utcnow()), req)
        for m in window.messages:
            if redesign:
                wraps.append(self.redesign_message(account, m, shows.body(m.body, m.direction)))
                continue
            if shows.dates():
                iso = datefmt.iso_z(m.sent_at)
                stamp = f"<time datetime='{iso}' title='{iso}'>{datefmt.stream_message_time(m.sent_at, self.zone(account))}</time>"
            else:
                stamp = self.local(m.sent_at, account).strftime(TIME_FORMAT)
            body = shows.body(m.body, m.direction)
            if drift:
                wraps.append(f"<div data-testid='chat-message' data-id='{m.id}'><span>{body}</span></div>")
            else:
                side = "" if m.direction == "in" else " msg-right"
                profile = (
                    req.url("/members/traveler", id=thread.renter_handle or thread.id)
                    if m.direction == "in"
                    else req.url("/members/dashboard")
                )
                wraps.append(
                    f"<div class='msg-wrap{side}' data-msg-id='{m.id}'>"
                    f"<div class='uname'><a href='{profile}'>{esc(m.sender_name)}</a></div>"
                    f"<div class='message-content' style='white-space:pre-wrap'>{body}</div>"
                    f"<span class='m-time'>{stamp}</span></div>"
                )
        # Both layouts page alike: the same control, deferred part and script, in the list's own element.
        tag = "li" if redesign else "div"
        answer = behaviour.fragment(window, wraps, tag=tag)
        if answer is not None:
            return answer
        wraps, paging = self.thread_paging(req, account, thread, window, wraps, tag=tag)
        history = (
            f"<div data-testid='chat-history'>{''.join(wraps)}</div>"
            if drift
            else f"<div id='divChatHistory'>{''.join(wraps)}</div>"
        )
        if redesign:
            history = self.redesign_history(req, thread, wraps)
        content = (
            f"<div class='chat-header'><span class='tenant-name'>{esc(thread.renter_name)}</span> "
            f"<a class='property-link' href='{req.url(f'/property/{thread.listing_ref}')}'>{esc(thread.listing_title)}</a></div>"
            f"{notice}{history}{paging}"
            f"<form method='post' action='{req.url('/members/messages/send')}' id='replyForm'>{self.anti_forgery()}"
            f"<input type='hidden' name='ThreadId' value='{thread.id}'>"
            "<textarea id='NewReply' name='NewReply' rows='4' class='form-control'></textarea>"
            "<button type='submit' id='btnSend' class='btn btn-primary'>Send</button></form>"
        )
        return page(self.layout(req, f"Messages - {thread.renter_name}", content, logged_in=True))

    def thread_paging(
        self, req: Request, account: Account, thread: Thread, window: behaviour.Window, wraps: list[str], *, tag: str
    ) -> tuple[list[str], str]:
        """The history's messages with the scroll sentinel (Stream's message list loads older ones on
        scroll) and deferred part, and what follows the history. ``tag`` is the list's item element
        (``div`` in the older history, ``li`` in Stream's list)."""
        control = behaviour.earlier_control(window, tag=tag)
        listed = behaviour.deferred(account.profile, [control, *wraps] if control else wraps, tag=tag)
        link = behaviour.earlier_link(window, req.url("/members/messages", threadId=thread.id, page=window.next_page))
        return listed, link + behaviour.paging_script(window)

    # --- the Stream Chat inbox (layout variant "redesign") -----------------------------------

    def redesign_row(self, t: Thread, href: str, preview: str, stamp: str) -> str:
        """A conversation of the redesign: a Stream Chat channel preview, as a link to the thread."""
        return (
            f"<a class='str-chat__channel-preview-messenger str-chat__channel-preview' data-testid='channel-preview-button' "
            f"href='{href}' aria-label='Select Channel: {esc(t.renter_name)}'>"
            "<div class='str-chat__channel-preview-messenger--left'>"
            f"<div class='str-chat__avatar str-chat__avatar--circle' title='{esc(t.renter_name)}'></div></div>"
            "<div class='str-chat__channel-preview-messenger--right str-chat__channel-preview-end'>"
            "<div class='str-chat__channel-preview-end-first-row'>"
            f"<div class='str-chat__channel-preview-messenger--name'><span>{esc(t.renter_name)}</span></div>"
            f"<div class='str-chat__channel-preview-messenger--time'>{stamp}</div></div>"
            f"<div class='str-chat__channel-preview-messenger--last-message'>{preview}</div></div></a>"
        )

    def redesign_message(self, account: Account, m: Any, body: str) -> str:
        """A message of the redesign: Stream Chat's simple message, ``--me`` or ``--other``, a ``time`` with its ISO."""
        side = (
            "str-chat__message--me str-chat__message-simple--me" if m.direction == "out" else "str-chat__message--other"
        )
        iso = datefmt.iso_z(m.sent_at)
        return (
            f"<li class='str-chat__li str-chat__li--single' data-message-id='{m.id}'>"
            f"<div class='str-chat__message str-chat__message-simple str-chat__message--regular {side}'>"
            "<div class='str-chat__message-inner'><div class='str-chat__message-bubble'><div class='str-chat__message-text'>"
            f"<div class='str-chat__message-text-inner str-chat__message-simple-text-inner' style='white-space:pre-wrap'>{body}</div>"
            "</div></div></div><div class='str-chat__message-metadata'>"
            f"<span class='str-chat__message-simple-name'>{esc(m.sender_name)}</span> "
            f"<time class='str-chat__message-simple-timestamp' datetime='{iso}' title='{iso}'>"
            f"{datefmt.stream_message_time(m.sent_at, self.zone(account))}</time></div></div></li>"
        )

    def redesign_history(self, req: Request, thread: Thread, items: list[str]) -> str:
        """Stream's channel header (the traveler's profile linked) over its message list."""
        profile = req.url("/members/traveler", id=thread.renter_handle or thread.id)
        return (
            "<div class='str-chat__channel-header'>"
            f"<a class='str-chat__channel-header-title' href='{profile}'>{esc(thread.renter_name)}</a></div>"
            "<div class='str-chat__list'><div class='str-chat__reverse-infinite-scroll str-chat__message-list-scroll'>"
            f"<ul class='str-chat__ul'>{''.join(items)}</ul></div></div>"
        )

    def reply(self, req: Request, account: Account) -> Response:
        raw = req.form.get("ThreadId", "")
        thread = account.threads.get(int(raw)) if raw.isdigit() else None
        if thread is None:
            return page(
                self.layout(
                    req, "Not found", "<div class='alert alert-warning'>Conversation not found.</div>", logged_in=True
                ),
                404,
            )
        if not self.state.check_token(self.slug, req.form.get("__RequestVerificationToken")):
            return page(self.layout(req, "Error", "<h2 class='text-danger'>Error.</h2>", logged_in=True), 400)
        body = req.form.get("NewReply", "")
        if not body.strip():
            return self.render_thread(
                req, account, thread, notice="<div class='text-danger'>Please type a message.</div>"
            )
        error, _message = self.reply_outcome(account, thread, body)
        if error is not None:
            return error
        return redirect(req.url("/members/messages", threadId=thread.id))

    def listing(self, req: Request, account: Account | None, property_id: str) -> Response:
        content = f"<h1 class='property-title'>Property {esc(property_id)}</h1><div data-testid='property-card-{esc(property_id)}'></div>"
        return page(self.layout(req, "Property", content, logged_in=account is not None))
