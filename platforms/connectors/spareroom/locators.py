"""SpareRoom's locator map (US site, ``/roommate/``). Primary candidates are the ones seen on the live site."""

from __future__ import annotations

from platforms.connectors.locators import Group, LocatorMap, loc

LOCATORS = LocatorMap(
    platform="spareroom",
    urls={
        "login": "/roommate/logon.pl",
        "inbox": "/roommate/mythreads_beta.pl",
        "thread": "/roommate/mythreads_beta.pl?thread_id={thread_ref}",
    },
    elements={
        # Overlays, dismissed before acting (CSS only; see web/elements.py): the app modal, OneTrust's banner.
        "overlay.interstitial": loc(
            "#app-download-modal button.modal__close",
            "[role='dialog'][aria-modal='true'] button[aria-label='Close']",
            required=False,
        ),
        "overlay.consent": loc("#onetrust-accept-btn-handler", required=False),
        "login.username": loc("#loginemail", "input[name='email']"),
        "login.password": loc("#loginpass", "input[name='password']"),
        "login.remember": loc("#remember_me_checkbox", "input[name='remember_me']", required=False),
        "login.submit": loc("#sign-in-button", "#loginForm button[type='submit']"),
        "login.error_credentials": loc(
            ".alert--error:has-text('incorrect')", "text=/password you entered is incorrect/i"
        ),
        "session.marker": loc("a[href*='logout.pl']", "script:has-text('window.isLoggedIn = true')"),
        "inbox.empty": loc("p.no_messages", "text=/you have no messages/i"),
        "inbox.next": loc("div.pagination a.next", "a[href*='offset=']:has-text('Next')", required=False),
        "reply.body": loc("textarea[name='message']"),
        "reply.submit": loc("button[name='btnSubmit']", "form.reply-form button[type='submit']"),
        # Lists that load in parts (docs/platforms.md, "Page behaviour"); CSS only: they also run in the page.
        "thread.earlier": loc(
            "a.earlier-messages[href*='page=']",
            "ul.conversation [data-earlier]",
            "[data-earlier]",
            required=False,
        ),
        "thread.loading": loc("[aria-busy='true']", ".list-loading", required=False),
        "thread.load_error": loc(".load-earlier-error", required=False),
        "session.expired": loc(".show-user-auth-popup", "[role='alertdialog'].session-expired", required=False),
    },
    groups={
        "inbox.rows": Group(
            # The classic rows, then the redesigned message centre's list items (an A/B variant, not drift).
            item=loc(
                ".msg_row a.thread_item[data-thread-id]",
                "a.thread_item[data-thread-id]",
                "ul.thread-list li.thread-list__item[data-thread-id]",
            ),
            fields={
                "thread_ref": loc(":scope", attr="data-thread-id"),
                "message_ref": loc(":scope", attr="data-message-id", required=False),
                "sender": loc("span.name", ".thread-list__name", required=False),
                "date": loc("i.threadDate", "time.thread-list__date", required=False),
                "listing_title": loc("span.ad-title", ".thread-list__ad-title", required=False),
            },
        ),
        "thread.messages": Group(
            item=loc(
                "ul.conversation li.message[id^='msg_']",
                "li.message[id^='msg_']",
                "ol.message-thread__list li.message-bubble[id^='msg_']",
            ),
            fields={
                "id": loc(":scope", attr="id"),
                "classes": loc(":scope", attr="class"),
                "sender": loc(".message_in__name", ".message_out__name", ".message-bubble__name", required=False),
                # The renter's name links to their "room wanted" ad when they have one.
                "profile_href": loc(
                    ".message_in__name a[href*='flatshare_type=wanted']",
                    ".message_in__name a[href*='flatmate_detail.pl']",
                    ".message-bubble--received .message-bubble__name a[href*='flatmate_detail.pl']",
                    attr="href",
                    required=False,
                ),
                "body": loc("dd.message_body", ".message-bubble__body", text="inner"),
                "date": loc("dd.message_date", "time.message-bubble__date"),
            },
        ),
        "thread.context": Group(
            item=loc(":root"),
            fields={
                # "View ad" (the listing), not a renter's "room wanted" ad, which carries flatshare_id= too.
                "listing_href": loc(
                    ".ad-link a[href*='flatshare_id=']",
                    "a[href*='flatshare_detail.pl'][href*='flatshare_id=']",
                    attr="href",
                    required=False,
                ),
                "listing_title": loc(".ad-link span.ad-title", "span.ad-title", required=False),
            },
        ),
    },
    pages={
        "login": ("login.username", "login.password", "login.submit"),
        "inbox": ("session.marker", "inbox.rows"),
        "thread": ("thread.messages", "reply.body", "reply.submit"),
    },
    # Dates: platforms/connectors/dates.py (TABLES["spareroom"], New York time).
    facts={
        "listing_ref": r"flatshare_id=(\d+)",
        "renter_handle": r"flatmate_detail\.pl\?(?:[^#]*&)?flatshare_id=(\d+)",
    },
)
