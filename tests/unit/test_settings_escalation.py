"""BACKUP_APPROVERS and ESCALATE_AFTER: validated like the others, named when wrong, refused alone."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime.settings import Settings
from tests.unit.test_settings import HTTP_ENV, problems_for, the_problem_naming


def test_escalation_is_off_unless_set() -> None:
    settings = Settings.from_env(HTTP_ENV)
    assert settings.backup_approvers == () and settings.escalate_after is None


def test_backups_and_a_wait_are_read() -> None:
    settings = Settings.from_env(HTTP_ENV | {"BACKUP_APPROVERS": "U0BACKUP, U0BACKUP2", "ESCALATE_AFTER": "8h"})
    assert settings.backup_approvers == ("U0BACKUP", "U0BACKUP2")
    assert settings.escalate_after == timedelta(hours=8)


def test_escalate_after_off_with_backups_is_escalation_switched_off() -> None:
    settings = Settings.from_env(HTTP_ENV | {"BACKUP_APPROVERS": "U0BACKUP", "ESCALATE_AFTER": "off"})
    assert settings.backup_approvers == ("U0BACKUP",) and settings.escalate_after is None


def test_a_backup_that_is_not_a_user_id_is_named() -> None:
    problems = problems_for(HTTP_ENV | {"BACKUP_APPROVERS": "olivia, U0BACKUP", "ESCALATE_AFTER": "8h"})
    assert "bad: olivia" in the_problem_naming("BACKUP_APPROVERS", problems)


def test_a_backup_who_is_also_an_approver_is_named() -> None:
    problems = problems_for(HTTP_ENV | {"BACKUP_APPROVERS": "U0OWNER", "ESCALATE_AFTER": "8h"})
    problem = the_problem_naming("BACKUP_APPROVERS", problems)
    assert "must not repeat APPROVERS" in problem and "U0OWNER" in problem


def test_a_bad_wait_is_named() -> None:
    problems = problems_for(HTTP_ENV | {"BACKUP_APPROVERS": "U0BACKUP", "ESCALATE_AFTER": "soonish"})
    assert "'soonish' is not a duration" in the_problem_naming("ESCALATE_AFTER", problems)


def test_backups_without_a_wait_are_refused() -> None:
    problems = problems_for(HTTP_ENV | {"BACKUP_APPROVERS": "U0BACKUP"})
    assert problems == ["BACKUP_APPROVERS needs ESCALATE_AFTER (how long to wait before asking them, e.g. 8h)"]


def test_a_wait_without_backups_is_refused() -> None:
    problems = problems_for(HTTP_ENV | {"ESCALATE_AFTER": "8h"})
    assert problems == ["ESCALATE_AFTER needs BACKUP_APPROVERS (the Slack user ids to ask when time is up)"]
