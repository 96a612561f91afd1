"""Time rules: durations like `4h`, the digest schedule (`mon 09:00` or cron), ISO weeks in a time zone.

Pure functions of their arguments, so tests give them any "now" they like. Cron parsing is croniter's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

_DURATION = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
LONGEST = timedelta(days=365)  # any duration setting; far past this, `now + duration` overflows a datetime
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SIMPLE = re.compile(r"^\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)


def parse_duration(text: str, longest: timedelta = LONGEST) -> timedelta:
    """`4h`, `90m`, `1h30m`, `2d` → timedelta; ValueError with the accepted forms otherwise.

    Summed in whole seconds as Python ints, so `99999999999d` is refused as too long instead of
    overflowing timedelta (or, accepted, overflowing every `now + duration` later)."""
    compact = text.replace(" ", "")
    shown = text if len(text) <= 24 else text[:20] + "…"
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise ValueError(f"'{shown}' is not a duration like 4h, 90m, 1h30m or 2d")
    seconds = 0
    for number, unit in parts:
        if len(number) > 12:  # int() of thousands of digits is slow (and refused past 4300)
            raise ValueError(f"'{shown}' is too long: at most {_compact(longest)}")
        seconds += int(number) * _UNIT_S[unit.lower()]
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    if seconds > longest.total_seconds():
        raise ValueError(f"'{shown}' is too long: at most {_compact(longest)}")
    return timedelta(seconds=seconds)


def _compact(duration: timedelta) -> str:
    """365 days → `365d`; the form a setting is written in."""
    seconds = int(duration.total_seconds())
    for unit, size in sorted(_UNIT_S.items(), key=lambda item: -item[1]):
        if unit != "w" and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def to_cron(schedule: str) -> str:
    """`mon 09:00` → `0 9 * * mon`; a five-field cron expression is taken as it is."""
    match = _SIMPLE.match(schedule)
    if match:
        day, hour, minute = match.group(1).lower(), int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"'{schedule}' has no such time of day")
        return f"{minute} {hour} * * {day}"
    expression = " ".join(schedule.split())
    if len(expression.split(" ")) != 5 or not croniter.is_valid(expression):
        raise ValueError(f"'{schedule}' is neither like 'mon 09:00' nor a five-field cron expression")
    return expression


@dataclass(frozen=True)
class Week:
    """An ISO week in a time zone: `2026-W47`, Monday 00:00 to the next Monday 00:00 local time."""

    year: int
    number: int
    zone: ZoneInfo

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> Week:
        year, number, _ = moment.astimezone(zone).isocalendar()
        return cls(year, number, zone)

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> Week:
        match = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
        if not match:
            raise ValueError(f"'{text}' is not an ISO week like 2026-W47")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no week {number}") from None
        return cls(year, number, zone)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def start(self) -> datetime:
        monday = date.fromisocalendar(self.year, self.number, 1)
        return datetime.combine(monday, time(0), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return self.shift(1).start

    def shift(self, weeks: int) -> Week:
        monday = date.fromisocalendar(self.year, self.number, 1) + timedelta(weeks=weeks)
        year, number, _ = monday.isocalendar()
        return Week(year, number, self.zone)

    def __str__(self) -> str:
        return self.key


def last_run(cron: str, now: datetime, zone: ZoneInfo) -> datetime:
    """The most recent scheduled moment at or before `now` (UTC)."""
    local = now.astimezone(zone)
    return croniter(cron, local + timedelta(seconds=1)).get_prev(datetime).astimezone(UTC)


def digest_due(cron: str, now: datetime, zone: ZoneInfo) -> Week | None:
    """The week whose digest should exist by now, or None.

    The digest scheduled in week W covers the last complete week, W-1. If the bot was down at the
    scheduled hour it catches up later in week W, but never in a later week (that digest is stale).
    """
    scheduled = last_run(cron, now, zone)
    if Week.of(scheduled, zone) != Week.of(now, zone):
        return None
    return Week.of(scheduled, zone).shift(-1)
