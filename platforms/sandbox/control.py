"""The sandbox's JSON control API, under ``/__control__/``, for tests, the demo and benchmarks.

Every answer is JSON; errors are ``{"error": "..."}`` with HTTP 400 or 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from platforms.sandbox.render import TRAITS, SiteRendering
from platforms.sandbox.replicas import REPLICAS
from platforms.sandbox.state import PLATFORMS, Account, SandboxError, SandboxState
from platforms.sandbox.web import Request, Response, json_response

PREFIX = "/__control__"

#: What each replica declares about showing message text (for the realistic profile).
RENDERINGS: dict[str, SiteRendering] = {cls.slug: cls.rendering for cls in REPLICAS}


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SandboxError("sent_at must carry a time zone")
    return moment.astimezone(UTC)


class ControlAPI:
    """Routes ``/__control__/<name>`` to one method each."""

    def __init__(
        self, state: SandboxState, *, root_url: Callable[[], str], imap_url: Callable[[str, str], str]
    ) -> None:
        self.state = state
        self.root_url = root_url
        self.imap_url = imap_url

    def handle(self, req: Request) -> Response:
        name = req.path[len(PREFIX) :].strip("/").replace("-", "_") or "health"
        handler = getattr(self, f"{req.method.lower()}_{name}", None)
        if handler is None:
            return json_response({"error": f"no control endpoint {req.method} {req.path}"}, 404)
        try:
            payload = req.json() if req.method in {"POST", "PUT"} else dict(req.query)
            return json_response(handler(payload))
        except (SandboxError, ValueError, KeyError, TypeError) as exc:
            return json_response({"error": str(exc) or type(exc).__name__}, 400)

    def _account(self, payload: dict[str, Any]) -> Account:
        return self.state.account(str(payload["platform"]), str(payload["username"]))

    def _site(self, account: Account) -> SiteRendering:
        return RENDERINGS[account.platform]

    def _profile(self, account: Account) -> dict[str, Any]:
        return {**account.profile.as_dict(), "declared": self._site(account).as_dict()}

    def _describe(self, account: Account) -> dict[str, Any]:
        data: dict[str, Any] = {
            "platform": account.platform,
            "username": account.username,
            "display_name": account.display_name,
            "time_zone": account.time_zone,
            "base_url": f"{self.root_url()}/{account.platform}",
            **account.stats(),
        }
        if account.mailbox_user:
            data["mailbox_url"] = self.imap_url(account.mailbox_user, account.mailbox_password)
        return data

    # --- endpoints --------------------------------------------------------------------

    def get_health(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "platforms": {p: f"{self.root_url()}/{p}" for p in PLATFORMS}}

    def post_reset(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.reset()
        return {"ok": True}

    def get_config(self, payload: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.config)

    def post_config(self, payload: dict[str, Any]) -> dict[str, Any]:
        unknown = set(payload) - set(self.state.config)
        if unknown:
            raise SandboxError(f"unknown config keys: {', '.join(sorted(unknown))}")
        with self.state.lock:
            self.state.config.update(payload)
            return dict(self.state.config)

    def post_accounts(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self.state.create_account(
            str(payload["platform"]),
            str(payload["username"]),
            str(payload.get("password", "")),
            str(payload.get("display_name", "")),
            time_zone=str(payload.get("time_zone") or ""),
        )
        return self._describe(account)

    def post_time_zone(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Set the zone the account's pages print local times in: ``{"time_zone": "Europe/London"}`` ("": the site's)."""
        account = self._account(payload)
        self.state.set_time_zone(account, str(payload.get("time_zone") or ""))
        return self._describe(account)

    def get_accounts(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._describe(self._account(payload))

    def post_messages(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Seed a renter's message: in a new thread, or in ``thread_id`` when given.

        ``renter_handle`` (a new thread only) is the renter's profile id on the platform: two
        threads with the same handle are one person, as the replica's profile links show.
        """
        account = self._account(payload)
        if payload.get("thread_id"):
            thread = self.state.thread(account, payload["thread_id"])
        else:
            ref = str(payload.get("listing_ref") or "100001")
            thread = self.state.new_thread(
                account,
                renter_name=str(payload["renter_name"]),
                listing_ref=ref,
                listing_title=str(payload.get("listing_title") or f"Room in listing {ref}"),
                renter_handle=str(payload.get("renter_handle") or ""),
            )
        message = self.state.add_message(
            account,
            thread,
            direction="in",
            sender_name=str(payload.get("renter_name") or thread.renter_name),
            body=str(payload["body"]),
            sent_at=_when(payload.get("sent_at")),
        )
        return {"thread_id": thread.id, "message_id": message.id, "sent_at": message.sent_at.isoformat()}

    def post_outbound(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add a message a human agent typed on the platform itself (not through lease-bot)."""
        account = self._account(payload)
        thread = self.state.thread(account, payload["thread_id"])
        message = self.state.add_message(
            account,
            thread,
            direction="out",
            sender_name=str(payload.get("sender_name") or account.display_name),
            body=str(payload["body"]),
            sent_at=_when(payload.get("sent_at")),
            via="agent",
        )
        return {"thread_id": thread.id, "message_id": message.id, "sent_at": message.sent_at.isoformat()}

    def post_close_thread(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        thread = self.state.thread(account, payload["thread_id"])
        thread.closed = True
        return {"thread_id": thread.id, "closed": True}

    def get_threads(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        with self.state.lock:
            return {"threads": [t.as_dict() for t in sorted(account.threads.values(), key=lambda t: t.id)]}

    def get_sent(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        with self.state.lock:
            return {"sent": [s.as_dict() for s in account.sent]}

    def get_stats(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("username"):
            return self._account(payload).stats()
        platform = str(payload.get("platform", ""))
        with self.state.lock:
            if platform:
                return {"requests": self.state.platform_requests[platform]}
            return {"requests": dict(self.state.platform_requests)}

    def get_requests(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        with self.state.lock:
            return {"requests": [{"at": at.isoformat(), "path": path} for at, path in account.request_log]}

    def post_faults(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        count = payload.get("count", -1)
        fault = self.state.set_fault(
            account,
            str(payload["kind"]),
            count=None if count is None else int(count),
            retry_after=payload.get("retry_after"),
            delay=payload.get("delay"),
        )
        return fault.as_dict()

    def post_clear_faults(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        self.state.clear_faults(account, payload.get("kind") or None)
        return {"ok": True}

    def get_profile(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The account's rendering profile, and what its replica declares for the realistic one."""
        account = self._account(payload)
        with self.state.lock:
            return self._profile(account)

    def post_profile(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Set the whole profile: ``{"name": "plain" | "realistic", "seed": 0}``."""
        account = self._account(payload)
        seed = payload.get("seed")
        self.state.set_profile(
            account, str(payload.get("name") or "realistic"), self._site(account), seed=int(seed or 0)
        )
        return self._profile(account)

    def post_traits(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Pin one trait: ``{"trait": "curly_quotes", "on": true, "knobs": {...}}``."""
        account = self._account(payload)
        knobs = payload.get("knobs") or {}
        if not isinstance(knobs, dict):
            raise SandboxError("knobs must be an object")
        on = payload.get("on", True)
        if not isinstance(on, bool):
            raise SandboxError("on must be true or false")
        self.state.pin_trait(account, self._site(account), str(payload["trait"]), on=on, **knobs)
        return self._profile(account)

    def get_traits(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Every trait the sandbox knows, with its knobs and their defaults."""
        return {
            "traits": {
                t.name: {
                    "doc": t.doc,
                    "knobs": {k: {"default": v.default, "choices": list(v.choices)} for k, v in t.knobs.items()},
                }
                for t in TRAITS.values()
            }
        }

    def get_login_codes(self, payload: dict[str, Any]) -> dict[str, Any]:
        account = self._account(payload)
        with self.state.lock:
            return {"codes": [{"code": c, "issued_at": at.isoformat()} for c, at in account.login_codes]}
