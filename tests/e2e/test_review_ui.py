"""The review UI as people use it, in real Chromium against a live server and the sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from inbox.models import OutboundMessage
from inbox.services import outbound_create
from leasebot.core.models import AuditLog
from platforms.models import BotSettings
from platforms.policies import resolve_send_mode
from platforms.roles import account_grant
from platforms.services import settings_update
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory
from tests.support import settle_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _agent(name: str = "bob-agent") -> Any:
    return UserFactory(username=name, role="agent")


def test_agent_edits_and_approves_draft_and_it_is_sent_once(
    pages: Any,
    shot: Callable[[Page, str], None],
    fresh_sandbox: Any,
    sandbox_client: Any,
    sandbox_login: Any,
    no_pacing: Any,
    worker_job: Any,
) -> None:
    # given: a sandbox account with a renter's message, mirrored in lease-bot with a bot draft
    client = sandbox_client  # On the emptied sandbox (fresh_sandbox): the account's name is fixed.
    account = sandbox_login("spareroom", username="leasing@example.test").account_row(label="brooklyn")
    agent = _agent()
    account_grant(user=agent, account=account)
    seeded = client.seed_message(
        "spareroom",
        "leasing@example.test",
        renter_name="Jamie Renter",
        body="Hi! Is the room still free?",
        listing_ref="5001",
        listing_title="Sunny room",
    )
    conversation = ConversationFactory(account=account, thread_ref=str(seeded["thread_id"]), renter_name="Jamie Renter")
    MessageFactory(
        conversation=conversation, platform_message_ref=str(seeded["message_id"]), body="Hi! Is the room still free?"
    )
    draft = OutboundFactory(
        conversation=conversation,
        status="pending_review",
        hold_reasons=[{"code": "low_confidence", "category": "", "detail": ""}],
        body="Hello, yes.",
    )

    # when: the agent opens the queue, then the conversation, edits and approves the draft
    page = pages.login("bob-agent")
    expect(page.locator(".q-item")).to_have_count(1)
    expect(page.locator("#needs-badge")).to_have_text("1")
    shot(page, "queue")
    page.clock.install()  # The approval's undo window passes when the test says so.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/review/conversations/{conversation.pk}/$"))
    editor = page.locator("#draft-text")
    expect(editor).to_have_value("Hello, yes.")
    final_text = "Hi Jamie, yes the room is still free. Would Tuesday at 6pm suit you for a viewing?"
    editor.fill(final_text)
    expect(page.locator("#draft-flags")).to_have_text("Guardrails: clear")
    shot(page, "conversation-draft")
    page.click("#draft-approve")
    expect(page.locator(".toast.undo")).to_contain_text("Approving the reply to Jamie Renter in 5 s")
    draft.refresh_from_db()
    assert draft.status == "pending_review"  # Nothing is sent while the agent may still undo.
    page.clock.fast_forward(5_000)

    # then: queued (never "sent" before the platform's receipt)
    row = page.locator(f".ob[data-id='{draft.pk}'] .status")
    expect(row).to_have_attribute("data-status", "queued")
    expect(row).not_to_contain_text("Sent")
    draft.refresh_from_db()
    assert (draft.status, draft.body, draft.approved_by_id) == ("queued", final_text, agent.pk)

    # when: the send job runs for the account against the sandbox, twice
    summary = worker_job("send", account.pk)
    again = worker_job("send", account.pk)

    # then: the reply is on the platform exactly once, and the UI shows sent with its id
    assert (summary.sent, again.sent) == (1, 0)
    sent = [s for s in client.sent("spareroom", "leasing@example.test") if final_text in str(s)]
    assert len(sent) == 1
    thread = next(t for t in client.threads("spareroom", "leasing@example.test") if t["id"] == seeded["thread_id"])
    assert [m["body"] for m in thread["messages"]].count(final_text) == 1
    draft.refresh_from_db()
    assert draft.status == "sent"
    assert draft.platform_message_ref
    expect(row).to_have_attribute("data-status", "sent", timeout=15_000)
    expect(row.locator(".msg-ref")).to_have_text(draft.platform_message_ref)
    shot(page, "conversation-sent")
    assert pages.errors == []


def test_admin_switches_account_off_in_settings_and_ingest_stops(pages: Any, shot: Callable[[Page, str], None]) -> None:
    from dispatch.services import ingest_account_run

    # given
    admin = UserFactory(username="alice-admin", role="admin")
    account = PlatformAccountFactory(label="queens")
    page = pages.login("alice-admin")
    page.goto(pages.base_url + "/review/settings/")
    toggle = page.locator(f"input[data-account='{account.pk}'][data-field='is_active']")
    expect(toggle).to_be_checked()
    shot(page, "settings")

    # when: the admin switches it off and confirms with a reason
    toggle.uncheck()
    expect(page.locator("#modal")).to_be_visible()
    page.fill("#modal-reason", "renter complaints")
    page.click("#modal-ok")
    expect(page.locator(".toast").first).to_contain_text("saved and audited")

    # then: inactive, audited with the admin and the reason, and its ingest does nothing
    account.refresh_from_db()
    assert account.is_active is False
    audit = AuditLog.objects.get(action="account.toggle", object_id=str(account.pk))
    assert (audit.actor_id, audit.reason, audit.after) == (admin.pk, "renter complaints", {"is_active": False})
    assert ingest_account_run(account_id=account.pk).skipped == "inactive"
    page.goto(pages.base_url + "/review/health/")
    expect(page.locator(f"tr[data-account='{account.pk}']")).to_contain_text("off")
    shot(page, "health")


def test_admin_moves_account_to_draft_only_and_next_reply_stays_draft(pages: Any) -> None:
    # given: the bot would auto-send on this account
    UserFactory(username="alice-admin", role="admin")
    account = PlatformAccountFactory(label="harlem")
    settings_update(actor=None, default_send_mode="auto_send", rollout_stage="full")
    assert resolve_send_mode(account).auto_send
    conversation = ConversationFactory(account=account)
    inbound = MessageFactory(conversation=conversation, body="Is parking included?")

    # when: the admin picks draft_only for the account and confirms
    page = pages.login("alice-admin")
    page.goto(pages.base_url + "/review/settings/")
    page.select_option(f"select[data-account='{account.pk}'][data-field='send_mode']", "draft_only")
    page.click("#modal-ok")
    expect(page.locator(".toast").first).to_contain_text("saved and audited")

    # then: the next bot reply is a draft
    account.refresh_from_db()
    assert account.send_mode == "draft_only"
    assert BotSettings.load().default_send_mode == "auto_send"
    row = outbound_create(
        conversation=conversation,
        body="Yes, one parking spot is included.",
        purpose="reply",
        dispatch_key=f"e2e:{inbound.pk}:reply",
        in_reply_to=inbound,
    )
    assert row.status == "draft"
    assert AuditLog.objects.filter(action="account.send_mode", object_id=str(account.pk)).exists()


def test_agent_cannot_reach_settings_or_another_agents_account(pages: Any) -> None:
    # given: two agents, each granted their own account
    mine, theirs = PlatformAccountFactory(label="mine"), PlatformAccountFactory(label="theirs")
    me, other = _agent("bob-agent"), _agent("carol-agent")
    account_grant(user=me, account=mine)
    account_grant(user=other, account=theirs)
    foreign = ConversationFactory(account=theirs, renter_name="Not Yours")
    MessageFactory(conversation=foreign)
    draft = OutboundFactory(conversation=foreign)
    page = pages.login("bob-agent")

    # then: no settings link, the settings page is forbidden, the other account does not exist
    expect(page.locator("nav >> text=Settings")).to_have_count(0)
    assert page.goto(pages.base_url + "/review/settings/").status == 403
    assert page.goto(pages.base_url + f"/review/conversations/{foreign.pk}/").status == 404
    page.goto(pages.base_url + "/review/")
    statuses = page.evaluate(
        """async ([conv, draft]) => {
            const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const get = (u) => fetch(u).then(r => r.status);
            const post = (u) => fetch(u, {method: 'POST', headers: {'X-CSRFToken': csrf, 'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status);
            return [await get(`/api/v1/conversations/${conv}/`), await post(`/api/v1/outbound/${draft}/approve/`),
                    await fetch('/api/v1/settings/', {method: 'PATCH', headers: {'X-CSRFToken': csrf, 'Content-Type': 'application/json'}, body: '{"rollout_stage":"full"}'}).then(r => r.status)];
        }""",
        [foreign.pk, draft.pk],
    )
    assert statuses == [404, 404, 403]
    assert page.locator("text=Not Yours").count() == 0
    assert OutboundMessage.objects.get(pk=draft.pk).status == "draft"


def test_renter_html_and_script_show_as_text(pages: Any, shot: Callable[[Page, str], None]) -> None:
    # given: a renter message carrying a script and an image with onerror, escalated to a human
    account = PlatformAccountFactory(label="xss")
    agent = _agent()
    account_grant(user=agent, account=account)
    evil = "<script>alert('xss-script')</script> hello <img src=x onerror=\"alert('xss-img')\">"
    conversation = ConversationFactory(
        account=account,
        renter_name="<b>Mallory</b>",
        human_required=True,
        human_reasons=[{"code": "high_risk", "category": "", "detail": "risky"}],
    )
    MessageFactory(conversation=conversation, body=evil)

    # when: the agent opens the queue and the conversation (on a tablet-sized screen)
    page = pages.login("bob-agent", viewport=(820, 1180))
    expect(page.locator(".q-item .preview")).to_have_text(evil)
    page.goto(pages.base_url + f"/review/conversations/{conversation.pk}/")
    body = page.locator("#c-thread .msg-body")

    # then: the literal text is visible, nothing ran, no element was made from it
    expect(body).to_have_text(evil)
    expect(page.locator("#c-title")).to_have_text("<b>Mallory</b>")
    assert page.locator("#c-thread img, #c-thread script, .queue img").count() == 0
    settle_page(page)  # Every onerror/onload handler of an image or frame has had its chance to run.
    assert pages.dialogs == []
    assert pages.errors == []
    shot(page, "conversation-escaped-tablet")
