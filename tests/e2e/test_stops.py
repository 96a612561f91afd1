"""Issue 11, part 5: a reason is kept for everything that stops a post, with who and when, in `/countersign show`."""

from __future__ import annotations

from bot.approval.recovery_moves import CANCEL_REASON
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import OWNER, OWNER2, Harness, buttons
from tests.e2e.test_delete_from_x import command


def stops_of(bot: Harness, ts: str) -> list[str]:
    story = command(bot, f"show {bot.row(ts).id}")
    assert "*Stops*" in story, story
    return story.split("*Stops*")[1].split("*Audit trail*")[0].strip().splitlines()[1:]


def test_request_changes_then_reject_are_both_in_stops_with_who_when_and_why(bot: Harness) -> None:
    ts = bot.draft("Competitors are clowns.")
    bot.click(bot.card(OWNER, containing="Competitors"), "Request changes")
    bot.submit(bot.modal(CallbackId.REQUEST_CHANGES), {BlockId.REASON: {InputId.REASON: "Kinder, please."}})
    bot.wait_status(ts, "changes_requested")
    bot.edit(ts, "Competitors are fine, we are better.", "Competitors are clowns.")
    bot.wait_status(ts, "pending")
    bot.click(bot.card(OWNER2, containing="we are better"), "Reject")
    bot.submit(bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "Still not our tone."}}, user=OWNER2)
    bot.wait_status(ts, "rejected")

    stops = stops_of(bot, ts)
    assert len(stops) == 2 and all(line.startswith("• <!date^") for line in stops)
    assert stops[0].endswith(f"Changes requested by <@{OWNER}>: Kinder, please.")
    assert stops[1].endswith(f"Rejected by <@{OWNER2}>: Still not our tone.")


def test_cancel_after_x_didnt_confirm_keeps_what_it_was_pressed_for(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("Forget it.")
    card = bot.card(OWNER, containing="Forget it")
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    bot.click(bot.wait_card(card, lambda m: "Cancel" in buttons(m)), "Cancel", user=OWNER2)
    bot.wait_status(ts, "failed")

    [stop] = stops_of(bot, ts)
    assert stop.endswith(f"Cancelled by <@{OWNER2}>: {CANCEL_REASON}")


def test_a_draft_nobody_stopped_shows_no_stops(bot: Harness) -> None:
    ts = bot.draft("Straight out.")
    bot.click(bot.card(OWNER, containing="Straight out"), "Approve")
    bot.wait_status(ts, "published")
    assert "*Stops*" not in command(bot, f"show {bot.row(ts).id}")
