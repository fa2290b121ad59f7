"""RentHop: a modelled agent dashboard with a leads inbox (nothing verified in public).

Observed (platforms.md): manager pages ``/managers/<slug>``, listing cards
``div.search-listing`` with prices ``div#listing-<id>-price``. Everything about the
landlord side is modelled: a login form guarded by an ``_xsrf`` double-submit cookie
(the site historically runs on Tornado), a leads inbox ``/dashboard/leads`` of lead
cards, per-lead threads ``/dashboard/leads/<id>`` of chat bubbles with epoch timestamps in
``data-ts``, replies posted to ``/dashboard/leads/<id>/reply``. With ``date_formats`` (modelled
too) a lead card shows only a relative or local time ("just now", "12m ago", "2h ago",
"Yesterday", "Mar 12", "11/23/2025") and no epoch; chat bubbles keep theirs. No renter profile
is shown (none is known from public material).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from platforms.sandbox import behaviour, datefmt
from platforms.sandbox.render import SiteRendering
from platforms.sandbox.replicas.base import Replica, Route, route
from platforms.sandbox.state import Account, Thread, utcnow
from platforms.sandbox.web import Request, Response, esc, page, redirect


class RentHop(Replica):
    slug = "renthop"
    session_cookie = "rh_user"
    login_path = "/login"
    return_param = "next"
    timezone = "America/New_York"
    captcha_style = "perimeterx"
    block_style = "cloudflare"
    # Modelled: smart quotes, links normalised (no scheme, www., trailing slash), a signature
    # under the agent's replies, blank lines folded, an ellipsis preview, replies late.
    # The ``renamed`` layout (replicas/renamed.py): classes kept carry the message's direction; the body moves a level.
    renamed_keep = frozenset({"from-agent", "from-renter"})
    renamed_moved = "bubble-text"
    rendering = SiteRendering(
        markup="pre",
        preview_chars=70,
        realistic={
            "curly_quotes": {},
            "linkify": {"display": ("host_path",)},
            "signature": {"text": ("--\nSent via RentHop",)},
            "collapse_blank_lines": {},
            "preview": {},
            "delayed_visibility": {"seconds": (2.0, 5.0)},
            "date_formats": {},
            # Page furniture (modelled): a table-and-feed redesign next to the cards and bubbles,
            # Osano's consent banner, a "get the app" modal.
            "layout": {"variant": ("classic", "redesign")},
            "consent_banner": {},
            "interstitial": {"kind": ("app_download",)},
            # Page behaviour (modelled, platforms/sandbox/behaviour.py): a chat that loads older
            # bubbles on scroll and fills in after load, session expiry, slow pages.
            "thread_paging": {"latest": (10, 20), "style": ("scroll",)},
            "session_lifetime": {"requests": (120, 200)},
            "slow_responses": {"max_ms": (60, 150)},
            "deferred_list": {"shown": (0, 2), "ms": (150.0, 300.0)},
        },
    )

    def build_routes(self) -> list[Route]:
        return [
            route("GET", r"/", self.home),
            route("GET", r"/login", self.login_form),
            route("POST", r"/login", self.login_submit, identify_by="username"),
            route("GET", r"/logout", self.logout),
            route("GET", r"/dashboard/leads", self.inbox, auth=True),
            route("GET", r"/dashboard/leads/(?P<lead_id>\d+)", self.thread_page, auth=True),
            route("POST", r"/dashboard/leads/(?P<lead_id>\d+)/reply", self.reply, auth=True),
            route("GET", r"/listings/(?P<listing_slug>[\w-]+)/(?P<listing_id>\d+)", self.listing),
            route("GET", r"/managers/(?P<manager>[\w-]+)", self.manager),
        ]

    def layout(self, req: Request, title: str, content: str, *, logged_in: bool) -> str:
        menu = (
            f"<a class='menu-item' href='{req.url('/dashboard/leads')}'>Leads</a>"
            f"<a class='menu-item menu-logout' href='{req.url('/logout')}'>Log Out</a>"
            if logged_in
            else f"<a class='menu-item' href='{req.url('/login')}'>Sign In</a>"
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{esc(title)} - RentHop</title></head><body class='rh'>"
            f"<div id='header'><a class='logo' href='{req.url('/')}'>RentHop</a><div class='menu'>{menu}</div></div>"
            f"<div id='content' class='container-fluid'>{content}</div></body></html>"
        )

    def xsrf(self, req: Request) -> tuple[str, bool]:
        existing = req.cookies.get("_xsrf", "")
        return (existing, False) if existing else (secrets.token_hex(16), True)

    def with_xsrf(self, response: Response, token: str, fresh: bool) -> Response:
        if fresh:
            response.set_cookie("_xsrf", token, path=f"/{self.slug}", http_only=False)
        return response

    def xsrf_ok(self, req: Request) -> bool:
        cookie = req.cookies.get("_xsrf", "")
        return bool(cookie) and cookie == req.form.get("_xsrf")

    def home(self, req: Request, account: Account | None) -> Response:
        return page(self.layout(req, "NYC Apartments", "<h1>Apartments for rent</h1>", logged_in=account is not None))

    def login_form(self, req: Request, account: Account | None, *, error: str = "") -> Response:
        token, fresh = self.xsrf(req)
        alert = f"<div class='alert alert-danger login-error'>{esc(error)}</div>" if error else ""
        content = (
            f"<div class='login-box'><h2>Sign In</h2>{alert}"
            f"<form id='login-form' method='post' action='{req.url('/login')}'>"
            f"<input type='hidden' name='_xsrf' value='{token}'>"
            f"<input type='hidden' name='next' value='{esc(req.query.get('next', '') or req.form.get('next', ''))}'>"
            "<input type='text' name='username' id='login-username' placeholder='Email or username' class='form-control'>"
            "<input type='password' name='password' id='login-password' placeholder='Password' class='form-control'>"
            "<button type='submit' id='login-submit' class='btn btn-hop'>Sign In</button></form></div>"
        )
        return self.with_xsrf(page(self.layout(req, "Sign In", content, logged_in=False)), token, fresh)

    def login_submit(self, req: Request, account: Account | None) -> Response:
        if not self.xsrf_ok(req):
            return page(
                "<!doctype html><title>403: Forbidden</title><body>403: Forbidden ('_xsrf' argument missing from POST)</body>",
                403,
            )
        if account is None or account.password != req.form.get("password", ""):
            if account is not None:
                account.failed_logins += 1
            return self.login_form(req, None, error="Invalid username or password.")
        nxt = req.form.get("next", "")
        target = nxt if nxt.startswith(f"/{self.slug}/") else req.url("/dashboard/leads")
        return self.open_session(account, redirect(target))

    def logout(self, req: Request, account: Account | None) -> Response:
        self.state.close_session(self.slug, req.cookies.get(self.session_cookie))
        return redirect(req.url("/")).delete_cookie(self.session_cookie, path=f"/{self.slug}")

    def listing_url(self, req: Request, thread: Thread) -> str:
        slug = "-".join(thread.listing_title.lower().split()) or "apartment"
        return req.url(f"/listings/{slug}/{thread.listing_ref}")

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
            stamp = self.local(last.sent_at, account)
            if redesign:
                cards.append(self.redesign_row(req, account, t, last, preview, shows.dates(), now))
            elif drift:
                cards.append(
                    f"<li class='lead' data-lead='{t.id}'><span>{esc(t.renter_name)}</span><span>{preview}</span></li>"
                )
            else:
                if shows.dates():
                    when = (
                        f"<span class='lead-time'>{datefmt.renthop_card(last.sent_at, now, self.zone(account))}</span>"
                    )
                else:
                    when = f"<span class='lead-time' data-ts='{int(last.sent_at.timestamp())}'>{stamp:%b %-d %-I:%M%p}</span>"
                cards.append(
                    f"<div class='lead-card' data-lead-id='{t.id}'>"
                    f"<div class='lead-head'><span class='lead-name'>{esc(t.renter_name)}</span> "
                    f"{when}</div>"
                    f"<div class='lead-listing'><a href='{self.listing_url(req, t)}'>{esc(t.listing_title)}</a></div>"
                    f"<div class='lead-preview'>{preview}</div>"
                    f"<a class='lead-open btn btn-sm' href='{req.url(f'/dashboard/leads/{t.id}')}'>Open</a></div>"
                )
        if drift:
            listing = f"<ul class='leads-v2'>{''.join(cards)}</ul>"
        elif redesign and cards:
            listing = (
                "<div id='leads-list'><table class='table table-hover leads-table'><thead><tr><th>Lead</th>"
                f"<th>Listing</th><th>Last message</th><th>Received</th></tr></thead><tbody>{''.join(cards)}</tbody></table></div>"
            )
        elif cards:
            listing = f"<div id='leads-list'>{''.join(cards)}</div>"
        else:
            listing = "<div id='leads-list'><div class='leads-empty'>No leads yet.</div></div>"
        pager = "<ul class='pager'>"
        if page_no > 1:
            pager += f"<li><a class='page-prev' href='{req.url('/dashboard/leads', page=page_no - 1)}'>Prev</a></li>"
        if more:
            pager += f"<li><a class='page-next' href='{req.url('/dashboard/leads', page=page_no + 1)}'>Next</a></li>"
        pager += "</ul>"
        return page(
            self.layout(req, "Leads", f"<h1 class='dash-title'>Your Leads</h1>{listing}{pager}", logged_in=True)
        )

    # --- the table-and-feed redesign (layout variant "redesign") -----------------------------

    def redesign_row(
        self, req: Request, account: Account, t: Thread, last: Any, preview: str, dates: bool, now: datetime
    ) -> str:
        """A lead of the redesign: a table row, the name linked, the time in its own cell."""
        if dates:
            when = f"<td class='lead-col-time'>{datefmt.renthop_card(last.sent_at, now, self.zone(account))}</td>"
        else:
            stamp = self.local(last.sent_at, account)
            when = f"<td class='lead-col-time' data-ts='{int(last.sent_at.timestamp())}'>{stamp:%b %-d %-I:%M%p}</td>"
        return (
            f"<tr class='lead-row' data-lead-id='{t.id}'>"
            f"<td class='lead-col-name'><a href='{req.url(f'/dashboard/leads/{t.id}')}'>{esc(t.renter_name)}</a></td>"
            f"<td class='lead-col-listing'><a href='{self.listing_url(req, t)}'>{esc(t.listing_title)}</a></td>"
            f"<td class='lead-col-msg'>{preview}</td>{when}</tr>"
        )

    def redesign_message(self, account: Account, m: Any, body: str) -> str:
        """A message of the redesign: an activity feed item, the direction in a data attribute."""
        direction = "incoming" if m.direction == "in" else "outgoing"
        stamp = self.local(m.sent_at, account)
        return (
            f"<li class='lead-message' data-msg-id='{m.id}' data-direction='{direction}'>"
            f"<div class='lead-message-meta'><strong class='lead-message-author'>{esc(m.sender_name)}</strong> "
            f"<span class='lead-message-time' data-ts='{int(m.sent_at.timestamp())}'>{stamp:%b %-d, %-I:%M %p}</span></div>"
            f"<div class='lead-message-body' style='white-space:pre-wrap'>{body}</div></li>"
        )

    def message_list(self, items: list[str], *, drift: bool, redesign: bool) -> str:
        if redesign:
            return f"<ul class='lead-messages'>{''.join(items)}</ul>"
        return f"<div class='{'chat-v2' if drift else 'chat'}'>{''.join(items)}</div>"

    def thread_page(self, req: Request, account: Account, lead_id: str, *, notice: str = "") -> Response:
        thread = account.threads.get(int(lead_id))
        if thread is None:
            return page(self.layout(req, "Not found", "<div class='alert'>Lead not found.</div>", logged_in=True), 404)
        token, fresh = self.xsrf(req)
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        bubbles = []
        window = behaviour.thread_window(account.profile, thread.visible_messages(utcnow()), req)
        for m in window.messages:
            stamp = self.local(m.sent_at, account)
            body = shows.body(m.body, m.direction)
            if redesign:
                bubbles.append(self.redesign_message(account, m, body))
            elif drift:
                bubbles.append(f"<div class='bubble' data-id='{m.id}'><p>{body}</p></div>")
            else:
                side = "from-renter" if m.direction == "in" else "from-agent"
                bubbles.append(
                    f"<div class='chat-bubble {side}' data-msg-id='{m.id}'>"
                    f"<div class='bubble-author'>{esc(m.sender_name)}</div>"
                    f"<div class='bubble-text' style='white-space:pre-wrap'>{body}</div>"
                    f"<div class='bubble-time' data-ts='{int(m.sent_at.timestamp())}'>{stamp:%b %-d, %-I:%M %p}</div></div>"
                )
        # Both layouts page alike: the same control, deferred part and script, in the list's own element.
        tag = "li" if redesign else "div"
        answer = behaviour.fragment(window, bubbles, tag=tag)
        if answer is not None:
            return answer
        bubbles, paging = self.thread_paging(req, account, thread, window, bubbles, tag=tag)
        content = (
            f"<div class='lead-thread' data-lead-id='{thread.id}'>"
            f"<div class='lead-thread-header'><span class='renter-name'>{esc(thread.renter_name)}</span> "
            f"<a class='listing-ref' data-listing-id='{esc(thread.listing_ref)}' href='{self.listing_url(req, thread)}'>{esc(thread.listing_title)}</a></div>"
            f"{notice}{self.message_list(bubbles, drift=drift, redesign=redesign)}{paging}</div>"
            f"<form id='lead-reply' method='post' action='{req.url(f'/dashboard/leads/{thread.id}/reply')}'>"
            f"<input type='hidden' name='_xsrf' value='{token}'>"
            "<textarea id='reply-text' name='text' rows='4' placeholder='Reply to this lead'></textarea>"
            "<button type='submit' class='btn btn-hop btn-send-reply'>Send Reply</button></form>"
        )
        return self.with_xsrf(
            page(self.layout(req, f"Lead: {thread.renter_name}", content, logged_in=True)), token, fresh
        )

    def thread_paging(
        self, req: Request, account: Account, thread: Thread, window: behaviour.Window, bubbles: list[str], *, tag: str
    ) -> tuple[list[str], str]:
        """The chat's bubbles with the scroll sentinel (or button) and deferred part, and what follows the chat.

        ``tag`` is the list's item element (``div`` in the classic chat, ``li`` in the redesign's feed).
        """
        control = behaviour.earlier_control(window, tag=tag)
        listed = behaviour.deferred(account.profile, [control, *bubbles] if control else bubbles, tag=tag)
        link = behaviour.earlier_link(window, req.url(f"/dashboard/leads/{thread.id}", page=window.next_page))
        return listed, link + behaviour.paging_script(window)

    def reply(self, req: Request, account: Account, lead_id: str) -> Response:
        thread = account.threads.get(int(lead_id))
        if thread is None:
            return self.thread_page(req, account, lead_id)
        if not self.xsrf_ok(req):
            return page(
                "<!doctype html><title>403: Forbidden</title><body>403: Forbidden ('_xsrf' argument missing from POST)</body>",
                403,
            )
        body = req.form.get("text", "")
        if not body.strip():
            return self.thread_page(
                req, account, lead_id, notice="<div class='alert alert-danger'>Message is empty.</div>"
            )
        error, _message = self.reply_outcome(account, thread, body)
        if error is not None:
            return error
        return redirect(req.url(f"/dashboard/leads/{thread.id}"))

    def listing(self, req: Request, account: Account | None, listing_slug: str, listing_id: str) -> Response:
        content = (
            f"<div class='search-listing' id='listing-{esc(listing_id)}'><h1>{esc(listing_slug.replace('-', ' ').title())}</h1>"
            f"<div id='listing-{esc(listing_id)}-price'>$3,000</div></div>"
        )
        return page(self.layout(req, "Listing", content, logged_in=account is not None))

    def manager(self, req: Request, account: Account | None, manager: str) -> Response:
        return page(
            self.layout(
                req,
                manager,
                f"<h1>{esc(manager)}</h1><div class='search-listing'></div>",
                logged_in=account is not None,
            )
        )
