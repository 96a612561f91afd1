"""The approval state machine against a real SQLite database (migrated with Alembic) in tmp_path.

Names come from a tiny in-test directory; the publishing steps use the real Publisher with a stand-in
for the X account (the only thing replaced is X itself).
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests
import tweepy
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
from sqlalchemy import event
from sqlmodel import Session, select

from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy, Voice
from bot.approval.refs import Actor, CardRef, IncomingMessage
from bot.approval.workflow import Workflow
from bot.delivery.publisher import Published, Publisher
from bot.intake.media_rules import MediaRefusal
from bot.intake.media_rules import Problem as MediaProblem
from bot.networks.base import Diagnosis, Network, Posted
from bot.networks.x.errors import diagnose
from bot.slack.text import Problem, Refusal
from storage import deliveries, notices
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import AuditEvent, Delivery, Draft, Status
from storage.store import Store
from storage.types import utcnow
from tests.delivered import x_of

TEAM = "T0ACME"
NAMES = {
    "U0OWNER": "Olivia Owner",  # the longest approver name: 12 characters
    "U0PARTNER": "Pat",
    "U0WALT": "Walt",  # an approver who also writes drafts
    "U0WRITER": "Wes Writer",
    "U0RANDOM": "Randy",
}
OWNER = Actor("U0OWNER", TEAM)
PARTNER = Actor("U0PARTNER", TEAM)
WALT = Actor("U0WALT", TEAM)
STRANGER = Actor("U0RANDOM", TEAM)
OWNER_ELSEWHERE = Actor("U0OWNER", "T0OTHER")  # same id, another organisation (Slack Connect)

# "\n\n— drafted by Acme Agency, approved by " is 2 + 38 = 40 characters, all weight 1.
TAIL = "\n\n— drafted by Acme Agency, approved by "
TERMINAL = {Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN}


class Names:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def name(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)


def new_store(path: Path) -> Store:
    engine = make_engine("sqlite:///" + str(path))
    upgrade(engine)
    return Store(engine)


def new_workflow(store: Store) -> Workflow:
    return Workflow(
        store,
        Policy(approvers=frozenset({"U0OWNER", "U0PARTNER", "U0WALT"}), team_id=TEAM),
        Voice(agency="Acme Agency", template="— drafted by {agency}, approved by {approver}"),
        Names(NAMES),
    )


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once with Alembic; each test gets its own copy (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "countersign.db"
    new_store(path).engine.dispose()
    return path


@pytest.fixture
def store(tmp_path: Path, migrated_db: Path) -> Iterator[Store]:
    path = tmp_path / "countersign.db"
    shutil.copyfile(migrated_db, path)
    store = Store(make_engine("sqlite:///" + str(path)))
    yield store
    store.engine.dispose()


@pytest.fixture
def wf(store: Store) -> Workflow:
    return new_workflow(store)


_ts = itertools.count(1)


def message(
    text: str, *, ts: str | None = None, user: str = "U0WRITER", event_id: str | None = None
) -> IncomingMessage:
    ts = ts or f"1763800000.{next(_ts):06d}"
    return IncomingMessage(channel="C0DRAFTS", ts=ts, user=user, text=text, event_id=event_id)


def submitted(wf: Workflow, text: str = "Fresh beans are in.", user: str = "U0WRITER") -> Draft:
    outcome = wf.submit(message(text, user=user))
    assert outcome.kind is Kind.SUBMITTED, outcome
    assert outcome.draft is not None
    return outcome.draft


def ref_of(draft: Draft) -> CardRef:
    assert draft.id is not None
    return CardRef(draft.id, draft.version)


def reload(store: Store, draft: Draft) -> Draft:
    assert draft.id is not None
    fresh = store.get(draft.id)
    assert fresh is not None
    return fresh


def on_x(store: Store, draft: Draft) -> Delivery:
    """Where the draft's post got to on X: its X delivery of its current version."""
    with store.read() as tx:
        return x_of(tx, draft.id or 0)


def audit_rows(store: Store, draft_id: int | None = None) -> list[AuditEvent]:
    with Session(store.engine) as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
    return [r for r in rows if draft_id is None or r.draft_id == draft_id]


def versions(store: Store, draft_id: int) -> list[tuple[int, str, str]]:
    with store.transaction() as tx:
        return [(v.version, v.text, v.author_id) for v in tx.versions(draft_id)]


def all_drafts(store: Store) -> list[Draft]:
    with Session(store.engine) as session:
        return list(session.exec(select(Draft)).all())


def revision(draft: Draft, text: str, event_id: str | None = None) -> IncomingMessage:
    return message(text, ts=draft.ts, user=draft.writer_id, event_id=event_id)


# -- the writer submits ----------------------------------------------------------------------


def test_submit_stores_a_pending_first_version_and_audits_it(wf: Workflow, store: Store) -> None:
    outcome = wf.submit(message("Fresh beans are in.", event_id="Ev1"))
    assert outcome.kind is Kind.SUBMITTED
    assert outcome.draft is not None and outcome.draft.id is not None
    draft = reload(store, outcome.draft)
    assert (draft.status, draft.version, draft.text) == (Status.PENDING, 1, "Fresh beans are in.")
    assert (draft.writer_id, draft.writer_name) == ("U0WRITER", "Wes Writer")
    assert draft.created_at.tzinfo is not None
    assert versions(store, draft.id) == [(1, "Fresh beans are in.", "U0WRITER")]
    [row] = audit_rows(store, draft.id)
    assert (row.action, row.actor_id, row.from_status, row.to_status, row.version) == (
        "submitted",
        "U0WRITER",
        None,
        Status.PENDING,
        1,
    )
    # The count shown to the writer is for the longest approver name: 19 + 40 + 12 = 71.
    assert outcome.post is not None
    assert outcome.post.counts == "71/280"


def test_submit_stores_the_characters_it_is_given_without_reading_mrkdwn_again(wf: Workflow, store: Store) -> None:
    # The handler turns Slack's message into the post's characters (bot.slack.text); `&amp;` here is what the
    # writer typed, and decoding it again would change their words.
    draft = submitted(wf, "  Beans &amp; more at <3 *now*\u200b  ")
    assert reload(store, draft).text == "Beans &amp; more at <3 *now*"


def test_submit_with_something_only_slack_understands_is_refused_audited_and_stores_nothing(
    wf: Workflow, store: Store
) -> None:
    refusals = (Refusal(Problem.BROADCAST, "here"), Refusal(Problem.CUSTOM_EMOJI, "partyparrot"))
    incoming = IncomingMessage(channel="C0DRAFTS", ts="9.9", user="U0WRITER", text="Hi  ", refusals=refusals)
    outcome = wf.submit(incoming)
    assert (outcome.kind, outcome.refusals, outcome.refused) == (Kind.SLACK_ONLY, refusals, True)
    assert all_drafts(store) == []
    [row] = audit_rows(store)
    assert (row.action, row.draft_id, row.actor_id) == ("refused_slack_only", None, "U0WRITER")
    assert row.detail == "broadcast:here custom_emoji:partyparrot"


def test_a_message_of_only_a_refused_mention_is_refused_not_called_empty(wf: Workflow, store: Store) -> None:
    only = IncomingMessage(
        channel="C0DRAFTS", ts="9.8", user="U0WRITER", text="", refusals=(Refusal(Problem.BROADCAST, "here"),)
    )
    assert wf.submit(only).kind is Kind.SLACK_ONLY


def test_an_edit_with_something_only_slack_understands_keeps_the_version(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "Same")
    edit = IncomingMessage(
        channel=draft.channel, ts=draft.ts, user="U0WRITER", text="Same", refusals=(Refusal(Problem.CHANNEL, "C0X"),)
    )
    outcome = wf.revise(edit)  # the text without the mention is unchanged, yet the writer must hear why
    assert (outcome.kind, outcome.draft and outcome.draft.id) == (Kind.SLACK_ONLY, draft.id)
    after = reload(store, draft)
    assert (after.version, after.text, after.status) == (1, "Same", Status.PENDING)
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.version, row.detail) == ("refused_slack_only", 1, "channel:C0X")


@pytest.mark.parametrize(("text", "kind"), [("", Kind.EMPTY), ("   ", Kind.EMPTY)])
def test_submit_without_text_stores_nothing(wf: Workflow, store: Store, text: str, kind: Kind) -> None:
    assert wf.submit(message(text)).kind is kind
    assert all_drafts(store) == []


def test_submit_with_files_only_or_files_and_text(wf: Workflow, store: Store) -> None:
    files_only = IncomingMessage(channel="C0DRAFTS", ts="9.1", user="U0WRITER", text="", has_files=True)
    assert wf.submit(files_only).kind is Kind.FILES_ONLY
    pdf = (MediaRefusal(MediaProblem.UNSUPPORTED, "brief.pdf", "application/pdf"),)
    with_text = IncomingMessage(
        channel="C0DRAFTS", ts="9.2", user="U0WRITER", text="Look!", has_files=True, media_dropped=pdf
    )
    outcome = wf.submit(with_text)
    assert outcome.kind is Kind.FILES_DROPPED and outcome.media == pdf
    assert [d.text for d in all_drafts(store)] == ["Look!"]


def test_a_redelivered_event_is_a_duplicate(wf: Workflow, store: Store) -> None:
    assert wf.submit(message("Hello", event_id="Ev1")).kind is Kind.SUBMITTED
    assert wf.submit(message("Hello", event_id="Ev1")).kind is Kind.DUPLICATE
    assert len(all_drafts(store)) == 1


def test_the_same_message_seen_twice_is_a_duplicate(wf: Workflow, store: Store) -> None:
    assert wf.submit(message("Hello", ts="5.5", event_id="EvA")).kind is Kind.SUBMITTED
    assert wf.submit(message("Hello", ts="5.5", event_id="EvB")).kind is Kind.DUPLICATE
    assert wf.submit(message("Hello", ts="5.5")).kind is Kind.DUPLICATE
    assert len(all_drafts(store)) == 1


def test_a_draft_that_fits_exactly_is_accepted(wf: Workflow) -> None:
    # 228 + 40 + 12 ("Olivia Owner", the longest approver name) = 280.
    outcome = wf.submit(message("a" * 228))
    assert outcome.kind is Kind.SUBMITTED
    assert outcome.post is not None and outcome.post.counts == "280/280"


def test_too_long_is_refused_with_the_amount_and_nothing_is_stored(wf: Workflow, store: Store) -> None:
    outcome = wf.submit(message("a" * 229))
    assert outcome.kind is Kind.TOO_LONG
    assert outcome.post is not None
    assert outcome.post.parts[0].over_by == 1
    assert all_drafts(store) == []
    [row] = audit_rows(store)
    assert (row.action, row.draft_id, row.actor_id) == ("refused_too_long", None, "U0WRITER")
    assert "1 over" in (row.detail or "")


def test_a_thread_part_too_long_is_refused(wf: Workflow, store: Store) -> None:
    outcome = wf.submit(message("ok\n---\n" + "b" * 281 + "\n---\nend"))
    assert outcome.kind is Kind.TOO_LONG
    assert outcome.post is not None
    assert [p.over_by for p in outcome.post.parts] == [0, 1, 0]
    assert all_drafts(store) == []


# -- the owner decides ---------------------------------------------------------------------


def test_approve_records_the_decision_and_the_exact_parts_to_post(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "One\n---\nTwo")
    outcome = wf.approve(ref_of(draft), PARTNER)
    assert outcome.kind is Kind.APPROVED
    approved = reload(store, draft)
    assert approved.status == Status.APPROVED
    assert approved.decided_by == "U0PARTNER"
    assert approved.approver_name == "Pat"
    assert approved.decided_at is not None and approved.decided_at.tzinfo is not None
    assert approved.final_parts == ["One", "Two" + TAIL + "Pat"]
    assert approved.version == 1
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.actor_team_id, row.from_status, row.to_status, row.version) == (
        "approved",
        "U0PARTNER",
        TEAM,
        Status.PENDING,
        Status.APPROVED,
        1,
    )


def test_a_draft_that_fits_the_longest_name_fits_every_approver(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "a" * 228)
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED
    assert reload(store, draft).final_parts == ["a" * 228 + TAIL + "Olivia Owner"]


def test_a_second_approve_is_already_decided_and_audited(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED
    before = len(audit_rows(store, draft.id))
    outcome = wf.approve(ref_of(draft), PARTNER)
    assert outcome.kind is Kind.ALREADY_DECIDED
    assert outcome.draft is not None and outcome.draft.decided_by == "U0OWNER"
    after = reload(store, draft)
    assert (after.status, after.decided_by) == (Status.APPROVED, "U0OWNER")
    rows = audit_rows(store, draft.id)
    assert len(rows) == before + 1
    assert (rows[-1].action, rows[-1].actor_id, rows[-1].to_status) == ("refused_already_decided", "U0PARTNER", None)


def test_a_stale_card_cannot_approve_a_newer_version(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "Version one")
    assert wf.revise(revision(draft, "Version two")).kind is Kind.REVISED
    outcome = wf.approve(CardRef(draft.id or 0, 1), OWNER)
    assert outcome.kind is Kind.STALE_CARD
    assert reload(store, draft).status == Status.PENDING
    assert audit_rows(store, draft.id)[-1].action == "refused_stale_card"
    assert wf.approve(CardRef(draft.id or 0, 2), OWNER).kind is Kind.APPROVED
    assert reload(store, draft).final_parts == ["Version two" + TAIL + "Olivia Owner"]


@pytest.mark.parametrize(
    ("actor", "kind"),
    [
        (STRANGER, Kind.NOT_AN_APPROVER),
        (OWNER_ELSEWHERE, Kind.OTHER_ORGANISATION),
        (Actor("U0RANDOM", "T0OTHER"), Kind.OTHER_ORGANISATION),
    ],
)
def test_only_this_workspaces_approvers_decide(wf: Workflow, store: Store, actor: Actor, kind: Kind) -> None:
    draft = submitted(wf)
    for decide in (
        lambda: wf.approve(ref_of(draft), actor),
        lambda: wf.reject(ref_of(draft), actor, "no"),
        lambda: wf.request_changes(ref_of(draft), actor, "no"),
        lambda: wf.edit_and_approve(ref_of(draft), actor, "Mine now"),
    ):
        before = len(audit_rows(store, draft.id))
        assert decide().kind is kind
        rows = audit_rows(store, draft.id)
        assert len(rows) == before + 1
        assert (rows[-1].action, rows[-1].actor_id, rows[-1].actor_team_id) == (
            f"refused_{kind.value}",
            actor.user_id,
            actor.team_id,
        )
    unchanged = reload(store, draft)
    assert (unchanged.status, unchanged.version, unchanged.decided_by) == (Status.PENDING, 1, None)


def test_a_writer_who_is_an_approver_cannot_approve_their_own_draft(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, user="U0WALT")
    assert wf.approve(ref_of(draft), WALT).kind is Kind.OWN_DRAFT
    assert reload(store, draft).status == Status.PENDING
    assert audit_rows(store, draft.id)[-1].action == "refused_own_draft"
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.APPROVED


def test_a_missing_draft_is_not_found_and_audited(wf: Workflow, store: Store) -> None:
    assert wf.approve(CardRef(999, 1), OWNER).kind is Kind.NOT_FOUND
    [row] = audit_rows(store)
    assert (row.action, row.draft_id, row.detail) == ("refused_not_found", None, "999:1")


def test_check_reports_the_refusal_before_a_modal_opens(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    assert wf.check(ref_of(draft), OWNER) is None
    refused = wf.check(ref_of(draft), STRANGER)
    assert refused is not None and refused.kind is Kind.NOT_AN_APPROVER
    assert audit_rows(store, draft.id)[-1].action == "refused_not_an_approver"


@pytest.mark.parametrize(
    ("decide", "status"),
    [(Workflow.request_changes, Status.CHANGES_REQUESTED), (Workflow.reject, Status.REJECTED)],
)
def test_a_decision_with_a_reason_stores_it(wf: Workflow, store: Store, decide: Any, status: Status) -> None:
    draft = submitted(wf)
    outcome = decide(wf, ref_of(draft), OWNER, "  Please mention the price.  ")
    assert outcome.kind.value == status.value
    after = reload(store, draft)
    assert (after.status, after.reason, after.decided_by) == (status, "Please mention the price.", "U0OWNER")
    row = audit_rows(store, draft.id)[-1]
    assert (row.from_status, row.to_status) == (Status.PENDING, status)
    assert (row.detail or "").strip() == "Please mention the price."


@pytest.mark.parametrize("decide", [Workflow.request_changes, Workflow.reject])
@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_decision_needs_a_non_blank_reason(wf: Workflow, store: Store, decide: Any, reason: str) -> None:
    draft = submitted(wf)
    assert decide(wf, ref_of(draft), OWNER, reason).kind is Kind.REASON_REQUIRED
    after = reload(store, draft)
    assert (after.status, after.reason) == (Status.PENDING, None)


def test_edit_and_approve_saves_the_owners_version(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "Fresh beans are in")
    # Typed into a plain_text_input (case 7): plain characters, never read as mrkdwn, so nothing is decoded.
    outcome = wf.edit_and_approve(ref_of(draft), OWNER, "We <3 our regulars -> see you &amp; more.")
    assert outcome.kind is Kind.EDITED
    after = reload(store, draft)
    assert (after.status, after.version, after.text) == (
        Status.APPROVED,
        2,
        "We <3 our regulars -> see you &amp; more.",
    )
    assert after.final_parts == ["We <3 our regulars -> see you &amp; more." + TAIL + "Olivia Owner"]
    assert versions(store, after.id or 0) == [
        (1, "Fresh beans are in", "U0WRITER"),
        (2, "We <3 our regulars -> see you &amp; more.", "U0OWNER"),
    ]
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.to_status, row.version) == ("edited", "U0OWNER", Status.APPROVED, 2)


def test_edit_and_approve_with_unchanged_text_keeps_the_version(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "Same words")
    assert wf.edit_and_approve(ref_of(draft), PARTNER, "Same words").kind is Kind.EDITED
    after = reload(store, draft)
    assert (after.status, after.version) == (Status.APPROVED, 1)
    assert len(versions(store, after.id or 0)) == 1


def test_edit_and_approve_refuses_text_that_does_not_fit(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    # With "Pat" the tail is 43: 238 + 43 = 281.
    outcome = wf.edit_and_approve(ref_of(draft), PARTNER, "e" * 238)
    assert outcome.kind is Kind.TOO_LONG
    assert outcome.post is not None and outcome.post.parts[0].over_by == 1
    after = reload(store, draft)
    assert (after.status, after.version, after.text) == (Status.PENDING, 1, "Fresh beans are in.")
    assert wf.edit_and_approve(ref_of(draft), PARTNER, "e" * 237).kind is Kind.EDITED


def test_edit_and_approve_on_a_stale_card_is_refused(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "v1")
    wf.revise(revision(draft, "v2"))
    assert wf.edit_and_approve(CardRef(draft.id or 0, 1), OWNER, "owner text").kind is Kind.STALE_CARD
    assert reload(store, draft).text == "v2"


# -- the writer edits or deletes -------------------------------------------------------------


def test_revise_bumps_the_version_and_keeps_it_pending(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "First try")
    outcome = wf.revise(revision(draft, "Second try"))
    assert outcome.kind is Kind.REVISED
    after = reload(store, draft)
    assert (after.status, after.version, after.text) == (Status.PENDING, 2, "Second try")
    assert versions(store, after.id or 0) == [(1, "First try", "U0WRITER"), (2, "Second try", "U0WRITER")]
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.from_status, row.to_status, row.version) == ("revised", Status.PENDING, Status.PENDING, 2)


def test_revise_after_changes_requested_makes_it_pending_again(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "First try")
    wf.request_changes(ref_of(draft), OWNER, "Add the price")
    assert wf.revise(revision(draft, "First try, $4")).kind is Kind.REVISED
    after = reload(store, draft)
    assert (after.status, after.version) == (Status.PENDING, 2)
    row = audit_rows(store, draft.id)[-1]
    assert (row.from_status, row.to_status) == (Status.CHANGES_REQUESTED, Status.PENDING)
    assert wf.approve(CardRef(after.id or 0, 2), OWNER).kind is Kind.APPROVED


@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_revise_after_a_decision_is_not_editable(wf: Workflow, store: Store, decide: str) -> None:
    draft = submitted(wf, "Final words")
    if decide == "approve":
        wf.approve(ref_of(draft), OWNER)
    else:
        wf.reject(ref_of(draft), OWNER, "no")
    before = reload(store, draft)
    assert wf.revise(revision(draft, "Sneaky change")).kind is Kind.NOT_EDITABLE
    after = reload(store, draft)
    assert (after.status, after.version, after.text) == (before.status, 1, "Final words")
    assert after.final_parts == before.final_parts


def test_revise_edge_cases(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "Same")
    assert wf.revise(revision(draft, "Same")).kind is Kind.IGNORED
    assert wf.revise(message("Unknown message", ts="404.404")).kind is Kind.SUBMITTED  # its submission
    assert wf.revise(revision(draft, "")).kind is Kind.EMPTY
    assert wf.revise(revision(draft, "x" * 300)).kind is Kind.TOO_LONG
    assert wf.revise(revision(draft, "New", event_id="EvEdit")).kind is Kind.REVISED
    assert wf.revise(revision(draft, "Newer", event_id="EvEdit")).kind is Kind.DUPLICATE
    after = reload(store, draft)
    assert (after.version, after.text) == (2, "New")


def test_withdraw_a_pending_draft(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    outcome = wf.withdraw(draft.channel, draft.ts, event_id="EvDel")
    assert outcome.kind is Kind.WITHDRAWN
    assert reload(store, draft).status == Status.WITHDRAWN
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.actor_id, row.from_status, row.to_status) == (
        "withdrawn",
        "U0WRITER",
        Status.PENDING,
        Status.WITHDRAWN,
    )
    assert wf.withdraw(draft.channel, draft.ts, event_id="EvDel").kind is Kind.DUPLICATE
    assert wf.approve(ref_of(draft), OWNER).kind is Kind.ALREADY_DECIDED


def test_withdraw_after_approval_changes_nothing(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    refused = wf.withdraw(draft.channel, draft.ts)
    assert refused.kind is Kind.NOT_WITHDRAWABLE and refused.draft is not None
    assert refused.draft.status == Status.APPROVED  # what the writer is told: its state now
    assert reload(store, draft).status == Status.APPROVED
    assert "refused_not_withdrawable" in [a.action for a in audit_rows(store, draft.id)]
    assert wf.withdraw("C0DRAFTS", "404.404").kind is Kind.IGNORED


# -- publishing outcomes and retry -----------------------------------------------------------


def x_error(status: int, detail: str) -> tweepy.HTTPException:
    response = requests.Response()
    response.status_code = status
    response.reason = "Error"
    response.headers["content-type"] = "application/json"
    response._content = json.dumps({"title": "Error", "detail": detail, "type": "about:blank"}).encode()
    exception = {401: tweepy.Unauthorized, 403: tweepy.Forbidden, 429: tweepy.TooManyRequests}.get(
        status, tweepy.TwitterServerError if status >= 500 else tweepy.HTTPException
    )
    return exception(response)


class StubX:
    """Stands in for the brand's X account (bot.networks.base.Account): posts succeed, or fail the way X says."""

    network = Network.X

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.posts: list[tuple[str, str | None]] = []

    def new_key(self) -> str:
        return f"key-{len(self.posts)}"

    def post(self, text: str, *, key: str, reply_to: str | None = None, media: Sequence[str] = ()) -> Posted:
        if self.error is not None:
            raise self.error
        self.posts.append((text, reply_to))
        post_id = str(1000 + len(self.posts))
        return Posted(post_id, self.link(post_id))

    def link(self, post_id: str) -> str:
        return f"https://x.com/acme/status/{post_id}"

    def find(self, key: str, text: str, since: object) -> str | bool:
        """What the account shows after an uncertain attempt: only posts that really went up."""
        found = (str(1001 + i) for i, (posted, _) in reversed(list(enumerate(self.posts))) if posted == text)
        return next(found, False)

    def diagnose(self, exc: BaseException) -> Diagnosis:
        return diagnose(exc)


def publish(store: Store, draft: Draft, error: BaseException | None = None) -> StubX:
    x = StubX()
    x.error = error
    Publisher(store, x, on_change=lambda _id: None, worker_id="w1").publish_draft(draft.id or 0)  # type: ignore[arg-type]
    return x


def test_an_approved_thread_is_published_as_replies(wf: Workflow, store: Store) -> None:
    draft = submitted(wf, "One\n---\nTwo")
    wf.approve(ref_of(draft), PARTNER)
    x = publish(store, draft)
    assert x.posts == [("One", None), ("Two" + TAIL + "Pat", "1001")]
    after, sent = reload(store, draft), on_x(store, draft)
    assert (after.status, sent.status, sent.post_url, sent.post_ids) == (
        Status.PUBLISHED,
        Status.PUBLISHED,
        "https://x.com/acme/status/1001",
        ["1001", "1002"],
    )


def test_retry_sends_a_failed_draft_back_to_the_queue(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    publish(store, draft, x_error(401, "Unauthorized"))
    failed = reload(store, draft)
    assert failed.status == Status.FAILED
    assert "keys" in (on_x(store, draft).last_error or "")
    outcome = wf.retry(ref_of(failed), PARTNER)
    assert outcome.kind is Kind.RETRYING
    again = on_x(store, draft)
    assert (reload(store, draft).status, again.status, again.attempts, again.last_error) == (
        Status.APPROVED,
        Status.APPROVED,
        0,
        None,
    )
    row = audit_rows(store, draft.id)[-1]
    assert (row.action, row.from_status, row.to_status) == ("retry", Status.FAILED, Status.APPROVED)


def test_retry_is_refused_for_non_approvers(wf: Workflow, store: Store) -> None:
    draft = submitted(wf)
    wf.approve(ref_of(draft), OWNER)
    publish(store, draft, x_error(402, "no credits"))
    assert wf.retry(ref_of(draft), STRANGER).kind is Kind.NOT_AN_APPROVER
    assert wf.retry(ref_of(draft), OWNER_ELSEWHERE).kind is Kind.OTHER_ORGANISATION
    assert reload(store, draft).status == Status.FAILED
    assert wf.retry(CardRef(999, 1), OWNER).kind is Kind.NOT_FOUND


@pytest.mark.parametrize("state", ["pending", "approved", "unknown", "published"])
def test_retry_only_from_failed(wf: Workflow, store: Store, state: str) -> None:
    draft = submitted(wf)
    if state != "pending":
        wf.approve(ref_of(draft), OWNER)
    if state == "unknown":
        publish(store, draft, x_error(503, "Service Unavailable"))
    if state == "published":
        publish(store, draft)
    before = reload(store, draft)
    assert before.status == state
    assert wf.retry(ref_of(draft), PARTNER).kind is Kind.ALREADY_DECIDED
    assert reload(store, draft).status == state


# -- refusals that skip the audit trail ---------------------------------------------------------


def refuse_retry_when_pending(wf: Workflow, draft: Draft) -> Outcome:
    return wf.retry(ref_of(draft), OWNER)


def refuse_blank_rejection(wf: Workflow, draft: Draft) -> Outcome:
    return wf.reject(ref_of(draft), OWNER, "  ")


def refuse_blank_change_request(wf: Workflow, draft: Draft) -> Outcome:
    return wf.request_changes(ref_of(draft), OWNER, "")


def refuse_oversized_edit(wf: Workflow, draft: Draft) -> Outcome:
    return wf.edit_and_approve(ref_of(draft), OWNER, "z" * 300)


def refuse_oversized_revision(wf: Workflow, draft: Draft) -> Outcome:
    return wf.revise(revision(draft, "z" * 300))


@pytest.mark.parametrize(
    "refuse",
    [
        refuse_retry_when_pending,
        refuse_blank_rejection,
        refuse_blank_change_request,
        refuse_oversized_edit,
        refuse_oversized_revision,
    ],
)
def test_every_refusal_writes_an_audit_row(wf: Workflow, store: Store, refuse: Any) -> None:
    draft = submitted(wf)
    before = len(audit_rows(store))
    outcome = refuse(wf, draft)
    assert outcome.refused, outcome.kind
    assert len(audit_rows(store)) == before + 1


# -- any sequence of operations keeps the invariants -------------------------------------------

ACTORS = st.sampled_from([OWNER, OWNER, PARTNER, PARTNER, WALT, STRANGER, OWNER_ELSEWHERE])
TEXTS = st.sampled_from(["Fresh beans.", "Fresh beans, $4.", "One\n---\nTwo", "", "a" * 300, "Roasted today."])
REASONS = st.sampled_from(["", "  ", "Add the price.", "Off brand."])
VERSION_SKEW = st.sampled_from([0, 0, 0, -1, 1])


class WorkflowMachine(RuleBasedStateMachine):
    """Random operations by random people on a few drafts; the invariants must hold after every step."""

    store: Store

    def __init__(self) -> None:
        super().__init__()
        self.wf = new_workflow(self.store)
        self.drafts: list[Draft] = []
        self.seen: dict[int, str] = {}
        self.events = itertools.count()
        self.replayed_event = f"EvReplayed{next(_ts)}"  # one per run: the database outlives the run

    @initialize(text=TEXTS.filter(lambda t: t and len(t) < 200), writer=st.sampled_from(["U0WRITER", "U0WALT"]))
    def first_draft(self, text: str, writer: str) -> None:
        self.submit(text, writer)

    @precondition(lambda self: len(self.drafts) < 3)
    @rule(text=TEXTS, writer=st.sampled_from(["U0WRITER", "U0WALT"]))
    def submit(self, text: str, writer: str) -> None:
        outcome = self.wf.submit(message(text, user=writer))
        if outcome.kind is Kind.SUBMITTED:
            assert outcome.draft is not None and outcome.draft.id is not None
            self.drafts.append(outcome.draft)
            self.seen[outcome.draft.id] = Status.PENDING

    def current(self, index: int) -> Draft:
        return reload(self.store, self.drafts[index % len(self.drafts)])

    def ref(self, draft: Draft, skew: int) -> CardRef:
        return CardRef(draft.id or 0, max(0, draft.version + skew))

    def unchanged_if_refused(self, before: Draft, outcome: Outcome) -> None:
        after = reload(self.store, before)
        if outcome.refused or outcome.kind in {Kind.DUPLICATE, Kind.IGNORED, Kind.NOT_EDITABLE, Kind.EMPTY}:
            assert (after.status, after.version, after.text) == (before.status, before.version, before.text)

    @rule(i=st.integers(0, 2), actor=ACTORS, skew=VERSION_SKEW)
    def approve(self, i: int, actor: Actor, skew: int) -> None:
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.approve(self.ref(draft, skew), actor))

    @rule(i=st.integers(0, 2), actor=ACTORS, skew=VERSION_SKEW, reason=REASONS)
    def request_changes(self, i: int, actor: Actor, skew: int, reason: str) -> None:
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.request_changes(self.ref(draft, skew), actor, reason))

    @rule(i=st.integers(0, 2), actor=ACTORS, skew=VERSION_SKEW, reason=REASONS)
    def reject(self, i: int, actor: Actor, skew: int, reason: str) -> None:
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.reject(self.ref(draft, skew), actor, reason))

    @rule(i=st.integers(0, 2), actor=ACTORS, skew=VERSION_SKEW, text=TEXTS)
    def edit_and_approve(self, i: int, actor: Actor, skew: int, text: str) -> None:
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.edit_and_approve(self.ref(draft, skew), actor, text))

    @rule(i=st.integers(0, 2), text=TEXTS, replay=st.booleans())
    def revise(self, i: int, text: str, replay: bool) -> None:
        draft = self.current(i)
        event_id = self.replayed_event if replay else f"EvEdit{next(self.events)}-{draft.id}-{draft.ts}"
        self.unchanged_if_refused(draft, self.wf.revise(revision(draft, text, event_id=event_id)))

    @rule(i=st.integers(0, 2), chance=st.integers(0, 3))
    def withdraw(self, i: int, chance: int) -> None:
        if chance:  # writers rarely delete; otherwise most drafts would end withdrawn at once
            return
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.withdraw(draft.channel, draft.ts))

    @rule(i=st.integers(0, 2), answer=st.sampled_from([None, 401, 429, 503]))
    def publish(self, i: int, answer: int | None) -> None:
        draft = self.current(i)
        publish(self.store, draft, None if answer is None else x_error(answer, "X says no"))

    @rule(i=st.integers(0, 2), actor=ACTORS, skew=VERSION_SKEW)
    def retry(self, i: int, actor: Actor, skew: int) -> None:
        draft = self.current(i)
        self.unchanged_if_refused(draft, self.wf.retry(self.ref(draft, skew), actor))

    @invariant()
    def invariants_hold_for_every_draft(self) -> None:
        for draft in self.drafts:
            with self.store.transaction() as tx:
                now = tx.get(draft.id or 0)
                assert now is not None
                texts = [(v.version, v.text) for v in tx.versions(now.id or 0)]
                moves = [(r.from_status, r.to_status) for r in tx.audit_trail(now.id or 0) if r.to_status]
            self.version_is_the_number_of_versions(now, texts)
            self.terminal_states_are_final(now)
            self.every_status_change_is_audited(now, moves)
            self.approved_posts_carry_the_approvers_name(now)

    @staticmethod
    def version_is_the_number_of_versions(now: Draft, texts: list[tuple[int, str]]) -> None:
        assert [v for v, _ in texts] == list(range(1, now.version + 1))
        assert texts[-1][1] == now.text

    def terminal_states_are_final(self, now: Draft) -> None:
        previous = self.seen[now.id or 0]
        if previous in TERMINAL:
            assert now.status == previous, f"left terminal {previous} for {now.status}"
        self.seen[now.id or 0] = now.status

    @staticmethod
    def every_status_change_is_audited(now: Draft, moves: list[tuple[str | None, str | None]]) -> None:
        assert moves[0] == (None, Status.PENDING)
        for (_, reached), (left, _) in itertools.pairwise(moves):
            assert left == reached, moves
        assert moves[-1][1] == now.status, (moves, now.status)

    @staticmethod
    def approved_posts_carry_the_approvers_name(now: Draft) -> None:
        if now.status in {Status.APPROVED, Status.PUBLISHING, Status.PUBLISHED, Status.FAILED, Status.UNKNOWN}:
            assert now.final_parts and now.approver_name
            assert now.final_parts[-1].endswith(TAIL + now.approver_name)
            assert now.decided_by != now.writer_id


def test_any_sequence_of_operations_keeps_the_invariants(tmp_path: Path) -> None:
    store = new_store(tmp_path / "machine.db")
    WorkflowMachine.store = store
    try:
        run_state_machine_as_test(
            WorkflowMachine,
            settings=settings(
                max_examples=30,
                stateful_step_count=15,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        store.engine.dispose()


def test_a_single_post_is_claimed_and_recorded_in_two_transactions(wf: Workflow, store: Store) -> None:
    """The claim returns the row (no read after it) and the post's id rides in the outcome's fenced write."""
    draft = submitted(wf, "One")
    wf.approve(ref_of(draft), PARTNER)
    with store.read() as tx:
        [delivery] = deliveries.of_draft(tx.session, draft.id or 0)
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    x = StubX()
    publisher = Publisher(store, x, on_change=lambda _id: None, worker_id="w1")  # type: ignore[arg-type]
    event.listen(store.engine, "begin", count)
    try:
        assert publisher.publish(delivery.id or 0)
    finally:
        event.remove(store.engine, "begin", count)
    assert x.posts == [("One" + TAIL + "Pat", None)]
    stored, sent = store.get(draft.id or 0), on_x(store, draft)
    assert stored is not None and (stored.status, sent.post_ids) == (Status.PUBLISHED, ["1001"])
    assert sent.post_url == "https://x.com/acme/status/1001"
    assert len(begun) == 2


def test_the_writers_telling_of_a_post_is_claimed_in_the_outcomes_transaction(wf: Workflow, store: Store) -> None:
    """With `on_published`, nobody else can take the telling once the outcome is committed, and no transaction
    of its own is needed to claim it: the callback gets the row as written, the claimed move and the version's
    deliveries as written."""
    draft = submitted(wf, "One")
    wf.approve(ref_of(draft), PARTNER)
    given: list[Published] = []
    x = StubX()
    publisher = Publisher(store, x, on_change=lambda _id: None, worker_id="w1", on_published=given.append)  # type: ignore[arg-type]
    publisher.publish_draft(draft.id or 0)
    [published] = given
    written, move_id = published.draft, published.move_id
    assert (written.status, on_x(store, draft).post_url) == (Status.PUBLISHED, "https://x.com/acme/status/1001")
    # what the telling shows, read in that transaction too: the version's deliveries as the outcome left them
    assert [(d.network, d.status, d.post_url) for d in published.deliveries] == [
        ("x", Status.PUBLISHED, "https://x.com/acme/status/1001")
    ]
    with store.transaction() as tx:
        move = notices.latest_move(tx.session, draft.id or 0)
        assert move is not None and (move.id, move.action) == (move_id, "published")
        assert not notices.claim(tx.session, draft.id or 0, move_id, utcnow()), "the telling was not claimed"
