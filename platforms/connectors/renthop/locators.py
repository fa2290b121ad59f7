"""RentHop's locator map (modelled agent dashboard): lead cards and chat bubbles with epoch ``data-ts``."""

from __future__ import annotations

from platforms.connectors.locators import Group, LocatorMap, loc

LOCATORS = LocatorMap(
    platform="renthop",
    urls={"login": "/login", "inbox": "/dashboard/leads", "thread": "/dashboard/leads/{thread_ref}"},
    elements={
        "login.username": loc("#login-username", "input[name='username']"),
        "login.password": loc("#login-password", "input[name='password']"),
        "login.submit": loc("#login-submit", "#login-form button[type='submit']"),
        "login.error_credentials": loc(".login-error", "text=/invalid username or password/i"),
        "session.marker": loc("a.menu-logout", "a[href$='/logout']"),
        "inbox.empty": loc(".leads-empty", "text=/no leads yet/i"),
        "inbox.next": loc("a.page-next", "ul.pager a:has-text('Next')", required=False),
        "reply.body": loc("#reply-text", "textarea[name='text']"),
        "reply.submit": loc("button.btn-send-reply", "#lead-reply button[type='submit']"),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        "thread.earlier": loc(
            ".chat .load-earlier-sentinel[data-before]",
            "a.earlier-messages[href*='page=']",
            "[data-earlier]",
            required=False,
        ),
        "thread.loading": loc("[aria-busy='true']", ".list-loading", required=False),
        "thread.load_error": loc(".load-earlier-error", required=False),
        "session.expired": loc("[role='alertdialog'].session-expired", ".show-user-auth-popup", required=False),
    },
    groups={
        "inbox.rows": Group(
            item=loc("#leads-list div.lead-card[data-lead-id]", "div.lead-card[data-lead-id]"),
            fields={
                "thread_ref": loc(":scope", attr="data-lead-id"),
                "sender": loc(".lead-name", required=False),
                "ts": loc(".lead-time", attr="data-ts", required=False),
                "time_text": loc(".lead-time", required=False),
            },
        ),
        "thread.messages": Group(
            item=loc(".lead-thread div.chat-bubble[data-msg-id]", "div.chat-bubble[data-msg-id]"),
            fields={
                "id": loc(":scope", attr="data-msg-id"),
                "classes": loc(":scope", attr="class"),
                "sender": loc(".bubble-author", required=False),
                "body": loc(".bubble-text", text="inner"),
                # The epoch when the element carries one, else its text; neither is drift.
                "ts": loc(".bubble-time", attr="data-ts", required=False),
                "time_text": loc(".bubble-time", required=False),
            },
        ),
        "thread.context": Group(
            item=loc(":root"),
            fields={
                "listing_id": loc("a.listing-ref", attr="data-listing-id", required=False),
                "listing_href": loc("a.listing-ref", "a[href*='/listings/']", attr="href", required=False),
                "listing_title": loc("a.listing-ref", required=False),
            },
        ),
    },
    pages={
        "login": ("login.username", "login.password", "login.submit"),
        "inbox": ("session.marker", "inbox.rows"),
        "thread": ("thread.messages", "reply.body", "reply.submit"),
    },
    # Dates: platforms/connectors/dates.py (TABLES["renthop"]). No renter profile is shown.
    facts={"listing_ref": r"/listings/[\w-]+/(\d+)"},
)
