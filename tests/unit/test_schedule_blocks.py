"""The card's time line and buttons, and the Change time form: pure builders, within Slack's limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.approval.refs import CardRef
from bot.sandbox.slack_blocks import block_errors
from bot.slack.blocks import approval_card
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from bot.slack.schedule_blocks import Timing, change_time_modal, time_buttons, time_line
from storage.models import Status
from tests.unit.delivery_rows import delivered, delivery
from tests.unit.test_blocks import make_draft, make_post

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wed 10:00 in Paris
FRIDAY = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
TIMING = Timing(NOW, ZoneInfo("Europe/Paris"), timedelta(minutes=5))


def actions_of(card: dict) -> list[str]:
    return [e["action_id"] for b in card["blocks"] for e in b.get("elements", []) if b["type"] == "actions"] + [
        b["accessory"]["action_id"] for b in card["blocks"] if "accessory" in b
    ]


def test_a_pending_card_with_a_proposal_says_when_and_offers_approve_now_and_change_time() -> None:
    card = approval_card(make_draft(publish_at=FRIDAY), make_post("Fresh beans."), timing=TIMING)
    [line] = [b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_TIME]
    assert line["text"]["text"] == (
        ":clock3: Goes out Fri 4 Dec, 09:00 Europe/Paris (in 2 days), once approved (the writer's proposal)"
    )
    assert line["accessory"]["action_id"] == ActionId.CHANGE_TIME and line["accessory"]["value"] == "17:3"
    assert actions_of(card)[:2] == [ActionId.APPROVE, ActionId.APPROVE_NOW]
    assert block_errors(card["blocks"]) == []


def test_a_pending_card_without_a_time_goes_out_when_approved_and_keeps_its_four_buttons() -> None:
    card = approval_card(make_draft(), make_post("Fresh beans."), timing=TIMING)
    assert time_line(make_draft(), TIMING, ()) == ":clock3: Goes out when approved"
    assert actions_of(card) == [
        ActionId.APPROVE,
        ActionId.EDIT,
        ActionId.REQUEST_CHANGES,
        ActionId.REJECT,
        ActionId.CHANGE_TIME,
    ]


def test_a_scheduled_card_moves_and_a_late_one_asks() -> None:
    scheduled = make_draft(status=Status.APPROVED, publish_at=FRIDAY, decided_by="U0OWNER", decided_at=NOW)
    waiting = delivered(scheduled)  # never tried
    card = approval_card(scheduled, make_post("Fresh beans."), timing=TIMING, deliveries=waiting)
    assert actions_of(card) == [ActionId.POST_NOW, ActionId.CHANGE_TIME, ActionId.UNSCHEDULE]
    assert time_line(scheduled, TIMING, waiting) == ":clock3: Goes out Fri 4 Dec, 09:00 Europe/Paris (in 2 days)"
    late = Timing(FRIDAY + timedelta(minutes=6), TIMING.zone, TIMING.grace)
    assert [label for _, label, _ in time_buttons(scheduled, late, waiting)] == ["Post now", "New time", "Cancel"]
    assert "won't go out late on its own" in time_line(scheduled, late, waiting)
    within_grace = Timing(FRIDAY + timedelta(minutes=4), TIMING.zone, TIMING.grace)
    assert [label for _, label, _ in time_buttons(scheduled, within_grace, waiting)] == [
        "Post now",
        "Change time",
        "Unschedule",
    ]
    # Tried on one network of two: retrying is the publisher's business, the time no longer the owner's to move.
    tried = [delivery("x", Status.APPROVED), delivery("mastodon", Status.APPROVED, attempts=1)]
    assert time_buttons(scheduled, late, tried) == () and time_line(scheduled, late, tried) == ""


def test_a_passed_proposal_on_a_pending_card_says_so() -> None:
    passed = Timing(FRIDAY + timedelta(minutes=1), TIMING.zone)
    assert "that time passed before a decision" in time_line(make_draft(publish_at=FRIDAY), passed, ())


def test_the_change_time_form_is_a_datetimepicker_with_epoch_seconds() -> None:
    view = change_time_modal(CardRef(17, 3), FRIDAY, ZoneInfo("Europe/Paris"), approving=True)
    [picker] = [b for b in view["blocks"] if b.get("block_id") == BlockId.WHEN]
    assert picker["element"] == {
        "type": "datetimepicker",
        "action_id": InputId.WHEN,
        "initial_date_time": int(FRIDAY.timestamp()),
    }
    assert view["callback_id"] == CallbackId.CHANGE_TIME and view["private_metadata"] == "17:3"
    assert len(view["submit"]["text"]) <= 24 and len(view["title"]["text"]) <= 24
    assert block_errors(view["blocks"], limit=100) == []
    assert (
        "initial_date_time"
        not in change_time_modal(CardRef(1, 1), None, ZoneInfo("UTC"), False)["blocks"][1]["element"]
    )
