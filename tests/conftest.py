"""Project-wide fixtures: a clean Redis per test, users by role, real Celery workers and the sandbox."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from platforms.connectors.base import AccountConfig
from platforms.models import Platform, PlatformAccount
from platforms.roles import account_grant
from platforms.sandbox.client import SandboxClient
from platforms.sandbox.server import SandboxServer
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory
from tests.support import eventually

ROOT = Path(__file__).resolve().parent.parent

#: The critical gates (``make test-api``, ``test-worker``, ``test-connectors``, ``test-e2e``; CI runs
#: them one by one) select by these markers. A test module that already carries a gate's marker
#: (``worker``: it starts real Celery workers; ``e2e``: it drives the review UI in Chromium) is in
#: that gate wherever its file lives; every other test is in its top folder's gate, given below.
GATES = ("api", "worker", "connectors", "e2e")
GATE_OF_FOLDER: dict[str, str | None] = {
    # The layers: tests/<app>/ mirrors the code.
    "leasebot": "api",
    "core": "api",
    "platforms": "connectors",
    "inbox": "api",
    "dispatch": "worker",
    "rollout": "api",
    # The cross-cutting suites.
    "security": "api",
    "e2e": "e2e",
    # In no gate: they have targets of their own (make chaos, make smoke, make bench).
    "chaos": None,
    "smoke": None,
    "benchmarks": None,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every collected test in exactly one gate (see ``GATE_OF_FOLDER``); refuse a folder in none."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        try:
            parts = item.path.resolve().relative_to(tests_dir).parts
        except ValueError:
            continue  # Not one of ours.
        folder = parts[0] if len(parts) > 1 else ""
        if folder not in GATE_OF_FOLDER:
            raise pytest.UsageError(
                f"tests/{folder}/ is in no test gate: add it to GATE_OF_FOLDER in tests/conftest.py ({item.nodeid})"
            )
        gate = GATE_OF_FOLDER[folder]
        if gate is not None and not any(item.get_closest_marker(name) for name in GATES):
            item.add_marker(gate)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One real Chromium for every UI test of the session, chosen by LEASEBOT_BROWSER.

    Playwright's sync API may run only once per thread, so the e2e and the security suites
    share this one instead of starting their own.
    """
    from playwright.sync_api import sync_playwright

    from platforms.browser import launch_options

    # The sync API keeps an event loop in this thread; Django's async guard must allow the
    # test's own database calls (the standard arrangement with live_server).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            **launch_options(settings.LEASEBOT_BROWSER, pw),
        )
        yield chromium
        chromium.close()


# --- The sandbox (platforms/sandbox): one per session, shared by every test that drives a platform ---

#: The sandbox's knobs for the session: small pages (pagination with few threads) and a short
#: Roomies delay (its connector polls for the reply).
SANDBOX_TEST_CONFIG = {"page_size": 3, "roomies_reply_delay_s": 0.5}


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """The five replicas (and the IMAP mailbox) on free loopback ports, started once per session.

    In this process, in background threads; workers and Chromium reach it over loopback. Every
    test shares it, so a test makes accounts under names of its own (or asks for
    ``fresh_sandbox``), and changes knobs only through ``sandbox_config``.
    """
    server = SandboxServer(host="127.0.0.1", port=0, imap_port=0).start()
    SandboxClient(server.url).configure(**SANDBOX_TEST_CONFIG)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sandbox_client(sandbox: SandboxServer) -> SandboxClient:
    return SandboxClient(sandbox.url)


@pytest.fixture
def fresh_sandbox(sandbox: SandboxServer, sandbox_client: SandboxClient) -> SandboxServer:
    """The shared sandbox emptied for this test, as a newly started one: no accounts, threads, sessions or mail.

    For a test that uses fixed account names or reads the sandbox as a whole; the session's
    knobs are put back after the reset (it restores the sandbox's own defaults).
    """
    sandbox_client.reset()
    sandbox_client.configure(**SANDBOX_TEST_CONFIG)
    return sandbox


@pytest.fixture
def sandbox_config(sandbox_client: SandboxClient) -> Iterator[Callable[..., None]]:
    """Change sandbox knobs for one test; they are put back afterwards."""
    before = sandbox_client.configure()  # No values: reads the current knobs.
    changed: set[str] = set()

    def configure(**values: Any) -> None:
        changed.update(values)
        sandbox_client.configure(**values)

    yield configure
    if changed:
        sandbox_client.configure(**{k: before[k] for k in changed})


@dataclasses.dataclass(frozen=True)
class SandboxLogin:
    """An account made on the sandbox, and how lease-bot logs in to it.

    As in production, the secret is never stored: ``credential_ref`` (the password) or, for
    Furnished Finder, which logs in by an e-mailed code, ``mailbox_ref`` (its IMAP URL) name
    an environment variable; ``env`` holds those variables' values.
    """

    platform: str
    username: str
    password: str
    base_url: str
    credential_ref: str
    login_method: str
    mailbox_ref: str
    env: dict[str, str]
    #: The zone the account's user set on the site ("": the platform's), on both sides.
    time_zone: str = ""

    def config(self, account_id: int, **changes: Any) -> AccountConfig:
        """What a connector for it is built from (``changes``: another ``login_method``, say)."""
        config = AccountConfig(
            account_id=account_id,
            platform=self.platform,
            base_url=self.base_url,
            username=self.username,
            credential_ref=self.credential_ref,
            login_method=self.login_method,
            mailbox_ref=self.mailbox_ref,
            time_zone=self.time_zone,
        )
        return dataclasses.replace(config, **changes)

    def account_row(self, **fields: Any) -> PlatformAccount:
        """Its twin in the database (``fields``: the rest of the row, such as ``label``)."""
        return PlatformAccountFactory(
            platform=Platform.objects.get(slug=self.platform),
            username=self.username,
            base_url=self.base_url,
            credential_ref=self.credential_ref,
            login_method=self.login_method,
            mailbox_ref=self.mailbox_ref,
            time_zone=self.time_zone,
            **fields,
        )


def make_sandbox_login(
    client: SandboxClient,
    platform: str = "spareroom",
    *,
    username: str | None = None,
    password: str | None = None,
    env_password: str | None = None,
    with_mailbox: bool = True,
    tag: str | None = None,
    env_prefix: str = "SANDBOX",
    time_zone: str = "",
) -> SandboxLogin:
    """Create an account on the sandbox and return it with the references lease-bot logs in with.

    Its name and password are new ones unless given; the variables are named
    ``<env_prefix>_PW_<tag>`` (``_MAILBOX_`` for Furnished Finder), ``tag`` random unless given.
    ``env_password`` puts another password in the variable (a stored secret that is wrong);
    ``with_mailbox=False`` leaves a Furnished Finder account without one (only an operator
    can log it in). ``time_zone`` is the zone the account's user set on the site: the replica
    prints local times in it and the connector config carries it. Nothing is put in the
    environment here: see the ``sandbox_login`` fixture.
    """
    tag = (tag or secrets.token_hex(4)).upper()
    username = username or f"{env_prefix.lower()}-{platform}-{tag.lower()}@example.com"
    password = password or f"pw-{secrets.token_hex(8)}"
    created = client.create_account(platform, username, password, time_zone=time_zone)
    base_url = client.base_url(platform)
    if platform == "furnishedfinder":
        var = f"{env_prefix}_MAILBOX_{tag}"
        env = {var: created["mailbox_url"]} if with_mailbox else {}
        mailbox_ref = f"env:{var}" if with_mailbox else ""
        return SandboxLogin(platform, username, password, base_url, "", "email_code", mailbox_ref, env, time_zone)
    var = f"{env_prefix}_PW_{tag}"
    env = {var: password if env_password is None else env_password}
    return SandboxLogin(platform, username, password, base_url, f"env:{var}", "password", "", env, time_zone)


@pytest.fixture
def sandbox_login(sandbox_client: SandboxClient, monkeypatch: pytest.MonkeyPatch) -> Callable[..., SandboxLogin]:
    """Make sandbox accounts (see :func:`make_sandbox_login`), their variables set for this test.

    Set in this process's environment, so workers the test starts afterwards see them too.
    """

    def make(platform: str = "spareroom", **options: Any) -> SandboxLogin:
        login = make_sandbox_login(sandbox_client, platform, **options)
        for name, value in login.env.items():
            monkeypatch.setenv(name, value)
        return login

    return make


@pytest.fixture
def no_pacing(settings: Any) -> Any:
    """The guard with no pause between requests and a token bucket no test empties."""
    settings.LEASEBOT_PACING_MIN_S = 0
    settings.LEASEBOT_PACING_MAX_S = 0
    settings.LEASEBOT_RATE_PER_MINUTE = 60_000
    settings.LEASEBOT_RATE_BURST = 1_000
    return settings


@pytest.fixture
def own_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of this test's own, at the replicas' defaults (not the session's small pages)."""
    server = SandboxServer(host="127.0.0.1", port=0, imap_port=0).start()
    yield server
    server.stop()


@pytest.fixture
def ingest_runtime(tmp_path: Path, no_pacing: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real Chromium in this thread with the worker's connector factory bound to it; no job is enqueued.

    For a test that runs the real ingest and send jobs (``dispatch.services``) itself, one after
    the other, as a worker would: the circuit is closed and the enqueue helpers do nothing.
    """
    from dispatch import connectors, enqueue
    from platforms.browser import BrowserRuntime
    from platforms.connectors.registry import build_connector
    from platforms.selectors import account_config

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    no_pacing.LEASEBOT_LOCATOR_WAIT_S = 0.5
    no_pacing.LEASEBOT_STATE_DIR = tmp_path / "state"
    browser = BrowserRuntime(state_dir=tmp_path / "state", headless=True)
    connectors.use_factory(lambda account: build_connector(account_config(account), runtime=browser))
    monkeypatch.setattr(connectors, "circuit_state", lambda account_id: "closed")
    monkeypatch.setattr(enqueue, "send", lambda account_id, **kwargs: None)
    monkeypatch.setattr(enqueue, "ingest", lambda account_id: None)
    yield browser
    connectors.use_factory(None)
    browser.close()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Start every test with an empty app Redis database (locks, buckets, circuits, metrics)."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    return


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="alice-admin", role="admin")


@pytest.fixture
def agent_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="bob-agent", role="agent")


@pytest.fixture
def ops_user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="olga-ops", role="ops")


@pytest.fixture
def account(db):  # type: ignore[no-untyped-def]
    return PlatformAccountFactory()


class WorkerProcess:
    """A real ``celery worker`` subprocess bound to the test database."""

    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc = proc
        self.log = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (the main process and its pool children)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        self.proc.wait(timeout=30)

    def stop(self, grace: float = 3.0) -> None:
        """Ask for a warm shutdown; a worker still finishing a task after ``grace`` seconds is killed.

        After a test nothing waits on the worker's last task (its database is flushed next), and
        a send job may sit in a confirmation wait for many seconds.
        """
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment a worker subprocess needs to see this test run's database."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "leasebot.settings",
            "DJANGO_ENV": os.environ.get("DJANGO_ENV", "test"),
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


@pytest.fixture
def celery_worker_factory(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real Celery workers (``-Q`` queues, concurrency) and stop them after the test."""
    started: list[WorkerProcess] = []

    def start(
        queues: str = "default,rpa",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        name: str = "w",
        wait: float = 60,
    ) -> WorkerProcess:
        log = tmp_path / f"worker-{name}-{len(started)}.log"
        handle = log.open("wb")
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "leasebot",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "-n",
            f"{name}{len(started)}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
            "--pool",
            "prefork",
        ]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=worker_env(env), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        worker = WorkerProcess(proc, log)
        started.append(worker)

        def ready() -> bool:
            if "ready." in worker.output():
                return True
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{worker.output()}")
            return False

        eventually(ready, f"worker {name!r} to be ready", timeout=wait, interval=0.2, detail=worker.output)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def purge_broker() -> Iterator[None]:
    """Empty the broker's queues before and after a test that runs real workers."""
    from leasebot.celery import app

    app.control.purge()
    yield
    app.control.purge()


# --- API clients per role, and an agent granted one account of two ---


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_client(admin_user: Any) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def agent_client(agent_user: Any) -> APIClient:
    return client_for(agent_user)


@pytest.fixture
def ops_client(ops_user: Any) -> APIClient:
    return client_for(ops_user)


@pytest.fixture
def granted(agent_user: Any, account: Any) -> Any:
    """The account the agent works on."""
    account_grant(user=agent_user, account=account)
    return account


@pytest.fixture
def foreign_account(db: Any) -> Any:
    """An account the agent is not granted."""
    return PlatformAccountFactory(label="someone-elses")


@pytest.fixture
def conversation(granted: Any) -> Any:
    conv = ConversationFactory(account=granted, renter_name="Jamie Renter")
    MessageFactory(conversation=conv, body="Hi, is the room still available?")
    return conv


@pytest.fixture
def draft(conversation: Any) -> Any:
    return OutboundFactory(conversation=conversation, body="Hello! Yes, the room is available from June 1.")


@pytest.fixture
def foreign_conversation(foreign_account: Any) -> Any:
    conv = ConversationFactory(account=foreign_account, renter_name="Other Renter")
    MessageFactory(conversation=conv, body="Hello there")
    return conv


@pytest.fixture
def foreign_draft(foreign_conversation: Any) -> Any:
    return OutboundFactory(conversation=foreign_conversation, body="A reply on someone else's account.")


# --- A local webhook receiver (alerts, agent notices) ---


@pytest.fixture
def webhook(settings) -> Iterator[list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.LEASEBOT_ALERT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield received
    server.shutdown()
