"""Hypothesis over the replicas' renderings and the crash points, with real workers and Chromium.

Whatever the draw, an agent's reply appears on the platform exactly once or is held as
``unknown`` for a person (and then it is on the platform at most once); no renter message
is lost; and ingest never takes the bot's own message for a person's (no conversation is
escalated as "a person replied on the platform").

Each example draws a web replica, a set of rendering traits pinned on over the account's
realistic profile, a reply body made to trip those traits, and where the worker dies:

* ``before_click``: every page is slow, the worker is SIGKILLed once the row is ``sending``
  and the platform has received nothing;
* ``between_click_and_commit``: the platform records the reply and stalls its answer
  (``send_stall``), the worker is SIGKILLed once the body is on the platform; then either the
  reconciler reads the thread back after the lease, or (``ingest_first``) ingest reads it
  while the row is still ``sending`` and its matcher must know the reply for the bot's;
* ``after_commit``: the worker is SIGKILLed once the row is ``sent``, and the send job is
  then delivered again, several times over, with one task id.

Then the fleet recovers (the lease and the lock TTL pass, a fresh worker, beat's sweep),
the rows drain, ingest reads the thread back, and the rows drain again.

Few examples in ``make test`` (each one starts two workers and Chromium): two explicit, one
drawn; twenty drawn under ``LEASEBOT_CHAOS_FULL=1`` (``LEASEBOT_PROPERTY_EXAMPLES=<n>`` sets
the number); derandomized, so CI draws the same examples every run.
``LEASEBOT_PROPERTY_SEED=<n>`` draws others (and replays a run that printed that seed).
Shrinking is off: every step of it would be another minute of real workers; the failing
example is printed whole instead (hypothesis' "Falsifying example", and the ``note`` lines).
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, note, seed, settings
from hypothesis import strategies as st

from inbox import holds
from inbox.choices import ReasonCode
from tests.chaos.conftest import FULL, ChaosAccount, Rig
from tests.support import eventually, poll

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.slow,
]

#: Drawn examples (the explicit one below runs as well); ``LEASEBOT_PROPERTY_EXAMPLES`` overrides.
EXAMPLES = int(os.environ.get("LEASEBOT_PROPERTY_EXAMPLES", "20" if FULL else "1"))
#: Unset: derandomized (the same draws every run, for CI). Set: hypothesis seeded with it.
SEED = os.environ.get("LEASEBOT_PROPERTY_SEED")

PLATFORMS = ("spareroom", "roomies", "leasebreak", "renthop")
CRASHES = ("before_click", "between_click_and_commit", "after_commit")
#: Traits without knobs, each pinned on or left as the realistic profile has it.
SWITCHES = ("curly_quotes", "paragraphs", "collapse_blank_lines", "entities", "nbsp", "markdown", "signature")
EMOJI = ("\U0001f642", "\U0001f44d\U0001f3fd", "\u2764\ufe0f", "\U0001f3e0", "\U0001f1fa\U0001f1f8", "\u2b50")
SEPARATORS = (" ", "\n", "\n\n", "\n\n\n")
#: Copies of the send job delivered after an ``after_commit`` crash (one task id, as a redelivery has).
REDELIVERIES = 3


def reseeded(test: Any) -> Any:
    """Seed hypothesis with ``LEASEBOT_PROPERTY_SEED`` when it is set (else the run is derandomized)."""
    return seed(int(SEED))(test) if SEED is not None else test


@dataclasses.dataclass(frozen=True)
class Case:
    """One drawn example: where, how the site shows text, what the agent typed, where the worker dies."""

    platform: str
    pins: dict[str, dict[str, Any]]
    body: str
    crash: str
    #: Between click and commit only: ingest reads the thread while the row is still ``sending``
    #: (the lease not yet passed), so ingest's matcher, not the reconciler's read-back, decides.
    ingest_first: bool = False

    def label(self) -> str:
        return ",".join(f"{t}({','.join(f'{k}={v}' for k, v in knobs.items())})" for t, knobs in self.pins.items())


@st.composite
def pinned_traits(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Rendering traits to pin on (with their knobs), over what the realistic profile already has."""
    pins: dict[str, dict[str, Any]] = {name: {} for name in SWITCHES if draw(st.booleans())}
    if draw(st.booleans()):
        pins["linkify"] = {"display": draw(st.sampled_from(["as_typed", "no_scheme", "host_path", "short"]))}
    if draw(st.booleans()):
        pins["emoji_images"] = {"alt": draw(st.sampled_from(["emoji", "none"]))}
    if draw(st.booleans()):
        pins["unicode_form"] = {"form": draw(st.sampled_from(["NFC", "NFD", "NFKC"]))}
    if draw(st.booleans()):
        pins["delayed_visibility"] = {"seconds": draw(st.integers(0, 30)) / 10}
    return pins


@st.composite
def urls(draw: st.DrawFn) -> str:
    """A URL as an agent types one: with or without a scheme, ``www.``, a path, a query with ``&``."""
    scheme = draw(st.sampled_from(["https://", "http://", ""]))
    www = draw(st.sampled_from(["www.", ""])) if scheme else "www."  # Without a scheme, sites link only www.
    host = draw(st.sampled_from(["example.com", "lease-demo.net", "rooms.example.org"]))
    path = draw(st.sampled_from(["", "/rooms/42", "/listings/brooklyn/garden-room-with-a-view-and-a-long-name"]))
    path += draw(st.sampled_from(["", "/"])) if path else ""
    query = draw(st.sampled_from(["", "?utm_source=sr", "?id=42&ref=mail"]))
    return f"{scheme}{www}{host}{path}{query}"


@st.composite
def bodies(draw: st.DrawFn) -> str:
    """A reply made of pieces each trait changes: quotes, apostrophes, a URL, an emoji, blank lines, markdown, "..."."""
    pieces = [
        'The "garden room" is the quiet one.',
        "It's available from June 1st, and we're happy to show it.",
        f"Photos: {draw(urls())}",
        f"See you soon {draw(st.sampled_from(EMOJI))}",
        draw(st.sampled_from(["*Viewings* run all week.", "Viewings run **all week**.", "Come by _any_ evening."])),
        "Let me check the dates...",
    ]
    chosen = draw(st.permutations(pieces))[: draw(st.integers(3, len(pieces)))]
    text = "Hi Casey,"
    for piece in chosen:
        text += draw(st.sampled_from(SEPARATORS)) + piece
    return text


cases = st.builds(
    Case,
    platform=st.sampled_from(PLATFORMS),
    pins=pinned_traits(),
    body=bodies(),
    crash=st.sampled_from(CRASHES),
    ingest_first=st.booleans(),
)


def bodies_on_platform(rig: Rig, account: ChaosAccount) -> list[str]:
    """The replies the replica's form received, as typed (a form submits line breaks as CRLF)."""
    return [item["body"].replace("\r\n", "\n") for item in rig.client.sent(account.platform, account.username)]


def row_state(pk: int) -> tuple[str, Any]:
    from inbox.models import OutboundMessage

    return OutboundMessage.objects.values_list("status", "clicked_at").get(pk=pk)


def ingest_while_sending(rig: Rig, account: ChaosAccount, *, pk: int, thread_ref: str) -> None:
    """With the row still ``sending`` and its lease not passed, run ingest until it has read the reply back."""
    from inbox.models import Message

    rig.expire_account_locks()  # The killed worker's; every worker is stopped.
    rig.start_worker(name="reader")
    last = 0.0

    def read() -> bool:
        nonlocal last
        if Message.objects.filter(
            conversation__thread_ref=thread_ref, conversation__account_id=account.pk, direction="out"
        ).exists():
            return True
        if time.monotonic() - last > 2.0:
            last = time.monotonic()
            rig.ingest_jobs([account])
        return False

    eventually(read, "ingest to read the reply back while it is sending", timeout=90, detail=rig.worker_logs)
    assert row_state(pk)[0] != "queued", row_state(pk)


def crash(rig: Rig, case: Case, account: ChaosAccount, pk: int, body: str) -> dict[str, Any]:
    """Start a worker, let it send the reply up to the drawn point, SIGKILL it there; return what was seen then."""
    platform, username = account.platform, account.username
    if case.crash == "before_click":
        rig.client.set_fault(platform, username, "slow", delay=2, count=None)
    elif case.crash == "between_click_and_commit":
        rig.client.set_fault(platform, username, "send_stall", delay=8)
    rig.start_worker(name="victim")
    if case.crash == "before_click":
        # Claimed (the lease taken), still loading pages two seconds apiece: far from the click.
        eventually(
            lambda: row_state(pk)[0] == "sending" and not bodies_on_platform(rig, account),
            "the reply to be claimed",
            timeout=90,
            detail=rig.worker_logs,
        )
    elif case.crash == "between_click_and_commit":
        # The platform has the reply and holds its answer for eight seconds: the commit cannot have happened.
        eventually(
            lambda: body in bodies_on_platform(rig, account), "the click to land", timeout=90, detail=rig.worker_logs
        )
    else:
        eventually(lambda: row_state(pk)[0] == "sent", "the reply to be sent", timeout=90, detail=rig.worker_logs)
    rig.kill_workers()
    status, clicked_at = row_state(pk)
    seen = {"status_at_kill": status, "sends_at_kill": bodies_on_platform(rig, account).count(body)}
    if case.crash == "before_click":
        assert (status, clicked_at, seen["sends_at_kill"]) == ("sending", None, 0), seen
    elif case.crash == "between_click_and_commit":
        assert (status, seen["sends_at_kill"]) == ("sending", 1), seen
    rig.client.clear_faults(platform, username)
    return seen


def _skipped_example(**_kwargs: Any) -> Any:
    """An explicit example left out of this run (see where it is used)."""
    return lambda test: test


@pytest.mark.timeout((EXAMPLES + 2) * 300 + 120)
@reseeded
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    # The rig (private Redis, sandbox, database) is shared by the examples on purpose: starting
    # it costs more than an example. Nothing leaks between them: each example makes its own
    # account, thread and workers, and retires the account when done.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=cases)
# Always run (whatever the draws): the window the reconciler must get right, with the traits
# that change the text most, on the replica that shows a reply latest.
@example(
    case=Case(
        platform="roomies",
        pins={
            "curly_quotes": {},
            "markdown": {},
            "paragraphs": {},
            "signature": {},
            "linkify": {"display": "short"},
            "emoji_images": {"alt": "none"},
            "unicode_form": {"form": "NFD"},
            "delayed_visibility": {"seconds": 3.0},
        },
        body=(
            "Hi Casey,\n\nThe \"garden room\" is the quiet one. It's available from June 1st, and we're happy to "
            "show it.\n\n\nPhotos: https://www.example.com/listings/brooklyn/garden-room-with-a-view-and-a-long-name/"
            "?id=42&ref=mail\n*Viewings* run all week. Let me check the dates...\n\nSee you soon \U0001f44d\U0001f3fd"
        ),
        crash="between_click_and_commit",
    )
)
# ... and the same window decided by ingest: the bot's own words, curled, linked and signed,
# must be taken for the bot's (the row reconciled to sent), never for a person replying.
# In `make chaos` only for now: on 2026-12-01 it failed once in four runs (CI), ingest reading
# the thread every 2 s for 90 s and storing nothing while the row was `sending` (no duplicate:
# the reconciler's read-back settles the row). Its likely cause, a row's last-message id trusted at
# once, is fixed in ``row_signature``; back in `make test` once it has passed there again (docs/chaos.md).
@(example if FULL else _skipped_example)(
    case=Case(
        platform="spareroom",
        pins={
            "curly_quotes": {},
            "nbsp": {},
            "entities": {},
            "signature": {},
            "linkify": {"display": "host_path"},
            "emoji_images": {"alt": "emoji"},
            "collapse_blank_lines": {},
        },
        body=(
            "Hi Casey,\n\n\nIt's available from June 1st, and we're happy to show it. "
            'The "garden room" is the quiet one...\n\nPhotos: www.example.com/rooms/42?utm_source=sr\n\n'
            "Come by _any_ evening. See you soon \u2764\ufe0f"
        ),
        crash="between_click_and_commit",
        ingest_first=True,
    )
)
def test_every_reply_once_on_the_platform_or_held_as_unknown(rig: Rig, case: Case) -> None:
    note(
        f"platform={case.platform} crash={case.crash} ingest_first={case.ingest_first} pins={case.label()} body={case.body!r}"
    )
    try:
        run_example(rig, case)
    finally:
        rig.kill_workers()


def run_example(rig: Rig, case: Case) -> None:
    from inbox.models import Conversation, Message, OutboundMessage
    from inbox.services import outbound_reply_manual
    from platforms.services import account_update_policy

    # given: a fresh account on the realistic replica with the drawn traits pinned on, a renter's
    # message, and the agent's reply to it queued
    account = rig.add_account(case.platform)
    for trait, knobs in case.pins.items():
        rig.client.pin_trait(account.platform, account.username, trait, **knobs)
    thread_ref, _ = rig.seed_inbound(account)
    conversation, _ = Conversation.objects.get_or_create(
        account_id=account.pk, thread_ref=thread_ref, defaults={"renter_name": "Casey Renter"}
    )
    row, _created = outbound_reply_manual(
        conversation=conversation, actor=rig.agent(), body=case.body, idempotency_key=f"prop-{uuid.uuid4().hex}"
    )
    assert row.status == "queued", (row.status, row.hold_reasons)
    body = row.body

    # when: the worker dies at the drawn point; the renter writes again while the fleet is down
    seen = crash(rig, case, account, row.pk, body)
    rig.seed_inbound(account, thread_ref=thread_ref, body="Great, could I see it on Saturday morning?")
    read_early = case.crash == "between_click_and_commit" and case.ingest_first
    if read_early:
        ingest_while_sending(rig, account, pk=row.pk, thread_ref=thread_ref)
    rig.recover()
    if case.crash == "after_commit":
        task_id = str(uuid.uuid4())
        for _ in range(REDELIVERIES):
            rig.send_task("dispatch.send_account", account.pk, task_id=task_id)

        def redelivered() -> bool:
            received, finished = rig.deliveries(task_id)
            return received >= REDELIVERIES and finished == received

        eventually(redelivered, f"the {REDELIVERIES} redelivered send jobs to run", detail=rig.worker_logs)
    settled = rig.drain(timeout=150, accounts=[account])
    # ... and ingest reads the thread back (the reply may show late): until it has stored what the platform got
    on_platform = bodies_on_platform(rig, account).count(body)
    last_ingest = 0.0

    def ingested() -> bool:
        nonlocal last_ingest
        stored = Message.objects.filter(conversation=conversation, direction="out").count()
        if stored < on_platform and time.monotonic() - last_ingest > 2.0:
            last_ingest = time.monotonic()
            rig.ingest_jobs([account])
        return stored >= on_platform

    read_back = poll(ingested, timeout=90, interval=0.1)
    settled = rig.drain(timeout=90, accounts=[account]) and settled

    # then: once on the platform, or held as unknown (and then at most once); nothing lost
    row.refresh_from_db()
    conversations = list(Conversation.objects.filter(account_id=account.pk))
    fig = rig.figures(
        f"exactly_once_property[{case.crash}]",
        [account],
        platform=case.platform,
        pins=case.label() or "-",
        status=row.status,
        status_at_kill=seen["status_at_kill"],
        sends_at_kill=seen["sends_at_kill"],
        ingest_first=read_early,
    )
    note(fig.line())
    assert settled, rig.worker_logs()
    rig.assert_bar(fig)
    assert (row.status, on_platform) in {("sent", 1), ("unknown", 1), ("unknown", 0)}, (
        row.status,
        on_platform,
        row.outcome_evidence,
    )
    if row.status == "unknown":
        assert holds.has(Conversation.objects.get(pk=conversation.pk).human_reasons, ReasonCode.OUTCOME_UNKNOWN)
    # and: ingest read our reply back and knew it for ours; nobody was taken for a person replying
    assert read_back, f"ingest did not store the reply it sent within 90 s\n{rig.worker_logs()}"
    outbound = list(Message.objects.filter(conversation__account_id=account.pk, direction="out"))
    assert all(m.sent_by_bot for m in outbound), [(m.body, m.sent_by_bot) for m in outbound]
    escalated = [c.pk for c in conversations if holds.has(c.human_reasons, ReasonCode.HUMAN_REPLIED)]
    assert not escalated, [(c.pk, c.human_reasons) for c in conversations]
    assert OutboundMessage.objects.filter(pk=row.pk, status__in=("sent", "unknown")).exists()
    # Done with it: later examples' sweeps leave this account alone.
    account_update_policy(account_id=account.pk, actor=None, is_active=False, reason="property example done")
