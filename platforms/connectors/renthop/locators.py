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
        # Overlays, dismissed before acting (CSS only): the app modal, then Osano's banner.
        "overlay.interstitial": loc(
            "#app-promo .rh-modal-close",
            "[role='dialog'][aria-modal='true'] button[aria-label='Close']",
            required=False,
        ),
        "overlay.consent": loc(".osano-cm-accept-all", required=False),
        "inbox.empty": loc(".leads-empty", "text=/no leads yet/i"),
        "inbox.next": loc("a.page-next", "ul.pager a:has-text('Next')", required=False),
        "reply.body": loc("#reply-text", "textarea[name='text']"),
        "reply.submit": loc("button.btn-send-reply", "#lead-reply button[type='submit']"),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        # The classic list's control, then the redesign's (a layout variant, not drift).
        "thread.earlier": loc(
            ".chat .load-earlier-sentinel[data-before]",
            "ul.lead-messages .load-earlier-sentinel[data-before]",
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
            # Lead cards, or the redesign's table rows (a variant, not drift).
            item=loc(
                "#leads-list div.lead-card[data-lead-id]",
                "div.lead-card[data-lead-id]",
                "table.leads-table tr.lead-row[data-lead-id]",
            ),
            fields={
                "thread_ref": loc(":scope", attr="data-lead-id"),
                "sender": loc(".lead-name", "td.lead-col-name", required=False),
                "ts": loc(".lead-time", "td.lead-col-time", attr="data-ts", required=False),
                "time_text": loc(".lead-time", "td.lead-col-time", required=False),
            },
        ),
        "thread.messages": Group(
            # Chat bubbles, or the redesign's feed items (a variant, not drift).
            item=loc(
                ".lead-thread div.chat-bubble[data-msg-id]",
                "div.chat-bubble[data-msg-id]",
                "ul.lead-messages li.lead-message[data-msg-id]",
            ),
            fields={
                "id": loc(":scope", attr="data-msg-id"),
                "classes": loc(":scope", attr="class"),
                # The redesign states the direction in an attribute, not a class.
                "dir": loc(":scope", attr="data-direction", required=False),
                "sender": loc(".bubble-author", ".lead-message-author", required=False),
                "body": loc(".bubble-text", ".lead-message-body", text="inner"),
                # The epoch when the element carries one, else its text; neither is drift.
                "ts": loc(".bubble-time", ".lead-message-time", attr="data-ts", required=False),
                "time_text": loc(".bubble-time", ".lead-message-time", required=False),
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
