"""Every route by role: the one table the authorisation matrix, the CSRF tests and the smoke suite read.

Each :class:`Route` says what each column (anonymous, no role, an agent on an object of an
account granted to them or of one that is not, ops, admin) gets:

- tests/security/test_authorization_matrix.py checks every API route and review page
  against every column;
- tests/security/test_csrf.py sends every API write with a session and no, a wrong and
  the right CSRF token;
- tests/smoke/ signs in as admin, agent and ops and calls the routes the review UI calls
  (``Route.ui``), expecting the exact status each role's column stands for.

``{name}`` in a path is one of :meth:`World.ids`: an object of the world :func:`build_world`
makes (an agent's own account with a conversation, a draft, a dead letter and a canned reply,
and the same on a foreign account).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from inbox.models import CannedReply
from platforms.models import Platform
from platforms.roles import account_grant
from tests.dispatch.factories import DeadLetterFactory
from tests.inbox.factories import ConversationFactory, MessageFactory, OutboundFactory
from tests.platforms.factories import PlatformAccountFactory, UserFactory

#: What a column expects: ``OK`` (authorisation passed: any 2xx, or a 4xx about the request
#: itself such as 400/409), ``FORBIDDEN`` (the role may not), ``HIDDEN`` (outside the agent's
#: accounts: the object does not exist for them), ``LOGIN`` (anonymous: 401/403 from the API,
#: a redirect to the login page from pages and admin), ``REDIRECT`` (a page sends the role elsewhere).
OK, FORBIDDEN, HIDDEN, LOGIN, REDIRECT = "ok", 403, 404, "login", "redirect"
#: Columns: anonymous, no role, agent (own object), agent (foreign object), ops, admin.
COLUMNS = ("anon", "norole", "agent_own", "agent_foreign", "ops", "admin")
#: The roles, and the column each one's own objects are judged by.
ROLES = ("admin", "agent", "ops")
COLUMN_OF_ROLE = {"admin": "admin", "agent": "agent_own", "ops": "ops"}
#: The status a signed-in role gets where its column expects OK, FORBIDDEN, HIDDEN or REDIRECT.
STATUS = {OK: 200, FORBIDDEN: 403, HIDDEN: 404, REDIRECT: 302}
HTML, JSON = "text/html", "application/json"


def row(anon: Any, norole: Any, own: Any, foreign: Any, ops: Any, adm: Any) -> dict[str, Any]:
    return dict(zip(COLUMNS, (anon, norole, own, foreign, ops, adm), strict=True))


ALL_READ = row(LOGIN, FORBIDDEN, OK, OK, OK, OK)
REVIEWER_OBJ = row(LOGIN, FORBIDDEN, OK, HIDDEN, FORBIDDEN, OK)
REVIEWER = row(LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, OK)
SCOPED_READ = row(LOGIN, FORBIDDEN, OK, HIDDEN, OK, OK)
ADMIN_OBJ = row(LOGIN, FORBIDDEN, FORBIDDEN, HIDDEN, FORBIDDEN, OK)
ADMIN_ONLY = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
OPS_ADMIN = row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK)


@dataclasses.dataclass(frozen=True)
class Route:
    """One route: method, path, the body a write sends (``None``: no body), and each column's answer."""

    method: str
    path: str
    body: Any
    access: dict[str, Any]
    #: The query strings the review UI calls it with (``""``: none); the smoke suite calls each.
    ui: tuple[str, ...] = ()
    #: What it answers with (``None``: not checked).
    content_type: str | None = JSON

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def status_for(self, role: str) -> int:
        """The exact status a signed-in ``role`` gets on its own objects (what the smoke suite expects)."""
        return STATUS[self.access[COLUMN_OF_ROLE[role]]]


def _route(method: str, path: str, body: Any, access: dict[str, Any], *ui: str) -> Route:
    return Route(method, path, body, access, ui)


def _page(path: str, access: dict[str, Any], *ui: str) -> Route:
    return Route("get", path, None, access, ui, HTML)


#: Every API route (tests/security/test_authorization_matrix.py fails on one missing here).
API: list[Route] = [
    _route("get", "/api/v1/me/", None, ALL_READ, ""),
    _route("get", "/api/v1/platforms/", None, ALL_READ, ""),
    _route("patch", "/api/v1/platforms/{platform}/", {"is_active": True}, ADMIN_ONLY),
    _route("get", "/api/v1/platform-accounts/", None, ALL_READ, ""),
    _route("get", "/api/v1/platform-accounts/{account}/", None, SCOPED_READ),
    _route("patch", "/api/v1/platform-accounts/{account}/", {"is_canary": False}, ADMIN_OBJ, ""),
    _route("get", "/api/v1/settings/", None, ALL_READ, ""),
    _route("patch", "/api/v1/settings/", {"canary_share_percent": 0}, ADMIN_ONLY, ""),
    _route("get", "/api/v1/health/platforms/", None, ALL_READ, ""),
    _route("get", "/api/v1/health/queues/", None, ALL_READ, ""),
    _route(
        "get",
        "/api/v1/conversations/",
        None,
        REVIEWER,
        "",
        "?human_required=true&search=room",
        "?assigned=me",
        "?assigned=none",
        "?taken_over=true",
        "?page=1",
        "?human_required=true&conversation_status=open&page=1&page_size=1",
    ),
    _route("get", "/api/v1/conversations/{conversation}/", None, REVIEWER_OBJ, ""),
    _route(
        "post", "/api/v1/conversations/{conversation}/reply/", {"body": "Happy to show you the room."}, REVIEWER_OBJ
    ),
    _route("post", "/api/v1/conversations/{conversation}/take-over/", {}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/hand-back/", {}, REVIEWER_OBJ),
    _route("get", "/api/v1/conversations/{conversation}/notes/", None, REVIEWER_OBJ, ""),
    _route("post", "/api/v1/conversations/{conversation}/notes/", {"body": "Called back."}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/assign/", {"agent": None}, REVIEWER_OBJ, ""),
    _route("get", "/api/v1/conversations/{conversation}/agents/", None, REVIEWER_OBJ, ""),
    _route("post", "/api/v1/conversations/{conversation}/snooze/", {"until": "2099-01-01T00:00:00Z"}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/reopen/", {}, REVIEWER_OBJ, ""),
    _route("post", "/api/v1/conversations/{conversation}/resolve/", {}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/link-unit/", {"unit": None}, REVIEWER_OBJ),
    _route("get", "/api/v1/conversations/{conversation}/units/", None, REVIEWER_OBJ, ""),
    # No showing named: the agent's own conversation answers 400 about the body, after the object check.
    _route("post", "/api/v1/conversations/{conversation}/showing-outcome/", {}, REVIEWER_OBJ),
    # The lead panel. Bodies that name no showing, or a time with no unit linked, answer 400 after the object check.
    _route("get", "/api/v1/conversations/{conversation}/slots/", None, REVIEWER_OBJ, ""),
    _route("post", "/api/v1/conversations/{conversation}/book-showing/", {}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/reschedule-showing/", {}, REVIEWER_OBJ),
    _route("post", "/api/v1/conversations/{conversation}/cancel-showing/", {}, REVIEWER_OBJ),
    _route(
        "post",
        "/api/v1/conversations/{conversation}/qualification/",
        {"changes": {"budget": 2000}, "seen": {}},
        REVIEWER_OBJ,
    ),
    _route("post", "/api/v1/conversations/{conversation}/follow-ups/", {"paused": True}, REVIEWER_OBJ),
    _route("get", "/api/v1/units/", None, REVIEWER, ""),
    _route("get", "/api/v1/canned-replies/", None, REVIEWER, "?account={account}"),
    _route("post", "/api/v1/canned-replies/", {"title": "New", "body": "Thanks for your message."}, ADMIN_ONLY),
    _route("get", "/api/v1/canned-replies/{canned}/", None, REVIEWER_OBJ),
    _route("patch", "/api/v1/canned-replies/{canned}/", {"title": "Renamed"}, row(LOGIN, 403, 403, 404, 403, OK)),
    _route("delete", "/api/v1/canned-replies/{canned}/", None, row(LOGIN, 403, 403, 404, 403, OK)),
    _route("post", "/api/v1/guardrails/check/", {"text": "Hello"}, REVIEWER, ""),
    _route("get", "/api/v1/review/queue/", None, REVIEWER, "", "?platform=spareroom&account={account}"),
    _route("get", "/api/v1/review/counts/", None, REVIEWER, ""),
    # Per item, not per route: a foreign or stale item is skipped in a 200 answer, never acted on.
    _route(
        "post",
        "/api/v1/review/bulk/",
        {"action": "reject", "reason": "duplicate", "items": [{"key": "outbound-1", "version": "as shown"}]},
        REVIEWER,
    ),
    _route("get", "/api/v1/outbound/", None, ALL_READ, "?conversation={conversation}"),
    _route("get", "/api/v1/outbound/{draft}/", None, SCOPED_READ, ""),
    _route("patch", "/api/v1/outbound/{draft}/", {"body": "Hello again."}, REVIEWER_OBJ, ""),
    _route("post", "/api/v1/outbound/{draft}/approve/", {}, REVIEWER_OBJ),
    _route("post", "/api/v1/outbound/{draft}/reject/", {"reason": "not needed"}, REVIEWER_OBJ),
    _route("post", "/api/v1/outbound/{draft}/resolve/", {"sent": True}, REVIEWER_OBJ),
    _route("get", "/api/v1/dead-letters/", None, ALL_READ, ""),
    _route("get", "/api/v1/dead-letters/{letter}/", None, SCOPED_READ),
    _route("post", "/api/v1/dead-letters/{letter}/retry/", {}, ADMIN_OBJ),
    _route("post", "/api/v1/dead-letters/{letter}/discard/", {"reason": "duplicate"}, ADMIN_OBJ),
    _route("get", "/api/v1/observability/", None, OPS_ADMIN),
    _route("get", "/api/v1/reports/", None, OPS_ADMIN),
]
#: Every API route that writes.
WRITES: list[Route] = [r for r in API if r.method != "get"]

#: The review UI's pages (HTML).
PAGES: list[Route] = [
    _page("/review/", row(LOGIN, FORBIDDEN, OK, OK, REDIRECT, OK), ""),
    _page("/review/conversations/", row(LOGIN, FORBIDDEN, OK, OK, FORBIDDEN, OK), ""),
    _page("/review/conversations/{conversation}/", row(LOGIN, FORBIDDEN, OK, HIDDEN, FORBIDDEN, OK), ""),
    _page("/review/settings/", row(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK), ""),
    _page("/review/health/", row(LOGIN, FORBIDDEN, OK, OK, OK, OK), ""),
]

#: The API's documentation page and its schema, outside /api/v1/ and no role's to decide: the
#: matrix reads neither, so only the signed-in roles' answers are stated.
SIGNED_IN = {"admin": OK, "agent_own": OK, "ops": OK}
DOCS_PAGE = _page("/api/docs/", SIGNED_IN, "")
SCHEMA = Route("get", "/api/schema/", None, SIGNED_IN, ("",), content_type=None)  # OpenAPI, not JSON.


# --- The world the paths are filled from ---


@dataclasses.dataclass
class Side:
    """The objects of one account: conversation, message, draft, dead letter, canned reply."""

    account: Any
    conversation: Any
    message: Any
    draft: Any
    letter: Any
    canned: Any


@dataclasses.dataclass
class World:
    """A user per role (and one with none), the agent's own account and a foreign one."""

    users: dict[str, Any]
    own: Side
    foreign: Side
    platform: Any

    def ids(self, side: str) -> dict[str, int]:
        """The ids a route's ``{name}`` placeholders take, on the ``own`` or the ``foreign`` side."""
        objs = self.own if side == "own" else self.foreign
        return {
            "account": objs.account.pk,
            "conversation": objs.conversation.pk,
            "draft": objs.draft.pk,
            "letter": objs.letter.pk,
            "canned": objs.canned.pk,
            "message": objs.message.pk,
            "platform": self.platform.pk,
        }

    def fill(self, path: str, side: str = "own") -> str:
        return path.format(**self.ids(side))


def _side(label: str, renter: str) -> Side:
    account = PlatformAccountFactory(label=label)
    conversation = ConversationFactory(account=account, renter_name=renter)
    message = MessageFactory(conversation=conversation, sender_name=renter, body="Hi, is the room still available?")
    draft = OutboundFactory(conversation=conversation, body="Hello! Yes, the room is available from June 1.")
    letter = DeadLetterFactory(account=account)
    canned = CannedReply.objects.create(title=f"Hello {label}", body="Thanks for your message.", account=account)
    return Side(account, conversation, message, draft, letter, canned)


def build_world(prefix: str) -> World:
    """Users ``<prefix>-admin``, ``-agent``, ``-ops`` and ``-norole``; accounts ``<prefix>-own`` (granted to the agent) and ``<prefix>-foreign``."""
    users = {role: UserFactory(username=f"{prefix}-{role}", role=role) for role in ROLES}
    users["norole"] = UserFactory(username=f"{prefix}-norole")
    own = _side(f"{prefix}-own", "Jamie Own")
    foreign = _side(f"{prefix}-foreign", "Riley Foreign")
    account_grant(user=users["agent"], account=own.account)
    return World(users=users, own=own, foreign=foreign, platform=Platform.objects.get(slug="spareroom"))
