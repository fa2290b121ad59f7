"""SpareRoom (US site, ``/roommate/``): Perl-era URLs, a CSRF token read by script, a cookie banner.

Observed (platforms.md): ``logon.pl`` with ``#loginemail``/``#loginpass``/``#sign-in-button``,
``csrf_token`` from ``div#userAuth``'s ``data-csrf-token``, failed login back to
``logon.pl``, ``window.isLoggedIn``, ``logout.pl``, ``mythreads_beta.pl`` rows
``.msg_row a.thread_item[data-thread-id][data-message-id]``, ``span.name``, ``span.snippet``,
``i.threadDate``, ``span.ad-title``, messages ``li.message[id^='msg_']`` with
``dd.message_body``/``dd.message_date`` and ``thread_in``/``thread_out`` classes, reply
``textarea[name='message']`` + ``button[name='btnSubmit']``, "View ad" link with
``flatshare_id=``, paging by ``offset`` in steps of 10, times in America/New_York.
Modelled: the plain date format (with seconds), the cookie banner's markup (OneTrust).
With ``date_formats`` the dates are the US site's own forms (observed: bare "Today" and
"Yesterday" in the inbox, "Today 3:05 PM EDT", "February 1 2026 9:14 AM", "11/23/2025, 3:05 PM"
in a thread; which page shows which is modelled). A renter with a profile handle has their
name linked to their "room wanted" ad (``flatmate_detail.pl?flatshare_id=...&flatshare_type=wanted``,
the URL pattern public scrapers use; that the thread links it is modelled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from platforms.sandbox import behaviour, datefmt
from platforms.sandbox.render import SiteRendering
from platforms.sandbox.replicas.base import Replica, Route, route
from platforms.sandbox.state import Account, Thread, utcnow
from platforms.sandbox.web import Request, Response, esc, page, redirect

DATE_FORMAT = "%d %b %Y %H:%M:%S"


class SpareRoom(Replica):
    slug = "spareroom"
    session_cookie = "session_id"
    login_path = "/roommate/logon.pl"
    return_param = "loginfrom_url"
    timezone = "America/New_York"
    captcha_style = "cloudflare"
    block_style = "cloudflare"
    # Realistic: smart quotes, links (as typed or shortened), emoji images, an ellipsis preview,
    # replies shown late (anti-scam checks hold messages). See docs/platforms.md.
    # The ``renamed`` layout (replicas/renamed.py): classes kept carry the message's direction; the body moves a level.
    renamed_keep = frozenset({"thread_in", "thread_out", "message_out"})
    renamed_moved = "message_body"
    rendering = SiteRendering(
        markup="br",
        preview_chars=90,
        realistic={
            "curly_quotes": {},
            "linkify": {"display": ("as_typed", "short")},
            "emoji_images": {"alt": ("emoji", "none")},
            "preview": {},
            "delayed_visibility": {"seconds": (2.0, 4.0, 6.0)},
            "date_formats": {},
            # Page furniture (modelled): the redesigned message centre next to the classic one, an app modal.
            "layout": {"variant": ("classic", "redesign")},
            "interstitial": {"kind": ("app_download",)},
            # Page behaviour (platforms/sandbox/behaviour.py): threads paged by link like every list on
            # the site, the auth pop-up of an expired session, slow pages.
            "thread_paging": {"latest": (10, 20), "style": ("page_link",)},
            "session_lifetime": {"requests": (120, 200)},
            "slow_responses": {"max_ms": (60, 120)},
        },
    )

    def build_routes(self) -> list[Route]:
        return [
            route("GET", r"/(roommate/?)?", self.home),
            route("GET", r"/roommate/logon\.pl", self.logon_form),
            route("POST", r"/roommate/logon\.pl", self.logon_submit, identify_by="email"),
            route("GET", r"/roommate/logout\.pl", self.logout),
            route("GET", r"/roommate/mythreads\.pl", self.old_inbox, auth=True),
            route("GET", r"/roommate/mythreads_beta\.pl", self.threads, auth=True),
            route("POST", r"/roommate/mythreads_beta\.pl", self.reply, auth=True),
            route("GET", r"/roommate/flatshare/flatshare_detail\.pl", self.listing),
            route("GET", r"/roommate/flatmate_detail\.pl", self.wanted_ad),
        ]

    # --- layout -----------------------------------------------------------------------

    def layout(self, req: Request, title: str, content: str, *, logged_in: bool) -> str:
        banner = ""
        if "OptanonAlertBoxClosed" not in req.cookies:
            banner = (
                "<div id='onetrust-consent-sdk'><div class='onetrust-pc-dark-filter'></div>"
                "<div id='onetrust-banner-sdk' role='dialog' aria-label='Cookie banner'>"
                "<p id='onetrust-policy-text'>We use cookies to improve your experience and to show you relevant ads.</p>"
                "<button id='onetrust-pc-btn-handler'>Manage preferences</button>"
                "<button id='onetrust-accept-btn-handler'>Accept all cookies</button></div></div>"
                "<script>document.getElementById('onetrust-accept-btn-handler').addEventListener('click',function(){"
                f"document.cookie='OptanonAlertBoxClosed='+new Date().toISOString()+';path=/{self.slug}';"
                "document.getElementById('onetrust-consent-sdk').remove();});</script>"
            )
        nav = (
            f"<a href='{req.url('/roommate/mythreads_beta.pl')}' class='nav-messages'>Messages</a> "
            f"<a href='{req.url('/roommate/logout.pl')}' class='logout'>Log out</a>"
            if logged_in
            else f"<a href='{req.url('/roommate/logon.pl')}' class='login-link'>Log in</a>"
        )
        return (
            "<!doctype html><html lang='en-US'><head><meta charset='utf-8'>"
            f"<title>{esc(title)} | SpareRoom</title>"
            "<style>#onetrust-consent-sdk{position:fixed;inset:0;z-index:9999}"
            ".onetrust-pc-dark-filter{position:absolute;inset:0;background:rgba(0,0,0,.55)}"
            "#onetrust-banner-sdk{position:absolute;bottom:0;left:0;right:0;background:#fff;padding:24px}"
            "dd.message_body{white-space:normal}</style>"
            f"<script>window.isLoggedIn = {'true' if logged_in else 'false'};</script></head>"
            f"<body class='sr-us'><header class='site-header'><a class='logo' href='{req.url('/roommate/')}'>SpareRoom</a>"
            f"<nav class='user-nav'>{nav}</nav></header><main id='mainContent'>{content}</main>{banner}</body></html>"
        )

    def when(self, account: Account, moment: datetime, now: datetime, *, page: str) -> str:
        """A date as this account's page prints it: the plain format, or the US site's forms by age."""
        if not self.renderer(account).dates():
            return self.local(moment, account).strftime(DATE_FORMAT)
        if page == "inbox":
            return datefmt.spareroom_inbox(moment, now, self.zone(account))
        return datefmt.spareroom_thread(moment, now, self.zone(account))

    def renter_link(self, req: Request, thread: Thread, name: str) -> str:
        """The renter's name, linked to their "room wanted" ad when the site knows them by one."""
        if not thread.renter_handle:
            return esc(name)
        href = req.url("/roommate/flatmate_detail.pl", flatshare_id=thread.renter_handle, flatshare_type="wanted")
        return f"<a class='wanted-ad' href='{href}'>{esc(name)}</a>"

    # --- the redesigned message centre (layout variant "redesign") ----------------------

    def redesign_row(
        self, req: Request, account: Account, thread: Thread, last: Any, snippet: str, now: datetime
    ) -> str:
        """An inbox row of the redesign: a BEM list item, the ids on the item, the date in a ``time``."""
        state = "replied" if last.direction == "out" else "unreplied"
        href = req.url("/roommate/mythreads_beta.pl", thread_id=thread.id)
        return (
            f"<li class='thread-list__item thread-list__item--{state}' data-thread-id='{thread.id}' "
            f"data-message-id='{last.id}'><a class='thread-list__link' href='{href}'>"
            f"<span class='thread-list__avatar' aria-hidden='true'>{esc(thread.renter_name[:1])}</span>"
            f"<span class='thread-list__body'><strong class='thread-list__name'>{esc(thread.renter_name)}</strong>"
            f"<span class='thread-list__ad-title'>{esc(thread.listing_title)}</span>"
            f"<span class='thread-list__snippet'>{snippet}</span></span>"
            f"<time class='thread-list__date'>{self.when(account, last.sent_at, now, page='inbox')}</time></a></li>"
        )

    def redesign_message(self, req: Request, account: Account, thread: Thread, m: Any, body: str, now: datetime) -> str:
        """A thread message of the redesign: a chat bubble, received on the left and sent on the right."""
        side = "received" if m.direction == "in" else "sent"
        name = self.renter_link(req, thread, m.sender_name) if m.direction == "in" else esc(m.sender_name)
        return (
            f"<li class='message-bubble message-bubble--{side}' id='msg_{m.id}'>"
            f"<div class='message-bubble__meta'><span class='message-bubble__name'>{name}</span> "
            f"<time class='message-bubble__date'>{self.when(account, m.sent_at, now, page='thread')}</time></div>"
            f"<div class='message-bubble__body'>{body}</div></li>"
        )

    # --- pages ------------------------------------------------------------------------

    def home(self, req: Request, account: Account | None) -> Response:
        return page(
            self.layout(req, "Rooms for rent", "<h1>Find your perfect roommate</h1>", logged_in=account is not None)
        )

    def logon_form(self, req: Request, account: Account | None, error: str = "") -> Response:
        token = self.state.issue_token(self.slug)
        error = error or {
            "1": "Sorry, the email or password you entered is incorrect.",
            "csrf": "Sorry, something went wrong. Please try again.",
        }.get(req.query.get("error", ""), "")
        alert = f"<div class='alert alert--error' role='alert'>{esc(error)}</div>" if error else ""
        back = req.query.get("loginfrom_url", "")
        content = (
            f"<div id='userAuth' class='user-auth' data-csrf-token='{token}'><h1>Log in to SpareRoom</h1>{alert}"
            f"<form id='loginForm' method='post' action='{req.url('/roommate/logon.pl')}'>"
            f"<input type='hidden' name='loginfrom_url' value='{esc(back)}'>"
            "<label for='loginemail'>Email address</label>"
            "<input type='email' id='loginemail' name='email' autocomplete='username'>"
            "<label for='loginpass'>Password</label>"
            "<input type='password' id='loginpass' name='password' autocomplete='current-password'>"
            "<label class='remember'><input type='checkbox' id='remember_me_checkbox' name='remember_me' value='Y'> Keep me logged in</label>"
            "<button type='submit' id='sign-in-button' class='button button--primary'>Log in</button></form>"
            "<p class='social'><a class='facebook-login' href='#'>Continue with Facebook</a></p></div>"
            "<script>document.getElementById('loginForm').addEventListener('submit',function(){"
            "var t=document.createElement('input');t.type='hidden';t.name='csrf_token';"
            "t.value=document.getElementById('userAuth').dataset.csrfToken;this.appendChild(t);});</script>"
        )
        return page(self.layout(req, "Log in", content, logged_in=False))

    def logon_submit(self, req: Request, account: Account | None) -> Response:
        back = req.form.get("loginfrom_url", "")
        if not self.state.check_token(self.slug, req.form.get("csrf_token")):
            return redirect(req.url("/roommate/logon.pl", error="csrf", loginfrom_url=back or None))
        if account is None or account.password != req.form.get("password", ""):
            if account is not None:
                account.failed_logins += 1
            return redirect(req.url("/roommate/logon.pl", error="1", loginfrom_url=back or None))
        target = back if back.startswith(f"/{self.slug}/") else req.url("/roommate/mythreads_beta.pl")
        return self.open_session(account, redirect(target))

    def logout(self, req: Request, account: Account | None) -> Response:
        self.state.close_session(self.slug, req.cookies.get(self.session_cookie))
        return redirect(req.url("/roommate/")).delete_cookie(self.session_cookie, path=f"/{self.slug}")

    def old_inbox(self, req: Request, account: Account) -> Response:
        return redirect(req.url("/roommate/mythreads_beta.pl"))

    def threads(self, req: Request, account: Account) -> Response:
        if "thread_id" in req.query:
            ref = req.query["thread_id"]
            return self.thread_page(req, account, account.threads.get(int(ref)) if ref.isdigit() else None)
        return self.inbox(req, account)

    def inbox(self, req: Request, account: Account) -> Response:
        size = self.page_size()
        raw_offset = req.query.get("offset", "0")
        offset = int(raw_offset) if raw_offset.isdigit() else 0
        threads, more = self.paginate(account, offset // size)
        now = utcnow()
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        rows = []
        for thread in threads:
            visible = thread.visible_messages(now)
            last = visible[-1]
            replied = " msg_row--replied" if last.direction == "out" else ""
            snippet = shows.preview(last.body, last.direction)
            if redesign:
                rows.append(self.redesign_row(req, account, thread, last, snippet, now))
            elif drift:
                rows.append(
                    f"<article class='conversation-card' data-conv='{thread.id}' "
                    f"onclick=\"location.href='{req.url('/roommate/mythreads_beta.pl', thread_id=thread.id)}'\">"
                    f"<h3 class='conversation-card__who'>{esc(thread.renter_name)}</h3><p>{snippet}</p>"
                    f"<time>{self.when(account, last.sent_at, now, page='inbox')}</time></article>"
                )
            else:
                rows.append(
                    f"<div class='msg_row{replied}'><a class='thread_item' "
                    f"href='{req.url('/roommate/mythreads_beta.pl', thread_id=thread.id)}' "
                    f"data-thread-id='{thread.id}' data-message-id='{last.id}'>"
                    f"<span class='name'>{esc(thread.renter_name)}</span>"
                    f"<span class='ad-title'>{esc(thread.listing_title)}</span>"
                    f"<span class='snippet'>{snippet}</span>"
                    f"<i class='threadDate'>{self.when(account, last.sent_at, now, page='inbox')}</i></a></div>"
                )
        if not rows:
            body = (
                "<div class='inbox-empty'>Nothing here yet.</div>"
                if drift
                else "<p class='no_messages'>You have no messages in this folder.</p>"
            )
        else:
            body = "".join(rows)
        pager = "<div class='pagination'>"
        if offset > 0:
            pager += f"<a class='prev' href='{req.url('/roommate/mythreads_beta.pl', offset=max(0, offset - size))}'>&lt; Previous</a> "
        if more:
            pager += (
                f"<a class='next' href='{req.url('/roommate/mythreads_beta.pl', offset=offset + size)}'>Next &gt;</a>"
            )
        pager += "</div>"
        tabs = (
            f"<ul class='folder-tabs'><li class='active'><a href='{req.url('/roommate/mythreads_beta.pl')}'>Inbox</a></li>"
            f"<li><a href='{req.url('/roommate/mythreads_beta.pl', folder='sent')}'>Sent</a></li></ul>"
        )
        if redesign and rows:
            body = f"<ul class='thread-list' role='list'>{body}</ul>"
        content = f"<h1>Messages</h1>{tabs}<div id='threads' class='{'threads-v2' if drift else 'threads'}'>{body}</div>{pager}"
        return page(self.layout(req, "My messages", content, logged_in=True))

    def thread_page(self, req: Request, account: Account, thread: Thread | None, *, notice: str = "") -> Response:
        if thread is None:
            return page(
                self.layout(
                    req,
                    "Message not found",
                    "<p class='error'>Sorry, this message could not be found.</p>",
                    logged_in=True,
                ),
                404,
            )
        now = utcnow()
        window = behaviour.thread_window(account.profile, thread.visible_messages(now), req)
        messages = window.messages
        if req.query.get("sort") != "oldest":
            messages = list(reversed(messages))
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        items = []
        for m in messages:
            body = shows.body(m.body, m.direction)
            if redesign:
                items.append(self.redesign_message(req, account, thread, m, body, now))
            elif drift:
                items.append(
                    f"<div class='bubble bubble--{'left' if m.direction == 'in' else 'right'}' data-mid='{m.id}'>"
                    f"<b>{esc(m.sender_name)}</b><p>{body}</p><small>{self.when(account, m.sent_at, now, page='thread')}</small></div>"
                )
            else:
                side = "in" if m.direction == "in" else "out"
                extra = " message_out" if side == "out" else ""
                name = self.renter_link(req, thread, m.sender_name) if side == "in" else esc(m.sender_name)
                items.append(
                    f"<li class='message thread_{side}{extra}' id='msg_{m.id}'>"
                    f"<div class='message_{side}__name'>{name}</div>"
                    f"<dl><dt>Message</dt><dd class='message_body'>{body}</dd>"
                    f"<dt>Sent</dt><dd class='message_date'>{self.when(account, m.sent_at, now, page='thread')}</dd></dl></li>"
                )
        items, earlier, partial = self.thread_paging(req, account, thread, window, items)
        if partial is not None:
            return partial
        listing = req.url("/roommate/flatshare/flatshare_detail.pl", flatshare_id=thread.listing_ref, mode="list")
        ordered = sorted(account.threads)
        later = [t for t in ordered if t > thread.id]
        nav = (
            f"<a class='next-thread' href='{req.url('/roommate/mythreads_beta.pl', thread_id=later[0])}'>Next thread &gt;&gt;</a>"
            if later
            else ""
        )
        conversation = (
            f"<section class='chat'>{''.join(items)}</section>"
            if drift
            else f"<ul class='conversation'>{''.join(items)}</ul>"
        )
        if redesign:
            conversation = f"<div class='message-thread'><ol class='message-thread__list'>{''.join(items)}</ol></div>"
        content = (
            f"<h1 class='thread-title'>Conversation with {esc(thread.renter_name)}</h1>"
            f"{notice}<div class='thread-actions'><a class='sort' href='{req.url('/roommate/mythreads_beta.pl', thread_id=thread.id, sort='oldest')}'>Oldest first</a> {nav}</div>"
            f"<div class='ad-link'><a href='{listing}'>View ad</a> <span class='ad-title'>{esc(thread.listing_title)}</span></div>"
            f"{conversation}{earlier}"
            f"<form method='post' class='reply-form' action='{req.url('/roommate/mythreads_beta.pl', thread_id=thread.id)}'>"
            f"<input type='hidden' name='thread_id' value='{thread.id}'>"
            "<label for='reply_message'>Your reply</label><textarea id='reply_message' name='message' rows='6'></textarea>"
            "<button type='submit' name='btnSubmit' value='Send' class='button'>Send message</button></form>"
        )
        return page(self.layout(req, f"Conversation with {thread.renter_name}", content, logged_in=True))

    def thread_paging(
        self, req: Request, account: Account, thread: Thread, window: behaviour.Window, items: list[str]
    ) -> tuple[list[str], str, Response | None]:
        """The list's items with the paging control and deferred part, what follows the list, or a fragment.

        Newest first (the default order), the older page is at the bottom: an "Earlier messages"
        link in the ``page_link`` style (the site pages everything by link); a button or a
        sentinel leads the list in the other styles.
        """
        answer = behaviour.fragment(window, items, tag="li")
        if answer is not None:
            return items, "", answer
        href = req.url(
            "/roommate/mythreads_beta.pl", thread_id=thread.id, page=window.next_page, sort=req.query.get("sort")
        )
        control = behaviour.earlier_control(window, tag="li")
        listed = behaviour.deferred(account.profile, [control, *items] if control else items, tag="li")
        after = behaviour.earlier_link(window, href) + behaviour.paging_script(window)
        return listed, after, None

    def reply(self, req: Request, account: Account) -> Response:
        thread_id = req.query.get("thread_id") or req.form.get("thread_id", "")
        if not thread_id.isdigit() or int(thread_id) not in account.threads:
            return self.thread_page(req, account, None)
        thread = self.state.thread(account, thread_id)
        body = req.form.get("message", "")
        if not body.strip():
            notice = "<div class='alert alert--error'>Please enter a message.</div>"
            return self.thread_page(req, account, thread, notice=notice)
        error, message = self.reply_outcome(account, thread, body)
        if error is not None:
            return error
        return redirect(req.url("/roommate/mythreads_beta.pl", thread_id=thread.id) + f"#msg_{message.id}", 303)

    def wanted_ad(self, req: Request, account: Account | None) -> Response:
        ref = req.query.get("flatshare_id", "")
        content = (
            f"<h1 class='listing-title'>Room wanted</h1><p>Ad reference: <span class='ad_ref'>{esc(ref)}</span></p>"
        )
        return page(self.layout(req, "Room wanted", content, logged_in=account is not None))

    def listing(self, req: Request, account: Account | None) -> Response:
        ref = req.query.get("flatshare_id", "")
        content = (
            f"<h1 class='listing-title'>Room for rent</h1><p>Ad reference: <span class='ad_ref'>{esc(ref)}</span></p>"
        )
        return page(self.layout(req, "Room for rent", content, logged_in=account is not None))
