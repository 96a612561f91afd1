"""The why-line on a backup's card: what it says, and where it sits on the card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.slack.escalation_blocks import escalated_line, span, why_line, with_why
from bot.slack.ids import BlockId

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def test_span_is_said_the_way_a_person_says_it() -> None:
    assert span(timedelta(hours=8)) == "8 h"
    assert span(timedelta(hours=3, minutes=30)) == "3 h 30 min"
    assert span(timedelta(minutes=45)) == "45 min"
    assert span(timedelta(seconds=5)) == "1 min"
    assert span(timedelta(days=2, hours=4)) == "2 d 4 h"
    assert span(timedelta(days=1)) == "1 d"


def test_the_why_line_names_the_one_approver_who_has_not_answered() -> None:
    line = why_line(["Olivia Owner"], timedelta(hours=8), now=NOW, zone=UTC_ZONE)
    assert line == ":arrow_double_up: Sent to you as a backup approver: Olivia Owner hasn't answered in 8 h."


def test_the_why_line_names_several_approvers() -> None:
    line = why_line(["Olivia", "Omar", "Sam"], timedelta(hours=8), now=NOW, zone=UTC_ZONE)
    assert "Olivia, Omar and Sam haven't answered in 8 h." in line


def test_the_why_line_says_when_a_scheduled_draft_goes_out() -> None:
    line = why_line(["Olivia"], timedelta(hours=3), publish_at=NOW + timedelta(hours=1), now=NOW, zone=UTC_ZONE)
    said = "Olivia hasn't answered in 3 h, and it is proposed to go out Wed 2 Dec, 18:00 UTC (in 1 hour)."
    assert line.endswith(said)


def test_the_why_line_escapes_names() -> None:
    assert "Ann &lt;!channel&gt; hasn't" in why_line(["Ann <!channel>"], timedelta(hours=1), now=NOW, zone=UTC_ZONE)


def test_the_approvers_card_says_who_else_was_asked() -> None:
    line = escalated_line(["Bea Backup", "Ben"], timedelta(hours=8))
    assert line == ":arrow_double_up: No decision in 8 h: also sent to Bea Backup and Ben, who may decide on it now."
    assert escalated_line([], timedelta(hours=8)) == ""  # the writer was the only backup: nobody else was asked


def test_the_why_line_sits_under_the_card_header() -> None:
    card = {"text": "Draft #1", "blocks": [{"type": "section", "block_id": "card.header"}, {"type": "actions"}]}
    shown = with_why(card, "why")
    assert [b.get("block_id") for b in shown["blocks"]] == ["card.header", BlockId.CARD_ESCALATION, None]
    assert shown["blocks"][1] == {
        "type": "context",
        "block_id": BlockId.CARD_ESCALATION,
        "elements": [{"type": "mrkdwn", "text": "why"}],
    }
    assert len(card["blocks"]) == 2  # the card given is left as it was
