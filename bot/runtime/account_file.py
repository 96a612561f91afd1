"""A brand's accounts in the brands file: `[brands.<key>.x]`, `[brands.<key>.bluesky]`, `[brands.<key>.mastodon]`.

Only what is needed to reach the account: where it lives and the names of the environment variables holding its
credentials. Whether the credentials are good is `countersign doctor`'s question (it asks the network).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.networks.base import Network
from bot.networks.bluesky.handle import is_handle, normal
from bot.runtime.brands import (
    DEFAULT_BLUESKY_SERVICE,
    BlueskyAccountConfig,
    MastodonAccountConfig,
    NetworkAccountConfig,
    Problem,
    XAccountConfig,
)
from bot.runtime.config_table import Table, quoted, type_name
from bot.runtime.env_reader import DEFAULT_X_API_URL

X_KEYS = ("api_key_env", "api_secret_env", "access_token_env", "access_token_secret_env", "api_url")
BLUESKY_KEYS = ("handle", "app_password_env", "service")
MASTODON_KEYS = ("instance", "access_token_env")
NETWORK_KEYS = tuple(n.value for n in Network)


def read_accounts(
    brand: str, data: Mapping[str, Any], problems: list[Problem], environ: Mapping[str, str]
) -> tuple[NetworkAccountConfig, ...]:
    """The accounts the brand's table names, in X, Bluesky, Mastodon order; a problem if it names none."""
    readers = {Network.X: _x, Network.BLUESKY: _bluesky, Network.MASTODON: _mastodon}
    accounts: list[NetworkAccountConfig] = []
    named = False
    for network, reader in readers.items():
        raw = data.get(network.value)
        if raw is None:
            continue
        named = True
        if not isinstance(raw, dict):
            problems.append(
                Problem(
                    brand, network.value, f"must be a table, [brands.{brand}.{network.value}] (got {type_name(raw)})"
                )
            )
            continue
        table = Table(raw, problems, brand=brand, prefix=f"{network.value}.", environ=environ)
        accounts.append(reader(table))
    if not named:
        tables = ", ".join(f"[brands.{brand}.{n}]" for n in NETWORK_KEYS)
        problems.append(Problem(brand, "", f"has no network to publish to: add at least one of {tables}"))
    return tuple(accounts)


def _x(table: Table) -> XAccountConfig:
    table.unknown_keys(X_KEYS)
    secrets = {
        "api_key_env": table.secret("api_key_env", "X API key (API Key in the developer portal)"),
        "api_secret_env": table.secret("api_secret_env", "X API key secret"),
        "access_token_env": table.secret("access_token_env", "X access token of the brand's account"),
        "access_token_secret_env": table.secret("access_token_secret_env", "X access token secret"),
    }
    table.distinct_secrets(secrets)
    api_key, api_secret, access_token, access_token_secret = secrets.values()
    return XAccountConfig(
        api_key=api_key,
        api_secret=api_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
        api_url=table.url("api_url", DEFAULT_X_API_URL, example=DEFAULT_X_API_URL),
    )


def _bluesky(table: Table) -> BlueskyAccountConfig:
    table.unknown_keys(BLUESKY_KEYS)
    handle = normal(table.string("handle", required=True, example='"northwind.bsky.social"'))
    if handle and not is_handle(handle):
        table.problem(
            "handle",
            f"{quoted(handle)} is not a Bluesky handle: write the account's full handle without the @, "
            'like handle = "northwind.bsky.social" or a domain of your own, like "northwind.com"',
        )
    return BlueskyAccountConfig(
        handle=handle,
        app_password=table.secret(
            "app_password_env", "Bluesky app password (Settings → Privacy and security → App passwords)"
        ),
        service=table.url("service", DEFAULT_BLUESKY_SERVICE, example=DEFAULT_BLUESKY_SERVICE),
    )


def _mastodon(table: Table) -> MastodonAccountConfig:
    table.unknown_keys(MASTODON_KEYS)
    instance = ""
    if table.data.get("instance") is None:
        table.problem("instance", 'is missing: write the server\'s URL, like instance = "https://mastodon.social"')
    else:
        instance = table.url("instance", "", example="https://mastodon.social")
    return MastodonAccountConfig(
        instance=instance,
        access_token=table.secret(
            "access_token_env", "Mastodon access token (Preferences → Development → your application)"
        ),
    )
