"""The `at:` first line: read in the brand's zone, taken off the post, refused with what was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.intake.schedule_line import BadTime, describe, propose, relative, split

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wednesday 2 Dec, 10:00 in Paris


@pytest.mark.parametrize(
    ("said", "expected_utc"),
    [
        ("Fri 09:00", datetime(2026, 12, 4, 8, 0, tzinfo=UTC)),
        ("2026-12-04 09:00", datetime(2026, 12, 4, 8, 0, tzinfo=UTC)),
        ("tomorrow 8am", datetime(2026, 12, 3, 7, 0, tzinfo=UTC)),
        ("Wed 11:00", datetime(2026, 12, 2, 10, 0, tzinfo=UTC)),  # today, still ahead
        ("Wed 09:00", datetime(2026, 12, 9, 8, 0, tzinfo=UTC)),  # today's has passed: next week's
        ("2026-12-04 09:00:02", datetime(2026, 12, 4, 8, 0, 2, tzinfo=UTC)),
    ],
)
def test_the_first_line_is_read_in_the_brand_zone(said: str, expected_utc: datetime) -> None:
    proposal = propose(f"at: {said}\nFresh beans are in.", NOW, PARIS)
    assert proposal.at == expected_utc
    assert proposal.text == "Fresh beans are in."
    assert proposal.said == said


def test_a_message_without_the_line_is_unchanged() -> None:
    text = "Fresh beans.\nat: Fri 09:00"  # only a first line counts
    assert propose(text, NOW, PARIS).text == text
    assert propose(text, NOW, PARIS).at is None
    assert split("Attention: at the shop") == ("Attention: at the shop", None)


def test_the_keyword_is_case_insensitive_and_blank_lines_after_it_go() -> None:
    assert split("AT:  Fri 09:00 \n\nBody") == ("Body", "Fri 09:00")


@pytest.mark.parametrize(
    ("said", "says"),
    [
        ("blah blah", "I couldn't read `blah blah` as a time"),
        ("2026-12-01 09:00", "was read as Tue 1 Dec, 09:00 Europe/Paris (1 day ago), which has passed"),
        ("Monday", "`Monday` has no time of day"),
        ("", "no time follows"),
        ("Fri 09:00 " * 10, "too long to be a time"),
    ],
)
def test_an_unreadable_or_past_time_is_refused_saying_what_was_read(said: str, says: str) -> None:
    with pytest.raises(BadTime) as refused:
        propose(f"at: {said}\nBody", NOW, PARIS)
    assert says in str(refused.value)


def test_the_card_wording_names_day_zone_and_distance() -> None:
    assert describe(datetime(2026, 12, 4, 8, 0, tzinfo=UTC), NOW, PARIS) == "Fri 4 Dec, 09:00 Europe/Paris (in 2 days)"
    assert relative(timedelta(hours=3, minutes=5)) == "in 3 hours"
    assert relative(timedelta(seconds=20)) == "in under a minute"
    assert relative(-timedelta(minutes=7)) == "7 minutes ago"
