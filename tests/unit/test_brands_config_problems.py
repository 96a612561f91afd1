"""The brands file's mistakes: each kind named by brand and key with what to do instead, never showing a credential,
and every one of them at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime.brands import ConfigError, load
from tests.unit.brand_files import (
    ENV,
    ONE_BRAND,
    TWO_BRANDS,
    X_TABLE,
    problems_in,
    replaced,
    the_problem,
    with_line,
    written,
)

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


def test_a_credential_at_the_brand_level_points_to_the_network_table(tmp_path: Path) -> None:
    text = with_line(ONE_BRAND, "agency_name", 'x_api_secret = "s3cr3t-value"')
    problem = the_problem(tmp_path, text)
    assert problem == (
        "brands.northwind.x_api_secret: credentials never go in this file: put the value in an environment variable "
        "and name that variable with a key ending in _env in the network's table, like [brands.northwind.x] "
        'api_key_env = "NORTHWIND_X_API_KEY"'
    )
