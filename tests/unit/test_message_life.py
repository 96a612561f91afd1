"""The ordering rule for a message's life: what each Slack event means (pure), and that any interleaving of a
message's deliveries, duplicates included, ends in the state of the newest (the real workflow on SQLite)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.approval.outcomes import Kind
from bot.approval.workflow import Workflow
from bot.intake.message_life import Life, Move, classify, order_key
from bot.sandbox import slack_events as events
from handlers.drafts import record
from storage.models import Draft, DraftVersion, Status
from storage.store import Store
from tests.unit.test_workflow import new_store, new_workflow

CHANNEL, TEAM, WRITER = "C0DRAFTS", "T0ACME", "U0WRITER"
TS = "1763800000.000100"


# -- classify: each shape Slack sends ------------------------------------------------------------------------


def test_a_persons_message_is_a_creation() -> None:
    event = events.message_event(WRITER, "Fresh beans.", CHANNEL, TS, TEAM)
    assert classify(event) == Move(Life.CREATE, TS, event)
    shared = events.message_event(WRITER, "", CHANNEL, TS, TEAM, files=[{"id": "F1"}])
    assert classify(shared) == Move(Life.CREATE, TS, shared)


@pytest.mark.parametrize(
    "event",
    [
        events.slackbot_message("Reminder: post the menu.", CHANNEL, TS, TEAM),
        events.message_event(WRITER, "A reply.", CHANNEL, TS, TEAM, thread_ts="1763700000.000100"),
        events.message_event("U0BOT", "Ours.", CHANNEL, TS, TEAM, bot_id="B0BOT"),
        events.message_event(WRITER, "Legacy bot.", CHANNEL, TS, TEAM, subtype="bot_message"),
        events.message_event(WRITER, "Broadcast.", CHANNEL, TS, TEAM, subtype="thread_broadcast"),
        events.message_event(WRITER, "No ts.", CHANNEL, "not-a-ts", TEAM),
        {"type": "message", "subtype": ["unhashable"], "ts": TS},
    ],
    ids=["slackbot", "thread reply", "bot", "bot_message", "thread_broadcast", "bad ts", "odd subtype"],
)
def test_messages_that_are_nobodys_draft_are_ignored(event: dict[str, Any]) -> None:
    assert classify(event) is None


def test_an_edit_carries_its_edited_ts() -> None:
    event = events.message_changed(WRITER, CHANNEL, TS, "new", "old", "1763800005.000200", TEAM)
    assert classify(event) == Move(Life.EDIT, TS, event["message"], edited_ts="1763800005.000200")


def test_an_unfurl_is_no_edit() -> None:
    event = events.message_unfurled(WRITER, CHANNEL, TS, "See a.com", "https://a.com", "1763800005.000200", TEAM)
    assert "edited" not in event["message"] and event["message"]["attachments"]
    assert classify(event) is None


def test_a_tombstone_is_a_deletion_by_the_messages_writer() -> None:
    event = events.message_tombstoned(
        CHANNEL, TS, "old", WRITER, [("U0BOT", "1763800001.000100")], "1763800009.1", TEAM
    )
    move = classify(event)
    assert move is not None and (move.life, move.ts, move.user) == (Life.DELETE, TS, WRITER)


def test_deletions_of_the_message_and_of_its_tombstone_are_deletions() -> None:
    plain = classify(events.message_deleted(CHANNEL, TS, "old", WRITER, "1763800009.000100"))
    assert plain is not None and (plain.life, plain.ts, plain.user) == (Life.DELETE, TS, WRITER)
    gone = classify(events.tombstone_deleted(CHANNEL, TS, [], "1763800010.000100"))
    assert gone is not None and (gone.life, gone.ts) == (Life.DELETE, TS)


def test_a_deleted_thread_reply_or_bot_message_is_ignored() -> None:
    reply = events.message_deleted(CHANNEL, "1763800002.000100", "ours", "U0BOT", "1763800009.000100")
    reply["previous_message"]["thread_ts"] = TS
    assert classify(reply) is None
    bots = events.message_deleted(CHANNEL, TS, "ours", "U0BOT", "1763800009.000100")
    bots["previous_message"]["bot_id"] = "B0BOT"
    assert classify(bots) is None
    assert classify({"type": "message", "subtype": "message_deleted", "deleted_ts": 5}) is None


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("1763800000.000100", "1763800000.000200"),
        ("9.5", "10.1"),  # as text "9.5" > "10.1"
        ("1763800000.000200", "1763800000.1"),  # a short fraction is tenths, not a small number
        ("1763800000.000100", "1763800001.000000"),
    ],
)
def test_order_key_sorts_as_the_time(earlier: str, later: str) -> None:
    assert order_key(earlier) < order_key(later)
    assert len(order_key("9999999999999999.999999999999999")) == 32


# -- the rule, end to end on a real store --------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    event: dict[str, Any]
    event_id: str


def life_of(ts: str, edits: int, deletion: str | None) -> tuple[list[Delivery], list[str]]:
    """A message's events as Slack would send them: the creation, `edits` edits stamped in order, and a
    deletion ("plain", or "tombstone" followed by the tombstone's own deletion). Returns them with the texts,
    oldest first."""
    texts = [f"Version {i} of {ts}" for i in range(edits + 1)]
    seconds = int(ts.split(".")[0])
    out = [events.message_event(WRITER, texts[0], CHANNEL, ts, TEAM)]
    for i in range(1, edits + 1):
        out.append(events.message_changed(WRITER, CHANNEL, ts, texts[i], texts[i - 1], f"{seconds + i}.000000", TEAM))
    after = f"{seconds + edits + 1}.000000"
    if deletion == "plain":
        out.append(events.message_deleted(CHANNEL, ts, texts[-1], WRITER, after))
    elif deletion == "tombstone":
        replies = [("U0BOT", f"{seconds}.500000")]
        out.append(events.message_tombstoned(CHANNEL, ts, texts[-1], WRITER, replies, after, TEAM))
        out.append(events.tombstone_deleted(CHANNEL, ts, replies, f"{seconds + edits + 2}.000000"))
    return [Delivery(e, f"Ev{ts.replace('.', '')}x{i}") for i, e in enumerate(out)], texts


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[int, str | None, list[tuple[int, bool]]]:
    """How many edits, which deletion, and the order of deliveries: (index, same event id?) with repeats."""
    edits = draw(st.integers(0, 4))
    deletion = draw(st.sampled_from([None, "plain", "tombstone"]))
    count = 1 + edits + {None: 0, "plain": 1, "tombstone": 2}[deletion]
    order = draw(st.permutations(range(count)))
    repeats = draw(st.lists(st.tuples(st.integers(0, count - 1), st.booleans()), max_size=4))
    deliveries = [(i, True) for i in order]
    for index, same_id in repeats:
        deliveries.insert(draw(st.integers(0, len(deliveries))), (index, same_id))
    return edits, deletion, deliveries


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return new_store(tmp_path_factory.mktemp("life") / "countersign.db")


_messages = itertools.count(1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=interleavings())
def test_any_interleaving_ends_in_the_state_of_the_newest(store: Store, plan: tuple) -> None:
    edits, deletion, order = plan
    wf: Workflow = new_workflow(store)
    services = SimpleNamespace(workflow=wf)
    ts = f"{1763800000 + 100 * next(_messages)}.000100"
    deliveries, texts = life_of(ts, edits, deletion)
    for number, (index, same_id) in enumerate(order):
        delivery = deliveries[index]
        event_id = delivery.event_id if same_id else f"{delivery.event_id}r{number}"  # a retry, or a redelivery
        record({"event_id": event_id}, delivery.event, services)  # type: ignore[arg-type]

    with store.read() as tx:
        draft: Draft | None = tx.by_message(CHANNEL, ts)
        history: list[DraftVersion] = tx.versions(draft.id) if draft and draft.id else []
    if deletion:
        assert draft is None or draft.status == Status.WITHDRAWN, "a deleted message leaves nothing live"
    else:
        assert draft is not None and draft.status == Status.PENDING
        assert draft.text == texts[-1], "the newest edit's text, whatever the arrival order"
    shown = [v.text for v in history]
    assert shown == sorted(shown, key=texts.index), "each version is newer than the one before"
    assert len(set(shown)) == len(shown), "no text became a version twice"
    if draft is not None:
        assert draft.version == len(history) and history[-1].text == draft.text


def test_an_older_edit_does_not_win_over_a_newer_refused_one(store: Store) -> None:
    """The writer's newest edit was too long (refused, they were told): an older edit arriving late must not slip
    in as a version they have since replaced; the draft stays at what approvers already see."""
    services = SimpleNamespace(workflow=new_workflow(store))
    ts = f"{1763800000 + 100 * next(_messages)}.000100"
    older = events.message_changed(WRITER, CHANNEL, ts, "Older, fits.", "First.", "1763900001.000000", TEAM)
    newer = events.message_changed(WRITER, CHANNEL, ts, "x" * 300, "Older, fits.", "1763900002.000000", TEAM)
    for n, event in enumerate([events.message_event(WRITER, "First.", CHANNEL, ts, TEAM), newer, older]):
        recorded = record({"event_id": f"EvOlder{ts.replace('.', '')}{n}"}, event, services)  # type: ignore[arg-type]
        assert recorded is not None
        assert recorded[0].kind is [Kind.SUBMITTED, Kind.TOO_LONG, Kind.IGNORED][n]
    with store.read() as tx:
        draft = tx.by_message(CHANNEL, ts)
    assert draft is not None and (draft.version, draft.text) == (1, "First.")
