"""Reads on platforms and accounts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from platforms.connectors.base import AccountConfig
from platforms.hosts import BaseUrlRefused, base_url_refusal
from platforms.models import THREAD_PREVIEW_KEEP, PlatformAccount, ThreadPreview


def account_config(account: PlatformAccount) -> AccountConfig:
    """Return the frozen view of an account that a connector works from (references unresolved).

    A base URL outside the platform's hosts (a row saved before the rule, or written around
    the admin) is refused here, before any browser opens it.
    """
    refusal = base_url_refusal(account.platform.slug, account.effective_base_url)
    if refusal is not None:
        raise BaseUrlRefused(f"account {account.pk}: {refusal}", account=account.pk)
    return AccountConfig(
        account_id=account.pk,
        platform=account.platform.slug,
        base_url=account.effective_base_url,
        username=account.username,
        credential_ref=account.credential_ref,
        login_method=account.login_method,
        mailbox_ref=account.mailbox_ref,
        time_zone=account.time_zone,
    )


def accounts_runnable(*, platform_slug: str) -> QuerySet[PlatformAccount]:
    """Return the accounts of a platform that may run now (platform and account switched on)."""
    return PlatformAccount.objects.filter(
        platform__slug=platform_slug, platform__is_active=True, is_active=True
    ).order_by("pk")


def accounts_not_runnable(*, platform_slug: str) -> QuerySet[PlatformAccount]:
    """Return the accounts of a platform that are switched off, directly or through the platform."""
    return PlatformAccount.objects.filter(platform__slug=platform_slug).exclude(
        platform__is_active=True, is_active=True
    )


def thread_previews(*, account_id: int) -> dict[str, str]:
    """Return the inbox-row signature last stored for each of an account's threads (thread ref -> signature).

    Only those recorded within :data:`~platforms.models.THREAD_PREVIEW_KEEP` (older ones are
    pruned, ``platforms.services.thread_previews_prune``; one not yet pruned is left out too).
    """
    cutoff = timezone.now() - THREAD_PREVIEW_KEEP
    return dict(
        ThreadPreview.objects.filter(account_id=account_id, seen_at__gte=cutoff).values_list("thread_ref", "signature")
    )
