"""The brands file: a good one loads to the brands it says; each kind of mistake is named by brand and key, with what
to do, and all of them at once; without a file, today's environment settings are the one brand they always were."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.approval_rule import Rule
from bot.networks.base import Network
from bot.runtime.brands import (
    DEFAULT_BRAND,
    BlueskyAccountConfig,
    Brand,
    Brands,
    ConfigError,
    MastodonAccountConfig,
    Secret,
    XAccountConfig,
    for_deployment,
    from_settings,
    load,
)
from bot.settings import Settings

X_TABLE = """
[brands.{key}.x]
api_key_env = "{env}_X_API_KEY"
api_secret_env = "{env}_X_API_SECRET"
access_token_env = "{env}_X_ACCESS_TOKEN"
access_token_secret_env = "{env}_X_ACCESS_TOKEN_SECRET"
"""

TWO_BRANDS = """
[brands.northwind]
name = "Northwind Coffee"
drafts_channels = ["C0NWDRAFTS", "C0NWSEASON"]
approvers = ["U0NWOWNER", "W0NWCMO"]
approval_rule = 2
approval_channel = "C0NWAPPROVE"
backup_approvers = ["U0NWBACKUP"]
escalate_after = "8h"
agency_name = "Acme Agency"
attribution_template = "— by {agency} for Northwind, signed {approver}"
digest_channel = "C0NWDIGEST"
digest_schedule = "fri 16:30"
timezone = "Europe/London"

[brands.northwind.x]
api_key_env = "NORTHWIND_X_API_KEY"
api_secret_env = "NORTHWIND_X_API_SECRET"
access_token_env = "NORTHWIND_X_ACCESS_TOKEN"
access_token_secret_env = "NORTHWIND_X_ACCESS_TOKEN_SECRET"
api_url = "http://127.0.0.1:8081/"

[brands.northwind.bluesky]
handle = "@Northwind.bsky.social"
app_password_env = "NORTHWIND_BLUESKY_APP_PASSWORD"

[brands.northwind.mastodon]
instance = "https://mastodon.example/"
access_token_env = "NORTHWIND_MASTODON_TOKEN"

[brands.harbour]
drafts_channels = ["C0HBDRAFTS"]
approvers = ["U0HBOWNER", "U0NWOWNER"]
agency_name = "Acme Agency"
""" + X_TABLE.format(key="harbour", env="HARBOUR")

ENV = {
    "NORTHWIND_X_API_KEY": "nw-key",
    "NORTHWIND_X_API_SECRET": "nw-secret",
    "NORTHWIND_X_ACCESS_TOKEN": "nw-token",
    "NORTHWIND_X_ACCESS_TOKEN_SECRET": "nw-token-secret",
    "NORTHWIND_BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
    "NORTHWIND_MASTODON_TOKEN": "nw-mastodon-token",
    "HARBOUR_X_API_KEY": "hb-key",
    "HARBOUR_X_API_SECRET": "hb-secret",
    "HARBOUR_X_ACCESS_TOKEN": "hb-token",
    "HARBOUR_X_ACCESS_TOKEN_SECRET": "hb-token-secret",
}

ONE_BRAND = """
[brands.northwind]
drafts_channels = ["C0NWDRAFTS"]
approvers = ["U0NWOWNER"]
agency_name = "Acme Agency"
""" + X_TABLE.format(key="northwind", env="NORTHWIND")


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "countersign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_in(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(written(tmp_path, text), ENV if env is None else env)
    return [str(p) for p in caught.value.problems]


def the_problem(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    problems = problems_in(tmp_path, text, env)
    assert len(problems) == 1, problems
    return problems[0]


def with_line(text: str, after: str, line: str) -> str:
    """`text` with `line` added after the first line starting with `after`."""
    lines = text.splitlines()
    at = next(i for i, existing in enumerate(lines) if existing.startswith(after))
    return "\n".join([*lines[: at + 1], line, *lines[at + 1 :]]) + "\n"


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


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


# -- each kind of problem, named by brand and key -----------------------------------------------------------------


def test_a_channel_name_instead_of_an_id(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, '["C0NWDRAFTS"]', '["#drafts"]')
    assert the_problem(tmp_path, text).startswith(
        'brands.northwind.drafts_channels: "#drafts" is not a channel id (C… or G…, like C0123ABCD): in Slack,'
    )


def test_a_bad_digest_channel(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "agency_name", 'digest_channel = "general"')
    assert the_problem(tmp_path, text).startswith('brands.northwind.digest_channel: "general" is not a channel id')


def test_a_bad_user_id(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, '["U0NWOWNER"]', '["U0NWOWNER", "u123"]')
    assert the_problem(tmp_path, text).startswith(
        'brands.northwind.approvers: "u123" is not a Slack user id (U… or W…, like U0123ABCD): in Slack, open the'
    )


def test_a_bad_backup_user_id(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "agency_name", 'backup_approvers = ["@sam"]\nescalate_after = "8h"')
    problems = problems_in(tmp_path, text)
    assert problems[0].startswith('brands.northwind.backup_approvers: "@sam" is not a Slack user id')


def test_a_bad_rule(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "agency_name", 'approval_rule = "most"')
    assert the_problem(tmp_path, text) == (
        "brands.northwind.approval_rule: must be any, all or a whole number of approvers like 2 (got 'most')"
    )


def test_a_rule_asking_more_yeses_than_there_are_approvers(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "agency_name", "approval_rule = 3")
    assert the_problem(tmp_path, text).startswith(
        "brands.northwind.approval_rule: asks for 3 approvals but approvers lists only 1: no draft could ever be"
    )


def test_an_unknown_key_suggests_the_one_meant(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, "approvers =", "aprovers =")
    problems = problems_in(tmp_path, text)
    assert 'brands.northwind.aprovers: is not a key Countersign knows; did you mean "approvers"?' in problems
    assert any(p.startswith("brands.northwind.approvers: is missing") for p in problems)


def test_an_unknown_key_in_a_network_table_and_at_the_top(tmp_path: Path) -> None:
    text = "[brand.extra]\n" + replaced(ONE_BRAND, "access_token_secret_env", "access_token_secrett_env")
    problems = problems_in(tmp_path, text)
    assert 'brand: is not a key Countersign knows; did you mean "brands"?' in problems
    assert (
        "brands.northwind.x.access_token_secrett_env: is not a key Countersign knows; did you mean "
        '"access_token_secret_env"?'
    ) in problems


def test_an_unknown_key_nothing_like_a_known_one_lists_the_keys(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "[brands.northwind.x]", 'zzz = "1"')
    assert the_problem(tmp_path, text) == (
        "brands.northwind.x.zzz: is not a key Countersign knows; the keys here are api_key_env, api_secret_env, "
        "access_token_env, access_token_secret_env, api_url"
    )


@pytest.mark.parametrize(
    ("table", "line", "key", "env_key", "env_name"),
    [
        (
            "[brands.northwind.x]",
            'api_key = "xvz1evFS4wEEPTGEFPHBog"',
            "x.api_key",
            "api_key_env",
            "NORTHWIND_X_API_KEY",
        ),
        (
            "[brands.northwind.bluesky]",
            'app_password = "abcd-efgh-ijkl-mnop"',
            "bluesky.app_password",
            "app_password_env",
            "NORTHWIND_BLUESKY_APP_PASSWORD",
        ),
        (
            "[brands.northwind.mastodon]",
            'access_token = "Zm9vYmFyLXRva2Vu"',
            "mastodon.access_token",
            "access_token_env",
            "NORTHWIND_MASTODON_ACCESS_TOKEN",
        ),
    ],
)
def test_a_credential_written_in_the_file_is_refused_without_showing_it(
    tmp_path: Path, table: str, line: str, key: str, env_key: str, env_name: str
) -> None:
    networks = (
        '\n[brands.northwind.bluesky]\nhandle = "northwind.bsky.social"\napp_password_env = "NW_BSKY"\n'
        '\n[brands.northwind.mastodon]\ninstance = "https://mastodon.social"\naccess_token_env = "NW_MASTO"\n'
    )
    text = with_line(ONE_BRAND + networks, table, line)
    env = ENV | {"NW_BSKY": "p", "NW_MASTO": "t"}
    problem = the_problem(tmp_path, text, env)
    assert problem == (
        f"brands.northwind.{key}: credentials never go in this file: put the value in an environment variable and "
        f'name that variable here instead, {env_key} = "{env_name}"'
    )
    assert line.split('"')[1] not in problem


def test_a_credential_under_another_name_is_refused_too(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "[brands.northwind.x]", 'bearer_token = "AAAAAAAAAAAAAAAAAAAAA"')
    assert the_problem(tmp_path, text).startswith(
        "brands.northwind.x.bearer_token: credentials never go in this file: put the value in an environment "
        "variable and name that variable with a key ending in _env (api_key_env,"
    )


def test_a_credential_pasted_where_its_variable_name_goes_is_refused_without_showing_it(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, '"NORTHWIND_X_API_KEY"', '"xvz1evFS4wEEPTGEFPHBog"')
    problem = the_problem(tmp_path, text)
    assert problem.startswith(
        "brands.northwind.x.api_key_env: must be the NAME of an environment variable, in capitals, like api_key_env = "
        '"NORTHWIND_X_API_KEY"'
    )
    assert "xvz1evFS4wEEPTGEFPHBog" not in problem


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_or_empty_variable_is_named(tmp_path: Path, value: str | None) -> None:
    env = {k: v for k, v in ENV.items() if k != "NORTHWIND_X_ACCESS_TOKEN"}
    if value is not None:
        env["NORTHWIND_X_ACCESS_TOKEN"] = value
    assert the_problem(tmp_path, ONE_BRAND, env) == (
        "brands.northwind.x.access_token_env: the environment variable NORTHWIND_X_ACCESS_TOKEN is not set (or is "
        "empty): set it to the X access token of the brand's account"
    )


def test_one_variable_for_two_credentials_is_a_slip(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, '"NORTHWIND_X_API_SECRET"', '"NORTHWIND_X_API_KEY"')
    assert the_problem(tmp_path, text) == (
        "brands.northwind.x.api_secret_env: names NORTHWIND_X_API_KEY, as api_key_env does: each credential has its own"
    )


def test_a_channel_in_two_brands(tmp_path: Path) -> None:
    text = replaced(TWO_BRANDS, '["C0HBDRAFTS"]', '["C0HBDRAFTS", "C0NWSEASON"]')
    assert the_problem(tmp_path, text) == (
        "brands.harbour.drafts_channels: C0NWSEASON is already the drafts channel of brands.northwind: a channel "
        "belongs to one brand (give each brand its own drafts channel)"
    )


def test_a_brand_with_no_network(tmp_path: Path) -> None:
    text = ONE_BRAND.split("[brands.northwind.x]")[0]
    assert the_problem(tmp_path, text) == (
        "brands.northwind: has no network to publish to: add at least one of [brands.northwind.x], "
        "[brands.northwind.bluesky], [brands.northwind.mastodon]"
    )


def test_a_toml_syntax_error_is_one_problem_with_its_line_and_column(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, 'agency_name = "Acme Agency"', "agency_name = Acme Agency")
    line = text.splitlines().index("agency_name = Acme Agency") + 1
    assert the_problem(tmp_path, text).startswith(
        f"{tmp_path / 'countersign.toml'}: line {line}, column 15: TOML syntax: Invalid value; fix it there"
    )


def test_a_toml_syntax_error_at_the_end_names_the_last_line(tmp_path: Path) -> None:
    text = ONE_BRAND + 'timezone = "UTC'
    assert f": line {len(text.splitlines())}, " in the_problem(tmp_path, text)


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path / "nowhere.toml", ENV)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'nowhere.toml'}: no such file: check the path (COUNTERSIGN_CONFIG or --file)"
    ]


def test_the_required_keys_are_named_when_missing(tmp_path: Path) -> None:
    text = "[brands.northwind]\n" + X_TABLE.format(key="northwind", env="NORTHWIND")
    assert [p.split(":")[0] for p in problems_in(tmp_path, text)] == [
        "brands.northwind.drafts_channels",
        "brands.northwind.approvers",
        "brands.northwind.agency_name",
    ]


def test_a_file_with_no_brand(tmp_path: Path) -> None:
    assert the_problem(tmp_path, "# nothing yet\n").startswith("brands: names no brand: add a table [brands.<key>]")


def test_a_brand_key_that_cannot_be_stored(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, "[brands.northwind]", '[brands."North Wind"]')
    problems = problems_in(tmp_path, text)
    assert problems[0].startswith("brands.North Wind: a brand's key is stored on every draft: lower-case letters")


def test_wrong_types_say_what_to_write(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, 'approvers = ["U0NWOWNER"]', 'approvers = "U0NWOWNER"')
    assert the_problem(tmp_path, text) == (
        'brands.northwind.approvers: must be a list of strings, like approvers = ["U0123ABCD"] (got a string)'
    )


def test_the_escalation_keys_go_together_as_in_the_environment(tmp_path: Path) -> None:
    alone = with_line(ONE_BRAND, "agency_name", 'backup_approvers = ["U0NWBACKUP"]')
    assert the_problem(tmp_path, alone).startswith("brands.northwind.backup_approvers: needs escalate_after")
    wait = with_line(ONE_BRAND, "agency_name", 'escalate_after = "8h"')
    assert the_problem(tmp_path, wait).startswith("brands.northwind.escalate_after: needs backup_approvers")
    bad = with_line(ONE_BRAND, "agency_name", 'backup_approvers = ["U0NWBACKUP"]\nescalate_after = "soon"')
    assert the_problem(tmp_path, bad) == (
        "brands.northwind.escalate_after: 'soon' is not a duration like 4h, 90m, 1h30m or 2d (or \"off\")"
    )
    off = with_line(ONE_BRAND, "agency_name", 'backup_approvers = ["U0NWBACKUP"]\nescalate_after = "off"')
    assert load(written(tmp_path, off), ENV)["northwind"].escalate_after is None


def test_the_template_digest_schedule_and_time_zone_are_checked_as_today(tmp_path: Path) -> None:
    text = with_line(
        ONE_BRAND,
        "agency_name",
        'attribution_template = "approved by {approver}"\ndigest_schedule = "someday"\ntimezone = "Mars/Olympus"',
    )
    assert problems_in(tmp_path, text) == [
        "brands.northwind.attribution_template: must name the agency with {agency}: every post discloses it",
        "brands.northwind.digest_schedule: 'someday' is neither like 'mon 09:00' nor a five-field cron expression",
        'brands.northwind.timezone: must be an IANA time zone name like Europe/Paris (got "Mars/Olympus")',
    ]


def test_a_bad_handle_and_an_instance_without_its_scheme(tmp_path: Path) -> None:
    text = (
        ONE_BRAND
        + '\n[brands.northwind.bluesky]\nhandle = "northwind"\napp_password_env = "NW_BSKY"\n'
        + '\n[brands.northwind.mastodon]\ninstance = "mastodon.social"\naccess_token_env = "NW_MASTO"\n'
    )
    assert problems_in(tmp_path, text, ENV | {"NW_BSKY": "p", "NW_MASTO": "t"}) == [
        'brands.northwind.bluesky.handle: "northwind" is not a Bluesky handle: write the account\'s full handle '
        'without the @, like handle = "northwind.bsky.social" or a domain of your own, like "northwind.com"',
        'brands.northwind.mastodon.instance: must be an http(s) URL, like instance = "https://mastodon.social" '
        '(got "mastodon.social")',
    ]


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = replaced(TWO_BRANDS, '"U0NWOWNER", "W0NWCMO"', '"U0NWOWNER", "cmo@northwind.example"')
    text = replaced(text, 'timezone = "Europe/London"', 'timezone = "Europe/London"\ndigest_chanel = "C0NWDIGEST"')
    text = replaced(text, '["C0HBDRAFTS"]', '["C0NWDRAFTS"]')
    env = {k: v for k, v in ENV.items() if k != "HARBOUR_X_API_SECRET"}

    problems = problems_in(tmp_path, text, env)

    assert [p.split(": ")[0] for p in problems] == [
        "brands.northwind.digest_chanel",
        "brands.northwind.approvers",
        "brands.harbour.x.api_secret_env",
        "brands.harbour.drafts_channels",
    ]
    assert 'did you mean "digest_channel"?' in problems[0]
    assert "HARBOUR_X_API_SECRET" in problems[2]


def test_problems_know_their_brand_and_key(tmp_path: Path) -> None:
    text = replaced(ONE_BRAND, '"NORTHWIND_X_API_KEY"', '"UNSET_KEY"')
    with pytest.raises(ConfigError) as caught:
        load(written(tmp_path, text), ENV)
    [problem] = caught.value.problems
    assert (problem.brand, problem.key) == ("northwind", "x.api_key_env")
    assert "UNSET_KEY" in problem.message
    assert str(caught.value).startswith(f"Countersign cannot start; fix these in {tmp_path / 'countersign.toml'}:\n")


# -- the one-brand shortcut ---------------------------------------------------------------------------------------

SETTINGS_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-1-bot-token",
    "SLACK_SIGNING_SECRET": "signing-secret-value",
    "X_API_KEY": "x-key-value",
    "X_API_SECRET": "x-secret-value",
    "X_ACCESS_TOKEN": "x-access-token-value",
    "X_ACCESS_TOKEN_SECRET": "x-access-secret-value",
    "DRAFTS_CHANNEL": "C0DRAFTS",
    "APPROVERS": "U0OWNER, U0SECOND",
    "AGENCY_NAME": "Acme Agency",
}


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
