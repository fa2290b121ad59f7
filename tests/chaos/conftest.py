"""The chaos rig: a private Redis, the in-process sandbox, real Celery workers, and the bar.

Every scenario runs against real PostgreSQL (the test database), a ``redis-server`` this
rig starts on a free loopback port (so a restart or a flush never touches the machine's
shared Redis), real ``celery worker`` (and ``celery beat``) subprocesses bound to both,
and the session's sandbox (``sandbox`` in tests/conftest.py: the five replicas served from
this process; the workers reach it over loopback, and each scenario makes accounts of its own).
``redis-server`` cannot bind port 0 and report it, so its port is picked just before it
starts; the rig then checks that what answers there is its own server.

The workers' broker, locks, token buckets, circuits and metrics all live in the private
Redis; the test process talks to it through a Celery client app of its own
(:meth:`Rig.send_task`) and routes the services' ``enqueue`` calls there too.

A scenario seeds renter messages (inbound) and agent replies (outbound rows, ``queued``),
breaks something, lets the fleet recover, and then measures against the bar of
The two promises: zero duplicate sends, zero lost inbound messages, every failed item either
sent later, held for review or in the dead-letter table, and healthy platforms untouched.
See docs/chaos.md.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone
from kombu import Connection

from tests.conftest import ROOT, WorkerProcess, make_sandbox_login, worker_env
from tests.support import eventually, free_ports, poll

#: ``make chaos`` sets this: the long scenarios (hundreds of messages, more kills).
FULL = os.environ.get("LEASEBOT_CHAOS_FULL") == "1"

#: Figures of every scenario of the session, printed in pytest's terminal summary.
FIGURES: list[dict[str, Any]] = []

QUEUE_OF = {
    "dispatch.send_account": "rpa",
    "dispatch.ingest_account": "rpa",
    "dispatch.send_platform": "default",
    "dispatch.ingest_platform": "default",
}
OPEN_STATUSES = ("queued", "sending", "failed")
#: The realism profile's seed for every chaos account (``LEASEBOT_CHAOS_REALISM_SEED`` to vary it).
REALISM_SEED = int(os.environ.get("LEASEBOT_CHAOS_REALISM_SEED", "11"))
REVIEW_STATUSES = ("draft", "pending_review")


class PrivateRedis:
    """A ``redis-server`` of this test only: no persistence, loopback only, restartable on its port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_ports(1)[0]  # Racy (see tests/support.py), and kept across restarts.
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_connect_timeout=2, socket_timeout=5)

    def start(self) -> PrivateRedis:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        proc = self.proc

        def up() -> bool:
            # Ours, not a server that took the port first (ours then exits: it cannot bind).
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited on port {self.port}: see {self.workdir / 'redis.log'}")
            try:
                return int(self.client().info("server")["process_id"]) == proc.pid
            except redis.RedisError:
                return False

        eventually(up, f"the private redis-server to answer on port {self.port}", timeout=15, interval=0.05)
        return self

    def kill(self) -> None:
        """SIGKILL the server: everything in it (queues, locks, buckets) is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()
        self.restarts += 1


@dataclasses.dataclass
class ChaosAccount:
    """One account in the sandbox and in the database, with its password as a worker env var."""

    pk: int
    platform: str
    username: str
    password: str
    password_var: str  # "" for Furnished Finder: it logs in by an e-mailed code.


@dataclasses.dataclass
class Figures:
    """What a scenario measured (printed, and checked against the bar)."""

    scenario: str
    inbound_seeded: int = 0
    inbound_stored: int = 0
    inbound_lost: int = 0
    inbound_in_dead_letters: int = 0
    outbound_rows: int = 0
    agent_rows: int = 0
    sent_rows: int = 0
    platform_sends: int = 0
    duplicates: int = 0
    sent_not_recorded: int = 0
    recorded_not_on_platform: int = 0
    dead: int = 0
    dead_without_letter: int = 0
    in_review: int = 0
    unknown: int = 0
    unresolved: int = 0
    reconciled: int = 0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def line(self) -> str:
        skip = {"scenario", "extra"}
        parts = [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self) if f.name not in skip]
        parts += [f"{k}={v}" for k, v in self.extra.items()]
        return f"[chaos] {self.scenario}: " + " ".join(parts)


class Rig:
    """Everything one chaos scenario drives; see the module docstring."""

    def __init__(
        self,
        *,
        sandbox: Any,
        private_redis: PrivateRedis,
        worker_factory: Callable[..., WorkerProcess],
        tmp_path: Path,
    ) -> None:
        from platforms.sandbox.client import SandboxClient

        self.sandbox = sandbox
        self.client = SandboxClient(sandbox.url)
        self.redis = private_redis
        self.worker_factory = worker_factory
        self.tmp_path = tmp_path
        self.accounts: list[ChaosAccount] = []
        self.workers: list[WorkerProcess] = []
        self.beats: list[subprocess.Popen[bytes]] = []
        self.seeded: list[tuple[ChaosAccount, str, str]] = []  # (account, thread ref, message ref)
        self._bodies = itertools.count(1)
        self._agent: Any = None
        self.env: dict[str, str] = {
            "REDIS_URL": private_redis.url(0),
            "CELERY_BROKER_URL": private_redis.url(1),
            "CELERY_RESULT_BACKEND": private_redis.url(1),
            "LEASEBOT_STATE_DIR": str(tmp_path / "worker-state"),
            "LEASEBOT_BROWSER": "auto",
            "LEASEBOT_RUNTIME": "playwright",
            "LEASEBOT_PACING_MIN_S": "0",
            "LEASEBOT_PACING_MAX_S": "0",
            "LEASEBOT_RATE_PER_MINUTE": "60000",
            "LEASEBOT_RATE_BURST": "1000",
            # A short cooldown, so a storm's circuit half-opens within the scenario.
            "LEASEBOT_CIRCUIT_COOLDOWN_S": "5",
            # A dead holder's account lock lapses after this (120 s by default); jobs extend it while working.
            "LEASEBOT_ACCOUNT_LOCK_TTL_S": "15",
            # The replicas show a reply at most a few seconds late (the realistic delayed_visibility).
            "LEASEBOT_SEND_VISIBILITY_S": "10",
            # The scenarios drive the ticks themselves: every tick reads every account (no adaptive cadence).
            "LEASEBOT_INGEST_HOT_S": "0",
            "LEASEBOT_INGEST_BASE_S": "0",
            "LEASEBOT_INGEST_BACKOFF_RATIO": "0",
            "LEASEBOT_INGEST_FLOOR_S": '{"default": 0}',
            "LOG_LEVEL": "INFO",
        }
        # Celery reads CELERY_BROKER_URL from the environment before a ``broker=`` argument,
        # so every publish passes its own connection to the private broker.
        self.app = Celery("chaos-client", set_as_current=False)
        self.app.conf.task_serializer = "json"

    # --- the fleet --------------------------------------------------------------------

    def start_worker(self, *, name: str = "w", concurrency: int = 1, queues: str = "default,rpa") -> WorkerProcess:
        worker = self.worker_factory(queues=queues, concurrency=concurrency, env=self.env, name=name, wait=90)
        self.workers.append(worker)
        return worker

    def kill_workers(self, sig: int = signal.SIGKILL) -> None:
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.kill(sig)

    def start_beat(self, name: str) -> subprocess.Popen[bytes]:
        """Start a ``celery beat`` with the DatabaseScheduler (the project's setting), on the private broker."""
        log = (self.tmp_path / f"beat-{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leasebot", "beat", "--max-interval", "1", "-l", "INFO"],
            cwd=ROOT,
            env=worker_env(self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.beats.append(proc)
        return proc

    def beat_log(self, name: str) -> str:
        return (self.tmp_path / f"beat-{name}.log").read_text(errors="replace")

    def stop_beats(self) -> None:
        for proc in self.beats:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)

    def send_task(self, name: str, *args: Any, task_id: str | None = None) -> None:
        with Connection(self.redis.url(1), connect_timeout=5) as conn:
            self.app.send_task(name, args=list(args), queue=QUEUE_OF[name], task_id=task_id, connection=conn)

    def send_jobs(self, accounts: Iterable[ChaosAccount] | None = None) -> None:
        for account in accounts if accounts is not None else self.accounts:
            self.send_task("dispatch.send_account", account.pk)

    def ingest_jobs(self, accounts: Iterable[ChaosAccount] | None = None) -> None:
        for account in accounts if accounts is not None else self.accounts:
            self.send_task("dispatch.ingest_account", account.pk)

    def sweep(self) -> None:
        """What beat does every tick: the send fan-out (finds rows whose enqueue was lost) and the ingest one."""
        for slug in sorted({a.platform for a in self.accounts}):
            self.send_task("dispatch.send_platform", slug)
            self.send_task("dispatch.ingest_platform", slug)

    # --- accounts and traffic ---------------------------------------------------------

    def add_account(self, platform: str) -> ChaosAccount:
        """A new account on the sandbox and in the database; its secret goes to the workers' environment."""
        tag = secrets.token_hex(4)
        login = make_sandbox_login(self.client, platform, tag=tag, env_prefix="CHAOS")
        # The storms run on the sites as they really render (seeded: a failing run replays).
        self.client.set_profile(platform, login.username, "realistic", seed=REALISM_SEED)
        self.env.update(login.env)
        row = login.account_row(label=f"chaos-{tag}")
        account = ChaosAccount(
            row.pk, platform, login.username, login.password, login.credential_ref.removeprefix("env:")
        )
        self.accounts.append(account)
        return account

    def agent(self) -> Any:
        if self._agent is None:
            from tests.platforms.factories import UserFactory

            self._agent = UserFactory(username=f"chaos-agent-{secrets.token_hex(3)}", role="agent")
        return self._agent

    def seed_inbound(self, account: ChaosAccount, *, thread_ref: str | None = None, body: str = "") -> tuple[str, str]:
        """A renter writes on the platform (a new thread unless ``thread_ref``); return (thread ref, message ref)."""
        answer = self.client.seed_message(
            account.platform,
            account.username,
            renter_name="Casey Renter",
            body=body or "Hi, is the room still available? I could move in next month.",
            thread_id=thread_ref,
        )
        refs = (str(answer["thread_id"]), str(answer["message_id"]))
        self.seeded.append((account, *refs))
        return refs

    def queue_replies(self, account: ChaosAccount, *, threads: int, per_thread: int) -> list[int]:
        """Seed ``threads`` renter threads and queue ``per_thread`` agent replies in each (outbox rows)."""
        from inbox.models import Conversation
        from inbox.services import outbound_reply_manual

        ids = []
        for _ in range(threads):
            thread_ref, _message_ref = self.seed_inbound(account)
            conversation, _ = Conversation.objects.get_or_create(
                account_id=account.pk, thread_ref=thread_ref, defaults={"renter_name": "Casey Renter"}
            )
            for _ in range(per_thread):
                n = next(self._bodies)
                body = f"Thanks for asking! The room is still available and viewings run all week. (ref {n})"
                row, created = outbound_reply_manual(
                    conversation=conversation, actor=self.agent(), body=body, idempotency_key=f"chaos-{n}"
                )
                assert created
                assert row.status == "queued", (row.status, row.hold_reasons)
                ids.append(row.pk)
        return ids

    # --- the database and the lease -------------------------------------------------

    def age_sending_rows(self, seconds: int = 3600) -> int:
        """Make every ``sending`` row look older than its lease (only while no worker runs).

        Stands in for the lease passing (``LEASEBOT_SENDING_LEASE_S``, 600 s by default) so
        the reconciliation path runs within the scenario; safe only with the fleet stopped,
        which :meth:`recover` makes sure of.
        """
        from inbox.models import OutboundMessage

        assert all(w.proc.poll() is not None for w in self.workers), "age rows only with every worker stopped"
        return OutboundMessage.objects.filter(account_id__in=self.account_ids(), status="sending").update(
            sending_started_at=timezone.now() - timedelta(seconds=seconds)
        )

    def terminate_db_connections(self) -> int:
        """Drop every other connection to the test database (the workers' included)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return len(cursor.fetchall())

    def account_ids(self, accounts: Iterable[ChaosAccount] | None = None) -> list[int]:
        return [a.pk for a in (accounts if accounts is not None else self.accounts)]

    def open_rows(self, accounts: Iterable[ChaosAccount] | None = None) -> int:
        from inbox.models import OutboundMessage

        return OutboundMessage.objects.filter(
            account_id__in=self.account_ids(accounts), status__in=OPEN_STATUSES
        ).count()

    def sending_rows(self, accounts: Iterable[ChaosAccount] | None = None) -> int:
        from inbox.models import OutboundMessage

        return OutboundMessage.objects.filter(account_id__in=self.account_ids(accounts), status="sending").count()

    def platform_sends(self, accounts: Iterable[ChaosAccount] | None = None) -> int:
        return sum(
            len(self.client.sent(a.platform, a.username)) for a in (accounts if accounts is not None else self.accounts)
        )

    def all_inbound_stored(self, accounts: Iterable[ChaosAccount] | None = None) -> bool:
        wanted = {a.pk for a in (accounts if accounts is not None else self.accounts)}
        return self._missing_inbound(wanted) == []

    def _missing_inbound(self, wanted: set[int]) -> list[tuple[int, str, str]]:
        from inbox.models import Message

        stored = set(
            Message.objects.filter(conversation__account_id__in=wanted, direction="in").values_list(
                "conversation__account_id", "conversation__thread_ref", "platform_message_ref"
            )
        )
        return [
            (a.pk, thread, ref)
            for a, thread, ref in self.seeded
            if a.pk in wanted and (a.pk, thread, ref) not in stored
        ]

    def drain(
        self,
        *,
        timeout: float,
        accounts: Iterable[ChaosAccount] | None = None,
        inbound: bool = True,
        stalled_s: float | None = None,
    ) -> bool:
        """Run beat's sweeps until no row is open and every renter message is stored (or ``timeout``).

        ``stalled_s``: give up sooner once only ``sending`` rows are open and nothing has moved
        (rows, platform sends, stored messages) for that long: rows left to their lease, which
        no sweep settles before it passes (the caller then runs ``recover``).
        """
        chosen = list(accounts) if accounts is not None else list(self.accounts)
        last_sweep = 0.0
        progress: tuple[object, ...] = ()
        moved_at = time.monotonic()

        wanted = {a.pk for a in chosen}

        def settled() -> bool:
            nonlocal last_sweep, progress, moved_at
            open_rows = self.open_rows(chosen)
            missing = len(self._missing_inbound(wanted))
            done = open_rows == 0 and (not inbound or missing == 0)
            if not done and time.monotonic() - last_sweep > 2.0:
                last_sweep = time.monotonic()
                self.sweep()
            if done or stalled_s is None:
                return done
            sending = self.sending_rows(chosen)
            now = (open_rows, sending, self.platform_sends(chosen), missing)
            if now != progress:
                progress, moved_at = now, time.monotonic()
            return 0 < open_rows == sending and time.monotonic() - moved_at > stalled_s

        finished = bool(poll(settled, timeout=timeout, interval=0.3))
        return finished and self.open_rows(chosen) == 0 and (not inbound or self.all_inbound_stored(chosen))

    def expire_account_locks(self) -> int:
        """Drop the account locks a killed worker left behind (stands in for their TTL passing)."""
        assert all(w.proc.poll() is not None for w in self.workers), "expire locks only with every worker stopped"
        client = self.redis.client(0)
        keys = list(client.scan_iter("leasebot:lock:account:*"))
        return int(client.delete(*keys)) if keys else 0

    def recover(self, *, name: str = "restarted", concurrency: int = 1) -> WorkerProcess:
        """After a crash: with the fleet stopped, let the lease and the lock TTL pass, start a fresh worker, sweep."""
        self.kill_workers()
        self.age_sending_rows()
        self.expire_account_locks()
        worker = self.start_worker(name=name, concurrency=concurrency)
        self.sweep()
        return worker

    # --- the bar ----------------------------------------------------------------------

    def figures(self, scenario: str, accounts: Iterable[ChaosAccount] | None = None, **extra: Any) -> Figures:
        from dispatch.models import DeadLetter, DispatchAttempt
        from inbox.models import OutboundMessage

        chosen = list(accounts) if accounts is not None else list(self.accounts)
        ids = self.account_ids(chosen)
        fig = Figures(scenario=scenario, extra=extra)
        rows = list(
            OutboundMessage.objects.filter(account_id__in=ids).values(
                "pk", "account_id", "conversation__thread_ref", "body", "status", "source"
            )
        )
        fig.outbound_rows = len(rows)
        fig.agent_rows = sum(1 for r in rows if r["source"] == "agent")
        statuses = collections.Counter(r["status"] for r in rows)
        fig.sent_rows = statuses["sent"]
        fig.dead = statuses["dead"]
        fig.unknown = statuses["unknown"]  # Maybe sent, held for a person with the evidence: never resent blind.
        fig.in_review = sum(statuses[s] for s in REVIEW_STATUSES)
        fig.unresolved = sum(statuses[s] for s in OPEN_STATUSES)
        if fig.unresolved:
            # Say which rows stayed open, and why, so a failure can be diagnosed from the figures alone.
            fig.extra["open_rows"] = list(
                OutboundMessage.objects.filter(account_id__in=ids, status__in=OPEN_STATUSES).values_list(
                    "account_id", "status", "last_error_class", "attempts"
                )
            )
        dead_ids = {r["pk"] for r in rows if r["status"] == "dead"}
        lettered = set(
            DeadLetter.objects.filter(outbound_id__in=dead_ids, status="open").values_list("outbound_id", flat=True)
        )
        fig.dead_without_letter = len(dead_ids - lettered)
        # What the platforms received, as their forms got it (a form submits line breaks as CRLF).
        on_platform: collections.Counter[tuple[int, str, str]] = collections.Counter()
        for account in chosen:
            for item in self.client.sent(account.platform, account.username):
                on_platform[(account.pk, str(item["thread_id"]), item["body"].replace("\r\n", "\n"))] += 1
        fig.platform_sends = sum(on_platform.values())
        fig.duplicates = sum(count - 1 for count in on_platform.values() if count > 1)
        recorded = {(r["account_id"], r["conversation__thread_ref"], r["body"]) for r in rows if r["status"] == "sent"}
        held = {(r["account_id"], r["conversation__thread_ref"], r["body"]) for r in rows if r["status"] == "unknown"}
        fig.sent_not_recorded = len(set(on_platform) - recorded - held)
        fig.recorded_not_on_platform = len(recorded - set(on_platform))
        fig.reconciled = DispatchAttempt.objects.filter(account_id__in=ids, outcome="reconciled").count()
        # Renter messages: stored, or (when the account's ingest gave up) kept as an ingest dead letter.
        wanted = set(ids)
        seeded = [s for s in self.seeded if s[0].pk in wanted]
        missing = self._missing_inbound(wanted)
        ingest_letters = set(
            DeadLetter.objects.filter(account_id__in=ids, stage="ingest").values_list("account_id", flat=True)
        )
        fig.inbound_seeded = len(seeded)
        fig.inbound_stored = len(seeded) - len(missing)
        fig.inbound_in_dead_letters = sum(1 for pk, _t, _r in missing if pk in ingest_letters)
        fig.inbound_lost = len(missing) - fig.inbound_in_dead_letters
        FIGURES.append({"line": fig.line(), **dataclasses.asdict(fig)})
        print(fig.line())
        return fig

    def assert_bar(self, fig: Figures) -> None:
        """The two promises, as numbers: once on the platform (or held as unknown for a person), nothing lost."""
        assert fig.duplicates == 0, f"duplicate sends: {fig.line()}"
        assert fig.sent_not_recorded == 0, f"sent on the platform but not recorded as sent: {fig.line()}"
        assert fig.recorded_not_on_platform == 0, f"recorded as sent but not on the platform: {fig.line()}"
        assert fig.inbound_lost == 0, f"lost inbound messages: {fig.line()}"
        assert fig.unresolved == 0, f"rows neither sent, in review nor dead-lettered: {fig.line()}"
        assert fig.dead_without_letter == 0, f"dead rows without a dead letter: {fig.line()}"

    def deliveries(self, task_id: str) -> tuple[int, int]:
        """Return how many deliveries of ``task_id`` the workers received, and how many of those they finished.

        Read from the workers' logs (Celery logs both at INFO); a retry finishes its delivery
        (the retry is a new delivery, received again).
        """
        ident = re.escape(f"[{task_id}]")
        logs = "\n".join(w.output() for w in self.workers)
        received = len(re.findall(rf"Task [\w.]+{ident} received", logs))
        finished = len(
            re.findall(
                rf"Task [\w.]+{ident} (?:succeeded in|raised (?:un)?expected|retry:|INTERNAL ERROR|ignored)", logs
            )
        )
        return received, finished

    def worker_logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()[-4000:]}" for w in self.workers)


@pytest.fixture
def chaos_sandbox(sandbox: Any, sandbox_config: Callable[..., None]) -> Any:
    """The session's sandbox with the chaos knobs, for this scenario (put back afterwards).

    Ten threads a page, the sandbox's own default (the session's knobs show three, for the
    connectors' pagination tests; a scenario seeds up to hundreds of threads). Roomies shows a
    reply only after a delay the connector polls for: kept short.
    """
    sandbox_config(roomies_reply_delay_s=0.3, page_size=10)
    return sandbox


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def rig(
    transactional_db: Any,
    chaos_sandbox: Any,
    private_redis: PrivateRedis,
    celery_worker_factory: Callable[..., WorkerProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> Iterator[Rig]:
    """A chaos rig; the services' enqueue calls (and this process's Redis) go to the private server."""
    from dispatch import enqueue
    from inbox import enqueue as inbox_enqueue
    from platforms.models import Platform

    assert Platform.objects.count() == 5, "the platforms seed is missing"
    the_rig = Rig(
        sandbox=chaos_sandbox, private_redis=private_redis, worker_factory=celery_worker_factory, tmp_path=tmp_path
    )
    # Locks, circuits and metrics this process touches (an admin re-enabling an account resets
    # its circuit) must be the workers' ones.
    settings.REDIS_URL = private_redis.url(0)
    monkeypatch.setattr(enqueue, "send", lambda account_id: the_rig.send_task("dispatch.send_account", account_id))
    monkeypatch.setattr(enqueue, "ingest", lambda account_id: the_rig.send_task("dispatch.ingest_account", account_id))
    # The outbox (inbox) enqueues its sends by name too: to the private broker as well.
    monkeypatch.setattr(
        inbox_enqueue, "send", lambda account_id: the_rig.send_task("dispatch.send_account", account_id)
    )
    random.seed(os.environ.get("LEASEBOT_CHAOS_SEED", str(time.time_ns())))
    yield the_rig
    the_rig.stop_beats()
    the_rig.kill_workers()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print every scenario's figures, also under ``-q`` (docs/chaos.md quotes them)."""
    if not FIGURES:
        return
    terminalreporter.section("chaos figures")
    for fig in FIGURES:
        terminalreporter.write_line(fig["line"])
    out = os.environ.get("LEASEBOT_CHAOS_FIGURES")
    if out:
        Path(out).write_text(json.dumps(FIGURES, indent=2, default=str))
