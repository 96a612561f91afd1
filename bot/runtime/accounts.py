"""A brand's network accounts, built from its config (`bot.runtime.brands`): the one place that knows which class
serves which network. Adding a network is a folder under `bot/networks/` and one entry here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.networks.base import Account
from bot.networks.bluesky.account import BlueskyAccount
from bot.networks.mastodon.account import MastodonAccount
from bot.networks.x.client import XAccount
from bot.runtime.brands import (
    BlueskyAccountConfig,
    Brand,
    MastodonAccountConfig,
    NetworkAccountConfig,
    XAccountConfig,
    x_from_settings,
)
from bot.runtime.settings import Settings


def _x(config: XAccountConfig) -> Account:
    return XAccount(
        api_key=config.api_key.value,
        api_secret=config.api_secret.value,
        access_token=config.access_token.value,
        access_token_secret=config.access_token_secret.value,
        base_url=config.api_url,
    )


def _bluesky(config: BlueskyAccountConfig) -> Account:
    return BlueskyAccount(
        config.handle, config.app_password.value, config.service, password_var=config.app_password.env
    )


def _mastodon(config: MastodonAccountConfig) -> Account:
    return MastodonAccount(config.instance, config.access_token.value, token_env=config.access_token.env)


BUILDERS: dict[type, Callable[[Any], Account]] = {
    XAccountConfig: _x,
    BlueskyAccountConfig: _bluesky,
    MastodonAccountConfig: _mastodon,
}


def account_of(config: NetworkAccountConfig) -> Account:
    return BUILDERS[type(config)](config)


def accounts_of(brand: Brand) -> list[Account]:
    return [account_of(config) for config in brand.networks]


def x_account(settings: Settings) -> Account:
    """The environment's X account (the one-brand shortcut's), built as every account is."""
    return _x(x_from_settings(settings))
