"""`countersign config check`: one line per problem, or what each brand is; the example file passes once its
variables are set; the command itself, through typer, as an operator would run it."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.runtime.config_check import check, config_check_command, report

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "countersign.example.toml"

GOOD = """
[brands.northwind]
name = "Northwind Coffee"
drafts_channels = ["C0NWDRAFTS", "C0NWSEASON"]
approvers = ["U0NWOWNER", "U0NWCMO"]
approval_rule = "all"
backup_approvers = ["U0NWBACKUP"]
escalate_after = "8h"
agency_name = "Acme Agency"
digest_channel = "C0NWDIGEST"
timezone = "Europe/London"

[brands.northwind.x]
api_key_env = "NW_X_KEY"
api_secret_env = "NW_X_SECRET"
access_token_env = "NW_X_TOKEN"
access_token_secret_env = "NW_X_TOKEN_SECRET"

[brands.northwind.bluesky]
handle = "northwind.bsky.social"
app_password_env = "NW_BSKY"

[brands.harbour]
drafts_channels = ["C0HBDRAFTS"]
approvers = ["U0HBOWNER"]
approval_rule = 1
approval_channel = "C0HBAPPROVE"
agency_name = "Acme Agency"

[brands.harbour.mastodon]
instance = "https://mastodon.social"
access_token_env = "HB_MASTO"
"""
GOOD_ENV = {
    "NW_X_KEY": "k",
    "NW_X_SECRET": "s",
    "NW_X_TOKEN": "t",
    "NW_X_TOKEN_SECRET": "ts",
    "NW_BSKY": "p",
    "HB_MASTO": "m",
}


def env_names(value: Any) -> list[str]:
    """Every environment variable a parsed brands file names (the values of its `*_env` keys)."""
    if isinstance(value, dict):
        return [
            name
            for key, inner in value.items()
            for name in ([inner] if key.endswith("_env") and isinstance(inner, str) else env_names(inner))
        ]
    return []


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "countersign.toml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_the_example_file_passes_once_its_variables_are_set() -> None:
    names = env_names(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert len(names) == 10  # northwind: 4 X + Bluesky + Mastodon; harbour-bakery: 4 X

    assert check(EXAMPLE, {name: f"value-of-{name.lower()}" for name in names}) == []


def test_the_example_file_shows_two_brands_every_key_and_every_network() -> None:
    from bot.runtime.account_file import BLUESKY_KEYS, MASTODON_KEYS, X_KEYS
    from bot.runtime.brand_file import BRAND_KEYS

    brands = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["brands"]
    assert len(brands) == 2
    full, x_only = brands.values()
    assert set(full) == set(BRAND_KEYS)
    assert (set(full["x"]), set(full["bluesky"]), set(full["mastodon"])) == (
        set(X_KEYS),
        set(BLUESKY_KEYS),
        set(MASTODON_KEYS),
    )
    assert {k for k in x_only if k in ("x", "bluesky", "mastodon")} == {"x"}


def test_the_example_file_without_its_variables_names_each_one() -> None:
    problems = check(EXAMPLE, {})
    assert len(problems) == 10
    assert problems[0] == (
        "brands.northwind.x.api_key_env: the environment variable NORTHWIND_X_API_KEY is not set (or is empty): "
        "set it to the X API key (API Key in the developer portal)"
    )
    assert problems[-1].startswith("brands.harbour-bakery.x.access_token_secret_env: the environment variable ")


def test_a_good_file_is_summed_up_per_brand(good: Path) -> None:
    code, text = report(good, GOOD_ENV)

    assert code == 0
    assert text.splitlines() == [
        f"{good}: 2 brands, no problems found (credentials are read, not tried: `countersign doctor`).",
        "",
        "northwind — Northwind Coffee",
        "  drafts channels: C0NWDRAFTS, C0NWSEASON",
        "  approvers: U0NWOWNER, U0NWCMO (rule all: every approver but the writer); backups after 8h: U0NWBACKUP;"
        " cards by direct message",
        "  digest: C0NWDIGEST, 0 9 * * mon (Europe/London)",
        "  networks: X (keys from NW_X_KEY …), Bluesky @northwind.bsky.social",
        "",
        "harbour",
        "  drafts channels: C0HBDRAFTS",
        "  approvers: U0HBOWNER (rule 1: one yes is enough); cards in C0HBAPPROVE",
        "  digest: C0HBDRAFTS, 0 9 * * mon (UTC)",
        "  networks: Mastodon on https://mastodon.social",
    ]


def test_a_file_with_problems_is_one_line_each_and_exit_1(good: Path) -> None:
    good.write_text(GOOD.replace('"U0HBOWNER"', '"hb owner"').replace("approval_rule =", "aproval_rule ="), "utf-8")
    env = {k: v for k, v in GOOD_ENV.items() if k != "NW_BSKY"}

    code, text = report(good, env)

    assert code == 1
    assert text.splitlines() == check(good, env)
    assert [line.split(": ")[0] for line in text.splitlines()] == [
        "brands.northwind.aproval_rule",
        "brands.northwind.bluesky.app_password_env",
        "brands.harbour.aproval_rule",
        "brands.harbour.approvers",
    ]


def test_without_a_path_the_file_is_countersign_config(good: Path) -> None:
    assert report(None, GOOD_ENV | {"COUNTERSIGN_CONFIG": str(good)})[0] == 0
    assert check(None, GOOD_ENV | {"COUNTERSIGN_CONFIG": str(good)}) == []


def test_without_a_path_or_countersign_config_there_is_nothing_to_check() -> None:
    code, text = report(None, GOOD_ENV)
    assert code == 2
    assert text.startswith("COUNTERSIGN_CONFIG is not set and no --file was given: there is no brands file to check")
    assert check(None, GOOD_ENV) == [text]


# -- the command, as `countersign config check` ------------------------------------------------------------------


def countersign() -> typer.Typer:
    """The shape the integrator registers: `countersign config check`."""
    app = typer.Typer()
    config = typer.Typer()
    config.command("check")(config_check_command)
    app.add_typer(config, name="config")
    return app


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """An empty working directory (no .env read by accident) and none of the test's variables set beforehand;
    whatever the command's `.env` reading sets is undone afterwards (monkeypatch can't undo what it never set:
    python-dotenv writes os.environ itself)."""
    monkeypatch.chdir(tmp_path)
    for name in [*GOOD_ENV, "COUNTERSIGN_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    yield monkeypatch
    os.environ.clear()
    os.environ.update(before)


def test_the_command_checks_the_file_it_is_given(good: Path, clean_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(countersign(), ["config", "check", "--file", str(good)], env=GOOD_ENV)

    assert result.exit_code == 0, result.output
    assert result.output == report(good, GOOD_ENV)[1] + "\n"


def test_the_command_reads_the_variables_from_dot_env(good: Path, clean_env: pytest.MonkeyPatch) -> None:
    (good.parent / ".env").write_text("".join(f"{k}={v}\n" for k, v in GOOD_ENV.items()), encoding="utf-8")

    result = CliRunner().invoke(countersign(), ["config", "check"], env={"COUNTERSIGN_CONFIG": str(good)})

    assert result.exit_code == 0, result.output
    assert "2 brands, no problems found" in result.output


def test_the_command_exits_1_with_the_problems(good: Path, clean_env: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in GOOD_ENV.items() if k != "HB_MASTO"}

    result = CliRunner().invoke(countersign(), ["config", "check", "--file", str(good)], env=env)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "brands.harbour.mastodon.access_token_env: the environment variable HB_MASTO is not set (or is empty): "
        "set it to the Mastodon access token (Preferences → Development → your application)"
    ]


def test_the_command_with_nothing_to_check_exits_2(clean_env: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(countersign(), ["config", "check"])

    assert result.exit_code == 2
    assert "COUNTERSIGN_CONFIG is not set and no --file was given" in result.output
