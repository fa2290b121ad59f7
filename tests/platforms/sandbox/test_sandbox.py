"""The sandbox itself: control API, replicas' shapes and rules, faults, the IMAP mailbox (no browser)."""

from __future__ import annotations

import http.cookiejar
import imaplib
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest

from platforms.sandbox.client import SandboxClient, SandboxClientError, platform_base_url


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _get(opener, url: str) -> tuple[int, str, str]:
    try:
        with opener.open(url) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode()


def _post(opener, url: str, form: dict[str, str]) -> tuple[int, str, str]:
    try:
        with opener.open(url, data=urllib.parse.urlencode(form).encode()) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode()


@pytest.fixture
def account(sandbox_client: SandboxClient, request):
    name = re.sub(r"\W+", "-", request.node.name)[-40:]
    username = f"{name}-{id(request)}@example.com"
    return lambda platform: (sandbox_client.create_account(platform, username, "pw-Sandbox-1"), username)


def test_platform_base_url_joins_root_and_slug():
    assert platform_base_url("http://127.0.0.1:8765/", "roomies") == "http://127.0.0.1:8765/roomies"
    with pytest.raises(ValueError):
        platform_base_url("http://127.0.0.1:8765", "craigslist")


def test_control_api_refuses_unknown_platforms_faults_and_accounts(sandbox_client, account):
    with pytest.raises(SandboxClientError, match="unknown platform"):
        sandbox_client.create_account("craigslist", "x@example.com")
    _, username = account("spareroom")
    with pytest.raises(SandboxClientError, match="unknown fault"):
        sandbox_client.set_fault("spareroom", username, "meteor")
    with pytest.raises(SandboxClientError, match="no account"):
        sandbox_client.stats("spareroom", "nobody@example.com")
    with pytest.raises(SandboxClientError, match="exists"):
        sandbox_client.create_account("spareroom", username)


def test_seed_and_agent_messages_land_in_threads_with_their_times(sandbox_client, account):
    _, username = account("leasebreak")
    when = datetime(2026, 3, 12, 18, 5, 9, tzinfo=UTC)
    first = sandbox_client.seed_message(
        "leasebreak", username, renter_name="Ola", body="Hi", listing_ref="9", sent_at=when
    )
    agent = sandbox_client.add_outbound("leasebreak", username, thread_id=first["thread_id"], body="Hello Ola")
    (thread,) = sandbox_client.threads("leasebreak", username)
    assert [(m["direction"], m["via"], m["body"]) for m in thread["messages"]] == [
        ("in", "seed", "Hi"),
        ("out", "agent", "Hello Ola"),
    ]
    assert thread["messages"][0]["sent_at"] == when.isoformat()
    assert agent["message_id"] > first["message_id"]
    assert sandbox_client.sent("leasebreak", username) == []  # Agent messages did not come through the site's form.


@pytest.mark.parametrize(
    ("platform", "login_path", "markers"),
    [
        (
            "spareroom",
            "/roommate/logon.pl",
            ["id='loginemail'", "id='loginpass'", "id='sign-in-button'", "data-csrf-token="],
        ),
        ("roomies", "/login", ["name='_token'", "name='email'", "name='password'"]),
        ("leasebreak", "/users/sign_in", ["name='authenticity_token'", "name='user[email]'", "name='user[password]'"]),
        ("renthop", "/login", ["name='_xsrf'", "id='login-username'", "id='login-submit'"]),
        ("furnishedfinder", "/login", ["id='username'", "__RequestVerificationToken", ">Login</button>"]),
    ],
)
def test_each_replica_has_its_own_login_form(sandbox, platform, login_path, markers):
    status, _, html = _get(_opener(), f"{sandbox.url}/{platform}{login_path}")
    assert status == 200
    for marker in markers:
        assert marker in html


@pytest.mark.parametrize(
    ("platform", "inbox_path", "login_path"),
    [
        ("spareroom", "/roommate/mythreads_beta.pl", "/roommate/logon.pl"),
        ("roomies", "/inbox", "/login"),
        ("leasebreak", "/messages", "/users/sign_in"),
        ("renthop", "/dashboard/leads", "/login"),
        ("furnishedfinder", "/members/Tenant-Message", "/login"),
    ],
)
def test_inbox_without_a_session_redirects_to_the_login_page(sandbox, platform, inbox_path, login_path):
    status, final_url, _ = _get(_opener(), f"{sandbox.url}/{platform}{inbox_path}")
    assert status == 200
    assert urllib.parse.urlparse(final_url).path == f"/{platform}{login_path}"


def test_form_posts_without_their_csrf_token_are_refused(sandbox, account):
    account("leasebreak")
    status, _, _ = _post(
        _opener(), f"{sandbox.url}/leasebreak/users/sign_in", {"user[email]": "x", "user[password]": "y"}
    )
    assert status == 422
    status, _, _ = _post(
        _opener(), f"{sandbox.url}/renthop/login", {"username": "x", "password": "y", "_xsrf": "forged"}
    )
    assert status == 403


def test_password_login_over_plain_http_then_inbox_and_counts(sandbox, sandbox_client, account):
    _, username = account("renthop")
    sandbox_client.seed_message("renthop", username, renter_name="Zed", body="Hello there")
    opener = _opener()
    _, _, html = _get(opener, f"{sandbox.url}/renthop/login")
    token = re.search(r"name='_xsrf' value='([^']+)'", html).group(1)
    status, final_url, html = _post(
        opener, f"{sandbox.url}/renthop/login", {"username": username, "password": "pw-Sandbox-1", "_xsrf": token}
    )
    assert status == 200
    assert final_url.endswith("/renthop/dashboard/leads")
    assert "lead-card" in html
    assert "Hello there" in html
    stats = sandbox_client.stats("renthop", username)
    assert stats["logins"] == 1
    assert stats["requests"] == 2


def test_faults_show_vendor_pages_and_429_carries_retry_after(sandbox, sandbox_client, account):
    _, username = account("spareroom")
    opener = _opener()
    _, _, html = _get(opener, f"{sandbox.url}/spareroom/roommate/logon.pl")
    token = re.search(r"data-csrf-token='([^']+)'", html).group(1)
    _post(
        opener,
        f"{sandbox.url}/spareroom/roommate/logon.pl",
        {"email": username, "password": "pw-Sandbox-1", "csrf_token": token},
    )

    sandbox_client.set_fault("spareroom", username, "rate_limit", retry_after=7)
    with pytest.raises(urllib.error.HTTPError) as limited:
        opener.open(f"{sandbox.url}/spareroom/roommate/mythreads_beta.pl")
    assert limited.value.code == 429
    assert limited.value.headers["Retry-After"] == "7"

    sandbox_client.set_fault("spareroom", username, "captcha", count=1)
    status, _, html = _get(opener, f"{sandbox.url}/spareroom/roommate/mythreads_beta.pl")
    assert status == 403
    assert "_cf_chl_opt" in html
    status, _, html = _get(opener, f"{sandbox.url}/spareroom/roommate/mythreads_beta.pl")
    assert status == 200
    assert "window.isLoggedIn = true" in html

    sandbox_client.set_fault("spareroom", username, "drift", count=1)
    _, _, html = _get(opener, f"{sandbox.url}/spareroom/roommate/mythreads_beta.pl")
    assert "msg_row" not in html
    assert "no_messages" not in html


def test_imap_mailbox_serves_the_login_code_to_imaplib(sandbox, sandbox_client, account):
    created, username = account("furnishedfinder")
    opener = _opener()
    _, _, html = _get(opener, f"{sandbox.url}/furnishedfinder/login")
    token = re.search(r"__RequestVerificationToken' type='hidden' value='([^']+)'", html).group(1)
    status, _, html = _post(
        opener, f"{sandbox.url}/furnishedfinder/login", {"Username": username, "__RequestVerificationToken": token}
    )
    assert status == 200
    assert "data-testid='code'" in html

    url = urllib.parse.urlparse(created["mailbox_url"])
    client = imaplib.IMAP4(url.hostname, url.port)
    with pytest.raises(imaplib.IMAP4.error):
        client.login(urllib.parse.unquote(url.username), "wrong")
    client = imaplib.IMAP4(url.hostname, url.port)
    client.login(urllib.parse.unquote(url.username), urllib.parse.unquote(url.password))
    assert client.select("INBOX")[0] == "OK"
    _, data = client.search(None, "UNSEEN", "FROM", '"furnishedfinder.com"')
    (number,) = data[0].split()
    _, fetched = client.fetch(number.decode(), "(BODY.PEEK[])")
    code = re.search(rb"login code is (\d{6})", fetched[0][1]).group(1).decode()
    assert code == sandbox_client.login_codes("furnishedfinder", username)[-1]["code"]
    assert client.search(None, "UNSEEN")[1][0].split() == [number]  # PEEK left it unread.
    client.store(number.decode(), "+FLAGS", "(\\Seen)")
    assert client.search(None, "UNSEEN")[1] == [b""]
    client.logout()


def test_reset_clears_accounts(sandbox_client):
    # Runs on a throwaway account namespace: reset affects everything, so restore the test config after.
    sandbox_client.create_account("roomies", "reset-check@example.com", "pw")
    config = sandbox_client.configure()
    sandbox_client.reset()
    with pytest.raises(SandboxClientError):
        sandbox_client.stats("roomies", "reset-check@example.com")
    sandbox_client.configure(**config)
