"""Issue 18: debug pages never show a credential, and only a browser on this machine sees one.

Before: with ``DEBUG`` on, a login body over 2.5 MB (``RequestDataTooBig``) gave Django's debug
page to any client, and under runserver ``request.META`` holds the whole environment: the
Furnished Finder mailbox URL with its password was readable, because Django hides settings
and variables by name only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client
from django.views.debug import get_default_exception_reporter_filter
from hypothesis import given, settings
from hypothesis import strategies as st

from leasebot.core.debug import CredentialSafeExceptionReporterFilter, is_credential_value
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

PASSWORD = "mailbox-pw-7f3a9c"  # A made-up value the test looks for.
MAILBOX_URL = f"imap://ff-demo:{PASSWORD}@127.0.0.1:8143/INBOX"
ENVIRONMENT = {
    # As runserver puts the process environment into every request's META.
    "SANDBOX_FURNISHEDFINDER_MAILBOX": MAILBOX_URL,
    "CELERY_BROKER_URL": f"redis://:{PASSWORD}@127.0.0.1:6379/0",
    "LEASEBOT_LLM_REF": "env:OPENAI_WHATEVER",
    "SECRET_FILE_HINT": "file:/run/secrets/spareroom",
    "BACKUP_TARGET": f"see sftp://backup:{PASSWORD}@10.0.0.9/ for details",
}


def _oversized_login(client: Client) -> Any:
    body = "username=admin&password=x&pad=" + "a" * (2_700_000)
    return client.generic(
        "POST",
        "/accounts/login/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html",
        **ENVIRONMENT,
    )


def test_the_filter_is_the_one_django_uses() -> None:
    assert isinstance(get_default_exception_reporter_filter(), CredentialSafeExceptionReporterFilter)


def test_debug_page_to_a_local_browser_hides_every_credential(settings: Any) -> None:
    # given: DEBUG on (as make run keeps it), a setting holding a credential URL and a reference
    settings.DEBUG = True
    settings.LEASEBOT_TEST_MAILBOX_URL = MAILBOX_URL
    settings.LEASEBOT_TEST_PLAIN_REF = "file:/run/secrets/leasebot"
    client = Client(REMOTE_ADDR="127.0.0.1")
    # when: an anonymous visitor makes the login form fail
    response = _oversized_login(client)
    # then: the debug page is there, with none of the secrets, references or their hosts' passwords
    page = response.content.decode()
    assert response.status_code == 400
    assert "RequestDataTooBig" in page
    assert PASSWORD not in page
    assert "env:OPENAI_WHATEVER" not in page
    assert "file:/run/secrets" not in page
    assert "SANDBOX_FURNISHEDFINDER_MAILBOX" in page  # The name is shown, its value hidden.


def test_debug_page_is_not_shown_to_another_machine(settings: Any) -> None:
    settings.DEBUG = True
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = _oversized_login(client)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Traceback" not in page
    assert "SANDBOX_FURNISHEDFINDER_MAILBOX" not in page
    assert "shown only to a browser on the machine" in page


def test_settings_hide_credential_urls_references_and_credential_names(settings: Any) -> None:
    settings.LEASEBOT_TEST_BROKER = f"amqp://bot:{PASSWORD}@rabbit:5672//"
    settings.LEASEBOT_TEST_NESTED = {"primary": {"LOCATION": f"redis://:{PASSWORD}@cache:6379/1"}}
    settings.LEASEBOT_TEST_LIST = ["https://example.com/", "env:LEASEBOT_CRED_SPAREROOM"]
    settings.LEASEBOT_TEST_MAILBOX = "anything at all"
    settings.LEASEBOT_TEST_PUBLIC_URL = "http://127.0.0.1:8000"
    safe = CredentialSafeExceptionReporterFilter().get_safe_settings()
    stars = CredentialSafeExceptionReporterFilter.cleansed_substitute
    assert PASSWORD not in repr(safe)
    assert safe["LEASEBOT_TEST_BROKER"] == stars
    assert safe["LEASEBOT_TEST_NESTED"]["primary"]["LOCATION"] == stars
    assert safe["LEASEBOT_TEST_LIST"] == ["https://example.com/", stars]
    assert safe["LEASEBOT_TEST_MAILBOX"] == stars
    # What is no credential stays readable: a debug page must still help.
    assert safe["LEASEBOT_TEST_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert safe["DJANGO_ENV"] == "test"


def _fail_with_a_secret_in_a_local() -> None:
    mailbox = MAILBOX_URL  # A local variable, as a connector holds one while it logs in.
    raise RuntimeError(f"cannot reach {len(mailbox)}")


def test_traceback_frame_variables_hide_credential_values() -> None:
    try:
        _fail_with_a_secret_in_a_local()
    except RuntimeError as exc:
        tb = exc.__traceback__
    assert tb is not None
    while tb.tb_next is not None:
        tb = tb.tb_next
    variables = dict(CredentialSafeExceptionReporterFilter().get_traceback_frame_variables(None, tb.tb_frame))
    assert variables["mailbox"] == CredentialSafeExceptionReporterFilter.cleansed_substitute


_SCHEMES = st.sampled_from(["imap", "imaps", "redis", "postgres", "amqp", "smtp+tls", "https"])
_PART = st.text(
    alphabet=st.characters(blacklist_characters="/@: \t\n\r", blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
)


@settings(max_examples=200, deadline=None)
@given(scheme=_SCHEMES, user=st.one_of(st.just(""), _PART), password=_PART, prefix=st.text(max_size=20))
def test_any_url_with_a_password_is_a_credential(scheme: str, user: str, password: str, prefix: str) -> None:
    assert is_credential_value(f"{prefix}{scheme}://{user}:{password}@host.example:1/x")


def _debug_under(**environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ALLOWED_HOSTS", "DEBUG"))}
    env.update({"DJANGO_SETTINGS_MODULE": "leasebot.settings", "DJANGO_ENV": "local", **environment})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_debug_stays_on_only_while_the_site_answers_to_loopback_names() -> None:
    # make run (run_stack binds 127.0.0.1) keeps DEBUG; a site that answers to another name does not.
    assert _debug_under() == "True"
    assert _debug_under(ALLOWED_HOSTS="localhost,127.0.0.1") == "True"
    assert _debug_under(ALLOWED_HOSTS="leasebot.example.com,127.0.0.1", DEBUG="1") == "False"
    assert _debug_under(ALLOWED_HOSTS="*", DEBUG="1") == "False"


def test_compose_runs_with_debug_off() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    assert 'DEBUG: "0"' in compose
