"""`countersign run` with a brands file: the environment's one-brand settings aren't needed, and a file with
mistakes stops the start with its lines (no traceback, nothing served)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.runtime.cli import cli
from bot.runtime.settings import Settings, SettingsError

SLACK = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "DATABASE_URL": "sqlite:///x.db"}


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """`run` in this process sets up logging (bot.runtime.logs.configure) on the runner's stream, which closes with
    the test: later tests' log records would fail to print there. Put the root logger back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_settings_dont_ask_for_brand_level_values_when_a_brands_file_gives_them() -> None:
    settings = Settings.from_env(SLACK | {"COUNTERSIGN_CONFIG": "countersign.toml"})
    assert (settings.drafts_channel, settings.approvers, settings.agency_name) == ("", (), "")


def test_without_a_brands_file_they_are_still_required() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(SLACK)
    said = str(raised.value)
    assert "DRAFTS_CHANNEL is missing" in said and "APPROVERS is missing" in said and "X_API_KEY is missing" in said


def test_run_stops_at_a_bad_brands_file_with_its_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env read by accident
    path = tmp_path / "countersign.toml"
    path.write_text('[brands.north]\ndrafts_channels = ["general"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--http"], env=SLACK | {"COUNTERSIGN_CONFIG": str(path)})
    assert result.exit_code == 2, result.output
    assert f"Countersign cannot start; fix these in {path}" in result.output
    assert "brands.north.approvers" in result.output and "brands.north.drafts_channels" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # typer.Exit, not an error


def test_run_no_longer_refuses_a_good_brands_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It gets as far as Slack (here nowhere to be reached), instead of refusing COUNTERSIGN_CONFIG itself."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "countersign.toml"
    path.write_text(
        '[brands.north]\ndrafts_channels = ["C0NORTH"]\napprovers = ["U0OWNER"]\nagency_name = "North Agency"\n'
        '[brands.north.x]\napi_key_env = "NX_KEY"\napi_secret_env = "NX_SECRET"\n'
        'access_token_env = "NX_TOKEN"\naccess_token_secret_env = "NX_TOKEN_SECRET"\n',
        encoding="utf-8",
    )
    keys = {"NX_KEY": "k", "NX_SECRET": "s", "NX_TOKEN": "t", "NX_TOKEN_SECRET": "ts"}
    env = SLACK | keys | {"COUNTERSIGN_CONFIG": str(path), "SLACK_API_URL": "http://127.0.0.1:9/"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'c.db'}"
    result = CliRunner().invoke(cli, ["run", "--http"], env=env)
    assert result.exit_code == 1, result.output
    assert "could not reach Slack" in result.output and "COUNTERSIGN_CONFIG" not in result.output
