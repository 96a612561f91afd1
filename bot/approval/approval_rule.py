"""APPROVAL_RULE: how many yeses a draft version needs, and from whom. Pure: no database, no Slack.

`any` (one yes, the default), `all` (every listed approver but the draft's writer), or a number N (any N
distinct approvers). Only yeses on the version being decided count; a writer's yes never counts. Backups
(escalation) may be passed as extra people whose yes counts: under `all` they stand in for a listed approver
who hasn't answered, so the number needed stays the listed approvers' count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ANY, ALL = "any", "all"


@dataclass(frozen=True)
class Rule:
    kind: str = ANY  # any | all | count
    n: int = 1  # for `count`

    @classmethod
    def parse(cls, value: str) -> Rule:
        """`any`, `all` or a whole number ≥ 1; ValueError saying why otherwise."""
        text = value.strip().lower()
        if text in ("", ANY):
            return cls()
        if text == ALL:
            return cls(ALL)
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"must be any, all or a whole number of approvers like 2 (got '{value.strip()[:20]}')")
        return cls("count", int(text))

    def __str__(self) -> str:
        return str(self.n) if self.kind == "count" else self.kind

    @property
    def single(self) -> bool:
        """One yes is always enough: today's behaviour, cards unchanged."""
        return self.kind == ANY or (self.kind == "count" and self.n == 1)

    def needed(self, listed: Sequence[str], writer: str) -> int:
        """Yeses a draft by `writer` needs, given the listed approvers."""
        if self.kind == ALL:
            return len([a for a in dict.fromkeys(listed) if a != writer])
        return 1 if self.kind == ANY else self.n


@dataclass(frozen=True)
class Progress:
    """Where a version stands under the rule."""

    needed: int
    counted: tuple[str, ...]  # who said yes, in the order they did (writer and strangers left out)
    waiting: tuple[str, ...]  # who may still say yes, in the listed order

    @property
    def met(self) -> bool:
        return self.needed >= 1 and len(self.counted) >= self.needed

    @property
    def possible(self) -> bool:
        """Enough people could ever say yes."""
        return self.needed >= 1 and len(self.counted) + len(self.waiting) >= self.needed

    @property
    def still_needed(self) -> int:
        return max(0, self.needed - len(self.counted))


def progress(
    rule: Rule, listed: Sequence[str], yeses: Iterable[str], *, writer: str, backups: Sequence[str] = ()
) -> Progress:
    """`yeses`: who said yes on this version, oldest first (repeats and ineligible people are ignored)."""
    eligible = [a for a in dict.fromkeys([*listed, *backups]) if a != writer]
    counted = tuple(y for y in dict.fromkeys(yeses) if y in eligible)
    waiting = tuple(a for a in eligible if a not in counted)
    return Progress(rule.needed(listed, writer), counted, waiting)


def joined(names: Sequence[str]) -> str:
    """`A`, `A and B`, `A, B and C`: the attribution's {approver} when several signed."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def longest_signature(
    rule: Rule, names: dict[str, str], listed: Sequence[str], writer: str, backups: Iterable[str] = ()
) -> str:
    """The longest {approver} the rule could produce for a draft by `writer`: the longest names, as many as
    could sign (for N, N of them; for `all`, as many as the listed approvers but the writer, `backups` standing in
    once escalated). Intake's length check uses it, so a draft that fits fits whoever approves it."""
    needed = rule.needed(listed, writer) if listed else 0
    others = sorted((names[a] for a in dict.fromkeys([*listed, *backups]) if a != writer), key=len, reverse=True)
    if not others:
        return ""
    k = min(needed, len(others)) if rule.kind == ALL else 1 if rule.kind == ANY else min(rule.n, len(others))
    return joined(others[:k])
