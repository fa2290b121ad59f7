"""Leasebreak's locator map: Devise's form names, a conversations table, ``time[datetime]`` stamps."""

from __future__ import annotations

from platforms.connectors.locators import Group, LocatorMap, loc

LOCATORS = LocatorMap(
    platform="leasebreak",
    urls={"login": "/users/sign_in", "inbox": "/messages", "thread": "/messages/{thread_ref}"},
    elements={
        "login.username": loc("#user_email", "input[name='user[email]']"),
        "login.password": loc("#user_password", "input[name='user[password]']"),
        "login.remember": loc("#user_remember_me", required=False),
        "login.submit": loc("#new_user input[type='submit']", "input[type='submit'][value='Log in']"),
        "login.error_credentials": loc(
            ".alert-danger:has-text('Invalid Email or password')", "text=/invalid email or password/i"
        ),
        "session.marker": loc("a[href$='/users/sign_out']", "a[data-method='delete']:has-text('Sign out')"),
        # Overlays, dismissed before acting (CSS only): the Bootstrap modal, then Cookiebot's dialog.
        "overlay.interstitial": loc(
            ".modal.show button.close[data-dismiss='modal']",
            "[role='dialog'][aria-modal='true'] button[aria-label='Close']",
            required=False,
        ),
        "overlay.consent": loc("#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll", required=False),
        "inbox.empty": loc("p.no-conversations", "text=/you have no messages/i"),
        "inbox.next": loc("nav.pagination span.next a", "a[rel='next']", required=False),
        "reply.body": loc("#message_body", "textarea[name='message[body]']"),
        "reply.submit": loc("#new_message input[type='submit']", "input[type='submit'][value='Send Message']"),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        # The classic list's control, then the redesign's (a layout variant, not drift).
        "thread.earlier": loc(
            "div.messages button.load-earlier",
            "ul.message-list button.load-earlier",
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
            # The classic table rows, or the redesign's list-group links (a variant, not drift).
            item=loc(
                "table.conversations tr.conversation[data-conversation-id]",
                "tr[data-conversation-id]",
                ".list-group a.list-group-item[id^='conversation_']",
            ),
            fields={
                # The id: a data attribute (classic) or Rails' dom_id "conversation_12" (redesign).
                "thread_ref": loc(":scope", attr="data-conversation-id", required=False),
                "dom_id": loc(":scope", attr="id", required=False),
                "sender": loc("td.sender", ".conversation-sender", required=False),
                "updated": loc("td.updated time", "time", attr="datetime", required=False),
                "updated_text": loc("td.updated time", "td.updated", "time", required=False),
            },
        ),
        "thread.messages": Group(
            item=loc(
                "div.messages div.message[data-message-id]",
                "div.message[data-message-id]",
                "ul.message-list li.message-item[id^='message_']",
            ),
            fields={
                "id": loc(":scope", attr="data-message-id", required=False),
                "dom_id": loc(":scope", attr="id", required=False),
                "classes": loc(":scope", attr="class"),
                "sender": loc(".message-author", ".message-sender-name", required=False),
                "body": loc(".message-body", ".message-text", text="inner"),
                # The ISO datetime when the element carries one, else its text; neither is drift.
                "time": loc("time", attr="datetime", required=False),
                "time_text": loc("time", required=False),
            },
        ),
        "thread.context": Group(
            item=loc(":root"),
            fields={
                "listing_href": loc(
                    "a.listing-link", "a[href*='/short-term-rental-details/']", attr="href", required=False
                ),
                "listing_title": loc("a.listing-link", required=False),
            },
        ),
    },
    pages={
        "login": ("login.username", "login.password", "login.submit"),
        "inbox": ("session.marker", "inbox.rows"),
        "thread": ("thread.messages", "reply.body", "reply.submit"),
    },
    # Dates: platforms/connectors/dates.py (TABLES["leasebreak"]). No renter profile is shown.
    facts={
        "listing_ref": r"/short-term-rental-details/(\d+)",
        "conversation_dom_id": r"conversation_(\d+)",
        "message_dom_id": r"message_(\d+)",
    },
)
