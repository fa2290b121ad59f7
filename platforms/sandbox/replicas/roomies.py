"""Roomies: a Laravel site with Tailwind classes and Alpine.js components.

Observed (platforms.md): inbox ``/inbox``, thread ``/inbox/<id>``, inbox rows are links to
``/inbox/...`` with hover classes like ``hover:bg-teal-lightest``, thread messages are
``li[x-data*='messageItem']`` whose text and direction live in the component data
(``message.content``, ``isSender``), reply ``textarea[name='body']``, a send button with a
brand-orange class, a sent reply shows up only after a delay.
Modelled: the login form (Laravel's ``_token`` and its stock error text), relative times in
the inbox (no exact time there), listing pages ``/rooms/<id>``, the pager.
With ``date_formats`` the inbox says "just now", "5m", "2h", "3d", then "Nov 23" (modelled);
with ``object_literal`` the component data is a JavaScript object literal, or Laravel's
``Js::from`` output ``JSON.parse('...')`` (both modelled on Alpine's and Laravel's documented
forms). A renter with a profile handle carries ``user.id`` in the component data and has
their name linked to ``/profiles/<id>`` (the profile URL pattern is observed; where it shows
is modelled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from platforms.sandbox import behaviour, datefmt
from platforms.sandbox.render import SiteRendering
from platforms.sandbox.replicas.base import Replica, Route, route
from platforms.sandbox.state import Account, Thread, utcnow
from platforms.sandbox.web import Request, Response, esc, page, redirect

# A stand-in for Alpine.js (no CDN here): it renders each component's data the way the
# real page does, so the visible text exists only after the script ran.
_MINI_ALPINE = """
<script>
document.querySelectorAll('[x-data^="messageItem("]').forEach(function (li) {
  var raw = li.getAttribute('x-data'); var data = JSON.parse(raw.slice('messageItem('.length, -1));
  li.querySelector('[x-text="message.content"]').textContent = data.content;
  li.querySelector('[x-text="timeAgo"]').textContent = new Date(data.createdAt).toLocaleString();
  li.classList.add(data.isSender ? 'ml-auto' : 'mr-auto');
});
</script>
"""

# The same, for component data written as a JavaScript expression (an object literal or
# Laravel's JSON.parse('...')): evaluated the way Alpine evaluates x-data, not parsed as JSON.
_MINI_ALPINE_JS = """
<script>
document.querySelectorAll('[x-data^="messageItem("]').forEach(function (li) {
  var data = (new Function('messageItem', 'return ' + li.getAttribute('x-data')))(function (d) { return d; });
  li.querySelector('[x-text="message.content"]').textContent = data.content;
  li.querySelector('[x-text="timeAgo"]').textContent = new Date(data.createdAt).toLocaleString();
  li.classList.add(data.isSender ? 'ml-auto' : 'mr-auto');
});
</script>
"""

# Renders message components that appear after the page's script ran (older messages loaded
# by the button, a deferred part of the list): JSON and JavaScript expressions alike.
_HYDRATE = """
<script>
window.sandboxHydrate = function (nodes) {
  nodes.forEach(function (node) {
    if (!node.querySelectorAll) return;
    var found = node.matches && node.matches('[x-data^="messageItem("]') ? [node] : [];
    found = found.concat(Array.prototype.slice.call(node.querySelectorAll('[x-data^="messageItem("]')));
    found.forEach(function (li) {
      var data = (new Function('messageItem', 'return ' + li.getAttribute('x-data')))(function (d) { return d; });
      li.querySelector('[x-text="message.content"]').textContent = data.content;
      li.querySelector('[x-text="timeAgo"]').textContent = new Date(data.createdAt).toLocaleString();
      li.classList.add(data.isSender ? 'ml-auto' : 'mr-auto');
    });
  });
};
</script>
"""


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


class Roomies(Replica):
    slug = "roomies"
    session_cookie = "roomies_session"
    login_path = "/login"
    return_param = "intended"
    timezone = "America/New_York"
    captcha_style = "cloudflare"
    block_style = "akamai"
    # The text is set by script (x-text), so only text-level traits show: entities escaped on save,
    # blank lines folded, non-breaking spaces; an ellipsis preview; replies late (observed).
    # The ``renamed`` layout (replicas/renamed.py): classes kept carry nothing: the data is in attributes; the body moves a level.
    renamed_keep = frozenset()
    renamed_moved = "whitespace-pre-line"
    rendering = SiteRendering(
        markup="text",
        preview_chars=80,
        realistic={
            "entities": {},
            "collapse_blank_lines": {},
            "nbsp": {},
            "preview": {},
            "delayed_visibility": {"seconds": (3.0, 5.0, 8.0)},
            "date_formats": {},
            "object_literal": {"style": ("literal", "laravel_js")},
            # Page furniture (modelled): the Tailwind 2 redesign next to the classic pages, Laravel's
            # cookie-consent banner, a "complete your profile" modal (profiles and /verifications are observed).
            "layout": {"variant": ("classic", "redesign")},
            "consent_banner": {},
            "interstitial": {"kind": ("complete_profile",)},
            # Page behaviour (platforms/sandbox/behaviour.py): a "Load earlier messages" button, the
            # list rendered by Alpine after load, session expiry, slow pages.
            "thread_paging": {"latest": (15, 25), "style": ("button",)},
            "session_lifetime": {"requests": (150, 250)},
            "slow_responses": {"max_ms": (80, 150)},
            "deferred_list": {"shown": (0, 3), "ms": (150.0, 400.0)},
        },
    )

    def build_routes(self) -> list[Route]:
        return [
            route("GET", r"/", self.home),
            route("GET", r"/login", self.login_form),
            route("POST", r"/login", self.login_submit, identify_by="email"),
            route("POST", r"/logout", self.logout),
            route("GET", r"/inbox", self.inbox, auth=True),
            route("GET", r"/inbox/(?P<thread_id>\d+)", self.thread_page, auth=True),
            route("POST", r"/inbox/(?P<thread_id>\d+)/messages", self.reply, auth=True),
            route("GET", r"/rooms/(?P<room_id>[\w-]+)", self.listing),
            route("GET", r"/profiles/(?P<profile_id>\w+)", self.profile_page),
        ]

    def layout(self, req: Request, title: str, content: str, *, logged_in: bool, token: str = "") -> str:
        if logged_in:
            user = (
                f"<a href='{req.url('/inbox')}' class='text-white no-underline hover:underline mr-4'>Inbox</a>"
                f"<form method='POST' action='{req.url('/logout')}' class='inline'>"
                f"<input type='hidden' name='_token' value='{token}'>"
                "<button type='submit' class='text-white bg-transparent'>Log out</button></form>"
            )
        else:
            user = f"<a href='{req.url('/login')}' class='text-white no-underline'>Log in</a>"
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='csrf-token' content='{token}'><title>{esc(title)} - Roomies.com</title>"
            "<style>.hidden{display:none}.whitespace-pre-line{white-space:pre-line}</style></head>"
            "<body class='bg-grey-lighter font-sans antialiased'>"
            "<nav class='bg-teal-dark shadow'><div class='container mx-auto px-6 md:px-0 flex items-center justify-between h-16'>"
            f"<a href='{req.url('/')}' class='text-lg font-semibold text-white no-underline'>Roomies</a>"
            f"<div class='flex items-center'>{user}</div></div></nav>"
            f"<div class='container mx-auto py-8'>{content}</div></body></html>"
        )

    def home(self, req: Request, account: Account | None) -> Response:
        return page(
            self.layout(req, "Rooms for rent", "<h1 class='text-3xl'>Find a room</h1>", logged_in=account is not None)
        )

    def login_form(self, req: Request, account: Account | None) -> Response:
        token = self.state.issue_token(self.slug)
        error = (
            "<p class='text-red text-xs italic mt-4'>These credentials do not match our records.</p>"
            if req.query.get("failed")
            else ""
        )
        content = (
            "<div class='w-full max-w-sm mx-auto bg-white shadow-md rounded px-8 pt-6 pb-8'>"
            "<h1 class='text-2xl mb-4'>Log in</h1>"
            f"<form method='POST' action='{req.url('/login')}'>"
            f"<input type='hidden' name='_token' value='{token}'>"
            f"<input type='hidden' name='intended' value='{esc(req.query.get('intended', ''))}'>"
            "<label class='block text-grey-darker text-sm font-bold mb-2' for='email'>E-Mail Address</label>"
            "<input id='email' type='email' class='shadow appearance-none border rounded w-full py-2 px-3' name='email' required>"
            "<label class='block text-grey-darker text-sm font-bold mb-2 mt-4' for='password'>Password</label>"
            "<input id='password' type='password' class='shadow appearance-none border rounded w-full py-2 px-3' name='password' required>"
            "<label class='block mt-4'><input type='checkbox' name='remember'> Remember Me</label>"
            f"{error}<button type='submit' class='bg-teal hover:bg-teal-dark text-white font-bold py-2 px-4 rounded mt-4'>Login</button>"
            "</form></div>"
        )
        return page(self.layout(req, "Login", content, logged_in=False, token=token))

    def login_submit(self, req: Request, account: Account | None) -> Response:
        if not self.state.check_token(self.slug, req.form.get("_token")):
            return page("<!doctype html><title>Page Expired</title><div class='title'>419 | Page Expired</div>", 419)
        if account is None or account.password != req.form.get("password", ""):
            if account is not None:
                account.failed_logins += 1
            return redirect(req.url("/login", failed=1))
        intended = req.form.get("intended", "")
        target = intended if intended.startswith(f"/{self.slug}/") else req.url("/inbox")
        return self.open_session(account, redirect(target))

    def logout(self, req: Request, account: Account | None) -> Response:
        self.state.close_session(self.slug, req.cookies.get(self.session_cookie))
        return redirect(req.url("/")).delete_cookie(self.session_cookie, path=f"/{self.slug}")

    def inbox(self, req: Request, account: Account) -> Response:
        raw_page = req.query.get("page", "1")
        page_no = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        threads, more = self.paginate(account, page_no - 1)
        now = utcnow()
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        rows = []
        for thread in threads:
            last = thread.visible_messages(now)[-1]
            preview = shows.preview(last.body, last.direction)
            href = req.url(f"/inbox/{thread.id}")
            if redesign:
                rows.append(self.redesign_row(account, thread, href, preview, self.when(account, last.sent_at, now)))
            elif drift:
                rows.append(
                    f"<div role='listitem' class='conversation-row' @click=\"open('{href}')\">"
                    f"<span class='font-bold'>{esc(thread.renter_name)}</span>"
                    f"<span class='text-sm'>{preview}</span></div>"
                )
            else:
                rows.append(
                    f"<a href='{href}' class='flex items-center px-4 py-3 border-b no-underline hover:bg-teal-lightest'>"
                    "<img class='w-12 h-12 rounded-full' src='data:,' alt=''>"
                    f"<div class='flex-1 ml-3'><div class='font-bold text-grey-darkest'>{esc(thread.renter_name)}</div>"
                    f"<div class='text-sm text-grey-dark truncate'>{preview}</div></div>"
                    f"<div class='text-xs text-grey'>{self.when(account, last.sent_at, now)}</div></a>"
                )
        if rows and redesign:
            listing = f"<ul role='list' class='divide-y divide-gray-200'>{''.join(rows)}</ul>"
        elif rows:
            listing = "".join(rows)
        elif drift:
            listing = "<div class='p-8'>Empty</div>"
        else:
            listing = "<div class='text-center text-grey py-8'>You don't have any messages yet.</div>"
        pager = ""
        if page_no > 1 or more:
            pager = "<nav role='navigation' aria-label='Pagination Navigation' class='flex justify-between mt-4'>"
            if page_no > 1:
                pager += f"<a href='{req.url('/inbox', page=page_no - 1)}' rel='prev'>&laquo; Previous</a>"
            if more:
                pager += f"<a href='{req.url('/inbox', page=page_no + 1)}' rel='next'>Next &raquo;</a>"
            pager += "</nav>"
        content = f"<h1 class='text-2xl mb-4'>Inbox</h1><div class='bg-white shadow rounded'>{listing}</div>{pager}"
        return page(self.layout(req, "Inbox", content, logged_in=True))

    def when(self, account: Account, moment: datetime, now: datetime) -> str:
        """The inbox's relative time: "2 hours ago", or (``date_formats``) the feed's "2h", "Nov 23"."""
        if self.renderer(account).dates():
            return datefmt.roomies_inbox(moment, now, self.zone(account))
        return ago(moment, now)

    # --- the Tailwind 2 redesign being rolled out (layout variant "redesign") ----------------

    def redesign_row(self, account: Account, thread: Thread, href: str, preview: str, when: str) -> str:
        """An inbox row of the redesign: a list item holding the link, Tailwind 2 colour names."""
        return (
            f"<li class='relative py-4 px-4 hover:bg-gray-50' data-conversation-id='{thread.id}'>"
            "<div class='flex justify-between space-x-3'><div class='min-w-0 flex-1'>"
            f"<a href='{href}' class='block focus:outline-none'><span class='absolute inset-0' aria-hidden='true'></span>"
            f"<p class='text-sm font-medium text-gray-900 truncate'>{esc(thread.renter_name)}</p>"
            f"<p class='text-sm text-gray-500 truncate'>{esc(thread.listing_title)}</p></a></div>"
            f"<time class='flex-shrink-0 whitespace-nowrap text-sm text-gray-500'>{when}</time></div>"
            f"<p class='mt-1 text-sm text-gray-600 line-clamp-2'>{preview}</p></li>"
        )

    def redesign_message(self, account: Account, thread: Thread, m: Any, text: str) -> str:
        """A message of the redesign: rendered by Blade, so the text is in the markup and the rest in attributes."""
        mine = m.direction == "out"
        user = f" data-user-id='{esc(thread.renter_handle)}'" if thread.renter_handle and not mine else ""
        align, colour = (
            ("justify-end", "bg-teal-500 text-white") if mine else ("justify-start", "bg-gray-100 text-gray-900")
        )
        return (
            f"<div class='flex {align}' data-message-id='{m.id}' data-is-sender='{'true' if mine else 'false'}'{user}>"
            f"<div class='max-w-md rounded-2xl px-4 py-2 {colour}'>"
            f"<p class='sr-only'>{esc(m.sender_name)}</p>"
            f"<p class='text-sm whitespace-pre-line'>{esc(text)}</p>"
            f"<time class='block text-xs opacity-75' datetime='{m.sent_at.strftime('%Y-%m-%dT%H:%M:%S.000000Z')}'>"
            f"{self.local(m.sent_at, account):%b %-d, %-I:%M %p}</time></div></div>"
        )

    def message_list(self, items: list[str], *, redesign: bool) -> str:
        if redesign:
            return f"<div class='flex flex-col space-y-4' id='messages'>{''.join(items)}</div>"
        return f"<ul class='space-y-4 list-reset'>{''.join(items)}</ul>"

    def thread_page(self, req: Request, account: Account, thread_id: str, *, notice: str = "") -> Response:
        thread = account.threads.get(int(thread_id))
        if thread is None:
            return page(self.layout(req, "Not Found", "<div class='title'>404 | Not Found</div>", logged_in=True), 404)
        return self.render_thread(req, account, thread, notice=notice)

    def render_thread(self, req: Request, account: Account, thread: Thread, *, notice: str = "") -> Response:
        token = self.state.issue_token(self.slug)
        drift = self.drift(account)
        shows = self.renderer(account)
        redesign = not drift and shows.layout() == "redesign"
        items = []
        window = behaviour.thread_window(account.profile, thread.visible_messages(utcnow()), req)
        for m in window.messages:
            if redesign:
                items.append(self.redesign_message(account, thread, m, shows.text(m.body, m.direction)))
                continue
            user: dict[str, object] = {"name": m.sender_name}
            if thread.renter_handle and m.direction == "in":
                handle = thread.renter_handle
                user = {"id": int(handle) if handle.isdigit() else handle, **user}
            data = {
                "id": m.id,
                "content": shows.text(m.body, m.direction),
                "isSender": m.direction == "out",
                "createdAt": m.sent_at.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "user": user,
            }
            component = "chatBubble" if drift else "messageItem"
            items.append(
                f"<li x-data=\"{esc(component + '(' + shows.embed(data) + ')')}\" class='max-w-md rounded-lg p-3 shadow'>"
                "<p x-text='message.content' class='whitespace-pre-line'></p>"
                "<span x-text='timeAgo' class='text-xs text-grey'></span></li>"
            )
        # Both layouts page alike: the same control, deferred part and script, in the list's own element.
        tag = "div" if redesign else "li"
        answer = behaviour.fragment(window, items, tag=tag)
        if answer is not None:
            return answer
        items, hydrate, paging = self.thread_paging(req, account, thread, window, items, tag=tag)
        renter = f"<span class='font-bold'>{esc(thread.renter_name)}</span>"
        if thread.renter_handle:
            renter = f"<a class='renter-profile' href='{req.url(f'/profiles/{thread.renter_handle}')}'>{renter}</a>"
        alpine = _MINI_ALPINE_JS if shows.profile.on("object_literal") else _MINI_ALPINE
        content = (
            f"{hydrate}<div class='bg-white shadow rounded p-4' x-data='conversation({{threadId: {thread.id}}})'>"
            "<header class='flex items-center justify-between border-b pb-3 mb-3'>"
            f"{renter}"
            f"<a href='{req.url(f'/rooms/{thread.listing_ref}')}' class='text-teal font-semibold'>{esc(thread.listing_title)}</a></header>"
            f"{notice}{self.message_list(items, redesign=redesign)}"
            f"<form method='POST' action='{req.url(f'/inbox/{thread.id}/messages')}' class='mt-4'>"
            f"<input type='hidden' name='_token' value='{token}'>"
            "<textarea name='body' rows='3' class='w-full border rounded p-2' placeholder='Write a message...'></textarea>"
            "<div class='flex justify-between mt-2' x-data='{ menu: false }'>"
            "<button type='button' class='text-grey-dark' @click='menu = !menu'>More</button>"
            "<button type='submit' class='bg-brand-orange hover:bg-brand-orange-dark text-white font-bold py-2 px-4 rounded'>Send</button>"
            "</div></form></div>"
            f"{alpine}{paging}"
        )
        return page(self.layout(req, f"Conversation with {thread.renter_name}", content, logged_in=True, token=token))

    def thread_paging(
        self, req: Request, account: Account, thread: Thread, window: behaviour.Window, items: list[str], *, tag: str
    ) -> tuple[list[str], str, str]:
        """The list's items with the "Load earlier messages" control and deferred part, and the scripts before and after it.

        Items added later (older ones, deferred ones) are rendered by ``sandboxHydrate``, Alpine's
        stand-in for components that appear after it started (``Alpine.initTree``); the redesign's
        items come rendered (Blade), so it finds nothing to do there. ``tag`` is the list's item
        element (``li`` classic, ``div`` in the redesign).
        """
        control = behaviour.earlier_control(window, tag=tag)
        listed = behaviour.deferred(account.profile, [control, *items] if control else items, tag=tag)
        link = behaviour.earlier_link(window, req.url(f"/inbox/{thread.id}", page=window.next_page))
        if listed == items and not control:
            return items, "", link
        return listed, _HYDRATE, link + behaviour.paging_script(window)

    def reply(self, req: Request, account: Account, thread_id: str) -> Response:
        thread = account.threads.get(int(thread_id))
        if thread is None:
            return page(self.layout(req, "Not Found", "<div class='title'>404 | Not Found</div>", logged_in=True), 404)
        if not self.state.check_token(self.slug, req.form.get("_token")):
            return page("<!doctype html><title>Page Expired</title><div class='title'>419 | Page Expired</div>", 419)
        body = req.form.get("body", "")
        if not body.strip():
            notice = "<p class='text-red text-xs italic'>The body field is required.</p>"
            return self.render_thread(req, account, thread, notice=notice)
        error, _message = self.reply_outcome(account, thread, body)
        if error is not None:
            return error
        return redirect(req.url(f"/inbox/{thread.id}"), 303)

    def profile_page(self, req: Request, account: Account | None, profile_id: str) -> Response:
        content = (
            f"<h1 class='text-2xl'>Profile</h1><p class='profile-ref' data-profile-id='{esc(profile_id)}'>Member</p>"
        )
        return page(self.layout(req, "Profile", content, logged_in=account is not None))

    def listing(self, req: Request, account: Account | None, room_id: str) -> Response:
        content = f"<h1 class='text-2xl'>Room {esc(room_id)}</h1><p class='room-ref' data-room-id='{esc(room_id)}'>Private room</p>"
        return page(self.layout(req, "Room", content, logged_in=account is not None))
