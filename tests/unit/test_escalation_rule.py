"""The due-time rule and who may decide on a draft: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.approval.escalation_rule import BEFORE_TIME, clock_start, due_at, may_decide, revised_due, still_to_decide
from bot.approval.outcomes import Kind
from bot.approval.policy import Policy
from bot.approval.refs import Actor
from storage.models import Draft, Status

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
EIGHT = timedelta(hours=8)
OWNER, OWNER2, BACKUP, WRITER = "U0OWNER", "U0OWNER2", "U0BACKUP", "U0WRITER"
TEAM = "T0ACME"


def draft(**kw: object) -> Draft:
    values: dict[str, object] = dict(id=1, channel="C0DRAFTS", ts="1.0", writer_id=WRITER, text="hi", pending_since=T0)
    values.update(kw)
    return Draft(**values)


def test_without_escalate_after_there_is_no_due_time() -> None:
    assert due_at(T0, None, None) is None
    assert due_at(T0, T0 + timedelta(hours=2), None) is None


def test_due_after_the_wait_when_there_is_no_time_to_go_out() -> None:
    assert due_at(T0, None, EIGHT) == T0 + EIGHT


def test_a_time_to_go_out_draws_the_due_time_to_an_hour_before_it() -> None:
    publish_at = T0 + timedelta(hours=5)
    assert due_at(T0, publish_at, EIGHT) == publish_at - BEFORE_TIME == T0 + timedelta(hours=4)


def test_a_far_time_to_go_out_changes_nothing() -> None:
    assert due_at(T0, T0 + timedelta(days=3), EIGHT) == T0 + EIGHT


def test_a_time_less_than_an_hour_away_escalates_at_once() -> None:
    assert due_at(T0, T0 + timedelta(minutes=20), EIGHT) == T0
    assert due_at(T0, T0 - timedelta(minutes=5), EIGHT) == T0  # already passed: at once, never in the past


def test_an_edit_while_pending_keeps_the_clock_running() -> None:
    pending = draft(status=Status.PENDING, waiting_since=T0, escalate_at=T0 + EIGHT)
    later = T0 + timedelta(hours=6)
    assert clock_start(pending, later) == T0
    assert revised_due(pending, later, None, EIGHT) == T0 + EIGHT  # not later + 8 h: still nobody answered


def test_an_edit_while_pending_with_a_nearer_time_draws_it_earlier() -> None:
    pending = draft(status=Status.PENDING, waiting_since=T0, escalate_at=T0 + EIGHT)
    now = T0 + timedelta(hours=1)
    assert revised_due(pending, now, T0 + timedelta(hours=4), EIGHT) == T0 + timedelta(hours=3)


def test_an_edit_that_moves_the_time_later_moves_the_due_time_back_to_the_wait() -> None:
    pending = draft(status=Status.PENDING, waiting_since=T0, escalate_at=T0 + timedelta(hours=3))
    now = T0 + timedelta(hours=1)
    assert revised_due(pending, now, T0 + timedelta(days=2), EIGHT) == T0 + EIGHT


def test_an_edit_after_changes_were_requested_starts_a_new_clock() -> None:
    answered = draft(status=Status.CHANGES_REQUESTED, waiting_since=T0, escalate_at=T0 + EIGHT)
    now = T0 + timedelta(hours=2)
    assert clock_start(answered, now) == now
    assert revised_due(answered, now, None, EIGHT) == now + EIGHT


def test_a_draft_from_before_escalation_existed_starts_its_clock_at_the_edit() -> None:
    old = draft(status=Status.PENDING)  # migrated: no waiting_since
    assert clock_start(old, T0 + timedelta(hours=1)) == T0 + timedelta(hours=1)


def test_an_escalated_draft_keeps_its_due_time_through_new_versions() -> None:
    escalated = draft(status=Status.PENDING, escalate_at=T0 + EIGHT, escalated_at=T0 + EIGHT)
    assert revised_due(escalated, T0 + timedelta(hours=9), None, EIGHT) == T0 + EIGHT


def test_escalation_off_leaves_no_due_time_on_a_new_version() -> None:
    assert revised_due(draft(status=Status.PENDING), T0, None, None) is None


def test_a_backup_may_decide_only_once_the_draft_is_escalated() -> None:
    approvers, backups = {OWNER}, {BACKUP}
    assert not may_decide(BACKUP, draft(), approvers, backups)
    assert may_decide(BACKUP, draft(escalated_at=T0), approvers, backups)
    assert may_decide(OWNER, draft(), approvers, backups)
    assert not may_decide(BACKUP, None, approvers, backups)  # no draft (pause/resume): backups never
    assert not may_decide(WRITER, draft(escalated_at=T0), approvers | {WRITER}, backups | {WRITER})


def test_policy_deciders_are_the_approvers_and_after_escalation_the_backups() -> None:
    policy = Policy(approvers=frozenset({OWNER, OWNER2}), team_id=TEAM, backups=frozenset({BACKUP}))
    assert policy.deciders(draft()) == {OWNER, OWNER2}
    assert policy.deciders(draft(escalated_at=T0)) == {OWNER, OWNER2, BACKUP}
    assert policy.deciders(draft(escalated_at=T0, writer_id=OWNER2)) == {OWNER, BACKUP}


def test_policy_refuses_a_backup_before_escalation_by_name() -> None:
    policy = Policy(approvers=frozenset({OWNER}), team_id=TEAM, backups=frozenset({BACKUP}))
    backup = Actor(user_id=BACKUP, team_id=TEAM)
    assert policy.refusal(backup, draft()) is Kind.NOT_YET_ESCALATED
    assert policy.refusal(backup, draft(escalated_at=T0)) is None
    assert policy.refusal(backup) is Kind.NOT_AN_APPROVER  # pausing the brand is the approvers' alone
    assert policy.refusal(Actor(user_id="U0NOBODY", team_id=TEAM), draft(escalated_at=T0)) is Kind.NOT_AN_APPROVER
    assert policy.refusal(Actor(user_id=BACKUP, team_id="T0OTHER"), draft(escalated_at=T0)) is Kind.OTHER_ORGANISATION


def test_still_to_decide_names_every_approver_but_the_writer_and_those_who_answered() -> None:
    assert still_to_decide(draft(), [OWNER, OWNER2]) == [OWNER, OWNER2]
    assert still_to_decide(draft(writer_id=OWNER2), [OWNER, OWNER2]) == [OWNER]
    assert still_to_decide(draft(), [OWNER, OWNER2], answered={OWNER}) == [OWNER2]
