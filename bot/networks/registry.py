"""Which networks a brand posts to, and how each account is built from the settings.

A network is registered once here (a builder from settings to its `Account`); the integrator adds Bluesky and
Mastodon beside X. The settings are read duck-typed (the networks folder sees nothing of the product): a builder
returns None when its settings are absent, and that network is then not among the brand's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.networks.base import Account, Network
from bot.networks.x.client import XAccount

Builder = Callable[[Any], Account | None]


def x_account(settings: Any) -> XAccount:
    """X is every brand's network today: its keys are required settings."""
    return XAccount(
        api_key=settings.x_api_key,
        api_secret=settings.x_api_secret,
        access_token=settings.x_access_token,
        access_token_secret=settings.x_access_token_secret,
        base_url=settings.x_api_url,
    )


BUILDERS: dict[Network, Builder] = {Network.X: x_account}


@dataclass(frozen=True)
class Accounts(Mapping[Network, Account]):
    """The brand's accounts by network, in the order deliveries are made (X first). One object for every brand
    until brands have their own settings: `for_brand` is the one door, so callers already ask per brand."""

    by_network: Mapping[Network, Account] = field(default_factory=dict)

    @classmethod
    def of(cls, *accounts: Account) -> Accounts:
        return cls({a.network: a for a in accounts})

    @classmethod
    def from_settings(cls, settings: Any, builders: Mapping[Network, Builder] = BUILDERS) -> Accounts:
        built = {network: build(settings) for network, build in builders.items()}
        return cls({network: account for network, account in built.items() if account is not None})

    def for_brand(self, brand: str) -> Accounts:
        return self

    def networks(self, brand: str) -> list[Network]:
        return list(self.for_brand(brand))

    def __getitem__(self, network: Network | str) -> Account:
        return self.by_network[Network(network)]

    def __iter__(self) -> Iterator[Network]:
        return iter(self.by_network)

    def __len__(self) -> int:
        return len(self.by_network)


def accounts_for(accounts: Accounts, brand: str) -> Accounts:
    return accounts.for_brand(brand)
