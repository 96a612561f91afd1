"""Undo after Approve against a real migrated SQLite database, with the clock moved by hand: the window is
`draft.undo_until`, the publisher's due query keeps off it, Undo is one compare-and-set against the claim."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.approval.outcomes import Kind
from bot.approval.policy import Policy, Voice
from bot.approval.post_text import compose
from bot.approval.refs import Actor
from bot.approval.workflow import Workflow
from bot.delivery.publisher import Publisher
from bot.slack.blocks import approval_card
from bot.slack.replies import decision_reply, refusal
from bot.slack.schedule_blocks import Timing
from bot.slack.undo_blocks import undo_reason_modal, window_holds
from storage import deliveries as stored_deliveries
from storage import undo as stored_undo
from storage.models import Delivery, Draft, Status
from storage.store import Store
from tests.clock import FakeClock
from tests.e2e.harness import block_text
from tests.unit.test_workflow import (  # noqa: F401  (fixtures)
    NAMES,
    OWNER,
    OWNER_ELSEWHERE,
    PARTNER,
    STRANGER,
    TEAM,
    Names,
    StubX,
    audit_rows,
    migrated_db,
    ref_of,
    reload,
    store,
    submitted,
)

START = datetime(2026, 12, 2, 14, 2, 35, tzinfo=UTC)
WINDOW = timedelta(seconds=30)
ZONE = ZoneInfo("UTC")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def workflow(db: Store, clock: FakeClock, window: timedelta = WINDOW) -> Workflow:
    return Workflow(
        db,
        Policy(approvers=frozenset({"U0OWNER", "U0PARTNER", "U0WALT"}), team_id=TEAM),
        Voice(agency="Acme Agency", template="— drafted by {agency}, approved by {approver}"),
        Names(NAMES),
        clock=clock,
        undo_window=window,
    )


@pytest.fixture
def wf(store: Store, clock: FakeClock) -> Workflow:  # noqa: F811
    return workflow(store, clock)


def due(store: Store, clock: FakeClock) -> list[int]:  # noqa: F811
    """The drafts whose deliveries are due."""
    with store.read() as tx:
        found = stored_deliveries.due(tx.session, clock(), postgresql=tx.dialect == "postgresql")
        return list(dict.fromkeys(tx.session.get(Delivery, i).draft_id for i in found))  # type: ignore[union-attr]


def publisher(store: Store, clock: FakeClock) -> tuple[Publisher, StubX]:  # noqa: F811
    x = StubX()
    return Publisher(store, x, on_change=lambda _id: None, worker_id="w1", clock=clock), x  # type: ignore[arg-type]


def approved(wf: Workflow, store: Store) -> Draft:  # noqa: F811
    draft = submitted(wf)
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED
    return reload(store, draft)


def card_text(draft: Draft, now: datetime) -> tuple[str, list[str]]:
    post = compose(draft.text, template="— drafted by {agency}", agency="Acme Agency", approver="", writer="")
    blocks = approval_card(draft, post, timing=Timing(now, ZONE))["blocks"]
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return block_text(blocks), labels


# -- the window is a time in the database ------------------------------------------------------


def test_approve_holds_the_draft_until_the_window_ends_then_it_is_due(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    assert draft.undo_until == START + WINDOW and draft.decided_at == START
    assert due(store, clock) == []
    clock.set(START + WINDOW - timedelta(microseconds=1))
    assert due(store, clock) == []
    clock.set(START + WINDOW)
    assert due(store, clock) == [draft.id]


def test_the_publisher_posts_nothing_in_the_window_and_once_after_it(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    pub, x = publisher(store, clock)
    assert pub.run_once() == 0 and x.posts == []
    clock.set(START + WINDOW)
    assert pub.run_once() == 1 and len(x.posts) == 1
    assert pub.run_once() == 0 and len(x.posts) == 1
    assert reload(store, draft).status == Status.PUBLISHED


def test_the_publisher_sleeps_until_the_window_ends_not_a_tick_more(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    approved(wf, store)
    clock.advance(timedelta(seconds=27))
    pub, _ = publisher(store, clock)
    assert pub._pause() == pytest.approx(3.0)
    with store.read() as tx:
        assert stored_undo.next_window_end(tx.session, clock()) == START + WINDOW


def test_a_window_of_zero_leaves_the_draft_due_at_once_and_undo_too_late(
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    wf = workflow(store, clock, timedelta(0))
    draft = approved(wf, store)
    assert draft.undo_until is None and due(store, clock) == [draft.id]
    outcome = wf.undo(ref_of(draft), OWNER)
    assert outcome.kind is Kind.TOO_LATE_TO_UNDO and outcome.refused


# -- Undo ---------------------------------------------------------------------------------


def test_any_approver_undoes_within_the_window_same_version_pending_audited_never_due(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    clock.advance(timedelta(seconds=10))
    outcome = wf.undo(ref_of(draft), PARTNER)  # not the one who approved
    assert outcome.kind is Kind.UNDONE and not outcome.refused and outcome.changed
    back = reload(store, draft)
    assert (back.status, back.version, back.undone_by, back.undone_at) == (
        Status.PENDING,
        draft.version,
        "U0PARTNER",
        START + timedelta(seconds=10),
    )
    assert (back.decided_by, back.decided_at, back.final_parts, back.undo_until) == (None, None, None, None)
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.actor_team_id, row.from_status, row.to_status, row.version) == (
        "undone",
        "U0PARTNER",
        TEAM,
        Status.APPROVED,
        Status.PENDING,
        draft.version,
    )
    assert "U0OWNER" in (row.detail or "") and "20s" in (row.detail or "")
    clock.advance(timedelta(hours=1))
    assert due(store, clock) == []
    # Live again: the same card (same version) decides it once more, with a fresh window.
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED
    assert reload(store, draft).undo_until == clock() + WINDOW


def test_a_second_undo_is_already_undone_and_one_undo_is_recorded(
    wf: Workflow,
    store: Store,  # noqa: F811
) -> None:
    draft = approved(wf, store)
    assert wf.undo(ref_of(draft), OWNER).kind is Kind.UNDONE
    again = wf.undo(ref_of(draft), PARTNER)
    assert again.kind is Kind.ALREADY_UNDONE and again.refused
    assert refusal(again).startswith("Already undone by <@U0OWNER>")
    actions = [r.action for r in audit_rows(store, draft.id)]
    assert actions.count("undone") == 1 and actions[-1] == "refused_already_undone"


@pytest.mark.parametrize(
    ("actor", "kind"), [(STRANGER, Kind.NOT_AN_APPROVER), (OWNER_ELSEWHERE, Kind.OTHER_ORGANISATION)]
)
def test_a_non_approver_or_another_organisation_is_refused_and_audited(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
    actor: Actor,
    kind: Kind,
) -> None:
    draft = approved(wf, store)
    assert wf.undo(ref_of(draft), actor).kind is kind
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.actor_team_id) == (f"refused_{kind.value}", actor.user_id, actor.team_id)
    assert reload(store, draft).status == Status.APPROVED
    clock.set(START + WINDOW)
    assert due(store, clock) == [draft.id]


def test_undo_after_the_window_is_too_late_even_before_the_claim(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    clock.set(START + WINDOW)
    outcome = wf.undo(ref_of(draft), OWNER)
    assert outcome.kind is Kind.TOO_LATE_TO_UNDO
    assert refusal(outcome).startswith("Too late to undo: the window closed and it is going out to X now")
    assert reload(store, draft).status == Status.APPROVED


def test_undo_after_the_post_went_out_says_when_and_points_at_delete(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    clock.set(START + WINDOW + timedelta(seconds=1))
    pub, x = publisher(store, clock)
    pub.run_once()
    outcome = wf.undo(ref_of(draft), OWNER)
    assert outcome.kind is Kind.TOO_LATE_TO_UNDO
    said = refusal(outcome)
    stamp = int((START + WINDOW + timedelta(seconds=1)).timestamp())
    assert said.startswith(f"Too late to undo: it went out at <!date^{stamp}^")
    assert "https://x.com/acme/status/1001" in said and said.endswith("use Delete from X to take it down.")
    assert len(x.posts) == 1 and audit_rows(store, draft.id)[-1].action == "refused_too_late_to_undo"


def test_the_claim_and_the_undo_race_on_one_row_and_one_wins(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    """A claim by an instance whose clock runs ahead (it saw the window end) against an Undo in the window."""
    draft = approved(wf, store)
    with store.transaction() as tx:
        [delivery] = stored_deliveries.of_draft(tx.session, draft.id or 0)
        assert stored_deliveries.hold_draft(tx.session, draft.id or 0, draft.version)
        assert stored_deliveries.claimed(tx.session, delivery.id or 0, "a1", "w-ahead", clock() + timedelta(seconds=90))
        stored_deliveries.settle_draft(tx.session, draft.id or 0, draft.version)
    assert wf.undo(ref_of(draft), OWNER).kind is Kind.TOO_LATE_TO_UNDO
    assert reload(store, draft).status == Status.PUBLISHING


def test_the_reason_given_after_an_undo_is_its_own_audit_row_and_shown(
    wf: Workflow,
    store: Store,  # noqa: F811
) -> None:
    draft = approved(wf, store)
    wf.undo(ref_of(draft), OWNER)
    assert wf.undo_reason(ref_of(draft), OWNER, "   ").kind is Kind.IGNORED
    outcome = wf.undo_reason(ref_of(draft), OWNER, "Wrong launch date <!channel>")
    assert outcome.kind is Kind.UNDO_REASON and outcome.changed
    back = reload(store, draft)
    assert back.reason == "Wrong launch date <!channel>"
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.detail) == ("undo_reason", "U0OWNER", "Wrong launch date <!channel>")
    told = decision_reply(back)
    assert told is not None and told.startswith("<@U0OWNER> undid the approval before it went out")
    assert "&lt;!channel&gt;" in told and "<!channel>" not in told
    assert wf.undo_reason(ref_of(draft), STRANGER, "x").kind is Kind.NOT_AN_APPROVER


# -- with a time to go out ------------------------------------------------------------------


def test_a_scheduled_post_waits_for_both_its_time_and_the_window(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    """The rule is max(decided + window, publish_at): a time 10 s ahead still waits out the 30 s window."""
    draft = submitted(wf)
    assert wf.schedule(ref_of(draft), OWNER, START + timedelta(seconds=10)).kind is Kind.APPROVED
    clock.set(START + timedelta(seconds=10))
    assert due(store, clock) == []
    row = reload(store, draft)
    assert window_holds(row, Timing(clock(), ZONE))  # the window is what holds it: the card offers Undo
    clock.set(START + WINDOW)
    assert due(store, clock) == [draft.id]


def test_a_post_scheduled_past_the_window_is_taken_back_with_unschedule_not_undo(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = submitted(wf)
    wf.schedule(ref_of(draft), OWNER, START + timedelta(hours=2))
    row = reload(store, draft)
    assert not window_holds(row, Timing(clock(), ZONE))
    _, labels = card_text(row, clock())
    assert labels == ["Post now", "Change time", "Unschedule"] and "Undo" not in labels
    clock.set(START + timedelta(minutes=5))
    outcome = wf.undo(ref_of(draft), OWNER)
    assert outcome.kind is Kind.TOO_LATE_TO_UNDO and "*Unschedule* on the card" in refusal(outcome)


# -- the cards ------------------------------------------------------------------------------


def test_the_card_in_the_window_says_when_it_goes_out_and_offers_undo_only(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    text, labels = card_text(draft, clock())
    end = int((START + WINDOW).timestamp())
    assert f"going out at <!date^{end}^{{time_secs}}|14:03:05 UTC> (30 s after approval)" in text
    assert "*Undo* stops it" in text and labels == ["Undo"]
    text, labels = card_text(draft, START + WINDOW)  # drawn after the window: the ordinary approved card
    assert "publishing to X" in text and labels == []


def test_the_pending_card_an_undo_left_says_who_undid_it_and_has_the_decision_buttons(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    draft = approved(wf, store)
    clock.advance(timedelta(seconds=5))
    wf.undo(ref_of(draft), PARTNER)
    wf.undo_reason(ref_of(draft), PARTNER, "Typo in the price")
    text, labels = card_text(reload(store, draft), clock())
    assert "Approval undone by <@U0PARTNER> at <!date^" in text and "_Typo in the price_" in text
    assert labels == ["Approve", "Edit", "Request changes", "Reject"]


def test_the_reason_modal_is_optional_and_carries_the_ref(wf: Workflow, store: Store) -> None:  # noqa: F811
    draft = approved(wf, store)
    modal = undo_reason_modal(ref_of(draft))
    assert modal["private_metadata"] == f"{draft.id}:1" and modal["close"]["text"] == "Skip"
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["optional"] is True


def test_stores_of_this_module_are_migrated(tmp_path: Path) -> None:
    """`undo_until`, `undone_by`, `undone_at` exist on a freshly migrated database (the fixture's template)."""
    from tests.unit.test_workflow import new_store

    fresh = new_store(tmp_path / "fresh.db")
    with fresh.read() as tx:
        assert stored_undo.next_window_end(tx.session, START) is None
    fresh.engine.dispose()


def test_a_waiting_undo_click_holds_its_draft_until_handled_or_given_up(
    wf: Workflow,
    store: Store,  # noqa: F811
    clock: FakeClock,
) -> None:
    from sqlalchemy import update

    from bot.intake.inbox import MAX_ATTEMPTS
    from storage import inbox
    from storage.models import InboxItem

    assert stored_undo.HOLDING_ATTEMPTS == MAX_ATTEMPTS
    draft = approved(wf, store)
    clock.set(START + WINDOW)
    with store.connection() as connection:
        item = inbox.receive(connection, "decision", "{}", "gone", START, START, holds_draft=draft.id)
    assert due(store, clock) == []
    with store.transaction() as tx:
        tx.session.execute(update(InboxItem).where(InboxItem.id == item).values(attempts=MAX_ATTEMPTS))
    assert due(store, clock) == [draft.id]  # given up on after its replays: it stops holding the post
