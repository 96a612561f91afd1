"""`countersign doctor`: for each brand, a checklist of what would stop Countersign from working, each failure with
its fix; the exit code says whether any failed.

Pure of the CLI: `run_doctor` takes the brands, a slack_sdk `WebClient` with the bot token, the expected team id and
the database URL, and returns the checks grouped ("workspace", one group per brand, "database"); `render` makes the
text and `exit_code` the status. `doctor_command(load_inputs)` is the typer command the CLI registers. Nothing here
raises: every failure, a network account's check included, becomes a failed line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

import typer
from slack_sdk import WebClient

from bot.networks.base import Account, Check
from bot.runtime.doctor_db import check_database
from bot.runtime.doctor_slack import Bot, check_approver, check_channel, check_token

OK, FAILED = "✓", "✗"


@dataclass(frozen=True)
class BrandTarget:
    """What doctor checks of one brand: where its drafts come from, who approves, where it posts."""

    key: str
    name: str
    drafts_channels: list[str] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    title: str
    checks: list[Check]


@dataclass(frozen=True)
class DoctorInputs:
    """What the CLI builds from settings and the brands' config for `doctor_command`."""

    targets: list[BrandTarget]
    client: WebClient
    team_id: str | None
    database_url: str


def run_doctor(
    targets: Sequence[BrandTarget], client: WebClient, team_id: str | None, database_url: str
) -> list[Group]:
    try:
        workspace, bot = check_token(client, team_id)
    except Exception as exc:  # an answer shaped unlike Slack's
        workspace, bot = [_bug("the Slack token", exc)], None
    groups = [Group("workspace", workspace)]
    for t in targets:
        groups.append(Group(f"brand {t.name} ({t.key})", _guarded(t.name, lambda t=t: check_brand(t, client, bot))))
    groups.append(Group("database", _guarded("the database", lambda: check_database(database_url))))
    return groups


def check_brand(target: BrandTarget, client: WebClient, bot: Bot | None) -> list[Check]:
    checks: list[Check] = []
    if bot is None:
        checks.append(Check("drafts channels and approvers not checked", False, "make the Slack token work first"))
    else:
        if not target.drafts_channels:
            checks.append(Check("no drafts channel", False, "give the brand a drafts channel in its config"))
        if not target.approvers:
            checks.append(Check("no approvers", False, "name the brand's approvers (Slack member ids) in its config"))
        checks += [check_channel(client, channel) for channel in target.drafts_channels]
        checks += [check_approver(client, user, bot.team_id) for user in target.approvers]
    for account in target.accounts:
        checks += check_account(account)
    return checks


def check_account(account: Account) -> list[Check]:
    """The account's own `check()` lines, as they come; an exception is a failed line with its message."""
    title = _network_title(account)
    try:
        return list(account.check())
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fix = f"check the brand's {title} settings, and that {title} is reachable"
        return [Check(f"{title} account check failed: {message}", False, fix)]


def _network_title(account: Account) -> str:
    network = getattr(account, "network", None)
    return str(getattr(network, "title", None) or network or "network")


def _guarded(what: str, checks: Callable[[], list[Check]]) -> list[Check]:
    try:
        return checks()
    except Exception as exc:  # a bug in a check must still leave a checklist, never a traceback
        return [_bug(what, exc)]


def _bug(what: str, exc: Exception) -> Check:
    return Check(f"could not check {what}: {type(exc).__name__}: {exc}", False, "report this as a bug")


def render(groups: Sequence[Group]) -> str:
    """Plain text: a heading per group, a line per check, failures with their fix, and a last line counting them."""
    lines: list[str] = []
    for group in groups:
        lines.append(group.title)
        for check in group.checks:
            mark = OK if check.ok else FAILED
            fix = f" — fix: {check.fix}" if not check.ok and check.fix else ""
            lines.append(f"  {mark} {check.what}{fix}")
        if not group.checks:
            lines.append("  (nothing to check)")
        lines.append("")
    failed = sum(not check.ok for group in groups for check in group.checks)
    lines.append("All checks passed." if not failed else f"{failed} problem{'s' if failed > 1 else ''} found.")
    return "\n".join(lines)


def exit_code(groups: Sequence[Group]) -> int:
    return 1 if any(not check.ok for group in groups for check in group.checks) else 0


def doctor_command(load_inputs: Callable[[], DoctorInputs]) -> Callable[..., None]:
    """The typer command, for the CLI to register: `cli.command("doctor")(doctor_command(load_inputs))`.
    `load_inputs` reads settings and the brands' config (and may raise typer.Exit on bad settings)."""

    def doctor(
        brand: Annotated[
            list[str] | None, typer.Option("--brand", help="Check only this brand (by key); repeat for more.")
        ] = None,
    ) -> None:
        """Check what would stop Countersign from working, brand by brand, and say how to fix each problem."""
        inputs = load_inputs()
        targets = [t for t in inputs.targets if not brand or t.key in brand]
        unknown = sorted(set(brand or ()) - {t.key for t in inputs.targets})
        if unknown:
            typer.echo(f"No brand with key {', '.join(unknown)}.", err=True)
            raise typer.Exit(2)
        groups = run_doctor(targets, inputs.client, inputs.team_id, inputs.database_url)
        typer.echo(render(groups))
        raise typer.Exit(exit_code(groups))

    return doctor
