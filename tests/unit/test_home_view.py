"""The App Home builder: a notice about the last click in the tab sits on top, once (issue 9, case 11b)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.jobs.schedule import Week
from bot.reports.status import StatusReport
from bot.slack.home_view import home_view

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def report() -> StatusReport:
    return StatusReport(
        now=NOW,
        week=Week.of(NOW, ZoneInfo("UTC")),
        counts={},
        published_this_week=0,
        rejected_this_week=0,
        queue=[],
        attention=[],
        recent=[],
        cards={},
        paused=False,
    )


def test_a_notice_is_the_first_thing_under_the_header() -> None:
    view = home_view(report(), [], is_approver=True, notice="Draft #3 was already decided by <@U0OWNER2>.")
    assert view["blocks"][0]["type"] == "header"
    assert view["blocks"][1]["text"]["text"] == ":warning: Draft #3 was already decided by <@U0OWNER2>."


def test_without_a_notice_the_tab_has_none() -> None:
    view = home_view(report(), [], is_approver=True)
    assert ":warning:" not in str(view["blocks"])
    assert home_view(report(), [], is_approver=False, notice="Only this brand's approvers can decide.")["blocks"][1][
        "text"
    ]["text"].startswith(":warning: Only this brand's approvers")
