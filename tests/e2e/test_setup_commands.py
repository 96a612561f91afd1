"""`countersign doctor` and `countersign config check` through the real CLI in a process of its own, against the
Slack, X, Bluesky and Mastodon stand-ins: what a person setting Countersign up types and reads."""

from __future__ import annotations

from pathlib import Path

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.sandbox import SlackSandbox, XSandbox
from tests.e2e.harness import DRAFTS, app_env
from tests.e2e.test_running import run_cli

BRANDS = """
[brands.northwind]
name = "Northwind Coffee"
drafts_channels = ["C0NWDRAFTS"]
approvers = ["U0NWOWNER"]
agency_name = "Acme Agency"

[brands.northwind.x]
api_key_env = "NW_X_KEY"
api_secret_env = "NW_X_SECRET"
access_token_env = "NW_X_TOKEN"
access_token_secret_env = "NW_X_TOKEN_SECRET"
"""


def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'doctor.db'}"
    assert run_cli("migrate", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
    return url


def test_doctor_passes_a_working_setup_and_exits_zero(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    slack.add_channel(DRAFTS, "drafts")
    result = run_cli("doctor", env=app_env(slack, x, migrated(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✗" not in result.stdout
    assert "X" in result.stdout and "database" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_names_each_failure_with_its_fix_and_exits_one(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    slack.add_channel(DRAFTS, "drafts", member=False)
    env = app_env(slack, x, migrated(tmp_path), X_API_KEY="not-the-key")
    result = run_cli("doctor", env=env, cwd=tmp_path)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if "✗" in line]
    assert len(failed) == 2, result.stdout
    assert any("#drafts" in line or DRAFTS in line for line in failed)
    assert any("X" in line and "X_API_KEY" in line for line in failed)
    assert all("fix:" in line for line in failed)
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_reads_the_brands_file(tmp_path: Path, slack: SlackSandbox, x: XSandbox) -> None:
    slack.add_channel("C0NWDRAFTS", "nw-drafts")
    (tmp_path / "countersign.toml").write_text(BRANDS + f'api_url = "{x.url}"\n')
    env = {k: v for k, v in app_env(slack, x, migrated(tmp_path)).items() if not k.startswith(("X_", "DRAFTS", "APPR"))}
    env |= {"COUNTERSIGN_CONFIG": str(tmp_path / "countersign.toml"), "NW_X_KEY": x.consumer_key}
    env |= {"NW_X_SECRET": "s", "NW_X_TOKEN": "t", "NW_X_TOKEN_SECRET": "ts"}
    result = run_cli("doctor", env=env, cwd=tmp_path)
    assert "brand Northwind Coffee (northwind)" in result.stdout, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if "✗" in line]
    assert len(failed) == 1 and "U0NWOWNER" in failed[0], result.stdout  # nobody of that id in this workspace
    assert result.returncode == 1


def test_config_check_lists_every_problem_by_brand_and_key(tmp_path: Path) -> None:
    (tmp_path / "countersign.toml").write_text(BRANDS.replace('approvers = ["U0NWOWNER"]', 'aprovers = ["U0NWOWNER"]'))
    result = run_cli("config", "check", "--file", str(tmp_path / "countersign.toml"), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("brands.northwind.aprovers:") and '"approvers"' in line for line in lines)
    assert any(line.startswith("brands.northwind.x.api_key_env:") and "NW_X_KEY" in line for line in lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_checks_each_network_of_a_brand_and_names_the_variable_to_fix(
    tmp_path: Path, slack: SlackSandbox, x: XSandbox
) -> None:
    slack.add_channel("C0NWDRAFTS", "nw-drafts")
    slack.add_user("U0NWOWNER", "nora", real_name="Nora Owner")
    with BlueskySandbox() as bluesky, MastodonSandbox(token="mastodon-token") as mastodon:
        (tmp_path / "countersign.toml").write_text(
            BRANDS
            + f'api_url = "{x.url}"\n'
            + f'[brands.northwind.bluesky]\nhandle = "{bluesky.user_handle}"\napp_password_env = "NW_BSKY"\n'
            + f'service = "{bluesky.url}"\n'
            + f'[brands.northwind.mastodon]\ninstance = "{mastodon.url}"\naccess_token_env = "NW_MASTODON"\n'
        )
        env = {
            k: v for k, v in app_env(slack, x, migrated(tmp_path)).items() if not k.startswith(("X_", "DRAFTS", "APPR"))
        }
        env |= {"COUNTERSIGN_CONFIG": str(tmp_path / "countersign.toml"), "NW_X_KEY": x.consumer_key}
        env |= {"NW_X_SECRET": "s", "NW_X_TOKEN": "t", "NW_X_TOKEN_SECRET": "ts", "NW_MASTODON": "mastodon-token"}
        good = run_cli("doctor", env=env | {"NW_BSKY": bluesky.app_password}, cwd=tmp_path)
        bad = run_cli("doctor", env=env | {"NW_BSKY": "wrong-pass-word-here"}, cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Bluesky" in good.stdout and "Mastodon" in good.stdout
    assert bad.returncode == 1
    failed = [line for line in bad.stdout.splitlines() if "✗" in line]
    assert failed and all("Bluesky" in line or "bsky" in line.lower() for line in failed), bad.stdout
    assert any("NW_BSKY" in line for line in failed)
