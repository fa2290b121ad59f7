"""``manage.py run_stack``: the whole bot on one machine, against the local sandbox.

Starts the sandbox replicas, seeds demo data, then web, two workers (``rpa`` and
``default``), beat and Flower; a feeder posts a new renter inquiry on one of the five
replicas every few seconds, and a status line shows what the bot did. Ctrl-C (or
SIGTERM, or the parent going away) stops everything cleanly. It asks nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dispatch.models import DeadLetter
from inbox.models import Message, OutboundMessage
from leasebot.management.commands.seed_demo import Command as SeedDemo
from leasebot.management.commands.seed_demo import feed_one
from platforms.choices import PlatformSlug

COLORS = {"sandbox": 35, "web": 32, "worker-rpa": 36, "worker-default": 34, "beat": 33, "flower": 90, "bot": 1}
NOISY = (
    "GET /static/",
    "GET /__control__/",
    "celery.worker.strategy",
    "succeeded in",
    "Scheduler: Sending due task",
    "SecurityWarning",
    "absolutely not recommended",
    "--uid option",
    "User information: uid",
    "_warn_or_raise_security_error",
    "mingle:",
    "Events of group",
    "DeprecationWarning",
    "warnings.warn(",
    ".env not found",
)
QUIET_WORKER = ("--without-mingle", "--without-gossip")


def _die_with_parent() -> None:
    """Linux: ask the kernel to SIGTERM this child when its parent dies (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _port_free(port):
            return
        time.sleep(0.2)
    raise CommandError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class Command(BaseCommand):
    help = "Run sandbox, web, workers, beat and Flower together, with demo inquiries arriving."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--web-port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8765)
        parser.add_argument("--imap-port", type=int, default=8143, help="The sandbox's login-code mailbox.")
        parser.add_argument("--flower-port", type=int, default=5555)
        parser.add_argument("--feed-every", type=float, default=8.0, help="Seconds between demo inquiries (0: none).")
        parser.add_argument("--send-mode", choices=["auto_send", "draft_only"], default="auto_send")
        parser.add_argument("--no-flower", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        for port in (opts["web_port"], opts["sandbox_port"], opts["imap_port"]):
            if not _port_free(port):
                raise CommandError(f"port {port} is taken; stop what runs there or pass another port")
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = threading.Event()
        self.print_lock = threading.Lock()
        parent = os.getppid()
        sandbox_url = f"http://127.0.0.1:{opts['sandbox_port']}"
        env = dict(os.environ)
        env.update(
            {
                "LEASEBOT_SANDBOX_URL": sandbox_url,
                "PYTHONUNBUFFERED": "1",
                # Demo pacing: human-like but short, so the loop is visible within a minute.
                "LEASEBOT_PACING_MIN_S": env.get("LEASEBOT_PACING_MIN_S", "0.2"),
                "LEASEBOT_PACING_MAX_S": env.get("LEASEBOT_PACING_MAX_S", "0.5"),
            }
        )
        # Demo passwords for the sandbox's fake accounts: random per run, passed by env reference.

        for slug in PlatformSlug.values:
            env.setdefault(f"SANDBOX_{slug.upper()}_PASSWORD", secrets.token_urlsafe(12))
        os.environ.update({k: v for k, v in env.items() if k.startswith("SANDBOX_") or k == "LEASEBOT_SANDBOX_URL"})

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        try:
            self._start(
                "sandbox",
                ["manage.py", "sandbox", "--port", str(opts["sandbox_port"]), "--imap-port", str(opts["imap_port"])],
                env,
            )
            _wait_port(opts["sandbox_port"])
            self._say("bot", "sandbox replicas of the five platforms are up at " + sandbox_url)
            # Each demo user gets its own new random password, shown once in the banner below.
            seeder = SeedDemo(stdout=io.StringIO())
            call_command(
                seeder,
                sandbox_url=sandbox_url,
                send_mode=opts["send_mode"],
                inquiries=3,
                no_print_passwords=True,
            )
            web_passwords = seeder.passwords
            self._say(
                "bot", f"demo accounts, listings and users seeded; send mode {opts['send_mode']}, rollout stage full"
            )
            # seed_demo may add references (the Furnished Finder mailbox): pass them on.
            env.update({k: v for k, v in os.environ.items() if k.startswith("SANDBOX_")})
            self._start("web", ["manage.py", "runserver", "--noreload", f"127.0.0.1:{opts['web_port']}"], env)
            celery = ["-m", "celery", "-A", "leasebot", "--quiet"]
            self._start(
                "worker-rpa",
                [*celery, "worker", "-Q", "rpa", "-c", "2", "-n", "rpa@%h", "-l", "INFO", *QUIET_WORKER],
                env,
            )
            self._start(
                "worker-default",
                [*celery, "worker", "-Q", "default", "-c", "1", "-n", "default@%h", "-l", "WARNING", *QUIET_WORKER],
                env,
            )
            schedule = str(Path(settings.BASE_DIR) / "var" / "celerybeat-schedule")
            self._start("beat", [*celery, "beat", "-l", "WARNING", "-s", schedule], env)
            flower_password = ""
            if not opts["no_flower"]:
                # Flower shows task arguments and can revoke tasks: a login even on loopback, a new
                # password every run, passed by environment (never on a command line `ps` shows).
                flower_password = "f" + secrets.token_urlsafe(12)
                flower_env = {**env, "FLOWER_BASIC_AUTH": f"flower:{flower_password}"}
                flower = [
                    *celery,
                    "flower",
                    f"--port={opts['flower_port']}",
                    "--address=127.0.0.1",
                    "--logging=warning",
                ]
                self._start("flower", flower, flower_env)
            _wait_port(opts["web_port"])
            self._banner(opts, web_passwords, flower_password)
            if opts["feed_every"] > 0:
                threading.Thread(target=self._feed, args=(sandbox_url, opts["feed_every"]), daemon=True).start()
            last_status = 0.0
            while not self.stopping.is_set():
                if os.getppid() != parent:
                    break  # The terminal or `timeout` went away: stop with it.
                for name, proc in self.procs:
                    if proc.poll() is not None:
                        self._say("bot", f"{name} exited with {proc.returncode}; stopping everything")
                        self.stopping.set()
                if time.monotonic() - last_status > 10:
                    self._status()
                    last_status = time.monotonic()
                self.stopping.wait(0.5)
        finally:
            self._shutdown()

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments.
            [sys.executable, *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            # Own session: a terminal's Ctrl-C or `timeout` reaches only this supervisor, which
            # then stops the children in order (Celery pool processes are never killed mid-task).
            start_new_session=True,
        )
        self.procs.append((name, proc))
        threading.Thread(target=self._pump, args=(name, proc.stdout), daemon=True).start()

    def _pump(self, name: str, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if name == "flower" and self.stopping.is_set():
                continue  # Flower prints a KeyboardInterrupt traceback on every clean stop.
            if line and not any(n in line for n in NOISY):
                self._say(name, line)

    def _say(self, name: str, line: str) -> None:
        color = COLORS.get(name, 0)
        with self.print_lock:
            self.stdout.write(f"\033[{color}m{name:>14}\033[0m | {line}")
            self.stdout.flush()

    def _banner(self, opts: dict[str, Any], passwords: dict[str, str], flower_password: str = "") -> None:
        """Print the addresses and this run's logins, once, to this console (never to a log)."""
        port = opts["web_port"]
        lines = [
            f"review UI   http://127.0.0.1:{port}/review/   (agent / {passwords['agent']})",
            f"admin       http://127.0.0.1:{port}/admin/    (admin / {passwords['admin']}; ops / {passwords['ops']})",
            f"API docs    http://127.0.0.1:{port}/api/docs/  metrics http://127.0.0.1:{port}/metrics (admin or ops)",
        ]
        if not opts["no_flower"]:
            lines.append(f"Flower      http://127.0.0.1:{opts['flower_port']}/   (flower / {flower_password})")
        lines.append(
            "Demo inquiries arrive on the sandbox replicas; the bot ingests, decides and replies. Ctrl-C stops."
        )
        for line in lines:
            self._say("bot", line)

    def _feed(self, sandbox_url: str, every: float) -> None:

        n = 0
        while not self.stopping.is_set():
            with contextlib.suppress(Exception):  # A feeder hiccup must not stop the demo.
                what = feed_one(sandbox_url, n)
                self._say("bot", f"renter inquiry arrives: {what}")
            n += 1
            self.stopping.wait(every * random.uniform(0.7, 1.3))

    def _status(self) -> None:
        from django.db import connection
        from django.db.models import Count

        try:
            inbound = Message.objects.filter(direction="in").count()
            by_status = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("id")))
            dead = DeadLetter.objects.filter(status="open").count()
        finally:
            connection.close()
        parts = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())) or "none yet"
        self._say("bot", f"status: {inbound} inbound messages; replies: {parts}; open dead letters {dead}")

    def _shutdown(self) -> None:
        """Stop the bot first (workers finish the job in hand), the sandbox platforms last."""
        self._say("bot", "stopping ...")
        bot = [(n, p) for n, p in self.procs if n != "sandbox"]
        platforms = [(n, p) for n, p in self.procs if n == "sandbox"]
        for group in (bot, platforms):
            for _name, proc in group:
                if proc.poll() is None:
                    # SIGINT, as Ctrl-C would: Celery, beat, Flower and runserver all stop cleanly on it.
                    proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 20
            for name, proc in group:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self._say("bot", f"{name} did not stop in time; killing it")
                    proc.kill()
        self._say("bot", "stopped")
