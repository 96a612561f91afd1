"""The brands file: a good one loads to the brands it says, with the lookups the listeners need; without a file,
today's environment settings are the one brand they always were. (Mistakes: test_brands_config_problems.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.approval.approval_rule import Rule
from bot.networks.base import Network
from bot.runtime.brands import (
    DEFAULT_BRAND,
    BlueskyAccountConfig,
    Brand,
    Brands,
    MastodonAccountConfig,
    Secret,
    XAccountConfig,
    for_deployment,
    from_settings,
    load,
)
from bot.runtime.settings import Settings
from tests.unit.brand_files import ENV, SETTINGS_ENV, TWO_BRANDS, written

# -- a good file --------------------------------------------------------------------------------------------------


def test_a_two_brand_file_loads_with_every_field(tmp_path: Path) -> None:
    brands = load(written(tmp_path, TWO_BRANDS), ENV)

    assert brands.keys == ("northwind", "harbour")
    assert brands.source == str(tmp_path / "countersign.toml")
    assert brands["northwind"] == Brand(
        key="northwind",
        name="Northwind Coffee",
        drafts_channels=("C0NWDRAFTS", "C0NWSEASON"),
        approvers=("U0NWOWNER", "W0NWCMO"),
        agency_name="Acme Agency",
        networks=(
            XAccountConfig(
                api_key=Secret("NORTHWIND_X_API_KEY", "nw-key"),
                api_secret=Secret("NORTHWIND_X_API_SECRET", "nw-secret"),
                access_token=Secret("NORTHWIND_X_ACCESS_TOKEN", "nw-token"),
                access_token_secret=Secret("NORTHWIND_X_ACCESS_TOKEN_SECRET", "nw-token-secret"),
                api_url="http://127.0.0.1:8081",
            ),
            BlueskyAccountConfig(
                handle="northwind.bsky.social",
                app_password=Secret("NORTHWIND_BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop"),
                service="https://bsky.social",
            ),
            MastodonAccountConfig(
                instance="https://mastodon.example",
                access_token=Secret("NORTHWIND_MASTODON_TOKEN", "nw-mastodon-token"),
            ),
        ),
        approval_rule=Rule("count", 2),
        approval_channel="C0NWAPPROVE",
        backup_approvers=("U0NWBACKUP",),
        escalate_after=timedelta(hours=8),
        attribution_template="— by {agency} for Northwind, signed {approver}",
        digest_channel="C0NWDIGEST",
        digest_cron="30 16 * * fri",
        timezone=ZoneInfo("Europe/London"),
    )


def test_a_brand_that_writes_only_what_it_must_gets_todays_defaults(tmp_path: Path) -> None:
    harbour = load(written(tmp_path, TWO_BRANDS), ENV)["harbour"]

    assert harbour.name == "harbour"
    assert harbour.approval_rule == Rule()
    assert harbour.approval_channel == ""
    assert (harbour.backup_approvers, harbour.escalate_after) == ((), None)
    assert harbour.attribution_template == "— drafted by {agency}, approved by {approver}"
    assert harbour.digest_channel == "C0HBDRAFTS"  # as DIGEST_CHANNEL: the drafts channel unless said
    assert harbour.digest_cron == "0 9 * * mon"
    assert harbour.timezone == ZoneInfo("UTC")
    assert [a.network for a in harbour.networks] == [Network.X]
    assert harbour.account(Network.X).api_url == "https://api.twitter.com"
    assert harbour.account(Network.BLUESKY) is None


def test_lookups_by_channel_approver_and_key(tmp_path: Path) -> None:
    brands = load(written(tmp_path, TWO_BRANDS), ENV)

    assert brands.for_channel("C0NWSEASON").key == "northwind"
    assert brands.for_channel("C0HBDRAFTS").key == "harbour"
    assert brands.for_channel("C0NWDIGEST") is None  # a digest channel is not a drafts channel
    assert [b.key for b in brands.for_approver("U0NWOWNER")] == ["northwind", "harbour"]
    assert [b.key for b in brands.for_approver("U0HBOWNER")] == ["harbour"]
    assert brands.for_approver("U0NWBACKUP") == ()
    assert [b.key for b in brands.for_approver("U0NWBACKUP", with_backups=True)] == ["northwind"]
    assert brands.get("nowhere") is None and len(brands) == 2


def test_credential_values_are_kept_for_redaction_but_never_shown(tmp_path: Path) -> None:
    brands = load(written(tmp_path, TWO_BRANDS), ENV)

    assert set(brands.secrets) == set(ENV.values())
    assert not any(value in repr(brands) for value in ENV.values())


def test_brands_refuse_a_channel_in_two_brands_even_when_built_by_hand() -> None:
    brand = from_settings(Settings.from_env(SETTINGS_ENV))["default"]
    with pytest.raises(ValueError, match="C0DRAFTS"):
        Brands((brand, replace(brand, key="other")))


# -- the one-brand shortcut ---------------------------------------------------------------------------------------


def test_from_settings_is_todays_one_brand() -> None:
    env = SETTINGS_ENV | {
        "APPROVAL_RULE": "all",
        "APPROVAL_CHANNEL": "C0APPROVE",
        "BACKUP_APPROVERS": "U0BACKUP",
        "ESCALATE_AFTER": "4h",
        "ATTRIBUTION_TEMPLATE": "— {agency} / {approver}",
        "DIGEST_SCHEDULE": "tue 08:15",
        "TIMEZONE": "America/New_York",
        "X_API_URL": "http://127.0.0.1:9999",
    }
    settings = Settings.from_env(env)

    brands = from_settings(settings)

    assert brands.keys == (DEFAULT_BRAND,) == ("default",)
    assert brands["default"] == Brand(
        key="default",
        name="",
        drafts_channels=("C0DRAFTS",),
        approvers=("U0OWNER", "U0SECOND"),
        agency_name="Acme Agency",
        networks=(
            XAccountConfig(
                api_key=Secret("X_API_KEY", "x-key-value"),
                api_secret=Secret("X_API_SECRET", "x-secret-value"),
                access_token=Secret("X_ACCESS_TOKEN", "x-access-token-value"),
                access_token_secret=Secret("X_ACCESS_TOKEN_SECRET", "x-access-secret-value"),
                api_url="http://127.0.0.1:9999",
            ),
        ),
        approval_rule=Rule("all"),
        approval_channel="C0APPROVE",
        backup_approvers=("U0BACKUP",),
        escalate_after=timedelta(hours=4),
        attribution_template="— {agency} / {approver}",
        digest_channel="C0DRAFTS",
        digest_cron="15 8 * * tue",
        timezone=ZoneInfo("America/New_York"),
    )
    assert brands.for_channel("C0DRAFTS") is brands["default"]
    assert set(brands.secrets) == {"x-key-value", "x-secret-value", "x-access-token-value", "x-access-secret-value"}


def test_a_file_saying_what_the_environment_says_makes_the_same_brand(tmp_path: Path) -> None:
    """Same parsers, same defaults: moving to the file changes where a value is written, not what it means."""
    from_env = from_settings(Settings.from_env(SETTINGS_ENV))["default"]
    text = """
[brands.default]
drafts_channels = ["C0DRAFTS"]
approvers = ["U0OWNER", "U0SECOND"]
agency_name = "Acme Agency"

[brands.default.x]
api_key_env = "X_API_KEY"
api_secret_env = "X_API_SECRET"
access_token_env = "X_ACCESS_TOKEN"
access_token_secret_env = "X_ACCESS_TOKEN_SECRET"
"""
    loaded = load(written(tmp_path, text), SETTINGS_ENV)["default"]
    assert loaded.name == "default"  # a file's brand is shown by its key unless it has a name
    assert replace(loaded, name="") == from_env


def test_for_deployment_reads_the_file_only_when_countersign_config_names_one(tmp_path: Path) -> None:
    settings = Settings.from_env(SETTINGS_ENV)
    path = written(tmp_path, TWO_BRANDS)

    assert for_deployment(ENV | {"COUNTERSIGN_CONFIG": str(path)}, settings).keys == ("northwind", "harbour")
    assert for_deployment(ENV, settings).keys == ("default",)
    assert for_deployment(ENV | {"COUNTERSIGN_CONFIG": " "}, settings).keys == ("default",)
