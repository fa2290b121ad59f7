"""Leasebreak: a Rails site (Devise sign-in, authenticity tokens, Bootstrap markup).

Observed (platforms.md): sign-in at ``/users/sign_in``, inbox at ``/messages``, listing
pages ``/short-term-rental-details/<id>/<slug>``. Modelled (nothing public beyond that):
Devise's form field names and its stock "Invalid Email or password." with HTTP 422, a
conversations table with ``time[datetime]`` stamps, ``/messages/<id>`` threads, replies
posted to ``/messages/<id>/replies``, Kaminari-style pagination, ``simple_format`` bodies.
With ``date_formats`` the ``time`` elements keep their ISO ``datetime`` (Rails' ``time_tag``)
and their text is ``time_ago_in_words`` in the inbox ("about 2 hours ago") and Rails' ``:long``
format in a thread ("March 12, 2026 14:05"): Rails' documented output, its use here modelled.
No renter profile is shown (none is known from public material).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from platforms.sandbox import behaviour, datefmt
from platforms.sandbox.render import SiteRendering
from platforms.sandbox.replicas.base import Replica, Route, route
from platforms.sandbox.state import Account, Thread, utcnow
from platforms.sandbox.web import Request, Response, esc, page, redirect


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "listing"


class Leasebreak(Replica):
    slug = "leasebreak"
    session_cookie = "_leasebreak_session"
    login_path = "/users/sign_in"
    return_param = "return_to"
    timezone = "America/New_York"
    captcha_style = "perimeterx"
    block_style = "incapsula"
    # Bodies through simple_format (plain too); realistic: auto_link, decomposed Unicode,
    # non-breaking spaces after sentences, an ellipsis preview, replies late.
    # The ``renamed`` layout (replicas/renamed.py): classes kept carry the message's direction; the body moves a level.
    renamed_keep = frozenset({"message--mine", "message--theirs"})
    renamed_moved = "message-body"
    rendering = SiteRendering(
        markup="paragraphs",
        preview_chars=60,
        realistic={
            "linkify": {"display": ("as_typed",)},
            "unicode_form": {"form": ("NFD",)},
            "nbsp": {},
            "preview": {},
            "delayed_visibility": {"seconds": (2.0, 3.0)},
            "date_formats": {},
            # Page furniture (modelled): a list-group redesign next to the classic table, Cookiebot's
            # consent dialog, a Bootstrap "complete your profile" modal.
            "layout": {"variant": ("classic", "redesign")},
            "consent_banner": {},
            "interstitial": {"kind": ("complete_profile",)},
            # Page behaviour (platforms/sandbox/behaviour.py): a "Load earlier messages" button
            # that fetches the older part (Rails' remote links), session expiry, slow pages.
            "thread_paging": {"latest": (10, 20), "style": ("button",)},
            "session_lifetime": {"requests": (120, 200)},
            "slow_responses": {"max_ms": (60, 120)},
        },
    )

    def build_routes(self) -> list[Route]:
        return [
            route("GET", r"/", self.home),
            route("GET", r"/users/sign_in", self.sign_in_form),
            route("POST", r"/users/sign_in", self.sign_in, identify_by="user[email]"),
            route("POST", r"/users/sign_out", self.sign_out),
            route("GET", r"/messages", self.inbox, auth=True),
            route("GET", r"/messages/(?P<thread_id>\d+)", self.thread_page, auth=True),
            route("POST", r"/messages/(?P<thread_id>\d+)/replies", self.reply, auth=True),
            route("GET", r"/short-term-rental-details/(?P<listing_id>\d+)/(?P<listing_slug>[\w-]+)", self.listing),
        ]

    def layout(self, req: Request, title: str, content: str, *, logged_in: bool, flash: str = "") -> str:
        token = self.state.issue_token(self.slug)
        nav = (
            f"<li class='nav-item'><a class='nav-link' href='{req.url('/messages')}'>Messages</a></li>"
            f"<li class='nav-item'><a class='nav-link' rel='nofollow' data-method='delete' href='{req.url('/users/sign_out')}'>Sign out</a></li>"
            if logged_in
            else f"<li class='nav-item'><a class='nav-link' href='{req.url('/users/sign_in')}'>Sign in</a></li>"
        )
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='csrf-param' content='authenticity_token'><meta name='csrf-token' content='{token}'>"
            f"<title>{esc(title)} | Leasebreak</title></head><body data-controller='application'>"
            "<nav class='navbar navbar-expand-lg navbar-light bg-light'>"
            f"<a class='navbar-brand' href='{req.url('/')}'>Leasebreak</a><ul class='navbar-nav ml-auto'>{nav}</ul></nav>"
            f"<div class='container'>{flash}{content}</div></body></html>"
        )

    def home(self, req: Request, account: Account | None) -> Response:
        return page(
            self.layout(
                req,
                "NYC short term rentals",
                "<h1>Short term rentals and lease takeovers</h1>",
                logged_in=account is not None,
            )
        )

    def sign_in_form(self, req: Request, account: Account | None, *, error: str = "", status: int = 200) -> Response:
        token = self.state.issue_token(self.slug)
        alert = f"<div class='alert alert-danger' role='alert'>{esc(error)}</div>" if error else ""
        back = req.query.get("return_to", "") or req.form.get("return_to", "")
        content = (
            f"<h2>Log in</h2>{alert}"
            f"<form class='new_user' id='new_user' action='{req.url('/users/sign_in')}' accept-charset='UTF-8' method='post'>"
            f"<input type='hidden' name='authenticity_token' value='{token}' autocomplete='off'>"
            f"<input type='hidden' name='return_to' value='{esc(back)}'>"
            "<div class='form-group'><label for='user_email'>Email</label>"
            "<input autofocus autocomplete='email' class='form-control' type='email' name='user[email]' id='user_email'></div>"
            "<div class='form-group'><label for='user_password'>Password</label>"
            "<input autocomplete='current-password' class='form-control' type='password' name='user[password]' id='user_password'></div>"
            "<div class='form-check'><input name='user[remember_me]' type='hidden' value='0' autocomplete='off'>"
            "<input class='form-check-input' type='checkbox' value='1' name='user[remember_me]' id='user_remember_me'>"
            "<label class='form-check-label' for='user_remember_me'>Remember me</label></div>"
            "<input type='submit' name='commit' value='Log in' class='btn btn-primary' data-disable-with='Log in'></form>"
        )
        return page(self.layout(req, "Log in", content, logged_in=False), status)

    def sign_in(self, req: Request, account: Account | None) -> Response:
        if not self.state.check_token(self.slug, req.form.get("authenticity_token")):
            return page(
                "<!doctype html><title>The change you wanted was rejected (422)</title><h1>The change you wanted was rejected.</h1>",
                422,
            )
        if account is None or account.password != req.form.get("user[password]", ""):
            if account is not None:
                account.failed_logins += 1
            return self.sign_in_form(req, None, error="Invalid Email or password.", status=422)
        back = req.form.get("return_to", "")
        target = back if back.startswith(f"/{self.slug}/") else req.url("/messages")
        return self.open_session(account, redirect(target, 303))

    def sign_out(self, req: Request, account: Account | None) -> Response:
        self.state.close_session(self.slug, req.cookies.get(self.session_cookie))
        return redirect(req.url("/"), 303).delete_cookie(self.session_cookie, path=f"/{self.slug}")

    def when(self, account: Account, moment: datetime, now: datetime, *, page: str) -> str:
        """A ``time`` element's text: the plain formats, or (``date_formats``) Rails' helpers."""
        stamp = self.local(moment, account)
        if not self.renderer(account).dates():
            return f"{stamp:%b %d, %-I:%M %p}" if page == "inbox" else f"{stamp:%b %d, %Y %-I:%M %p}"
        if page == "inbox":
            return datefmt.leasebreak_inbox(moment, now, self.zone(account))
        return datefmt.leasebreak_thread(moment, now, self.zone(account))

    def listing_url(self, req: Request, thread: Thread) -> str:
        return req.url(f"/short-term-rental-details/{thread.listing_ref}/{slugify(thread.listing_title)}")

    def inbox(self, req: Request, account: Account) -> Response:
        raw = req.query.get("page", "1")
        page_no = int(raw) if raw.isdigit() and int(raw) > 0 else 1
        threads, more = self.paginate(account, page_no - 1)
        now = utcnow()
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        rows = []
        for t in threads:
            last = t.visible_messages(now)[-1]
            preview = shows.preview(last.body, last.direction)
            stamp = self.local(last.sent_at, account)
            if redesign:
                rows.append(self.redesign_row(req, account, t, last, preview, now))
            elif drift:
                rows.append(
                    f"<div class='inbox-item' data-id='{t.id}'><strong>{esc(t.renter_name)}</strong>"
                    f"<span>{preview}</span><span>{self.when(account, last.sent_at, now, page='inbox')}</span></div>"
                )
            else:
                unread = " unread" if last.direction == "in" else ""
                rows.append(
                    f"<tr class='conversation{unread}' data-conversation-id='{t.id}'>"
                    f"<td class='sender'>{esc(t.renter_name)}</td>"
                    f"<td class='listing'><a href='{self.listing_url(req, t)}'>{esc(t.listing_title)}</a></td>"
                    f"<td class='subject'><a href='{req.url(f'/messages/{t.id}')}'>{preview}</a></td>"
                    f"<td class='updated'><time datetime='{stamp.isoformat()}'>{self.when(account, last.sent_at, now, page='inbox')}</time></td></tr>"
                )
        if drift:
            body = f"<div class='inbox-list'>{''.join(rows) or '<em>Nothing yet</em>'}</div>"
        elif redesign and rows:
            body = f"<div class='list-group conversations-list'>{''.join(rows)}</div>"
        elif rows:
            body = (
                "<table class='table conversations'><thead><tr><th>From</th><th>Listing</th><th>Message</th><th>Updated</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>"
            )
        else:
            body = "<p class='no-conversations'>You have no messages.</p>"
        pager = ""
        if page_no > 1 or more:
            pager = "<nav class='pagination' role='navigation' aria-label='pager'>"
            if page_no > 1:
                pager += f"<span class='prev'><a rel='prev' href='{req.url('/messages', page=page_no - 1)}'>&lsaquo; Prev</a></span> "
            pager += f"<span class='page current'>{page_no}</span> "
            if more:
                pager += f"<span class='next'><a rel='next' href='{req.url('/messages', page=page_no + 1)}'>Next &rsaquo;</a></span>"
            pager += "</nav>"
        return page(self.layout(req, "Messages", f"<h1>Messages</h1>{body}{pager}", logged_in=True))

    # --- the list-group redesign (layout variant "redesign") --------------------------------

    def redesign_row(self, req: Request, account: Account, t: Thread, last: Any, preview: str, now: datetime) -> str:
        """An inbox row of the redesign: a Bootstrap list-group link, its id Rails' ``dom_id``."""
        unread = " unread" if last.direction == "in" else ""
        stamp = self.local(last.sent_at, account)
        return (
            f"<a class='list-group-item list-group-item-action conversation-item{unread}' id='conversation_{t.id}' "
            f"href='{req.url(f'/messages/{t.id}')}'>"
            f"<div class='d-flex w-100 justify-content-between'><h5 class='mb-1 conversation-sender'>{esc(t.renter_name)}</h5>"
            f"<small><time datetime='{stamp.isoformat()}'>{self.when(account, last.sent_at, now, page='inbox')}</time></small></div>"
            f"<p class='mb-1 conversation-preview'>{preview}</p>"
            f"<small class='text-muted conversation-listing'>{esc(t.listing_title)}</small></a>"
        )

    def redesign_message(self, account: Account, m: Any, body: str, now: datetime) -> str:
        """A message of the redesign: a Bootstrap media item, ``sent`` or ``received``, its id Rails' ``dom_id``."""
        side = "received" if m.direction == "in" else "sent"
        stamp = self.local(m.sent_at, account)
        return (
            f"<li class='media message-item {side}' id='message_{m.id}'><div class='media-body'>"
            f"<h6 class='mt-0 mb-1'><span class='message-sender-name'>{esc(m.sender_name)}</span> "
            f"<small class='text-muted'><time datetime='{stamp.isoformat()}'>"
            f"{self.when(account, m.sent_at, now, page='thread')}</time></small></h6>"
            f"<div class='message-text'>{body}</div></div></li>"
        )

    def message_list(self, items: list[str], *, drift: bool, redesign: bool) -> str:
        if redesign:
            return f"<ul class='list-unstyled message-list'>{''.join(items)}</ul>"
        return f"<div class='{'thread-v2' if drift else 'messages'}'>{''.join(items)}</div>"

    def thread_page(self, req: Request, account: Account, thread_id: str, *, notice: str = "") -> Response:
        thread = account.threads.get(int(thread_id))
        if thread is None:
            return page(
                "<!doctype html><title>The page you were looking for doesn't exist (404)</title><h1>The page you were looking for doesn't exist.</h1>",
                404,
            )
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        items = []
        now = utcnow()
        window = behaviour.thread_window(account.profile, thread.visible_messages(now), req)
        for m in window.messages:
            stamp = self.local(m.sent_at, account)
            if redesign:
                items.append(self.redesign_message(account, m, shows.body(m.body, m.direction), now))
            elif drift:
                items.append(
                    f"<article class='msg' data-msg='{m.id}'><h6>{esc(m.sender_name)}</h6>{shows.body(m.body, m.direction)}</article>"
                )
            else:
                side = "theirs" if m.direction == "in" else "mine"
                items.append(
                    f"<div class='message message--{side}' id='message_{m.id}' data-message-id='{m.id}'>"
                    f"<div class='message-author'>{esc(m.sender_name)}</div>"
                    f"<div class='message-body'>{shows.body(m.body, m.direction)}</div>"
                    f"<time datetime='{stamp.isoformat()}'>{self.when(account, m.sent_at, now, page='thread')}</time></div>"
                )
        # Both layouts page alike: the same control, deferred part and script, in the list's own element.
        tag = "li" if redesign else "div"
        answer = behaviour.fragment(window, items, tag=tag)
        if answer is not None:
            return answer
        items, paging = self.thread_paging(req, account, thread, window, items, tag=tag)
        flash = "<div class='alert alert-success'>Message sent.</div>" if req.query.get("sent") else ""
        token = self.state.issue_token(self.slug)
        content = (
            f"<div class='conversation-header'><h2>{esc(thread.renter_name)}</h2>"
            f"<a class='listing-link' href='{self.listing_url(req, thread)}'>{esc(thread.listing_title)}</a></div>"
            f"{notice}{self.message_list(items, drift=drift, redesign=redesign)}{paging}"
            f"<form id='new_message' class='new_message' action='{req.url(f'/messages/{thread.id}/replies')}' accept-charset='UTF-8' method='post'>"
            f"<input type='hidden' name='authenticity_token' value='{token}' autocomplete='off'>"
            "<textarea class='form-control' rows='4' name='message[body]' id='message_body'></textarea>"
            "<input type='submit' name='commit' value='Send Message' class='btn btn-primary' data-disable-with='Send Message'></form>"
        )
        return page(self.layout(req, f"Conversation with {thread.renter_name}", content, logged_in=True, flash=flash))

    def thread_paging(
        self, req: Request, account: Account, thread: Thread, window: behaviour.Window, items: list[str], *, tag: str
    ) -> tuple[list[str], str]:
        """The list's items with the "Load earlier messages" control (``remote: true`` style) and
        deferred part, and what follows the list (a link to the older page, the loader script).
        ``tag`` is the list's item element (``div`` classic, ``li`` in the redesign's list)."""
        control = behaviour.earlier_control(window, tag=tag)
        listed = behaviour.deferred(account.profile, [control, *items] if control else items, tag=tag)
        link = behaviour.earlier_link(window, req.url(f"/messages/{thread.id}", page=window.next_page))
        return listed, link + behaviour.paging_script(window)

    def reply(self, req: Request, account: Account, thread_id: str) -> Response:
        thread = account.threads.get(int(thread_id))
        if thread is None:
            return self.thread_page(req, account, thread_id)
        if not self.state.check_token(self.slug, req.form.get("authenticity_token")):
            return page(
                "<!doctype html><title>The change you wanted was rejected (422)</title><h1>The change you wanted was rejected.</h1>",
                422,
            )
        body = req.form.get("message[body]", "")
        if not body.strip():
            return self.thread_page(
                req, account, thread_id, notice="<div class='alert alert-danger'>Body can't be blank</div>"
            )
        error, _message = self.reply_outcome(account, thread, body)
        if error is not None:
            return error
        return redirect(req.url(f"/messages/{thread.id}", sent=1), 302)

    def listing(self, req: Request, account: Account | None, listing_id: str, listing_slug: str) -> Response:
        content = f"<h1 class='listing-title'>{esc(listing_slug.replace('-', ' ').title())}</h1><p>Listing #{esc(listing_id)}</p>"
        return page(self.layout(req, "Listing", content, logged_in=account is not None))
