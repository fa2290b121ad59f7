"""The lead panel in real Chromium, as agents use it: qualification, follow-ups with pause, showings.

Each button is clicked as a person would and the page is read back; the database and the showing's
life after it (the application link, new times after a no-show) are checked behind the page. Two
agents at once: a stale page's action is refused with words, reloads, and nothing wrong happens.
``make screenshots`` keeps conversation-lead.png and conversation-lead-phone.png in docs/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from inbox.choices import Language, ShowingStatus
from inbox.models import Conversation, OutboundMessage, ReplyTemplate, Showing, Unit
from inbox.services import showings_due
from leasebot.core.models import AuditLog
from platforms.roles import account_grant
from tests.e2e.test_phone_layout import PHONE, _fits
from tests.inbox.factories import (
    AgentProfileFactory,
    AssignmentFactory,
    ConversationFactory,
    MessageFactory,
    RuleFactory,
    ShowingFactory,
    UnitFactory,
)
from tests.platforms.factories import PlatformAccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LA = "America/Los_Angeles"
ZONED = re.compile(r"P[SD]T \(.+ E[SD]T for you\)")


def _team() -> tuple[Any, Unit, Any, Any]:
    """An LA account and unit, free all day every day, shown by Bob; Carol works the same account."""
    account = PlatformAccountFactory(label="la", time_zone=LA)
    bob = UserFactory(username="bob-agent", role="agent")
    carol = UserFactory(username="carol-agent", role="agent")
    for agent in (bob, carol):
        account_grant(user=agent, account=account)
    AgentProfileFactory(user=bob, timezone="America/New_York")
    unit = UnitFactory(name="Studio 2", listing__title="Sunset court", timezone=LA)
    AssignmentFactory(unit=unit, agent=bob, is_primary=True)
    for weekday in range(7):
        RuleFactory(unit=unit, weekday=weekday, start_time=dt.time(0), end_time=dt.time(23, 45))
        RuleFactory(agent=bob, weekday=weekday, start_time=dt.time(0), end_time=dt.time(23, 45))
    return account, unit, bob, carol


def _conversation(account: Any, unit: Unit, name: str, **kwargs: Any) -> Conversation:
    conv = ConversationFactory(account=account, unit=unit, listing=unit.listing, renter_name=name, **kwargs)
    MessageFactory(conversation=conv, sender_name=name, body="Is the studio free in March?")
    return conv


def _started_showing(conv: Conversation, agent: Any, hours_ago: int = 1) -> Showing:
    starts = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=hours_ago)
    return ShowingFactory(
        unit=conv.unit,
        agent=agent,
        conversation=conv,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
        source={"label": "earlier today"},
    )


def _open(pages: Any, page: Page, conv: Conversation) -> None:
    page.goto(pages.base_url + f"/review/conversations/{conv.pk}/")
    expect(page.locator("#c-followups-toggle")).to_be_visible()


def _pick_time(page: Page, index: int) -> str:
    """Choose the index-th free time in the list (1: the first); return its text."""
    options = page.locator("#c-slot-pick option")
    expect(options.nth(index)).to_be_attached()
    page.select_option("#c-slot-pick", index=index)
    return options.nth(index).inner_text()


def _toast(page: Page, text: str) -> None:
    expect(page.locator(".toast").filter(has_text=text).first).to_be_visible()


def test_agent_edits_qualification_pauses_follow_ups_and_books_moves_cancels_a_showing(
    pages: Any, shot: Callable[..., None]
) -> None:
    # given: Ida told her budget and pets; a follow-up is due tomorrow
    account, unit, _bob, _carol = _team()
    conv = _conversation(
        account,
        unit,
        "Ida",
        lead_profile={"budget": 1800, "pets": "a dog", "work": "nurse", "qualification_asked": ["pets"]},
        next_follow_up_at=timezone.now() + dt.timedelta(days=1),
    )
    page = pages.login("bob-agent")
    _open(pages, page, conv)

    # then: the panel shows the answers in the form, the other facts, and the follow-up with its zone
    expect(page.locator("#q-budget")).to_have_value("1800")
    expect(page.locator("#q-pets")).to_have_value("a dog")
    expect(page.locator("#q-occupants")).to_have_value("")
    expect(page.locator("#c-lead-facts")).to_contain_text("Worknurse")
    expect(page.locator("#c-lead-facts")).not_to_contain_text("qualification")
    expect(page.locator("#c-followups")).to_contain_text(re.compile(r"Next follow-up: .+" + ZONED.pattern))

    # when: Bob corrects the budget, adds the move-in date and occupants, clears the pets, and saves
    page.fill("#q-budget", "2100")
    page.fill("#q-move_in_date", "2027-03-01")
    page.fill("#q-occupants", "2")
    page.fill("#q-pets", "")
    page.click("#q-save")

    # then: it says so, naming Ida; the profile and the audit have it
    _toast(page, "Qualification of Ida saved (move-in, budget, occupants, pets)")
    expect(page.locator("#c-history")).to_contain_text("qualify by bob-agent")
    conv.refresh_from_db()
    assert conv.lead_profile["budget"] == 2100
    assert conv.lead_profile["move_in_date"] == "2027-03-01"
    assert conv.lead_profile["occupants"] == 2
    assert "pets" not in conv.lead_profile
    page.click("#q-save")
    _toast(page, "Nothing to save for Ida")

    # when: Bob pauses the follow-ups
    page.click("#c-followups-toggle")
    _toast(page, "Follow-ups paused for Ida")
    expect(page.locator("#c-followups")).to_contain_text("Paused by bob-agent since")
    expect(page.locator("#c-followups")).to_contain_text(re.compile(r"Next follow-up when resumed: .+P[SD]T"))
    assert Conversation.objects.get(pk=conv.pk).follow_ups_paused_at is not None
    expect(page.locator("#c-followups-toggle")).to_have_text("Resume follow-ups")

    # when: Bob books the first free time
    expect(page.locator("#c-showings")).to_contain_text("None booked.")
    _pick_time(page, 1)
    page.click("#c-book")
    _toast(page, "Booked a showing for Ida")
    booked = page.locator("#c-showings li[data-status='booked']")
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text(ZONED)
    expect(booked).to_contain_text("with bob-agent · Booked")
    expect(page.locator("#c-book")).to_be_hidden()
    first = Showing.objects.get(conversation=conv, status=ShowingStatus.BOOKED)
    # For the pictures: the toasts (checked above) would cover the panel; the sticky bar stays on top.
    page.evaluate("document.getElementById('toasts').replaceChildren(); window.scrollTo(0, 0)")
    shot(page, "conversation-lead")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    _fits(page)
    page.evaluate("document.getElementById('c-lead').scrollIntoView()")
    shot(page, "conversation-lead-phone", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when: Bob moves it to the third free time
    _pick_time(page, 3)
    booked.locator(".s-reschedule").click()
    _toast(page, "Rescheduled Ida's showing to")
    expect(page.locator("#c-showings li[data-status='cancelled']")).to_contain_text("Cancelled (rescheduled)")
    moved = Showing.objects.get(conversation=conv, status=ShowingStatus.BOOKED)
    assert moved.pk != first.pk

    # when: Bob cancels it, saying why
    page.locator("#c-showings li[data-status='booked'] .s-cancel").click()
    expect(page.locator("#modal")).to_be_visible()
    page.fill("#modal-reason", "Ida found another place")
    page.click("#modal-ok")

    # then: nothing is booked any more, and Book is back
    _toast(page, "Cancelled Ida's showing on")
    expect(page.locator("#c-showings li[data-status='booked']")).to_have_count(0)
    expect(page.locator("#c-showings")).to_contain_text("Cancelled (Ida found another place)")
    expect(page.locator("#c-book")).to_be_visible()
    moved.refresh_from_db()
    assert (moved.status, moved.cancel_reason) == (ShowingStatus.CANCELLED, "Ida found another place")

    # when: Bob resumes the follow-ups
    page.click("#c-followups-toggle")
    _toast(page, "Follow-ups resumed for Ida")
    expect(page.locator("#c-followups")).to_contain_text("Next follow-up:")
    assert Conversation.objects.get(pk=conv.pk).follow_ups_paused_at is None
    assert pages.errors == []


def test_mark_completed_sends_the_application_and_no_show_offers_new_times(pages: Any, settings: Any) -> None:
    settings.LEASEBOT_QUIET_HOURS = ""  # The sweep below runs whatever the hour in Los Angeles.
    account, unit, bob, _carol = _team()
    ida = _conversation(account, unit, "Ida")
    jo = _conversation(account, unit, "Jo")
    toured = _started_showing(ida, bob, hours_ago=1)
    missed = _started_showing(jo, bob, hours_ago=3)
    page = pages.login("bob-agent")

    # when: Bob marks Ida's showing completed
    _open(pages, page, ida)
    row = page.locator(f"#c-showings li[data-showing='{toured.pk}']")
    expect(row.locator(".s-cancel")).to_be_visible()
    row.locator(".s-completed").click()

    # then: the page says what follows; the sweep sends the application link
    _toast(page, "Marked Ida's showing completed: the application link follows")
    expect(row).to_contain_text(re.compile(r"Completed · marked .+ E[SD]T by agent"))
    expect(row.locator(".s-completed")).to_have_count(0)

    # when: Bob marks Jo a no-show
    _open(pages, page, jo)
    page.locator(f"#c-showings li[data-showing='{missed.pk}'] .s-no-show").click()
    _toast(page, "Marked Jo a no-show: new times follow")
    expect(page.locator(f"#c-showings li[data-showing='{missed.pk}']")).to_contain_text("No-show")

    # then: the showing's life goes on: the application link to Ida, new times to Jo
    assert showings_due() == 2
    assert OutboundMessage.objects.filter(conversation=ida, dispatch_key=f"showing_application_sent:{toured.pk}")
    again = OutboundMessage.objects.get(conversation=jo, dispatch_key=f"showing_no_show_follow_up:{missed.pk}")
    assert "1." in again.body or "1)" in again.body  # New times are listed.
    assert AuditLog.objects.filter(action="showing.outcome", actor_label="bob-agent").count() == 2
    assert pages.errors == []


def test_two_agents_at_once_the_stale_page_is_refused_with_words_and_reloads(pages: Any, settings: Any) -> None:
    settings.LEASEBOT_QUIET_HOURS = ""  # The sweep below would send at any hour: it must find nothing.
    # given: Bob and Carol both have Ida's conversation open, with a showing that has started
    account, unit, bob, _carol = _team()
    ida = _conversation(account, unit, "Ida", lead_profile={"budget": 1800})
    showing = _started_showing(ida, bob)
    jo = _conversation(account, unit, "Jo")
    bob_page = pages.login("bob-agent")
    carol_page = pages.login("carol-agent")
    _open(pages, bob_page, ida)
    _open(pages, carol_page, ida)
    expect(carol_page.locator(f"#c-showings li[data-showing='{showing.pk}'] .s-completed")).to_be_visible()

    # when: Bob cancels the showing, then Carol (page not reloaded) marks it completed
    bob_page.locator(f"#c-showings li[data-showing='{showing.pk}'] .s-cancel").click()
    bob_page.fill("#modal-reason", "agent ill")
    bob_page.click("#modal-ok")
    _toast(bob_page, "Cancelled Ida's showing")
    carol_page.locator(f"#c-showings li[data-showing='{showing.pk}'] .s-completed").click()

    # then: Carol reads why, her page now shows it cancelled without buttons; nothing was marked or sent
    notice = carol_page.locator("#c-notice")
    expect(notice).to_contain_text("Not marked completed (Ida): someone else acted first")
    expect(notice).to_contain_text("it is cancelled (agent ill), so it cannot be marked completed")
    row = carol_page.locator(f"#c-showings li[data-showing='{showing.pk}']")
    expect(row).to_contain_text("Cancelled (agent ill)")
    expect(row.locator("button")).to_have_count(0)
    showing.refresh_from_db()
    assert showing.status == ShowingStatus.CANCELLED
    assert showings_due() == 0
    assert not OutboundMessage.objects.filter(conversation=ida).exists()

    # when: both edit the budget; Bob saves first
    bob_page.fill("#q-budget", "2000")
    carol_page.fill("#q-budget", "2500")
    bob_page.click("#q-save")
    _toast(bob_page, "Qualification of Ida saved (budget)")
    carol_page.click("#q-save")

    # then: Carol's edit is refused, naming the value now stored, which her form shows again
    expect(notice).to_contain_text("the budget changed since the page was loaded: it is now 2000")
    expect(carol_page.locator("#q-budget")).to_have_value("2000")
    assert Conversation.objects.get(pk=ida.pk).lead_profile["budget"] == 2000

    # when: Carol's list of free times is older than Bob's booking of one of them for Jo
    _open(pages, carol_page, ida)
    picked = _pick_time(carol_page, 1)
    _open(pages, bob_page, jo)
    _pick_time(bob_page, 1)
    bob_page.click("#c-book")
    _toast(bob_page, "Booked a showing for Jo")
    carol_page.click("#c-book")

    # then: Carol is told the time was taken; Ida has no showing, Jo has the one
    expect(notice).to_contain_text("Not booked (Ida)")
    expect(notice).to_contain_text("no longer available")
    expect(carol_page.locator("#c-slot-pick")).not_to_contain_text(picked)
    assert not Showing.objects.filter(conversation=ida, status=ShowingStatus.BOOKED).exists()
    assert Showing.objects.filter(conversation=jo, status=ShowingStatus.BOOKED).count() == 1
    assert pages.errors == []


def test_a_booking_fills_the_reply_box_the_agent_sends_it_once_and_typed_text_is_never_overwritten(
    pages: Any,
) -> None:
    # given: Ida asked about the studio; Bob's reply box is empty
    account, unit, _bob, _carol = _team()
    conv = _conversation(account, unit, "Ida Lopez")
    page = pages.login("bob-agent")
    _open(pages, page, conv)
    expect(page.locator("#reply-text")).to_have_value("")

    # when: Bob books the first free time
    _pick_time(page, 1)
    page.click("#c-book")
    _toast(page, "Booked a showing for Ida")

    # then: the bot's own confirmation, with the time in the unit's zone, waits in the reply box; nothing is sent
    first = Showing.objects.get(conversation=conv, status=ShowingStatus.BOOKED)
    label = first.source["label"]
    assert label.endswith(("AM", "PM"))
    expected = f"You're booked for a showing on {label}. The address is {unit.address}. See you then!"
    expect(page.locator("#reply-text")).to_have_value(expected)
    expect(page.locator("#reply-suggest")).to_contain_text("is in your reply box: read it, then press Send reply")
    expect(page.locator("#reply-flags")).to_contain_text("Guardrails: clear")
    assert not OutboundMessage.objects.filter(conversation=conv).exists()

    # when: Bob presses Send reply
    page.click("#reply-send")

    # then: the reply is queued once, for Ida, through the outbox; the box and the notice are cleared
    _toast(page, "Reply to Ida Lopez queued")
    expect(page.locator("#reply-text")).to_have_value("")
    expect(page.locator("#reply-suggest")).to_be_hidden()
    expect(page.locator("#c-outbound")).to_contain_text("You're booked for a showing on")
    sent = list(OutboundMessage.objects.filter(conversation=conv))
    assert [(o.body, o.status, o.created_by.username if o.created_by else None) for o in sent] == [
        (expected, "queued", "bob-agent")
    ]

    # when: Bob has started a reply of his own, then moves the showing to the third free time
    page.fill("#reply-text", "Ida, one more thing:")
    _pick_time(page, 3)
    page.locator("#c-showings li[data-status='booked'] .s-reschedule").click()
    _toast(page, "Rescheduled Ida Lopez's showing to")

    # then: his text stays as he typed it; the notice offers the message about the new time
    moved = Showing.objects.get(conversation=conv, status=ShowingStatus.BOOKED)
    moved_text = (
        f"Hi Ida, your showing of {unit.listing.title} has moved to {moved.source['label']}. The address is"
        f" {unit.address}. If that time doesn't work for you, just reply here."
    )
    expect(page.locator("#reply-text")).to_have_value("Ida, one more thing:")
    expect(page.locator("#reply-suggest")).to_contain_text("Your reply box already has text, so it was left as it is")
    expect(page.locator("#reply-suggest-body")).to_have_text(moved_text)

    # when: Bob presses Insert
    page.click("#reply-suggest-insert")

    # then: the message follows his text; still nothing more is sent until he presses Send
    expect(page.locator("#reply-text")).to_have_value("Ida, one more thing:\n\n" + moved_text)
    expect(page.locator("#reply-suggest")).to_be_hidden()
    assert OutboundMessage.objects.filter(conversation=conv).count() == 1
    assert pages.errors == []


def test_a_spanish_renter_gets_the_spanish_text_and_a_missing_template_is_said(pages: Any) -> None:
    # given: Ana writes in Spanish; the Spanish text for an agent's cancellation was switched off
    account, unit, _bob, _carol = _team()
    conv = _conversation(account, unit, "Ana", language=Language.ES)
    ReplyTemplate.objects.filter(key="showing_cancelled_by_agent", language=Language.ES).update(is_active=False)
    page = pages.login("bob-agent")
    _open(pages, page, conv)

    # when: Bob books a time
    _pick_time(page, 1)
    page.click("#c-book")
    _toast(page, "Booked a showing for Ana")

    # then: the reply box holds the Spanish confirmation, with the unit's local time in Spanish words
    expect(page.locator("#reply-text")).to_have_value(
        re.compile(r"^Tu visita quedó reservada para el \w+ \d+ de \w+, \d\d:\d\d\. ")
    )
    page.fill("#reply-text", "")

    # when: Bob cancels it
    page.locator("#c-showings li[data-status='booked'] .s-cancel").click()
    expect(page.locator("#modal")).to_contain_text("A message telling the renter is then suggested in your reply box")
    page.click("#modal-ok")
    _toast(page, "Cancelled Ana's showing on")

    # then: nothing is suggested, and the notice says why; never an English text for a Spanish renter
    expect(page.locator("#reply-suggest")).to_contain_text(
        "No “Showing: cancelled by an agent” template in Spanish: no message is suggested; write to the renter yourself."
    )
    expect(page.locator("#reply-suggest-insert")).to_be_hidden()
    expect(page.locator("#reply-text")).to_have_value("")
    assert not OutboundMessage.objects.filter(conversation=conv).exists()
    assert pages.errors == []
