"""What goes out on X: the draft's text turned into post parts with the attribution, and their length.

The card, the count and the post all come from `compose()`, so what the owner approves is exactly what
is published. Length is X's weighted length (twitter-text v3) via twitter-text-parser; given the brand's rules by
network, the same parts are also measured on each network (`network_fit`), and the post fits only if it fits all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.approval.approval_rule import joined
from bot.approval.network_fit import Fit, measure
from bot.networks.base import Network, TextRules
from bot.networks.x.rules import measure as x_measure

LIMIT = 280
MAX_PARTS = 25  # a longer thread is rarely read, and its card would pass Slack's 50-block limit
PART_SEPARATOR = re.compile(r"^[ \t]*---[ \t]*$", re.MULTILINE)
ATTRIBUTION_GAP = "\n\n"

# Invisible characters that could hide text from the approver or reorder what they read.
# Zero-width joiners (U+200C/D) stay: emoji sequences and several scripts need them.
# Control characters (but tab and newline) can't be stored everywhere (PostgreSQL refuses NUL) or shown.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


@dataclass(frozen=True)
class Part:
    text: str
    weighted_length: int

    @property
    def over_by(self) -> int:
        return max(0, self.weighted_length - LIMIT)

    @property
    def acceptable(self) -> bool:
        """X also refuses text with characters it treats as invalid (e.g. U+FFFE), whatever the length."""
        return self.over_by > 0 or x_measure(self.text)[1]


@dataclass(frozen=True)
class PostText:
    """The exact text(s) that will be posted: one part, or several for a thread."""

    parts: tuple[Part, ...]
    limit: int = LIMIT
    fit: Fit | None = None  # each of the brand's networks' count; None: X's alone (a Workflow given no rules)

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1

    @property
    def networks(self) -> str:
        """Where it goes, as the card's header says it: `X`, `X and Bluesky`, `X, Bluesky and Mastodon`."""
        return joined([n.network.title for n in self.fit.networks]) if self.fit else Network.X.title

    @property
    def fits(self) -> bool:
        return not self.problems()

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.parts]

    @property
    def counts(self) -> str:
        """`212/280`, or `140/280 · 96/280` for a thread; with several networks each one's count under its rules,
        `X 212/280 · Bluesky 230/300`."""
        if self.fit is not None and not self._x_alone:
            return self.fit.counts
        return " · ".join(f"{p.weighted_length}/{self.limit}" for p in self.parts)

    @property
    def _x_alone(self) -> bool:
        """Measured on X only (no brand rules, or a brand on X alone): X's own sentences, as always."""
        return self.fit is None or (not self.fit.several and self.fit.networks[0].network is Network.X)

    def problems(self) -> list[str]:
        """Why this can't be posted, one sentence per part that doesn't fit."""
        if not self.parts:
            return ["The post is empty."]
        if len(self.parts) > MAX_PARTS:
            return [f"A thread can have at most {MAX_PARTS} parts; this one has {len(self.parts)}."]
        if not self._x_alone:
            return self._network_problems()
        found = []
        for i, part in enumerate(self.parts, start=1):
            where = self._where(i)
            if not part.text.strip():
                found.append(f"{where} is empty.")
            elif part.over_by:
                found.append(
                    f"{where} is {part.over_by} over X's limit "
                    f"({part.weighted_length}/{self.limit}, attribution included)."
                )
            elif not part.acceptable:
                found.append(f"{where} has characters X doesn't accept (such as U+FFFE).")
        return found

    def _where(self, i: int) -> str:
        return f"Part {i} of {len(self.parts)}" if self.is_thread else "The post"

    def _network_problems(self) -> list[str]:
        """Empty parts, then each network that the post is too long for (and how much room the others leave),
        then characters X refuses when X is one of the networks."""
        assert self.fit is not None
        found = [f"{self._where(i)} is empty." for i, p in enumerate(self.parts, start=1) if not p.text.strip()]
        if found:
            return found
        found = self.fit.problems()
        if self.fit.of(Network.X) is not None:
            found += [
                f"{self._where(i)} has characters X doesn't accept (such as U+FFFE)."
                for i, p in enumerate(self.parts, start=1)
                if not p.over_by and not p.acceptable
            ]
        return found


def weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3), from the parse X's rules keep (one for every caller)."""
    return x_measure(text)[0]


def visible(text: str) -> str:
    """Drop control and invisible direction/zero-width characters (ZWJ/ZWNJ stay), nothing else."""
    return _INVISIBLE.sub("", text)


def clean(text: str) -> str:
    """NFC-normalise, drop control and invisible direction/zero-width characters, trim each end."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).strip()


def split_parts(text: str) -> list[str]:
    """A line of `---` separates the parts of a thread."""
    return [part.strip() for part in PART_SEPARATOR.split(text)]


def attribution(template: str, *, agency: str, approver: str, writer: str) -> str:
    return template.format(agency=agency, approver=approver, writer=writer)


def compose(
    text: str,
    *,
    template: str,
    agency: str,
    approver: str,
    writer: str,
    rules: Mapping[Network, TextRules] | None = None,
) -> PostText:
    """Draft text → post parts, attribution appended once to the last part; measured on each network of `rules`
    (the brand's), or on X alone without."""
    pieces = split_parts(clean(text))
    line = attribution(template, agency=agency, approver=approver, writer=writer)
    pieces[-1] = f"{pieces[-1]}{ATTRIBUTION_GAP}{line}" if pieces[-1] else ""
    fit = measure(pieces, rules) if rules else None
    return PostText(parts=tuple(Part(p, weighted_length(p) if p else 0) for p in pieces), fit=fit)


def approved(parts: Sequence[str], rules: Mapping[Network, TextRules] | None = None) -> PostText:
    """The parts an approval fixed (`final_parts`, attribution in), measured again on each network of `rules`, so a
    decided card counts what each network got as the pending card did."""
    fit = measure(parts, rules) if rules else None
    return PostText(parts=tuple(Part(t, weighted_length(t)) for t in parts), fit=fit)


def escape_mrkdwn(text: str) -> str:
    """Escape exactly what Slack asks for, so agency text can't ping `<!channel>` or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
