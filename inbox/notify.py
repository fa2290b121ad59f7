"""Tell agents when something needs them: a webhook and/or an e-mail, besides the in-app count.

One notice per conversation per quiet period, so a chatty renter does not page the team
for every message. Notices carry ids and reason codes, never the renter's text.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

import redis
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from inbox.models import Conversation
from leasebot.core.redis import client as redis_client

logger = logging.getLogger("inbox.notify")

QUIET_PERIOD_S = 900


def notify_human_needed(*, conversation_id: int, reason: str) -> None:
    """Queue a notice for after commit (a rolled-back escalation notifies no one)."""
    transaction.on_commit(lambda: _send(conversation_id, reason))


def _send(conversation_id: int, reason: str) -> bool:
    webhook = settings.LEASEBOT_AGENT_WEBHOOK_URL
    email_on = settings.LEASEBOT_AGENT_EMAIL_NOTIFICATIONS
    if not webhook and not email_on:
        return False
    try:
        fresh = redis_client().set(f"leasebot:notify:conversation:{conversation_id}", "1", nx=True, ex=QUIET_PERIOD_S)
    except redis.RedisError:
        fresh = True
    if not fresh:
        return False

    conversation = (
        Conversation.objects.select_related("account__platform", "assigned_agent").filter(pk=conversation_id).first()
    )
    if conversation is None:
        return False
    link = f"{settings.LEASEBOT_PUBLIC_URL.rstrip('/')}/review/conversations/{conversation_id}/"
    text = f"A conversation on {conversation.account.platform.name} needs a person ({reason}): {link}"
    if webhook:
        payload = json.dumps(
            {"kind": "human_needed", "conversation": conversation_id, "reason": reason, "url": link}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's own setting.
            webhook, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=3):  # noqa: S310 - as above.
                pass
        except (urllib.error.URLError, OSError) as exc:
            logger.warning("agent webhook failed: %s", type(exc).__name__)
    if email_on:
        agent = conversation.assigned_agent
        recipients = (
            [agent.email] if agent is not None and agent.email else list(settings.LEASEBOT_AGENT_EMAIL_FALLBACK)
        )
        if recipients:
            send_mail("lease-bot: a renter needs you", text, None, recipients, fail_silently=True)
    return True
