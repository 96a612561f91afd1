"""`countersign doctor` against the Slack stand-in over loopback (slack_sdk unpatched) and real SQLite files.

Each test breaks one thing and asserts that exactly that line fails, with its fix: a checklist that flagged
something else would not pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from slack_sdk import WebClient
from typer.testing import CliRunner

from bot.networks.base import Check, Network
from bot.runtime.doctor import BrandTarget, DoctorInputs, Group, doctor_command, exit_code, render, run_doctor
from bot.runtime.doctor_slack import REQUIRED_SCOPES
from bot.sandbox import SlackSandbox
from bot.sandbox.slack_directory import MANIFEST_SCOPES
from storage.engine import make_engine
from storage.migrate import head_revision, upgrade
from tests.e2e.harness import DRAFTS, GUEST, OTHER_TEAM, OWNER, PEOPLE


class FakeAccount:
    """Only what doctor uses of an Account: `network` and `check()`."""

    def __init__(self, network: Network, lines: list[Check] | None = None, error: Exception | None = None) -> None:
        self.network, self.lines, self.error = network, lines or [], error

    def check(self) -> list[Check]:
        if self.error is not None:
            raise self.error
        return self.lines


GOOD_X = FakeAccount(Network.X, [Check("X credentials work: @acme", True)])


@pytest.fixture
def slack(slack: SlackSandbox) -> Iterator[SlackSandbox]:
    """The session's stand-in (reset, with the harness's people), with the drafts channel declared; the scopes
    and channels a test changes are put back for the tests that follow."""
    slack.set_scopes(*REQUIRED_SCOPES)
    slack.add_channel(DRAFTS, "drafts")
    yield slack
    slack.set_scopes(*MANIFEST_SCOPES)
    slack.workspace.channels.clear()


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.url, retry_handlers=[])


def _migrated(path: Path, revision: str) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine, revision)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _migrated(tmp_path_factory.mktemp("doctor") / "head.db", "head")


def _brand(**changes: object) -> BrandTarget:
    fields: dict[str, object] = {
        "key": "acme",
        "name": "Acme Coffee",
        "drafts_channels": [DRAFTS],
        "approvers": [OWNER],
        "accounts": [GOOD_X],
    }
    return BrandTarget(**{**fields, **changes})  # type: ignore[arg-type]


def _failures(groups: list[Group]) -> list[tuple[str, Check]]:
    return [(group.title, check) for group in groups for check in group.checks if not check.ok]


def _only_failure(groups: list[Group]) -> tuple[str, Check]:
    failures = _failures(groups)
    assert len(failures) == 1, render(groups)
    assert exit_code(groups) == 1
    return failures[0]


def test_all_green_exits_zero(slack: SlackSandbox, client: WebClient, database: str) -> None:
    groups = run_doctor([_brand()], client, slack.team_id, database)
    text = render(groups)
    assert exit_code(groups) == 0, text
    assert [g.title for g in groups] == ["workspace", "brand Acme Coffee (acme)", "database"]
    assert "✓ Slack bot token works: @countersign in Acme (T0ACME)" in text
    assert "✓ the bot token has the 8 scopes the app needs" in text
    assert f"✓ @Countersign is in drafts channel {DRAFTS}" in text  # read with the app's own scopes
    assert f"✓ approver {PEOPLE[OWNER]} ({OWNER}) is a member of this workspace" in text
    assert "✓ X credentials work: @acme" in text
    assert f"✓ database schema is at the latest migration ({head_revision()})" in text
    assert text.endswith("All checks passed.")


def test_with_channels_read_the_channel_is_named(slack: SlackSandbox, client: WebClient, database: str) -> None:
    slack.set_scopes(*REQUIRED_SCOPES, "channels:read")
    groups = run_doctor([_brand()], client, slack.team_id, database)
    assert exit_code(groups) == 0
    assert "✓ @Countersign is in drafts channel #drafts" in render(groups)
    assert slack.calls_to("conversations.info")[0].response["channel"]["is_member"] is True


@pytest.mark.parametrize(
    ("token", "fault", "error"),
    [("xoxb-wrong", None, "invalid_auth"), ("xoxb-test", "token_revoked", "token_revoked"), (None, None, "not_authed")],
)
def test_bad_token_names_the_setting(
    slack: SlackSandbox, database: str, token: str | None, fault: str | None, error: str
) -> None:
    if fault:
        slack.fail("auth.test", error=fault, status=200)
    client = WebClient(token=token, base_url=slack.url, retry_handlers=[])
    groups = run_doctor([_brand()], client, slack.team_id, database)
    failures = _failures(groups)
    assert exit_code(groups) == 1
    assert failures[0][0] == "workspace"
    assert failures[0][1].what == f"Slack rejected the bot token ({error})"
    assert "SLACK_BOT_TOKEN" in failures[0][1].fix
    # The brand's Slack checks are said to be skipped, not passed; its network account is still checked.
    assert failures[1:] == [
        (
            "brand Acme Coffee (acme)",
            Check("drafts channels and approvers not checked", False, "make the Slack token work first"),
        )
    ]
    assert slack.calls_to("users.info") == []


def test_token_of_another_workspace(slack: SlackSandbox, client: WebClient, database: str) -> None:
    title, check = _only_failure(run_doctor([_brand()], client, "T0ELSEWHERE", database))
    assert (title, check.what) == ("workspace", "the token is for workspace T0ACME, not T0ELSEWHERE")


def test_missing_scope_is_named_with_the_fix(slack: SlackSandbox, client: WebClient, database: str) -> None:
    slack.set_scopes(*(s for s in REQUIRED_SCOPES if s != "files:read"))
    title, check = _only_failure(run_doctor([_brand()], client, slack.team_id, database))
    assert (title, check.what) == ("workspace", "the bot token lacks the scope files:read")
    assert check.fix == "add it under Bot Token Scopes in the app's OAuth & Permissions page and reinstall the app"


@pytest.mark.parametrize(("extra", "shown"), [((), DRAFTS), (("channels:read",), "#drafts")])
def test_bot_not_in_channel(
    slack: SlackSandbox, client: WebClient, database: str, extra: tuple[str, ...], shown: str
) -> None:
    slack.set_scopes(*REQUIRED_SCOPES, *extra)
    slack.add_channel(DRAFTS, "drafts", member=False)
    title, check = _only_failure(run_doctor([_brand()], client, slack.team_id, database))
    assert (title, check.what) == ("brand Acme Coffee (acme)", f"@Countersign is not in drafts channel {shown}")
    assert "invite @Countersign to" in check.fix and shown in check.fix


@pytest.mark.parametrize("extra", [(), ("channels:read", "groups:read")])
def test_private_channel_the_bot_was_not_invited_to(
    slack: SlackSandbox, client: WebClient, database: str, extra: tuple[str, ...]
) -> None:
    slack.set_scopes(*REQUIRED_SCOPES, *extra)
    slack.add_channel("G0SECRET", "secret", private=True, member=False)
    groups = run_doctor([_brand(drafts_channels=["G0SECRET"])], client, slack.team_id, database)
    _, check = _only_failure(groups)
    assert check.what == "Slack knows no drafts channel G0SECRET that the bot can see"
    assert "private channel, invite @Countersign" in check.fix


def test_unknown_channel_id(slack: SlackSandbox, client: WebClient, database: str) -> None:
    slack.set_scopes(*REQUIRED_SCOPES, "channels:read")
    groups = run_doctor([_brand(drafts_channels=["C0TYPO"])], client, slack.team_id, database)
    _, check = _only_failure(groups)
    assert check.what == "Slack knows no drafts channel C0TYPO that the bot can see"
    assert "check the channel id" in check.fix


def test_unknown_approver(slack: SlackSandbox, client: WebClient, database: str) -> None:
    groups = run_doctor([_brand(approvers=[OWNER, "U0NOBODY"])], client, slack.team_id, database)
    title, check = _only_failure(groups)
    assert (title, check.what) == ("brand Acme Coffee (acme)", "approver U0NOBODY is not a user of this workspace")
    assert "member ID" in check.fix


def test_deleted_approver(slack: SlackSandbox, client: WebClient, database: str) -> None:
    slack.add_user("U0GONE", "gone", "Gwen Gone", deleted=True)
    groups = run_doctor([_brand(approvers=["U0GONE"])], client, slack.team_id, database)
    _, check = _only_failure(groups)
    assert check.what == "approver Gwen Gone (U0GONE) is deactivated"
    assert check.fix == "replace them in the brand's approvers"


def test_approver_from_another_team(slack: SlackSandbox, client: WebClient, database: str) -> None:
    groups = run_doctor([_brand(approvers=[GUEST])], client, slack.team_id, database)  # a Slack Connect user
    _, check = _only_failure(groups)
    assert check.what == f"approver {PEOPLE[GUEST]} ({GUEST}) belongs to another workspace ({OTHER_TEAM})"
    assert "members of this workspace (T0ACME)" in check.fix


def test_network_account_whose_check_fails(slack: SlackSandbox, client: WebClient, database: str) -> None:
    raising = FakeAccount(Network.BLUESKY, error=RuntimeError("handle acme.bsky.social: invalid app password"))
    failing = FakeAccount(Network.MASTODON, [Check("Mastodon token works", False, "set MASTODON_TOKEN")])
    groups = run_doctor([_brand(accounts=[GOOD_X, raising, failing])], client, slack.team_id, database)
    failures = [check for _, check in _failures(groups)]
    assert [c.what for c in failures] == [
        "Bluesky account check failed: handle acme.bsky.social: invalid app password",
        "Mastodon token works",  # the account's own line, as it came
    ]
    assert failures[1].fix == "set MASTODON_TOKEN"
    assert "Traceback" not in render(groups)


def test_unreachable_database_hides_the_password(slack: SlackSandbox, client: WebClient) -> None:
    url = "postgresql://countersign:s3cr3t-pw@127.0.0.1:1/countersign"  # nothing listens on port 1
    groups = run_doctor([_brand()], client, slack.team_id, url)
    title, check = _only_failure(groups)
    assert title == "database"
    assert check.what.startswith("can't reach the database at postgresql://countersign:***@127.0.0.1:1/countersign")
    assert "DATABASE_URL" in check.fix
    assert "s3cr3t-pw" not in render(groups)


def test_missing_sqlite_file_is_reported_not_created(slack: SlackSandbox, client: WebClient, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    _, check = _only_failure(run_doctor([_brand()], client, slack.team_id, f"sqlite:///{path}"))
    assert check.what == f"no SQLite database at {path}"
    assert "countersign migrate" in check.fix
    assert not path.exists()


def test_database_behind_the_latest_migration(slack: SlackSandbox, client: WebClient, tmp_path: Path) -> None:
    url = _migrated(tmp_path / "old.db", "0015")
    title, check = _only_failure(run_doctor([_brand()], client, slack.team_id, url))
    assert (title, check.what) == (
        "database",
        f"database schema is at migration 0015, behind the latest ({head_revision()})",
    )
    assert check.fix == "run `countersign migrate`"


def test_empty_database_has_no_schema(slack: SlackSandbox, client: WebClient, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    _, check = _only_failure(run_doctor([_brand()], client, slack.team_id, url))
    assert (check.what, check.fix) == ("database has no Countersign schema yet", "run `countersign migrate`")


def test_the_command_prints_the_checklist_and_exits_with_its_code(
    slack: SlackSandbox, client: WebClient, database: str
) -> None:
    brands = [_brand(), _brand(key="beta", name="Beta Bakes", approvers=["U0NOBODY"])]
    app = typer.Typer()
    app.command()(doctor_command(lambda: DoctorInputs(brands, client, slack.team_id, database)))
    runner = CliRunner()
    green = runner.invoke(app, ["--brand", "acme"])
    assert (green.exit_code, green.output.strip().splitlines()[-1]) == (0, "All checks passed.")
    assert "Beta Bakes" not in green.output
    both = runner.invoke(app, [])
    assert both.exit_code == 1
    assert "✗ approver U0NOBODY is not a user of this workspace — fix:" in both.output
    unknown = runner.invoke(app, ["--brand", "nope"])
    assert unknown.exit_code == 2
