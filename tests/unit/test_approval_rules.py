"""APPROVAL_RULE through the real Workflow on a migrated database: each yes per version, the one that meets the
rule approves (composing the post with every name that counted), a second yes is a no-op, an owner's edit is
their yes on a new version, and what each card shows meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.approval.approval_rule import ALL, Rule
from bot.approval.outcomes import Kind
from bot.approval.policy import Policy, Voice
from bot.approval.workflow import Workflow
from bot.slack.blocks import approval_card
from bot.slack.ids import BlockId
from bot.slack.replies import intake_reply, refusal
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Approval, Status
from storage.store import Store
from tests import db
from tests.unit.test_blocks import make_post
from tests.unit.test_workflow import (
    NAMES,
    OWNER,
    PARTNER,
    STRANGER,
    TAIL,
    TEAM,
    WALT,
    Names,
    audit_rows,
    message,
    new_store,
    publish,
    ref_of,
    reload,
    submitted,
)

APPROVERS = ("U0OWNER", "U0PARTNER", "U0WALT")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    migrated = new_store(tmp_path / "countersign.db")
    yield migrated
    migrated.engine.dispose()


def rule_workflow(
    store: Store, rule: Rule, approvers: tuple[str, ...] = APPROVERS, names: Names | None = None
) -> Workflow:
    return Workflow(
        store,
        Policy(approvers=frozenset(approvers), team_id=TEAM, rule=rule, order=approvers),
        Voice(agency="Acme Agency", template="— drafted by {agency}, approved by {approver}"),
        names or Names(dict(NAMES)),
    )


def yeses(store: Store, draft_id: int) -> list[tuple[int, str]]:
    with store.read() as tx:
        rows = tx.session.exec(select(Approval).where(Approval.draft_id == draft_id).order_by(Approval.id)).all()
    return [(r.version, r.approver_id) for r in rows]


def test_under_all_each_yes_is_recorded_and_the_last_one_approves_naming_everyone_in_order(store: Store) -> None:
    wf = rule_workflow(store, Rule(ALL))
    draft = submitted(wf)
    first = wf.approve(ref_of(draft), PARTNER)
    assert first.kind is Kind.APPROVED_PARTLY and not first.refused and first.changed
    assert reload(store, draft).status == Status.PENDING
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED_PARTLY
    assert wf.approve(ref_of(draft), WALT).kind is Kind.APPROVED
    now = reload(store, draft)
    assert now.status == Status.APPROVED and now.decided_by == "U0WALT"
    assert now.approver_name == "Pat, Olivia Owner and Walt"
    assert now.final_parts == ["Fresh beans are in." + TAIL + "Pat, Olivia Owner and Walt"]
    partly = [(a.action, a.actor_id, a.version, a.detail) for a in audit_rows(store, draft.id) if "partly" in a.action]
    assert partly == [("approved_partly", "U0PARTNER", 1, "1 of 3"), ("approved_partly", "U0OWNER", 1, "2 of 3")]
    assert yeses(store, draft.id or 0) == [(1, "U0PARTNER"), (1, "U0OWNER"), (1, "U0WALT")]
    x = publish(store, now)
    assert len(x.posts) == 1


def test_under_any_one_yes_approves_as_it_always_did_and_is_recorded(store: Store) -> None:
    wf = rule_workflow(store, Rule())
    draft = submitted(wf)
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED
    assert reload(store, draft).approver_name == "Olivia Owner"
    assert yeses(store, draft.id or 0) == [(1, "U0OWNER")]
    assert wf.standing(reload(store, draft), "U0PARTNER") is None


def test_a_second_yes_from_the_same_person_changes_nothing_and_says_who_is_waiting(store: Store) -> None:
    wf = rule_workflow(store, Rule(ALL))
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    again = wf.approve(ref_of(draft), OWNER)
    assert again.kind is Kind.ALREADY_APPROVED and again.refused
    text = refusal(again)
    assert "already approved version 1" in text and "<@U0PARTNER> and <@U0WALT>" in text
    assert yeses(store, draft.id or 0) == [(1, "U0OWNER")]
    assert audit_rows(store, draft.id)[-1].action == "refused_already_approved"


def test_a_writers_yes_never_counts_even_when_listed(store: Store) -> None:
    wf = rule_workflow(store, Rule(ALL))
    draft = submitted(wf, user="U0WALT")
    assert wf.approve(ref_of(draft), WALT).kind is Kind.OWN_DRAFT
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED_PARTLY
    assert wf.approve(ref_of(draft), PARTNER).kind is Kind.APPROVED  # all = everyone but the writer
    assert reload(store, draft).approver_name == "Olivia Owner and Pat"


def test_strangers_are_refused_and_their_click_records_nothing(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    assert wf.approve(ref_of(draft), STRANGER).kind is Kind.NOT_AN_APPROVER
    assert yeses(store, draft.id or 0) == []


def test_a_draft_the_rule_can_never_approve_is_refused_at_intake(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2), approvers=("U0OWNER", "U0WALT"))
    outcome = wf.submit(message("Mine.", user="U0WALT"))
    assert outcome.kind is Kind.RULE_UNREACHABLE
    reply = intake_reply(outcome, "")
    assert reply and "APPROVAL_RULE needs 2 approvals" in reply and "only 1 approver" in reply
    assert audit_rows(store)[-1].action == "refused_rule_unreachable"
    assert submitted(wf).status == Status.PENDING  # someone else's draft has two possible approvers


def test_one_reject_after_a_yes_ends_it_for_everyone(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    assert wf.reject(ref_of(draft), PARTNER, "Off brand.").kind is Kind.REJECTED
    assert wf.approve(ref_of(draft), WALT).kind is Kind.ALREADY_DECIDED
    assert reload(store, draft).status == Status.REJECTED


def test_the_approver_who_said_yes_may_still_request_changes(store: Store) -> None:
    wf = rule_workflow(store, Rule(ALL))
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    assert wf.request_changes(ref_of(draft), OWNER, "Add the price.").kind is Kind.CHANGES_REQUESTED


def test_an_owners_edit_is_their_yes_on_a_new_version_and_clears_the_others(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    edited = wf.edit_and_approve(ref_of(draft), PARTNER, "Fresh beans are in!")
    assert edited.kind is Kind.APPROVED_PARTLY and edited.draft is not None
    now = edited.draft
    assert (now.status, now.version, now.text) == (Status.PENDING, 2, "Fresh beans are in!")
    assert audit_rows(store, draft.id)[-1].detail == "1 of 2, with their edit"
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.STALE_CARD  # Olivia's yes was on version 1
    standing = wf.standing(now, "U0OWNER")
    assert standing is not None and standing.progress.counted == ("U0PARTNER",) and not standing.viewer_said_yes
    assert wf.approve(ref_of(now), OWNER).kind is Kind.APPROVED
    assert reload(store, draft).final_parts == ["Fresh beans are in!" + TAIL + "Pat and Olivia Owner"]
    assert yeses(store, draft.id or 0) == [(1, "U0OWNER"), (2, "U0PARTNER"), (2, "U0OWNER")]


def test_a_writers_revision_makes_earlier_yeses_count_for_nothing(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    revised = wf.revise(message("Fresh beans, now $4.", ts=draft.ts, event_id="EvRev1"))
    assert revised.kind is Kind.REVISED and revised.draft is not None
    assert wf.approve(ref_of(revised.draft), PARTNER).kind is Kind.APPROVED_PARTLY


def test_cards_show_each_approver_the_post_with_the_yeses_so_far_and_theirs(store: Store) -> None:
    wf = rule_workflow(store, Rule(ALL))
    draft = submitted(wf)
    wf.approve(ref_of(draft), PARTNER)
    now = reload(store, draft)
    assert wf.post_text(now, "U0OWNER").texts[-1].endswith(TAIL + "Pat and Olivia Owner")
    assert wf.post_text(now, "U0PARTNER").texts[-1].endswith(TAIL + "Pat")
    assert wf.post_text(now, None).texts[-1].endswith(TAIL + "Pat and Olivia Owner")  # shared: longest waiting
    mine, theirs = wf.standing(now, "U0PARTNER"), wf.standing(now, "U0OWNER")
    assert mine is not None and mine.viewer_said_yes and mine.more_after_viewer == 2
    assert theirs is not None and not theirs.viewer_said_yes and theirs.more_after_viewer == 1


def test_intakes_length_check_uses_the_longest_names_the_rule_could_sign_with(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    room = 280 - len(TAIL)
    one_name = "a" * (room - len("Olivia Owner"))  # fits with one name, not with two
    assert wf.submit(message(one_name)).kind is Kind.TOO_LONG
    assert wf.submit(message("a" * (room - len("Olivia Owner and Walt")))).kind is Kind.SUBMITTED


def test_the_yes_that_meets_the_rule_is_refused_too_long_with_the_actual_names(store: Store) -> None:
    names = Names(dict(NAMES))
    wf = rule_workflow(store, Rule("count", 2), names=names)
    draft = submitted(wf, "a" * (280 - len(TAIL) - len("Olivia Owner and Walt")))
    wf.approve(ref_of(draft), OWNER)
    names.names["U0PARTNER"] = "Patricia Longer-Name"  # renamed in Slack since the draft came in
    outcome = wf.approve(ref_of(draft), PARTNER)
    assert outcome.kind is Kind.TOO_LONG and outcome.post is not None
    assert "over X's limit" in refusal(outcome)
    assert reload(store, draft).status == Status.PENDING
    assert yeses(store, draft.id or 0) == [(1, "U0OWNER")]  # the refused yes isn't kept


def test_a_picked_time_comes_with_the_yes_that_meets_the_rule(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    later = wf.clock() + timedelta(days=1)
    assert wf.schedule(ref_of(draft), OWNER, later).kind is Kind.TIME_WITH_LAST_YES
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED_PARTLY
    assert wf.schedule(ref_of(draft), PARTNER, later).kind is Kind.APPROVED
    assert reload(store, draft).publish_at == later


# -- two approvers' yeses at the same moment, on both databases --------------------------------


@pytest.fixture(params=db.BACKENDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with db.isolated_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield Store(engine)
        engine.dispose()


def test_concurrent_yeses_under_all_give_exactly_one_approval(any_store: Store) -> None:
    wf = rule_workflow(any_store, Rule(ALL), approvers=("U0OWNER", "U0PARTNER"))
    for _ in range(8):
        draft = submitted(wf)
        barrier = threading.Barrier(2)
        kinds: list[Kind] = []

        def yes(actor, d=draft, b=barrier, out=kinds) -> None:
            b.wait()
            out.append(wf.approve(ref_of(d), actor).kind)

        threads = [threading.Thread(target=yes, args=(a,)) for a in (OWNER, PARTNER)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(kinds) == sorted([Kind.APPROVED, Kind.APPROVED_PARTLY]), kinds
        assert reload(any_store, draft).status == Status.APPROVED
        assert sorted(a for _, a in yeses(any_store, draft.id or 0)) == ["U0OWNER", "U0PARTNER"]


def test_an_unscheduled_post_is_decided_again_by_everyone(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    later = wf.clock() + timedelta(days=1)
    wf.approve(ref_of(draft), OWNER)
    assert wf.schedule(ref_of(draft), PARTNER, later).kind is Kind.APPROVED
    assert wf.unschedule(ref_of(draft), OWNER).kind is Kind.UNSCHEDULED
    assert reload(store, draft).status == Status.PENDING
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED_PARTLY  # not "already approved"
    assert wf.approve(ref_of(draft), PARTNER).kind is Kind.APPROVED


def test_an_approved_card_names_everyone_who_signed(store: Store) -> None:
    wf = rule_workflow(store, Rule("count", 2))
    draft = submitted(wf)
    wf.approve(ref_of(draft), PARTNER)
    wf.approve(ref_of(draft), OWNER)
    now = reload(store, draft)
    standing = wf.standing(now, "U0WALT")
    assert standing is not None
    card = approval_card(now, make_post(now.text), standing=standing)
    outcome = next(b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME)
    assert outcome["text"]["text"].startswith(":hourglass_flowing_sand: Approved by <@U0PARTNER> and <@U0OWNER>")
