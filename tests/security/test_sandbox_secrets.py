"""Issue 18: the sandbox's control API hands a mailbox password only to whoever created the account.

Before: ``GET /__control__/accounts?platform=furnishedfinder&username=...`` answered the
mailbox URL with its password to anyone who knew a user name.
"""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any


def test_account_lookup_never_returns_the_mailbox_password(sandbox_client: Any) -> None:
    username = f"secret-lookup-{secrets.token_hex(4)}@example.com"
    password = f"pw-{secrets.token_hex(8)}"
    created = sandbox_client.create_account("furnishedfinder", username, password)
    # The creator gets the mailbox login it needs ...
    assert created["mailbox_url"].startswith("imap://")
    # ... a later lookup by name gets no secret at all.
    looked_up = sandbox_client.account("furnishedfinder", username)
    assert looked_up["username"] == username
    assert "mailbox_url" not in looked_up
    assert password not in repr(looked_up)
    mailbox_password = urllib.parse.urlsplit(created["mailbox_url"]).password
    assert mailbox_password
    assert mailbox_password not in repr(looked_up)
