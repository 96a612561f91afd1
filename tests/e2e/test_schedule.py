"""Issue 10, points 6-10: a time to go out — proposed by the writer, decided by the owner, kept by the publisher,
and never passed unseen. Time is the app's injected clock, moved by the test (no sleeping)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.slack_blocks import find_button
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.clock import FakeClock
from tests.e2e.harness import OUTSIDER, OWNER, WRITER, Harness, block_text, buttons, posted

WEDNESDAY = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wed 2 Dec, 10:00 in Paris
FRIDAY_9 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Fri 4 Dec, 09:00 in Paris
PARIS = {"TIMEZONE": "Europe/Paris"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(WEDNESDAY)


@pytest.fixture
def timed(start_bot: Callable[..., Harness], clock: FakeClock) -> Harness:
    return start_bot(clock=clock, **PARIS)


def command(bot: Harness, text: str, user: str = OWNER) -> str:
    response = bot.driver.command(text, user)
    assert response.status_code == 200
    return response.json()["text"]


def at_time(bot: Harness, clock: FakeClock, moment: datetime) -> None:
    """Move the app's clock and let the publisher look (as it would on waking at that time)."""
    clock.set(moment)
    bot.running.services.publisher.run_once()


def test_an_at_line_proposes_a_time_that_is_not_posted_and_approve_keeps_it(timed: Harness, clock: FakeClock) -> None:
    ts = timed.draft("at: Fri 09:00\nFresh beans are in.")
    card = timed.card(OWNER, containing="Fresh beans")
    text = block_text(card.blocks)
    assert "Goes out Fri 4 Dec, 09:00 Europe/Paris (in 2 days)" in text
    assert "at: Fri" not in text
    assert buttons(card) == ["Approve", "Approve now", "Edit", "Request changes", "Reject"]
    assert find_button(card, "Change time")["block_id"] == BlockId.CARD_TIME  # beside the time line
    assert "Proposed to go out Fri 4 Dec, 09:00 Europe/Paris (in 2 days)" in timed.thread(ts)[0].text
    assert timed.row(ts).text == "Fresh beans are in." and timed.row(ts).publish_at == FRIDAY_9

    timed.click(card, "Approve")
    scheduled = timed.wait_card(card, lambda m: "Post now" in buttons(m))
    assert buttons(scheduled) == ["Post now", "Change time", "Unschedule"]
    assert "Goes out Fri 4 Dec, 09:00 Europe/Paris (in 2 days)" in block_text(scheduled.blocks)
    assert timed.row(ts).status == "approved"
    told = timed.thread(ts, count=2)[1].text
    assert f"goes out <!date^{int(FRIDAY_9.timestamp())}^" in told and "sends it back for approval" in told

    at_time(timed, clock, FRIDAY_9 - timedelta(seconds=1))
    assert timed.x.posts == []
    at_time(timed, clock, FRIDAY_9)
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("Fresh beans are in.")]
    timed.wait_status(ts, "published")


def test_approve_now_ignores_the_proposed_time(timed: Harness) -> None:
    ts = timed.draft("at: Fri 09:00\nRight away please.")
    timed.click(timed.card(OWNER, containing="Right away"), "Approve now")
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("Right away please.")]
    assert timed.wait_status(ts, "published").publish_at is None


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("at: someday soon-ish", "I couldn't read `someday soon-ish` as a time"),
        ("at: 2026-12-01 09:00", "was read as Tue 1 Dec, 09:00 Europe/Paris (1 day ago), which has passed"),
    ],
)
def test_an_unreadable_or_past_time_gets_a_reply_saying_what_was_read(timed: Harness, line: str, says: str) -> None:
    ts = timed.draft(f"{line}\nWhen, exactly?")
    reply = timed.thread(ts)[0].text
    assert reply.startswith("Not sent for approval.") and says in reply
    assert timed._maybe_row(ts) is None
    assert timed.slack.messages("D0OWNER") == [] or not any(
        "When, exactly" in block_text(m.blocks) for m in timed.slack.messages("D0OWNER") if m.blocks
    )


def test_the_writer_editing_the_at_line_of_a_scheduled_draft_makes_it_pending_again(
    timed: Harness, clock: FakeClock
) -> None:
    ts = timed.draft("at: Fri 09:00\nNew roast Friday.")
    card = timed.card(OWNER, containing="New roast")
    timed.click(card, "Approve")
    timed.wait_status(ts, "approved")

    timed.edit(ts, "at: Sat 10:00\nNew roast Friday.", "at: Fri 09:00\nNew roast Friday.")
    draft = timed.wait_status(ts, "pending")
    assert draft.version == 2 and draft.publish_at == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    again = timed.wait_card(card, lambda m: "version 2" in block_text(m.blocks))
    assert "Goes out Sat 5 Dec, 10:00 Europe/Paris (in 3 days)" in block_text(again.blocks)
    assert buttons(again)[:2] == ["Approve", "Approve now"]
    at_time(timed, clock, FRIDAY_9 + timedelta(minutes=1))
    assert timed.x.posts == []  # the approved Friday time went with the edit
    assert "revised" in [a.action for a in timed.audit(draft.id)]


def test_a_time_that_passed_during_a_pause_is_asked_about_not_posted(timed: Harness, clock: FakeClock) -> None:
    ts = timed.draft("at: Fri 09:00\nPaused Friday post.")
    card = timed.card(OWNER, containing="Paused Friday")
    timed.click(card, "Approve")
    timed.wait_status(ts, "approved")
    assert "paused" in command(timed, "pause")

    clock.set(FRIDAY_9 + timedelta(minutes=30))  # the grace is 5 minutes
    assert "resumed" in command(timed, "resume")
    timed.running.services.publisher.run_once()
    assert timed.running.services.scheduler.tick().times_told == 1
    assert timed.x.posts == [] and timed.row(ts).status == "approved"
    late = timed.wait_card(card, lambda m: "New time" in buttons(m))
    assert buttons(late) == ["Post now", "New time", "Cancel"]
    assert "Was to go out Fri 4 Dec, 09:00 Europe/Paris" in block_text(late.blocks)
    asked = [m.text for m in timed.slack.messages(card.channel) if not m.blocks and "didn't" in m.text]
    assert len(asked) == 1 and "Post now" in asked[0]
    assert timed.running.services.scheduler.tick().times_told == 0  # asked once

    timed.click(late, "Post now")
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("Paused Friday post.")]


def test_a_draft_still_pending_at_its_time_is_told_and_can_be_approved_for_a_new_time(
    timed: Harness, clock: FakeClock
) -> None:
    ts = timed.draft("at: Fri 09:00\nUndecided Friday.")
    card = timed.card(OWNER, containing="Undecided Friday")
    clock.set(FRIDAY_9 + timedelta(minutes=1))
    assert timed.running.services.scheduler.tick().times_told == 1
    assert "missed its proposed time" in timed.thread(ts, count=2)[1].text
    assert any("still waiting for a decision" in m.text for m in timed.slack.messages(card.channel))

    timed.click(card, "Approve")
    assert "has passed" in timed.ephemeral(OWNER, containing="passed")
    assert timed.row(ts).status == "pending"

    timed.click(card, "Change time")
    view = timed.modal(CallbackId.CHANGE_TIME)
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    answer = timed.submit(view, {BlockId.WHEN: {InputId.WHEN: int(saturday.timestamp())}})
    assert answer.status_code == 200 and answer.text in ("", "{}")
    draft = timed.wait_status(ts, "approved")
    assert draft.publish_at == saturday and draft.decided_by == OWNER
    at_time(timed, clock, saturday)
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("Undecided Friday.")]


def test_a_picked_time_in_the_past_is_refused_in_the_form(timed: Harness) -> None:
    ts = timed.draft("No time yet.")
    card = timed.card(OWNER, containing="No time yet")
    assert "Goes out when approved" in block_text(card.blocks)
    timed.click(card, "Change time")
    view = timed.modal(CallbackId.CHANGE_TIME)
    answer = timed.submit(view, {BlockId.WHEN: {InputId.WHEN: int((WEDNESDAY - timedelta(hours=1)).timestamp())}})
    assert answer.json()["response_action"] == "errors"
    assert "has passed" in answer.json()["errors"][BlockId.WHEN]
    assert timed.row(ts).status == "pending"


def test_unschedule_sends_it_back_for_a_decision(timed: Harness, clock: FakeClock) -> None:
    ts = timed.draft("at: Fri 09:00\nMaybe not Friday.")
    card = timed.card(OWNER, containing="Maybe not Friday")
    timed.click(card, "Approve")
    timed.click(timed.wait_card(card, lambda m: "Unschedule" in buttons(m)), "Unschedule")
    draft = timed.wait_status(ts, "pending")
    assert draft.publish_at is None and draft.final_parts is None
    at_time(timed, clock, FRIDAY_9 + timedelta(minutes=1))
    assert timed.x.posts == []
    assert WRITER  # the writer's message is untouched; the approvers decide again


def test_a_draft_with_a_near_time_is_reminded_once_before_it(start_bot: Callable[..., Harness]) -> None:
    clock = FakeClock(FRIDAY_9 - timedelta(minutes=30))
    bot = start_bot(clock=clock, **PARIS)  # REMINDER_AFTER is 4h: far after the time
    bot.draft("at: Fri 09:00\nShort notice.")
    card = bot.card(OWNER, containing="Short notice")

    def nudges() -> list[str]:
        return [m.text for m in bot.slack.messages(card.channel) if not m.blocks and ":alarm_clock:" in m.text]

    clock.set(FRIDAY_9 - timedelta(minutes=16))
    bot.running.services.scheduler.tick()
    assert nudges() == []
    clock.set(FRIDAY_9 - timedelta(minutes=14))  # half of its 30-minute wait is left
    bot.running.services.scheduler.tick()
    bot.running.services.scheduler.tick()
    [nudge] = nudges()
    assert "It is proposed to go out Fri 4 Dec, 09:00 Europe/Paris (in 14 minutes)" in nudge


def test_coming_up_in_status_home_schedule_and_the_digest_with_working_buttons(
    timed: Harness, clock: FakeClock
) -> None:
    first = timed.draft("at: Fri 09:00\nFirst in line.")
    timed.click(timed.card(OWNER, containing="First in line"), "Approve")
    second = timed.draft("at: Sat 10:00\nSecond in line.")
    timed.click(timed.card(OWNER, containing="Second in line"), "Approve")
    later = timed.draft("at: 2026-12-10 09:00\nNext week-ish.")
    timed.click(timed.card(OWNER, containing="Next week-ish"), "Approve")
    for ts in (first, second, later):
        timed.wait_status(ts, "approved")

    answer = timed.driver.command("status", OWNER).json()
    shown = block_text(answer["blocks"])
    assert "Coming up (next 7 days)" in shown
    assert shown.index("Fri 4 Dec, 09:00") < shown.index("Sat 5 Dec, 10:00") and "Next week-ish" not in shown
    assert "Post now" not in command(timed, "status", WRITER) and "First in line" in command(timed, "status", WRITER)
    listed = command(timed, "schedule")
    assert listed.index("First in line") < listed.index("Second in line") < listed.index("Next week-ish")

    response = timed.driver.click(answer["blocks"], "Post now", OWNER, channel_id="C0DRAFTS", message_ts="1.0")
    assert response.status_code == 200
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("First in line.")]

    proposed = timed.draft("at: Sun 12:00\nStill to decide.")
    timed.card(OWNER, containing="Still to decide")
    timed.driver.app_home_opened(OWNER)
    home = timed.slack.wait_for(lambda s: (v := s.home(OWNER)) and "Coming up" in block_text(v.blocks) and v)
    assert "Goes out Sun 6 Dec, 12:00 Europe/Paris (in 4 days), once approved" in block_text(home.blocks)
    assert timed.row(proposed).status == "pending"
    assert "Sat 5 Dec, 10:00" in block_text(home.blocks)
    timed.driver.click_in_view(home, "Unschedule", OWNER)
    assert timed.wait_status(second, "pending").publish_at is None

    clock.set(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday 09:00 in Paris: the digest for last week
    week = timed.running.services.scheduler.digest.due(clock())
    timed.running.services.scheduler.digest.send(week, clock())
    digest = next(m for m in timed.slack.messages("C0DRAFTS") if m.blocks and "Weekly digest" in block_text(m.blocks))
    assert "Scheduled for next week: 1" in block_text(digest.blocks)
    assert "Thu 10 Dec, 09:00" in block_text(digest.blocks) and "Next week-ish" in block_text(digest.blocks)


def test_only_approvers_move_a_scheduled_post(timed: Harness) -> None:
    ts = timed.draft("at: Fri 09:00\nHands off.")
    card = timed.card(OWNER, containing="Hands off")
    timed.click(card, "Approve")
    scheduled = timed.wait_card(card, lambda m: "Post now" in buttons(m))
    for label in ("Post now", "Unschedule", "Change time"):
        timed.click(scheduled, label, user=OUTSIDER)
    timed.slack.wait_until(lambda: len([e for e in timed.slack.ephemerals(OUTSIDER) if "approvers" in e.text]) == 3)
    assert timed.row(ts).status == "approved" and timed.row(ts).publish_at == FRIDAY_9
    assert [v for v in timed.slack.views if v.callback_id == CallbackId.CHANGE_TIME] == []


def test_the_audit_trail_keeps_the_time_each_version_was_proposed_and_approved_for(timed: Harness) -> None:
    ts = timed.draft("at: Fri 09:00\nAudited.")
    card = timed.card(OWNER, containing="Audited")
    timed.edit(ts, "at: Sat 10:00\nAudited.", "at: Fri 09:00\nAudited.")
    timed.wait_status(ts, "pending")
    timed.click(timed.wait_card(card, lambda m: "version 2" in block_text(m.blocks)), "Approve")
    draft = timed.wait_status(ts, "approved")
    trail = {a.action: a.detail for a in timed.audit(draft.id)}
    assert trail["revised"] == "proposed for 2026-12-05T09:00:00+00:00"
    assert trail["approved"] == "for 2026-12-05T09:00:00+00:00"
    shown = command(timed, f"show {draft.id}")
    assert f"Time to go out: <!date^{int(datetime(2026, 12, 5, 9, 0, tzinfo=UTC).timestamp())}^" in shown
    assert "proposed for 2026-12-05T09:00:00+00:00" in shown


def test_a_time_that_passed_while_no_instance_ran_is_asked_about_on_start(
    start_bot: Callable[..., Harness], clock: FakeClock
) -> None:
    first = start_bot(clock=clock, **PARIS)
    ts = first.draft("at: Fri 09:00\nWhile we were down.")
    first.click(first.card(OWNER, containing="While we were down"), "Approve")
    first.wait_status(ts, "approved")
    first.settle()  # stopped: nothing runs at Friday 09:00

    clock.set(FRIDAY_9 + timedelta(hours=2))
    second = start_bot(clock=clock, **PARIS)
    second.running.services.publisher.run_once()
    assert second.running.services.scheduler.tick().times_told == 1
    assert second.x.posts == [] and second.row(ts).status == "approved"
    card = second.card(OWNER, containing="While we were down")
    assert buttons(second.wait_card(card, lambda m: "New time" in buttons(m))) == ["Post now", "New time", "Cancel"]


def test_an_unreadable_at_line_in_an_edit_of_a_scheduled_draft_keeps_the_approved_time(
    timed: Harness, clock: FakeClock
) -> None:
    ts = timed.draft("at: Fri 09:00\nKeep my Friday.")
    timed.click(timed.card(OWNER, containing="Keep my Friday"), "Approve")
    timed.wait_status(ts, "approved")
    timed.edit(ts, "at: whenever\nKeep my Friday.", "at: Fri 09:00\nKeep my Friday.")
    reply = timed.thread(ts, containing="wasn't sent")[0].text
    assert "I couldn't read `whenever` as a time" in reply and "Approvers still see version 1" in reply
    draft = timed.row(ts)
    assert (draft.status, draft.version, draft.publish_at) == ("approved", 1, FRIDAY_9)
    at_time(timed, clock, FRIDAY_9)
    assert [p.text for p in timed.x.wait_for_posts(1)] == [posted("Keep my Friday.")]


def test_an_edit_that_leaves_a_relative_at_line_alone_keeps_its_time(timed: Harness, clock: FakeClock) -> None:
    ts = timed.draft("at: tomorrow 8am\nTypo heer.")
    timed.card(OWNER, containing="Typo heer")
    thursday_8 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert timed.row(ts).publish_at == thursday_8
    clock.set(thursday_8 - timedelta(hours=1))  # "tomorrow 8am" read now would be Friday's
    timed.edit(ts, "at: tomorrow 8am\nTypo here.", "at: tomorrow 8am\nTypo heer.")
    draft = timed.slack.wait_until(lambda: (d := timed.row(ts)).version == 2 and d)
    assert draft.text == "Typo here." and draft.publish_at == thursday_8
