"""Issue 11, point 2: escalation, so a draft never stalls. Backups get the card once, at the due time and not
before, never after a decision, with a line naming who hasn't answered; before that their clicks are refused.
Time is the app's injected clock, moved by the test; the scheduler's tick is driven by hand."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs.escalation import Escalations
from bot.sandbox import SlackSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.types import utcnow
from tests.clock import FakeClock
from tests.e2e.harness import AGENCY, OWNER, OWNER2, Harness, block_text, buttons, posted

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wed 2 Dec, 10:00 in Paris
FRIDAY_9 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Fri 4 Dec, 09:00 in Paris
BACKUP = "U0BACKUP"
BACKUP_NAME = "Bea Backup"
ESCALATION = {"BACKUP_APPROVERS": BACKUP, "ESCALATE_AFTER": "8h", "REMINDER_AFTER": "off"}
WHY = "Olivia Owner and Omar Second haven't answered in 8 h"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def backup(slack: SlackSandbox, clean_sandboxes: None) -> str:
    slack.add_user(BACKUP, "bea", real_name=BACKUP_NAME)
    return BACKUP


@pytest.fixture
def bot(start_bot: Callable[..., Harness], clock: FakeClock, backup: str) -> Harness:
    return start_bot(clock=clock, **ESCALATION)


def signed_by_backup(text: str) -> str:
    return f"{text}\n\n— drafted by {AGENCY}, approved by {BACKUP_NAME}"


def backup_cards(bot: Harness) -> list[Message]:
    return bot.cards_in(dm_channel_for(BACKUP))


def tick_at(bot: Harness, clock: FakeClock, moment: datetime) -> int:
    clock.set(moment)
    return bot.running.services.scheduler.tick().escalated


def test_backups_are_carded_once_at_the_due_time_and_not_before(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Fresh beans are in.")
    bot.card(OWNER, containing="Fresh beans")
    assert tick_at(bot, clock, T0 + timedelta(hours=7, minutes=59)) == 0
    assert backup_cards(bot) == []

    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1
    card = bot.card(BACKUP, containing="Fresh beans")
    shown = block_text(card.blocks)
    assert f"Sent to you as a backup approver: {WHY}." in shown
    assert buttons(card)[0] == "Approve"
    assert bot.row(ts).escalated_at == T0 + timedelta(hours=8)
    owners = bot.wait_card(bot.card(OWNER, containing="Fresh beans"), lambda m: "also sent to" in block_text(m.blocks))
    assert f"No decision in 8 h: also sent to {BACKUP_NAME}, who may decide on it now." in block_text(owners.blocks)

    assert tick_at(bot, clock, T0 + timedelta(hours=9)) == 0
    assert tick_at(bot, clock, T0 + timedelta(days=2)) == 0
    assert len(backup_cards(bot)) == 1
    [escalated] = [a for a in bot.audit() if a.action == "escalated"]
    assert escalated.actor_id == "countersign"
    assert escalated.detail == f"to {BACKUP}; no answer from {OWNER},{OWNER2}"


def test_no_backup_is_carded_after_a_decision(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Decided in time.")
    bot.click(bot.card(OWNER, containing="Decided in time"), "Approve")
    bot.wait_status(ts, "published")
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 0
    assert tick_at(bot, clock, T0 + timedelta(days=1)) == 0
    assert backup_cards(bot) == [] and bot.row(ts).escalated_at is None
    assert [a for a in bot.audit() if a.action == "escalated"] == []


def test_a_decision_committed_first_makes_the_jobs_claim_lose_cleanly(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Racing the job.")
    owners_card = bot.card(OWNER, containing="Racing the job")
    job = Escalations(bot.store, bot.running.services.notifier, (BACKUP,))
    clock.set(T0 + timedelta(hours=8))
    [due] = job._due(clock())  # the job has read the draft as due...
    bot.click(owners_card, "Reject")
    view = bot.modal("countersign.reject_modal")
    bot.submit(view, {"decision.reason": {"reason": "Not this week."}})
    bot.wait_status(ts, "rejected")
    assert job._claim(due, clock()) is False  # ...and the rejection committed before its compare-and-set
    assert job.run(clock()) == 0
    assert backup_cards(bot) == [] and bot.row(ts).escalated_at is None
    assert [a for a in bot.audit() if a.action == "escalated"] == []


def test_a_backups_click_before_escalation_is_refused_and_audited_and_after_it_counts(
    bot: Harness, clock: FakeClock
) -> None:
    ts = bot.draft("Backups wait their turn.")
    owners_card = bot.card(OWNER, containing="Backups wait")
    bot.click(owners_card, "Approve", user=BACKUP)  # a backup who got hold of a card early
    said = bot.ephemeral(BACKUP, containing="backup approver")
    assert "once it is escalated to you" in said and "Nothing was changed" in said
    refused = bot.wait_audit("refused_not_yet_escalated")
    assert (refused.actor_id, refused.draft_id) == (BACKUP, bot.row(ts).id)
    assert bot.row(ts).status == "pending" and bot.x.posts == []

    tick_at(bot, clock, T0 + timedelta(hours=8))
    bot.click(bot.card(BACKUP, containing="Backups wait"), "Approve", user=BACKUP)
    bot.wait_status(ts, "published")
    assert [p.text for p in bot.x.posts] == [signed_by_backup("Backups wait their turn.")]
    owners = bot.wait_card(owners_card, lambda m: "published" in block_text(m.blocks))
    assert f"Approved by <@{BACKUP}>" in block_text(owners.blocks)  # the approvers' cards say who decided


def test_a_backup_can_request_changes_once_escalated(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Please look at this.")
    bot.card(OWNER, containing="Please look")
    tick_at(bot, clock, T0 + timedelta(hours=8))
    bot.click(bot.card(BACKUP, containing="Please look"), "Request changes", user=BACKUP)
    view = bot.modal("countersign.request_changes_modal")
    bot.submit(view, {"decision.reason": {"reason": "Shorter, please."}}, user=BACKUP)
    draft = bot.wait_status(ts, "changes_requested")
    assert (draft.decided_by, draft.reason) == (BACKUP, "Shorter, please.")
    assert "Shorter, please." in bot.thread(ts, containing="Shorter")[0].text


def test_a_backups_edit_is_refused_before_escalation_and_signs_the_post_after(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Fresh beens are in.")
    bot.click(bot.card(OWNER, containing="Fresh beens"), "Edit", user=BACKUP)  # no form opens for them yet
    assert "once it is escalated to you" in bot.ephemeral(BACKUP, containing="backup approver")
    assert bot.slack.views == []
    tick_at(bot, clock, T0 + timedelta(hours=8))
    bot.click(bot.card(BACKUP, containing="Fresh beens"), "Edit", user=BACKUP)
    modal = bot.modal(CallbackId.EDIT)
    response = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "Fresh beans are in!"}}, user=BACKUP)
    assert response.status_code == 200
    draft = bot.wait_status(ts, "published")
    assert (draft.decided_by, draft.version) == (BACKUP, 2)
    assert [p.text for p in bot.x.posts] == [signed_by_backup("Fresh beans are in!")]


def test_a_backup_settles_a_failed_post_of_an_escalated_draft_with_retry(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Keys first.")
    bot.card(OWNER, containing="Keys first")
    tick_at(bot, clock, T0 + timedelta(hours=8))
    card = bot.card(BACKUP, containing="Keys first")
    bot.x.fail(status=401)
    bot.click(card, "Approve", user=BACKUP)
    bot.wait_status(ts, "failed")
    failed = bot.wait_card(card, lambda m: buttons(m) == ["Retry"])
    assert "backup approver" not in block_text(failed.blocks)  # the why-line is for a draft still waiting
    bot.click(failed, "Retry", user=BACKUP)
    bot.wait_status(ts, "published")
    assert [p.text for p in bot.x.posts] == [signed_by_backup("Keys first.")]
    assert [a.actor_id for a in bot.audit() if a.action == "retry"] == [BACKUP]


def test_a_writers_edit_keeps_the_clock_and_an_escalated_draft_keeps_its_backups(
    bot: Harness, clock: FakeClock
) -> None:
    ts = bot.draft("First words.")
    bot.card(OWNER, containing="First words")
    clock.set(T0 + timedelta(hours=6))
    bot.edit(ts, "Second words.", "First words.")
    bot.slack.wait_until(lambda: bot.row(ts).version == 2)
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1  # not 8 h after the edit: nobody had answered
    card = bot.card(BACKUP, containing="Second words")
    assert f"{WHY}." in block_text(card.blocks)  # silent for 8 h, through the writer's edit

    clock.set(T0 + timedelta(hours=9))
    bot.edit(ts, "Third words.", "Second words.")
    updated = bot.wait_card(card, lambda m: "Third words" in block_text(m.blocks))
    assert "Sent to you as a backup approver" in block_text(updated.blocks)
    assert tick_at(bot, clock, T0 + timedelta(hours=20)) == 0 and len(backup_cards(bot)) == 1
    bot.click(updated, "Approve", user=BACKUP)
    bot.wait_status(ts, "published")


def test_an_answer_from_an_approver_starts_the_clock_again(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Needs a price.")
    card = bot.card(OWNER, containing="Needs a price")
    clock.set(T0 + timedelta(hours=2))
    bot.click(card, "Request changes")
    bot.submit(bot.modal("countersign.request_changes_modal"), {"decision.reason": {"reason": "Add the price."}})
    bot.wait_status(ts, "changes_requested")
    clock.set(T0 + timedelta(hours=3))
    bot.edit(ts, "Needs a price: 4 EUR.", "Needs a price.")
    bot.wait_status(ts, "pending")
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 0  # 8 h after the first ask, but Olivia answered
    assert tick_at(bot, clock, T0 + timedelta(hours=10, minutes=59)) == 0
    assert tick_at(bot, clock, T0 + timedelta(hours=11)) == 1  # 8 h after the new version went to them
    assert "haven't answered in 8 h" in block_text(bot.card(BACKUP, containing="4 EUR").blocks)


def test_a_scheduled_draft_escalates_an_hour_before_its_time(
    start_bot: Callable[..., Harness], clock: FakeClock, backup: str
) -> None:
    bot = start_bot(clock=clock, TIMEZONE="Europe/Paris", **(ESCALATION | {"ESCALATE_AFTER": "3d"}))
    ts = bot.draft("at: Fri 09:00\nWeekend opening hours.")
    bot.card(OWNER, containing="Weekend opening")
    assert bot.row(ts).escalate_at == FRIDAY_9 - timedelta(hours=1)
    assert tick_at(bot, clock, FRIDAY_9 - timedelta(hours=1, minutes=1)) == 0
    assert backup_cards(bot) == []
    assert tick_at(bot, clock, FRIDAY_9 - timedelta(hours=1)) == 1
    shown = block_text(bot.card(BACKUP, containing="Weekend opening").blocks)
    assert "haven't answered in 1 d 22 h, and it is proposed to go out Fri 4 Dec, 09:00 Europe/Paris" in shown


def test_two_instances_ticking_together_card_the_backups_once(
    start_bot: Callable[..., Harness], clock: FakeClock, backup: str
) -> None:
    # The fake clock starts 8 h back from the real one, so "now" at the due time is the wall clock's: the catch-up
    # each tick runs frees card claims older than 2 minutes by the (real) time they were made.
    clock.set(utcnow().replace(microsecond=0) - timedelta(hours=8))
    start = clock()
    first = start_bot(clock=clock, **ESCALATION)
    second = start_bot(clock=clock, **ESCALATION)
    ts = first.draft("Two schedulers, one card.")
    first.card(OWNER, containing="Two schedulers")
    clock.set(start + timedelta(hours=8))
    gate = threading.Barrier(2)
    counts: list[int] = []

    def tick(bot: Harness) -> None:
        gate.wait()
        counts.append(bot.running.services.scheduler.tick().escalated)

    threads = [threading.Thread(target=tick, args=(b,)) for b in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 1]
    first.card(BACKUP, containing="Two schedulers")
    for bot in (first, second, first):
        bot.running.services.scheduler.tick()
    assert len(backup_cards(first)) == 1
    assert len([a for a in first.audit() if a.action == "escalated"]) == 1
    assert first.row(ts).status == "pending"


def test_an_approvals_channel_install_still_dms_the_backups(
    start_bot: Callable[..., Harness], clock: FakeClock, backup: str
) -> None:
    bot = start_bot(clock=clock, APPROVAL_CHANNEL="C0APPROVALS", **ESCALATION)
    ts = bot.draft("Shared card, backup DM.")
    bot.slack.wait_until(lambda: bot.cards_in("C0APPROVALS"))
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1
    card = bot.card(BACKUP, containing="Shared card")
    assert WHY in block_text(card.blocks)
    bot.click(card, "Approve", user=BACKUP)
    bot.wait_status(ts, "published")
    assert [p.text for p in bot.x.posts] == [signed_by_backup("Shared card, backup DM.")]


def test_a_card_slack_refused_is_posted_at_a_later_tick_once(bot: Harness, clock: FakeClock) -> None:
    ts = bot.draft("Slack was down.")
    bot.card(OWNER, containing="Slack was down")
    bot.card(OWNER2, containing="Slack was down")
    bot.thread(ts, containing="for approval")  # everything intake sends is out before Slack fails
    bot.slack.fail("chat.postMessage", error="internal_error", status=200)
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1
    assert backup_cards(bot) == []
    tick_at(bot, clock, T0 + timedelta(hours=8, minutes=1))
    bot.card(BACKUP, containing="Slack was down")
    tick_at(bot, clock, T0 + timedelta(hours=8, minutes=2))
    assert len(backup_cards(bot)) == 1


def test_without_escalation_nothing_changes(start_bot: Callable[..., Harness], clock: FakeClock) -> None:
    bot = start_bot(clock=clock, REMINDER_AFTER="off")
    ts = bot.draft("No backups here.")
    bot.card(OWNER, containing="No backups")
    assert bot.row(ts).escalate_at is None
    assert tick_at(bot, clock, T0 + timedelta(days=3)) == 0
    bot.click(bot.card(OWNER, containing="No backups"), "Approve")
    bot.wait_status(ts, "published")
    assert [p.text for p in bot.x.posts] == [posted("No backups here.")]


def test_a_backup_who_wrote_the_draft_gets_no_card_of_it(
    start_bot: Callable[..., Harness], clock: FakeClock, backup: str
) -> None:
    bot = start_bot(clock=clock, **ESCALATION)
    ts = bot.draft("A backup wrote this.", user=BACKUP)
    bot.card(OWNER, containing="A backup wrote")
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1
    assert backup_cards(bot) == []
    assert bot.wait_audit("escalated").detail == f"to nobody (its writer); no answer from {OWNER},{OWNER2}"
    owners = bot.card(OWNER, containing="A backup wrote")
    assert "also sent to" not in block_text(owners.blocks) and "Approve" in buttons(owners)
    assert bot.row(ts).escalated_at is not None  # claimed once, so it isn't picked again at every tick
    assert tick_at(bot, clock, T0 + timedelta(hours=9)) == 0


def test_under_rule_all_a_backups_yes_stands_in_for_the_approver_who_hasnt_answered(
    start_bot: Callable[..., Harness], clock: FakeClock, backup: str
) -> None:
    """APPROVAL_RULE=all with two approvers: Olivia says yes, Omar is silent. At 8 h the backup is asked, the line
    names only Omar, and the backup's yes makes the second of two: one post, signed by Olivia and the backup."""
    bot = start_bot(clock=clock, APPROVAL_RULE="all", **ESCALATION)
    ts = bot.draft("Fresh beans are in.")
    bot.click(bot.card(OWNER, containing="Fresh beans"), "Approve", OWNER)
    bot.wait_audit("approved_partly")
    assert tick_at(bot, clock, T0 + timedelta(hours=8)) == 1
    card = bot.card(BACKUP, containing="Fresh beans")
    shown = block_text(card.blocks)
    assert "Sent to you as a backup approver: Omar Second hasn't answered in 8 h." in shown  # Olivia has
    assert f"approved by Olivia Owner and {BACKUP_NAME}" in shown  # the post as it reads if the backup says yes
    assert f"1 of 2: ✓ <@{OWNER}>" in shown
    assert bot.row(ts).status == "pending"

    bot.click(card, "Approve", BACKUP)
    [post] = bot.x.wait_for_posts(1)
    assert post.text == f"Fresh beans are in.\n\n— drafted by {AGENCY}, approved by Olivia Owner and {BACKUP_NAME}"
    bot.settle()
    assert len(bot.x.posts) == 1 and bot.row(ts).status == "published"
