"""Roomies' locator map: Tailwind classes and Alpine.js component data, so attributes over text."""

from __future__ import annotations

from platforms.connectors.locators import Group, LocatorMap, loc

LOCATORS = LocatorMap(
    platform="roomies",
    urls={"login": "/login", "inbox": "/inbox", "thread": "/inbox/{thread_ref}"},
    elements={
        "login.username": loc("input#email[name='email']", "input[name='email']"),
        "login.password": loc("input#password[name='password']", "input[name='password']"),
        "login.remember": loc("input[name='remember']", required=False),
        "login.submit": loc("form[action$='/login'] button[type='submit']", "button:has-text('Login')"),
        "login.error_credentials": loc("text=These credentials do not match our records."),
        "session.marker": loc("form[action$='/logout']", "a[href$='/logout']"),
        # Overlays, dismissed before acting (CSS only): the profile modal, then Laravel's cookie consent.
        "overlay.interstitial": loc(
            "#verify-modal [data-dismiss='modal']",
            "[role='dialog'][aria-modal='true'] button[aria-label='Close']",
            required=False,
        ),
        "overlay.consent": loc(".js-cookie-consent-agree", required=False),
        "inbox.empty": loc("text=/you don.t have any messages/i"),
        "inbox.next": loc("a[rel='next']", required=False),
        "reply.body": loc("textarea[name='body']"),
        # The send button is the brand-orange one, not the "More" menu button beside it.
        "reply.submit": loc(
            "form[action*='/messages'] button[type='submit'][class*='bg-brand-orange']",
            "form[action*='/messages'] button[type='submit']",
        ),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        "thread.earlier": loc(
            "button.load-earlier[data-before]",
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
            # The classic rows are the links; the redesign's are list items holding them (a variant, not drift).
            item=loc(
                "a[href*='/inbox/'][class*='hover:bg-teal-lightest']",
                "ul[role='list'] li[data-conversation-id]",
                "a[href*='/inbox/']",
            ),
            fields={
                "href": loc(":scope", "a[href*='/inbox/']", attr="href"),
                "sender": loc(".font-bold", ".font-medium", required=False),
                "ago": loc(".text-xs", "time", required=False),
            },
        ),
        # Alpine components (the data in x-data), or the redesign's Blade markup (text in the
        # markup, the rest in attributes). Which fields a message must have: parsing.message_fields.
        "thread.messages": Group(
            item=loc("li[x-data*='messageItem']", "#messages [data-message-id][data-is-sender]"),
            fields={
                "data": loc(":scope", attr="x-data", required=False),
                "id": loc(":scope", attr="data-message-id", required=False),
                "is_sender": loc(":scope", attr="data-is-sender", required=False),
                "user_id": loc(":scope", attr="data-user-id", required=False),
                "sender": loc("p.sr-only", required=False),
                "body": loc("p.whitespace-pre-line", text="inner", required=False),
                "created_at": loc("time[datetime]", attr="datetime", required=False),
            },
        ),
        "thread.context": Group(
            item=loc(":root"),
            fields={
                "listing_href": loc("header a[href*='/rooms/']", "a[href*='/rooms/']", attr="href", required=False),
                "listing_title": loc("header a[href*='/rooms/']", "a[href*='/rooms/']", required=False),
                "renter": loc("header span.font-bold", required=False),
                "profile_href": loc("header a[href*='/profiles/']", attr="href", required=False),
            },
        ),
    },
    pages={
        "login": ("login.username", "login.password", "login.submit"),
        "inbox": ("session.marker", "inbox.rows"),
        "thread": ("thread.messages", "reply.body", "reply.submit"),
    },
    # Dates: platforms/connectors/dates.py (TABLES["roomies"]).
    facts={"thread_ref": r"/inbox/(\d+)", "listing_ref": r"/rooms/([\w-]+)", "profile_ref": r"/profiles/([\w-]+)"},
)
