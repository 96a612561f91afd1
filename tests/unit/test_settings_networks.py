"""The one-brand environment setup's other networks: Bluesky and Mastodon beside X, each a pair of variables that
only means something together, every problem named by its variable."""

from __future__ import annotations

import pytest

from bot.networks.base import Network
from bot.runtime.brands import DEFAULT_BLUESKY_SERVICE, BlueskyAccountConfig, MastodonAccountConfig, from_settings
from bot.runtime.settings import Settings, SettingsError
from tests.unit.test_settings import HTTP_ENV

BLUESKY = {"BLUESKY_HANDLE": "@Acme.bsky.social", "BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}
MASTODON = {"MASTODON_INSTANCE": "https://mastodon.social", "MASTODON_ACCESS_TOKEN": "mastodon-token-value"}


def problems_for(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    return caught.value.problems


def test_x_alone_is_the_shortcut_as_it_always_was() -> None:
    [brand] = from_settings(Settings.from_env(HTTP_ENV))
    assert [a.network for a in brand.networks] == [Network.X]


def test_bluesky_and_mastodon_variables_add_those_networks_after_x() -> None:
    settings = Settings.from_env(HTTP_ENV | BLUESKY | MASTODON)
    [brand] = from_settings(settings)
    assert [a.network for a in brand.networks] == [Network.X, Network.BLUESKY, Network.MASTODON]
    bluesky, mastodon = brand.networks[1], brand.networks[2]
    assert isinstance(bluesky, BlueskyAccountConfig) and isinstance(mastodon, MastodonAccountConfig)
    assert (bluesky.handle, bluesky.service) == ("acme.bsky.social", DEFAULT_BLUESKY_SERVICE)
    assert (bluesky.app_password.env, bluesky.app_password.value) == ("BLUESKY_APP_PASSWORD", "abcd-efgh-ijkl-mnop")
    assert (mastodon.instance, mastodon.access_token.env) == ("https://mastodon.social", "MASTODON_ACCESS_TOKEN")
    assert {"abcd-efgh-ijkl-mnop", "mastodon-token-value"} <= set(settings.secrets)  # redacted from every log line


def test_a_bluesky_service_of_its_own_is_kept() -> None:
    settings = Settings.from_env(HTTP_ENV | BLUESKY | {"BLUESKY_SERVICE": "https://pds.example.com/"})
    [brand] = from_settings(settings)
    assert brand.networks[1].service == "https://pds.example.com"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"BLUESKY_HANDLE": "acme.bsky.social"}, "BLUESKY_APP_PASSWORD is missing: BLUESKY_HANDLE is set"),
        ({"BLUESKY_APP_PASSWORD": "abcd"}, "BLUESKY_HANDLE is missing: BLUESKY_APP_PASSWORD is set"),
        (
            {"MASTODON_INSTANCE": "https://mastodon.social"},
            "MASTODON_ACCESS_TOKEN is missing: MASTODON_INSTANCE is set",
        ),
        ({"MASTODON_ACCESS_TOKEN": "t"}, "MASTODON_INSTANCE is missing: MASTODON_ACCESS_TOKEN is set"),
    ],
)
def test_half_a_pair_names_the_missing_variable(given: dict[str, str], named: str) -> None:
    [problem] = problems_for(HTTP_ENV | given)
    assert problem.startswith(named), problem


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (BLUESKY | {"BLUESKY_HANDLE": "acme"}, "BLUESKY_HANDLE 'acme' is not a Bluesky handle"),
        (BLUESKY | {"BLUESKY_SERVICE": "bsky.social"}, "BLUESKY_SERVICE must be an http(s) URL"),
        (MASTODON | {"MASTODON_INSTANCE": "mastodon.social"}, "MASTODON_INSTANCE must be an http(s) URL"),
    ],
)
def test_a_malformed_value_is_named_with_the_others(given: dict[str, str], named: str) -> None:
    found = problems_for(HTTP_ENV | given | {"DRAFTS_CHANNEL": "#drafts"})
    assert any(p.startswith(named) for p in found), found
    assert any(p.startswith("DRAFTS_CHANNEL") for p in found)  # every problem at once, as for any setting


def test_a_brands_file_names_its_own_networks_and_the_pairs_are_not_read(tmp_path: object) -> None:
    env = {k: v for k, v in HTTP_ENV.items() if not k.startswith("X_")} | {"COUNTERSIGN_CONFIG": "brands.toml"}
    settings = Settings.from_env(env | {"BLUESKY_HANDLE": "acme"})  # half a pair, malformed: not this setup's
    assert settings.bluesky_handle == ""
