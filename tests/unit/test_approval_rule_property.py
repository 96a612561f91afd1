"""Issue 11's property of the approval rule, through the real Workflow and Publisher on a migrated SQLite store:
for any sequence of yes / no / edit events by any set of users (approvers, the writer, strangers, another
organisation), the draft is published at most once, only when the rule is met on the current version, and
never on a writer's yes. The oracle below counts yeses on its own, without bot.approval.approval_rule."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.approval.approval_rule import ALL, Rule
from bot.approval.outcomes import Kind
from bot.approval.refs import Actor, CardRef
from bot.approval.workflow import Workflow
from bot.delivery.publisher import Publisher
from storage.models import Draft, Status
from storage.store import Store
from tests.unit.test_approval_rules import APPROVERS, rule_workflow
from tests.unit.test_workflow import (
    NAMES,
    OWNER,
    OWNER_ELSEWHERE,
    PARTNER,
    STRANGER,
    TAIL,
    TEAM,
    WALT,
    StubX,
    message,
    new_store,
    revision,
)

WRITER = Actor("U0WRITER", TEAM)
ACTORS = st.sampled_from([OWNER, PARTNER, WALT, OWNER, PARTNER, WALT, WRITER, STRANGER, OWNER_ELSEWHERE])
RULES = st.sampled_from([Rule(), Rule(ALL), Rule("count", 2), Rule("count", 3), Rule("count", 1)])
TEXTS = st.sampled_from(["Fresh beans.", "Fresh beans, $4.", "Roasted today.", "One\n---\nTwo"])
SKEW = st.sampled_from([0, 0, 0, -1])


def needed(rule: Rule, writer: str) -> int:
    others = [a for a in APPROVERS if a != writer]
    return {"any": 1, "all": len(others)}.get(rule.kind, rule.n)


def signed(ids: list[str]) -> str:
    names = [NAMES[i] for i in ids]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class RuleMachine(RuleBasedStateMachine):
    store: Store

    def __init__(self) -> None:
        super().__init__()
        self.wf: Workflow
        self.draft: Draft | None = None
        self.yeses: dict[int, list[str]] = {}  # the oracle: who said yes on each version, in order
        self.x = StubX()
        self.approvals = 0
        self.edits = 0

    @initialize(rule=RULES, writer=st.sampled_from(["U0WRITER", "U0WALT"]))
    def submit(self, rule: Rule, writer: str) -> None:
        self.rule, self.writer = rule, writer
        self.wf = rule_workflow(self.store, rule)
        outcome = self.wf.submit(message("Fresh beans are in.", user=writer))
        if needed(rule, writer) > len([a for a in APPROVERS if a != writer]):
            assert outcome.kind is Kind.RULE_UNREACHABLE and outcome.draft is None
            self.writer = "U0WRITER"  # someone the rule can approve
            outcome = self.wf.submit(message("Fresh beans are in.", user=self.writer))
        assert outcome.kind is Kind.SUBMITTED and outcome.draft is not None
        self.draft = outcome.draft

    def now(self) -> Draft:
        assert self.draft is not None and self.draft.id is not None
        current = self.store.get(self.draft.id)
        assert current is not None
        return current

    def eligible(self, actor: Actor) -> bool:
        return actor.team_id == TEAM and actor.user_id in APPROVERS and actor.user_id != self.writer

    def counts(self, before: Draft, actor: Actor, skew: int) -> bool:
        """Whether this yes must be recorded: a listed approver (not the writer), on the current pending version,
        who hasn't said yes on it yet."""
        return (
            self.eligible(actor)
            and skew == 0
            and before.status == Status.PENDING
            and actor.user_id not in self.yeses.get(before.version, [])
        )

    def judge(self, before: Draft, actor: Actor, skew: int, kind: Kind, *, new_version: bool = False) -> None:
        after = self.now()
        counts = self.counts(before, actor, skew) or (new_version and self.eligible(actor) and skew == 0)
        if not counts:
            assert (after.status, after.version) == (before.status, before.version), (kind, actor)
            return
        assert after.version == before.version + (1 if new_version else 0)
        yeses = [] if new_version else list(self.yeses.get(before.version, []))
        yeses.append(actor.user_id)
        self.yeses[after.version] = yeses
        if len(yeses) >= needed(self.rule, self.writer):
            assert after.status == Status.APPROVED, (kind, yeses)
            assert after.decided_by == actor.user_id != self.writer
            assert after.final_parts and after.final_parts[-1].endswith(TAIL + signed(yeses))
            self.approvals += 1
        else:
            assert kind is Kind.APPROVED_PARTLY and after.status == Status.PENDING, (kind, yeses)

    @precondition(lambda self: self.draft is not None)
    @rule(actor=ACTORS, skew=SKEW)
    def yes(self, actor: Actor, skew: int) -> None:
        before = self.now()
        self.judge(before, actor, skew, self.wf.approve(CardRef(before.id or 0, before.version + skew), actor).kind)

    @precondition(lambda self: self.draft is not None)
    @rule(actor=ACTORS, skew=SKEW, text=TEXTS)
    def edit(self, actor: Actor, skew: int, text: str) -> None:
        before = self.now()
        outcome = self.wf.edit_and_approve(CardRef(before.id or 0, before.version + skew), actor, text)
        changes = text != before.text and self.eligible(actor) and skew == 0 and before.status == Status.PENDING
        self.judge(before, actor, skew, outcome.kind, new_version=changes)

    @precondition(lambda self: self.draft is not None)
    @rule(actor=ACTORS, reject=st.booleans())
    def no(self, actor: Actor, reject: bool) -> None:
        before = self.now()
        ref = CardRef(before.id or 0, before.version)
        decide = self.wf.reject if reject else self.wf.request_changes
        outcome = decide(ref, actor, "Not this one.")
        after = self.now()
        if self.eligible(actor) and before.status == Status.PENDING:
            assert after.status == (Status.REJECTED if reject else Status.CHANGES_REQUESTED), outcome
        else:
            assert after.status == before.status

    @precondition(lambda self: self.draft is not None)
    @rule(text=TEXTS)
    def writer_edits(self, text: str) -> None:
        before = self.now()
        self.wf.revise(revision(before, text, event_id=f"EvProp{before.id}-{before.version}-{hash(text)}"))
        after = self.now()
        if after.version != before.version:
            assert after.status == Status.PENDING and not self.yeses.get(after.version)

    @precondition(lambda self: self.draft is not None)
    @rule()
    def publish(self) -> None:
        before = self.now()
        Publisher(self.store, self.x, on_change=lambda _id: None, worker_id="w1").publish_draft(before.id or 0)  # type: ignore[arg-type]
        if self.x.posts:
            assert before.status in (Status.APPROVED, Status.PUBLISHED)

    @invariant()
    def published_at_most_once_and_only_what_was_approved(self) -> None:
        if self.draft is None:
            return
        assert self.approvals <= 1
        last_parts = [text for text, _ in self.x.posts if TAIL in text]
        assert len(last_parts) <= 1, self.x.posts
        if last_parts:
            assert self.approvals == 1 and self.now().final_parts and last_parts[0] == self.now().final_parts[-1]


def test_published_at_most_once_only_when_the_rule_is_met_never_on_a_writers_yes(tmp_path: Path) -> None:
    RuleMachine.store = new_store(tmp_path / "rule.db")
    try:
        run_state_machine_as_test(
            RuleMachine,
            settings=settings(
                max_examples=60,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        RuleMachine.store.engine.dispose()
