"""A brand's accounts by network, in the order its deliveries are made.

The accounts are built from the brand's config in one place (`bot/runtime/accounts.py`); everything that posts,
looks, deletes or reads metrics is handed either one account or this mapping, and `by_network` makes the one the
other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from bot.networks.base import Account, Network


@dataclass(frozen=True)
class Accounts(Mapping[Network, Account]):
    """One brand's accounts by network."""

    by_network: Mapping[Network, Account] = field(default_factory=dict)

    @classmethod
    def of(cls, *accounts: Account) -> Accounts:
        return cls({a.network: a for a in accounts})

    def __getitem__(self, network: Network | str) -> Account:
        return self.by_network[Network(network)]

    def __iter__(self) -> Iterator[Network]:
        return iter(self.by_network)

    def __len__(self) -> int:
        return len(self.by_network)


def by_network(accounts: Account | Mapping[str, Account]) -> Mapping[str, Account]:
    """Accounts by network name: a mapping as given, or one account alone as its network's."""
    return accounts if isinstance(accounts, Mapping) else {str(accounts.network): accounts}
