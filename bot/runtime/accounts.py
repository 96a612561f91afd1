"""A brand's network accounts, built from its config (`bot.runtime.brands`): the one place that knows which class
serves which network. Adding a network is a folder under `bot/networks/` and one entry here."""

from __future__ import annotations

from bot.networks.base import Account
from bot.networks.x.client import XAccount
from bot.runtime.brands import Brand, NetworkAccountConfig, XAccountConfig


def account_of(config: NetworkAccountConfig) -> Account:
    if isinstance(config, XAccountConfig):
        return XAccount(  # type: ignore[return-value]
            api_key=config.api_key.value,
            api_secret=config.api_secret.value,
            access_token=config.access_token.value,
            access_token_secret=config.access_token_secret.value,
            base_url=config.api_url,
        )
    raise ValueError(f"no account class for {type(config).__name__}")


def accounts_of(brand: Brand) -> list[Account]:
    return [account_of(config) for config in brand.networks]
