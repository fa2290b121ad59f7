"""The browser runtime: choosing Chromium, session files, failure artefacts, the production guard rail."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from platforms import browser as browser_module
from platforms.browser import BrowserRuntime, get_runtime, launch_options, redact


class _FakeChromium:
    def __init__(self, path: str) -> None:
        self.executable_path = path


class _FakePlaywright:
    def __init__(self, path: str) -> None:
        self.chromium = _FakeChromium(path)


def test_auto_prefers_playwrights_own_chromium_when_installed(tmp_path):
    own = tmp_path / "chrome"
    own.write_text("")
    assert launch_options("auto", _FakePlaywright(str(own))) == {}  # type: ignore[arg-type]


def test_auto_falls_back_to_the_system_chromium_real_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(browser_module, "find_system_chromium", lambda: "/usr/lib/chromium/chromium")
    assert launch_options("auto", _FakePlaywright(str(tmp_path / "missing"))) == {
        "executable_path": "/usr/lib/chromium/chromium"
    }  # type: ignore[arg-type]


def test_auto_without_any_chromium_fails_with_advice(tmp_path, monkeypatch):
    monkeypatch.setattr(browser_module, "find_system_chromium", lambda: None)
    with pytest.raises(ImproperlyConfigured, match="apt-get install chromium"):
        launch_options("auto", _FakePlaywright(str(tmp_path / "missing")))  # type: ignore[arg-type]


def test_playwright_choice_requires_playwrights_own_browser(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="playwright install"):
        launch_options("playwright", _FakePlaywright(str(tmp_path / "missing")))  # type: ignore[arg-type]


def test_a_path_choice_must_exist(tmp_path):
    binary = tmp_path / "chromium"
    binary.write_text("")
    assert launch_options(str(binary)) == {"executable_path": str(binary)}
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        launch_options(str(tmp_path / "nope"))


def test_get_runtime_refuses_when_the_runtime_setting_is_not_playwright(settings):
    settings.LEASEBOT_RUNTIME = "mock"
    with pytest.raises(ImproperlyConfigured, match="no real browser"):
        get_runtime()


def test_redact_removes_secrets_and_form_tokens():
    html = "<input name='authenticity_token' value='abc123'><meta name=\"csrf-token\" content=\"zzz\"><p>hunter2-secret</p>"
    out = redact(html, ["hunter2-secret"])
    assert "abc123" not in out
    assert "zzz" not in out
    assert "hunter2-secret" not in out
    assert out.count("[redacted]") == 3


@pytest.mark.browser
def test_session_state_is_saved_private_and_reloaded_into_a_new_context(browser_runtime: BrowserRuntime, sandbox):
    page = browser_runtime.page("renthop", 77)
    page.goto(f"{sandbox.url}/renthop/login")  # Sets the _xsrf cookie.
    assert browser_runtime.save_state("renthop", 77) is True
    assert browser_runtime.save_state("renthop", 77) is False  # Unchanged: not written again.
    path = browser_runtime.state_path("renthop", 77)  # The runtime was given a directory: the files store.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cookies = {c["name"] for c in json.loads(path.read_text())["cookies"]}
    assert "_xsrf" in cookies

    browser_runtime.close_context("renthop", 77)
    reloaded = browser_runtime.context("renthop", 77)
    assert "_xsrf" in {c["name"] for c in reloaded.cookies()}

    browser_runtime.forget_session("renthop", 77)
    assert not path.exists()


@pytest.mark.browser
def test_session_state_is_saved_only_when_it_changed_cookies_or_local_storage(
    browser_runtime: BrowserRuntime, sandbox, monkeypatch: pytest.MonkeyPatch
):
    # given: a store that counts what it is asked to save
    real = browser_runtime.store
    saves: list[dict] = []

    class Counting:
        def load(self, platform, account_id):
            return real.load(platform, account_id)

        def save(self, platform, account_id, state):
            saves.append(state)
            return real.save(platform, account_id, state)

        def forget(self, platform, account_id):
            real.forget(platform, account_id)

        def where(self, platform, account_id):
            return real.where(platform, account_id)

    monkeypatch.setattr(browser_runtime, "store", Counting())
    page = browser_runtime.page("renthop", 79)
    page.goto(f"{sandbox.url}/renthop/login")  # Sets the _xsrf cookie.
    assert browser_runtime.save_state("renthop", 79) is True
    assert len(saves) == 1

    # when: nothing changed; then the site renews a token it keeps in local storage only (no cookie
    # changes); then again to the same value; then the cookies change
    unchanged = browser_runtime.save_state("renthop", 79)
    saves_unchanged = len(saves)
    page.evaluate("() => localStorage.setItem('auth_token', 'renewed-1')")
    token = browser_runtime.save_state("renthop", 79)
    token_again = browser_runtime.save_state("renthop", 79)
    saves_after_token = len(saves)
    browser_runtime.context("renthop", 79).add_cookies([{"name": "extra", "value": "1", "url": sandbox.url}])
    changed = browser_runtime.save_state("renthop", 79)

    # then: the store was not asked while nothing changed, and asked at each change, local storage too
    assert unchanged is False
    assert saves_unchanged == 1
    assert token is True
    assert token_again is False
    assert saves_after_token == 2
    stored = {i["name"]: i["value"] for o in saves[1]["origins"] for i in o["localStorage"]}
    assert stored["auth_token"] == "renewed-1"
    assert changed is True
    assert len(saves) == 3
    assert "extra" in {c["name"] for c in saves[-1]["cookies"]}
    # A login forces the save (the store still skips a state it already holds).
    assert browser_runtime.save_state("renthop", 79, force=True) is False
    assert len(saves) == 4
    browser_runtime.forget_session("renthop", 79)


@pytest.mark.browser
def test_context_looks_like_desktop_chrome_not_headless(browser_runtime: BrowserRuntime):
    page = browser_runtime.page("roomies", 78)
    agent = page.evaluate("() => navigator.userAgent")
    assert "HeadlessChrome" not in agent
    assert "Chrome/" in agent
    browser_runtime.forget_session("roomies", 78)


@pytest.mark.browser
def test_failure_artefacts_blank_password_fields_and_known_secrets(
    browser_runtime: BrowserRuntime, browser_state_dir: Path
):
    page = browser_runtime.page("leasebreak", 79)
    page.set_content(
        "<form><input type='password' id='p'><input name='authenticity_token' value='tok'></form><p>code 123456</p>"
    )
    page.fill("#p", "s3cret-Passw0rd")

    saved = browser_runtime.save_failure(page, platform="leasebreak", account_id=79, label="x y/z", secrets=["123456"])

    assert saved is not None
    assert saved.parent == browser_state_dir / "failures"
    text = saved.read_text()
    assert "s3cret-Passw0rd" not in text
    assert "123456" not in text
    assert "'tok'" not in text
    assert page.input_value("#p") == ""
    assert not saved.with_suffix(".png").exists()  # The code is visible text: no screenshot at all.
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    page.fill("#p", "s3cret-Passw0rd")
    saved = browser_runtime.save_failure(
        page, platform="leasebreak", account_id=79, label="drift-inbox.rows", secrets=["s3cret-Passw0rd"]
    )
    assert saved is not None
    assert saved.name.endswith("-drift-inbox-rows.html")
    png = saved.with_suffix(".png")
    assert png.exists()
    assert png.read_bytes().startswith(b"\x89PNG")
    browser_runtime.forget_session("leasebreak", 79)


@pytest.mark.browser
def test_contexts_are_capped_and_the_least_recently_used_closes_with_its_session_kept(
    browser_runtime: BrowserRuntime,
) -> None:
    # given: a worker process allowed two open contexts, serving accounts 91 and 92
    browser_runtime.max_contexts = 2
    try:
        for account in (91, 92):
            browser_runtime.close_context("leasebreak", account)
        first = browser_runtime.context("leasebreak", 91)
        first.add_cookies([{"name": "session", "value": "ninety-one", "url": "http://127.0.0.1/"}])
        browser_runtime.context("leasebreak", 92)
        open_before = [k for k in browser_runtime.open_contexts if k[0] == "leasebreak"]
        assert open_before == [("leasebreak", 91), ("leasebreak", 92)]
        # when: account 92 is used again, then a third account needs a context
        browser_runtime.context("leasebreak", 92)
        browser_runtime.context("leasebreak", 93)
        # then: the least recently used (91) was closed, within the cap, its session saved first
        assert len(browser_runtime.open_contexts) <= 2
        assert ("leasebreak", 91) not in browser_runtime.open_contexts
        assert browser_runtime.open_contexts[-2:] == [("leasebreak", 92), ("leasebreak", 93)]
        assert browser_runtime.has_state("leasebreak", 91)
        # and when 91 comes back, its cookies are there without a new login
        again = browser_runtime.context("leasebreak", 91)
        assert {c["name"]: c["value"] for c in again.cookies()}.get("session") == "ninety-one"
    finally:
        browser_runtime.max_contexts = 8
        for account in (91, 92, 93):
            browser_runtime.forget_session("leasebreak", account)
