"""``manage.py connector_check``: log in, read the inbox (never send) and say which locators matched.

The first thing to run against a real account, and, with ``--html DIR``, a way to check a
platform's locator map offline against pages saved from the real site.

Both runs use the account's locator memory (platforms/healing.py): accepted overrides
apply, a locator that misses heals against the account's fingerprints, and the report
lists what healed with its score and proposal. Live, a healing is recorded as a proposal
as the workers would record it; offline, only with ``--propose`` (the saved pages never
replace the live fingerprints).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leasebot.core.validators import validate_timezone
from platforms.browser import get_runtime
from platforms.connectors.errors import ConnectorError
from platforms.connectors.healing import Fingerprint, Healing, LocatorMemory
from platforms.connectors.offline import OfflineCheck, check_saved_pages, healed_entry
from platforms.connectors.registry import connector_classes
from platforms.connectors.web import BrowserConnector
from platforms.guard import Guard
from platforms.healing import locator_memory
from platforms.management.commands._accounts import find_account


class Command(BaseCommand):
    help = "Log in to a platform account, read its inbox without sending, and report what was found and which locators matched."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", nargs="?", help="Account id, or platform/label (e.g. spareroom/main).")
        parser.add_argument("--days", type=float, default=7.0, help="Read messages of the last N days (default 7).")
        parser.add_argument("--show", type=int, default=5, help="How many of the newest messages to print (default 5).")
        parser.add_argument(
            "--html", metavar="DIR", help="Check the locator map offline against saved HTML pages in DIR."
        )
        parser.add_argument("--platform", help="With --html and no account: the platform whose locators to check.")
        parser.add_argument(
            "--time-zone",
            default=None,
            help="With --html: the zone the saved pages print local times in (default: the account's, else the platform's).",
        )
        parser.add_argument(
            "--propose",
            action="store_true",
            help="With --html and an account: record what healed on the saved pages as proposals for a person.",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--even-if-inactive",
            action="store_true",
            help="Check an account that is switched off (read-only, still guarded).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["html"]:
            self.offline(opts)
            return
        if not opts["account"]:
            raise CommandError("name an account (id or platform/label), or use --html DIR --platform SLUG")
        self.live(opts)

    # --- against the platform --------------------------------------------------------

    def live(self, opts: dict[str, Any]) -> None:
        account, config = find_account(opts["account"])
        if not (account.is_active and account.platform.is_active) and not opts["even_if_inactive"]:
            raise CommandError(f"{account} is switched off; add --even-if-inactive to check it anyway (read-only)")
        connector = connector_classes()[config.platform](
            config,
            runtime=get_runtime(),
            guard=Guard(account_id=config.account_id, platform=config.platform),
            memory=locator_memory(),
        )
        since = datetime.now(tz=UTC) - timedelta(days=opts["days"])
        report: dict[str, Any] = {
            "account": str(account),
            "platform": config.platform,
            "mode": "live",
            "since": since.isoformat(),
        }
        error: ConnectorError | None = None
        try:
            connector.login()
            report["login"] = "full login" if connector.full_logins else "reused saved session"
            messages = connector.fetch_new_messages(since)
        except ConnectorError as exc:
            error = exc
            messages = []
        report["messages"] = len(messages)
        report["threads"] = len({m.thread_ref for m in messages})
        report["inbound"] = sum(1 for m in messages if m.direction == "in")
        report["outbound"] = sum(1 for m in messages if m.direction == "out")
        report["newest"] = [
            {
                "sent_at": m.sent_at.isoformat(),
                "direction": m.direction,
                "thread": m.thread_ref,
                "sender": m.sender_name,
                "listing": m.listing_ref,
                "body": m.body[:80],
            }
            for m in messages[-opts["show"] :]
        ]
        report["locators"] = locator_report(connector)
        if error is not None:
            report["error"] = {
                "class": error.error_class,
                "message": error.message,
                "locator": error.extra.get("locator", ""),
            }
        self.emit(report, opts)
        if error is not None:
            raise CommandError(f"{error.error_class}: {error.message}")

    # --- offline, against saved pages -------------------------------------------------

    def offline(self, opts: dict[str, Any]) -> None:
        platform, time_zone = opts["platform"], opts["time_zone"]
        account_id = 0
        if opts["account"]:
            config = find_account(opts["account"])[1]
            account_id = config.account_id
            if platform and platform != config.platform:
                raise CommandError(f"--platform {platform} is not the account's platform ({config.platform})")
            platform = config.platform
            time_zone = config.time_zone if time_zone is None else time_zone
        elif opts["propose"]:
            raise CommandError("--propose needs an account: proposals heal against that account's fingerprints")
        if platform not in connector_classes():
            raise CommandError(f"--html needs --platform (one of {', '.join(connector_classes())})")
        folder = Path(opts["html"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a directory")
        if time_zone:
            try:
                validate_timezone(time_zone)
            except ValidationError as exc:
                raise CommandError(f"--time-zone: {exc.messages[0]}") from None
        memory = _SavedPagesMemory(locator_memory(), propose=opts["propose"]) if account_id else None
        check: OfflineCheck = check_saved_pages(
            platform, folder, runtime=get_runtime(), time_zone=time_zone or "", memory=memory, account_id=account_id
        )
        self.emit(check.as_dict(), opts)
        if not check.ok:
            raise CommandError(f"locator check failed: {', '.join(check.failures)}")

    # --- output -----------------------------------------------------------------------

    def emit(self, report: dict[str, Any], opts: dict[str, Any]) -> None:
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        if report.get("mode") == "offline":
            self.stdout.write(f"connector_check {report['platform']} (offline, {len(report['pages'])} saved pages)")
            for item in report["pages"]:
                self.stdout.write(f"  {item['file']}  [{item['kind']}]  {item['summary']}")
                for name, found in item["locators"].items():
                    self.stdout.write(
                        f"    {_status(found):<9} {name:<28} {found.get('matched') or '-'}{_healed(found)}"
                    )
            self.stdout.write(f"result: {'OK' if report['ok'] else 'DRIFT: ' + ', '.join(report['failures'])}")
            return
        self.stdout.write(f"connector_check {report['account']} ({report['platform']}, live, read-only)")
        if "login" in report:
            self.stdout.write(f"  login: {report['login']}")
        self.stdout.write(
            f"  found {report['messages']} messages in {report['threads']} threads since {report['since']} "
            f"({report['inbound']} from renters, {report['outbound']} from our side)"
        )
        for m in report["newest"]:
            self.stdout.write(
                f"    {m['sent_at']}  {m['direction']:<3} {m['sender'][:24]:<24} listing={m['listing'] or '-'}  {m['body']!r}"
            )
        self.stdout.write("  locators:")
        for name, found in report["locators"].items():
            self.stdout.write(f"    {_status(found):<9} {name:<28} {found.get('matched') or '-'}{_healed(found)}")
        if "error" in report:
            self.stdout.write(f"  error: {report['error']['class']}: {report['error']['message']}")


def _status(found: dict[str, Any]) -> str:
    if found.get("source") in ("healed", "override"):
        return str(found["source"])
    if found.get("matched"):
        return "fallback" if found.get("fallback") else "ok"
    return "MISSING" if found.get("missing") else "not used"


def locator_report(connector: BrowserConnector) -> dict[str, dict[str, Any]]:
    """Return, for every locator of the map, the candidate that matched (and whether it was a fallback)."""
    out: dict[str, dict[str, Any]] = {}
    lmap = connector.locators
    names: dict[str, tuple[str, ...]] = {name: spec.candidates for name, spec in lmap.elements.items()}
    for group_name, group in lmap.groups.items():
        if group_name != "thread.context":
            names[group_name] = group.item.candidates
        prefix = "thread" if group_name == "thread.context" else group_name
        for field, spec in group.fields.items():
            names[f"{prefix}.{field}"] = spec.candidates
    for name, candidates in names.items():
        matched = connector.matches.get(name)
        out[name] = {
            "matched": matched,
            "fallback": bool(matched) and matched != candidates[0],
            "missing": name in connector.misses and name not in connector.healed,
            **healed_entry(connector, name),
        }
    return out


def _healed(found: dict[str, Any]) -> str:
    healed = found.get("healed")
    if not healed:
        return ""
    proposal = f", proposal {healed['proposal']}" if healed.get("proposal") else ", not recorded"
    return f"  (healed, score {healed['score']:.2f}{proposal})"


class _SavedPagesMemory:
    """The account's memory, for saved pages: fingerprints and overrides read, never written;
    healings recorded as proposals only with ``--propose``."""

    def __init__(self, inner: LocatorMemory, *, propose: bool) -> None:
        self.inner = inner
        self.propose = propose

    def fingerprints(self, platform: str, account_id: int) -> Any:
        return self.inner.fingerprints(platform, account_id)

    def remember(self, platform: str, account_id: int, key: str, fingerprint: Fingerprint) -> None:
        return None  # A saved page is not what the account sees now.

    def record_healing(self, healing: Healing) -> int | None:
        return self.inner.record_healing(healing) if self.propose else 0

    def healing_failed(self, event_id: int, reason: str) -> None:
        if self.propose and event_id:
            self.inner.healing_failed(event_id, reason)

    def overrides(self, platform: str) -> Any:
        return self.inner.overrides(platform)
