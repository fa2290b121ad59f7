"""Furnished Finder's locator map: the older landlord inbox (``members/Tenant-Message``) and the code login."""

from __future__ import annotations

from platforms.connectors.locators import Group, LocatorMap, loc

LOCATORS = LocatorMap(
    platform="furnishedfinder",
    urls={"login": "/login", "inbox": "/members/Tenant-Message", "thread": "/members/messages?threadId={thread_ref}"},
    elements={
        "login.username": loc("#username", "input[name='Username']"),
        "login.submit": loc("#loginForm button[type='submit']", "button:has-text('Login')"),
        "login.code": loc("[data-testid='code']", "input[autocomplete='one-time-code']"),
        "login.code_submit": loc("[data-testid='verify-code']", "#codeForm button[type='submit']"),
        "login.error_credentials": loc(
            ".validation-summary-errors", "text=/couldn.t find .* account|code is invalid/i"
        ),
        "session.marker": loc("a[href*='Logout']", "a.logout"),
        # Overlays, dismissed before acting (CSS only): the Radix profile dialog, then the cookie banner.
        "overlay.interstitial": loc(
            "[role='dialog'] [data-testid='dialog-close']",
            "[role='dialog'][aria-modal='true'] button[aria-label='Close']",
            required=False,
        ),
        "overlay.consent": loc("[data-testid='cookie-banner-accept']", required=False),
        "inbox.empty": loc("#messageList .no-message", "text=/you have no messages/i"),
        "inbox.next": loc("[data-testid='pagination-next']", required=False),
        "reply.body": loc("#NewReply", "textarea[name='NewReply']"),
        "reply.submit": loc("#btnSend", "#replyForm button[type='submit']"),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        # The classic list's control, then the redesign's (a layout variant, not drift).
        "thread.earlier": loc(
            "#divChatHistory .load-earlier-sentinel[data-before]",
            ".str-chat__list .load-earlier-sentinel[data-before]",
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
            # The older inbox's cards, or Stream Chat's channel previews (a variant, not drift).
            item=loc(
                "#messageList .card[data-thread-id]",
                "#messageList .card",
                ".str-chat__channel-list a.str-chat__channel-preview-messenger[href*='threadId=']",
            ),
            fields={
                "thread_ref": loc(":scope", attr="data-thread-id", required=False),
                "href": loc(".msg-username a", ":scope", attr="href", required=False),
                "sender": loc(".msg-username a", ".str-chat__channel-preview-messenger--name", required=False),
                "time": loc(".OtimeSpan", ".str-chat__channel-preview-messenger--time", required=False),
            },
        ),
        "thread.messages": Group(
            item=loc("#divChatHistory .msg-wrap", ".str-chat__list li.str-chat__li[data-message-id]"),
            fields={
                # The id: the older markup's data-msg-id, or Stream's data-message-id.
                "id": loc(":scope", attr="data-msg-id", required=False),
                "message_id": loc(":scope", attr="data-message-id", required=False),
                # The older markup's classes, or Stream's (``str-chat__message--me`` on the inner message).
                "classes": loc(":scope", attr="class"),
                "side": loc(".str-chat__message", attr="class", required=False),
                "sender": loc(".uname a", ".uname", ".str-chat__message-simple-name", required=False),
                "profile_href": loc(".uname a[href*='traveler']", attr="href", required=False),
                "body": loc(".message-content", ".str-chat__message-text-inner", text="inner"),
                "time_iso": loc(
                    ".m-time time[datetime]", "time.str-chat__message-simple-timestamp", attr="datetime", required=False
                ),
                "time": loc(".m-time", "time.str-chat__message-simple-timestamp"),
            },
        ),
        "thread.context": Group(
            item=loc(":root"),
            fields={
                "listing_href": loc("a.property-link", "a[href*='/property/']", attr="href", required=False),
                "listing_title": loc("a.property-link", required=False),
                # Stream's channel header links the traveler once for the whole thread.
                "profile_href": loc(".str-chat__channel-header a[href*='traveler']", attr="href", required=False),
            },
        ),
    },
    pages={
        "login": ("login.username", "login.submit"),
        "inbox": ("session.marker", "inbox.rows"),
        "thread": ("thread.messages", "reply.body", "reply.submit"),
    },
    facts={
        # Dates: platforms/connectors/dates.py (TABLES["furnishedfinder"], Central time).
        "thread_ref": r"threadId=(\d+)",
        "renter_handle": r"/members/traveler\?(?:[^#]*&)?id=(\w+)",
        "listing_ref": r"/property/(\d+)",
        "code_sender": "furnishedfinder.com",
        "code_pattern": r"\b(\d{6})\b",
    },
)
