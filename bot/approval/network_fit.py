"""How the same composed post measures on each of its brand's networks: per network, per part, the count under that
network's own rules (X weighted, Bluesky graphemes, Mastodon characters with URLs as the instance says), its limit
and how far over.

Pure: it takes the composed parts (attribution already on the last part, threads already split, `post_text`) and
the brand's rules by network, so intake, the owner's edit and the card all read one measure of one text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.networks.base import Network, TextRules


@dataclass(frozen=True)
class PartCount:
    count: int
    limit: int
    unit: str
    over_bytes: int = 0  # Bluesky's record also caps the UTF-8 bytes (3000), whatever the graphemes
    byte_limit: int = 0

    @property
    def over_by(self) -> int:
        return max(0, self.count - self.limit)

    @property
    def fits(self) -> bool:
        return not self.over_by and not self.over_bytes

    @property
    def shown(self) -> str:
        return f"{self.count}/{self.limit}"


@dataclass(frozen=True)
class NetworkCount:
    """One network's measure of every part."""

    network: Network
    parts: tuple[PartCount, ...]

    @property
    def fits(self) -> bool:
        return all(p.fits for p in self.parts)

    @property
    def counts(self) -> str:
        """`212/280`, or `140/280, 96/280` for a thread."""
        return ", ".join(p.shown for p in self.parts)


@dataclass(frozen=True)
class Fit:
    """The post on every network of its brand, in the brand's order (X first)."""

    networks: tuple[NetworkCount, ...]

    @property
    def fits(self) -> bool:
        return all(n.fits for n in self.networks)

    @property
    def several(self) -> bool:
        return len(self.networks) > 1

    def of(self, network: Network) -> NetworkCount | None:
        return next((n for n in self.networks if n.network == network), None)

    @property
    def counts(self) -> str:
        """One network: `212/280` (a thread `140/280 · 96/280`), as the card always read. Several: each network's
        count under its own rules, `X 212/280 · Bluesky 230/300 · Mastodon 225/500`."""
        if not self.several:
            return " · ".join(p.shown for n in self.networks for p in n.parts)
        return " · ".join(f"{n.network.title} {n.counts}" for n in self.networks)

    def problems(self) -> list[str]:
        """Why the post can't go to every network, one sentence per part and network that is over; with several
        networks, the ones it fits are said too, so the writer knows how much room each leaves."""
        found = []
        for network in self.networks:
            total = len(network.parts)
            for i, part in enumerate(network.parts, start=1):
                if part.fits:
                    continue
                if not self.several:
                    found.append(_one_network(network.network, part, i, total))
                else:
                    found.append(_several(network.network, part, i, total))
        if found and self.several:
            found += [f"{n.network.title}: fits ({n.counts})." for n in self.networks if n.fits]
        return found


def measure(parts: Sequence[str], rules: Mapping[Network, TextRules]) -> Fit:
    """Each network's count of the same parts (an empty part counts 0: `post_text` says it is empty)."""
    return Fit(tuple(NetworkCount(network, tuple(_count(r, p) for p in parts)) for network, r in rules.items()))


def _count(rules: TextRules, text: str) -> PartCount:
    over_bytes = getattr(rules, "over_bytes", None)  # duck-typed: only Bluesky's rules have a byte cap
    return PartCount(
        count=rules.count(text) if text else 0,
        limit=rules.limit,
        unit=rules.unit,
        over_bytes=over_bytes(text) if callable(over_bytes) and text else 0,
        byte_limit=getattr(rules, "byte_limit", 0),
    )


def _where(i: int, total: int) -> str:
    return f"Part {i} of {total}" if total > 1 else "The post"


def _one_network(network: Network, part: PartCount, i: int, total: int) -> str:
    """Today's sentence (`The post is 12 over X's limit (292/280, attribution included).`), any network."""
    if not part.over_by:
        return f"{_where(i, total)} is {part.over_bytes} bytes over {network.title}'s limit of {part.byte_limit} bytes."
    unit = "" if part.unit == "characters" else f" {part.unit}"
    return (
        f"{_where(i, total)} is {part.over_by} over {network.title}'s limit ({part.shown}{unit}, attribution included)."
    )


def _several(network: Network, part: PartCount, i: int, total: int) -> str:
    """`Too long for Bluesky: 312/300 graphemes (12 over, attribution included).`"""
    where = f"Part {i} of {total} is too long" if total > 1 else "Too long"
    if not part.over_by:
        return f"{where} for {network.title}: {part.over_bytes} bytes over its {part.byte_limit} bytes."
    return f"{where} for {network.title}: {part.shown} {part.unit} ({part.over_by} over, attribution included)."
