"""The writer's proposed time: a first line `at: Fri 09:00` (or `at: 2026-12-04 09:00`, `at: tomorrow 8am`).

The one place that line is read and taken off the text, so it is never part of the post. Times are read in the
brand's `TIMEZONE` by dateparser (a maintained parser: weekdays, relative words, ISO dates), future-leaning, and
returned in UTC. Pure functions of their arguments: tests give them any "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

_LINE = re.compile(r"\A[ \t]*at:[ \t]*(?P<said>[^\n]*?)[ \t]*(?:\n|\Z)", re.IGNORECASE)
# A time of day written out: 09:00, 9am, 8 pm, noon, midnight; or a relative time ("in 2 hours").
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*[ap]\.?m\b|\bnoon\b|\bmidnight\b|\bin\s+\d+\s*\w+|\bnow\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", re.IGNORECASE)
MAX_SAID = 64
EXAMPLES = "`at: Fri 09:00`, `at: 2026-12-04 09:00` or `at: tomorrow 8am`"


class BadTime(ValueError):
    """A time that can't be used, said as a sentence for the writer (it quotes what was read)."""


@dataclass(frozen=True)
class Proposal:
    """A message split into its post text and the time its `at:` line proposes (None when there is no line)."""

    text: str
    at: datetime | None = None
    said: str | None = None  # what followed `at:`, as written


def split(text: str) -> tuple[str, str | None]:
    """(`text` without a first `at:` line, what that line said) — (`text`, None) when it has none."""
    match = _LINE.match(text)
    if match is None:
        return text, None
    return text[match.end() :].lstrip("\n"), match.group("said")


def propose(text: str, now: datetime, zone: ZoneInfo) -> Proposal:
    """The post text and the proposed time; BadTime when the `at:` line can't be read or is not ahead."""
    rest, said = split(text)
    if said is None:
        return Proposal(text)
    return Proposal(rest, parse(said, now, zone), said)


def parse(said: str, now: datetime, zone: ZoneInfo) -> datetime:
    """`Fri 09:00` read in `zone` as the next such moment after `now`, in UTC; BadTime says why not.

    On a Wednesday, `Wed 11:00` is today if 11:00 is still ahead (dateparser alone would say next week's).
    A day with no time of day (`at: Monday`) is refused rather than read as midnight.
    """
    quoted = f"`{said.replace('`', chr(39))}`" if said.strip() else "nothing"
    if not said.strip():
        raise BadTime(f"The first line says `at:` but no time follows. Write it like {EXAMPLES}.")
    if len(said) > MAX_SAID:  # no time is written that long; and the parser's cost grows with its input
        raise BadTime(f"The `at:` line is too long to be a time. Write it like {EXAMPLES}.")
    local_now = now.astimezone(zone)
    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": zone.key,
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "DATE_ORDER": "DMY",
        },
    )
    found = parser.get_date_data(said).date_obj
    if found is None:
        raise BadTime(
            f"I couldn't read {quoted} as a time. Write it like {EXAMPLES} ({zone.key} time);"
            " a first line starting `at:` is always read as the time to go out."
        )
    if not _HAS_TIME.search(said) and found.astimezone(zone).time() == datetime.min.time():
        raise BadTime(f"{quoted} has no time of day. Say when, like `at: Fri 09:00` ({zone.key} time).")
    when = found.astimezone(UTC)
    week = timedelta(days=7)
    if _WEEKDAY.search(said) and when - week > now and (when - week).astimezone(zone).date() == local_now.date():
        when -= week
    if when <= now:
        raise BadTime(f"{quoted} was read as {describe(when, now, zone)}, which has passed. Give a time ahead.")
    return when


def describe(when: datetime, now: datetime, zone: ZoneInfo) -> str:
    """`Fri 4 Dec, 09:00 Europe/Paris (in 2 days)`: the moment in the brand's zone, and how far off it is."""
    local = when.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days  # by the calendar: Wed 10:00 → Fri 09:00 is 2 days
    off = f"in {days} days" if when > now and days >= 2 else relative(when - now)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {zone.key} ({off})"


def relative(delta: timedelta) -> str:
    """`in 2 days`, `in 3 hours`, `in 5 minutes`, `in under a minute`; `2 hours ago` for the past."""
    seconds = delta.total_seconds()
    ahead = seconds >= 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {words}" if ahead else f"{words} ago"
    return "in under a minute" if ahead else "just now"
