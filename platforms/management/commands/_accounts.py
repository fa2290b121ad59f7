"""Find the account a platform command names: by id, or by ``platform/label``."""

from __future__ import annotations

from django.core.management.base import CommandError

from platforms.connectors.base import AccountConfig
from platforms.models import PlatformAccount
from platforms.selectors import account_config


def find_account(name: str) -> tuple[PlatformAccount, AccountConfig]:
    """Return the account and its connector config; a clear CommandError when there is none."""
    queryset = PlatformAccount.objects.select_related("platform")
    if name.isdigit():
        account = queryset.filter(pk=int(name)).first()
    elif "/" in name:
        slug, _, label = name.partition("/")
        account = queryset.filter(platform__slug=slug, label=label).first()
    else:
        raise CommandError("name the account by id or as platform/label")
    if account is None:
        raise CommandError(f"no platform account {name!r}")
    return account, account_config(account)
