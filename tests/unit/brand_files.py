"""The brands files the brands tests read: a full two-brand file, a minimal one, their environment, and small
editors that make one mistake in them at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime.brands import ConfigError, load

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
