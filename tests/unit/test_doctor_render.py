"""`countersign doctor`'s pure parts: the checklist text, the exit code, the scopes held to the manifest."""

from __future__ import annotations

from pathlib import Path

from bot.networks.base import Check, Network
from bot.runtime.doctor import Group, check_account, exit_code, render
from bot.runtime.doctor_slack import REQUIRED_SCOPES, scope_checks
from bot.sandbox.slack_directory import MANIFEST_SCOPES

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest_bot_scopes(text: str) -> tuple[str, ...]:
    """`oauth_config.scopes.bot` of the manifest, read without a YAML library (PyYAML isn't a dependency)."""
    path: list[tuple[int, str]] = []
    scopes: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        while path and path[-1][0] >= indent and not line.lstrip().startswith("- "):
            path.pop()
        item = line.strip()
        if item.startswith("- "):
            if [key for _, key in path] == ["oauth_config", "scopes", "bot"]:
                scopes.append(item[2:].strip())
        elif item.endswith(":"):
            path.append((indent, item[:-1]))
    return tuple(scopes)


def test_required_scopes_are_the_manifests() -> None:
    scopes = manifest_bot_scopes(MANIFEST.read_text())
    assert len(scopes) == 8
    assert scopes == REQUIRED_SCOPES
    assert scopes == MANIFEST_SCOPES  # a freshly installed app's token in the Slack stand-in


def test_the_reader_stops_at_the_bot_list() -> None:
    text = "oauth_config:\n  scopes:\n    bot:\n      - a:b # why\n      - c\n    user:\n      - d\nsettings:\n  x: 1\n"
    assert manifest_bot_scopes(text) == ("a:b", "c")


def test_checklist_marks_each_line_and_gives_the_fix_of_failures_only() -> None:
    groups = [
        Group("workspace", [Check("Slack bot token works", True, fix="unused")]),
        Group("brand Acme (acme)", [Check("@Countersign is not in drafts channel #drafts", False, "invite it")]),
        Group("database", [Check("database is reachable", True), Check("schema behind", False, "run migrate")]),
    ]
    assert render(groups) == (
        "workspace\n"
        "  ✓ Slack bot token works\n"
        "\n"
        "brand Acme (acme)\n"
        "  ✗ @Countersign is not in drafts channel #drafts — fix: invite it\n"
        "\n"
        "database\n"
        "  ✓ database is reachable\n"
        "  ✗ schema behind — fix: run migrate\n"
        "\n"
        "2 problems found."
    )
    assert exit_code(groups) == 1


def test_all_green_says_so_and_exits_zero() -> None:
    groups = [Group("workspace", [Check("token works", True)]), Group("brand B (b)", [])]
    assert render(groups) == "workspace\n  ✓ token works\n\nbrand B (b)\n  (nothing to check)\n\nAll checks passed."
    assert exit_code(groups) == 0


def test_one_problem_is_singular_and_a_failure_without_fix_has_no_dash() -> None:
    text = render([Group("database", [Check("no schema", False)])])
    assert text.splitlines()[1] == "  ✗ no schema"
    assert text.endswith("\n1 problem found.")


def test_each_missing_scope_is_its_own_failed_line() -> None:
    granted = ",".join(s for s in REQUIRED_SCOPES if s not in ("files:read", "im:write"))
    checks = scope_checks(granted)
    assert [c.what for c in checks] == [
        "the bot token lacks the scope files:read",
        "the bot token lacks the scope im:write",
    ]
    assert all(not c.ok and "OAuth & Permissions" in c.fix and "reinstall" in c.fix for c in checks)
    assert scope_checks(",".join(REQUIRED_SCOPES) + ",channels:read") == [
        Check("the bot token has the 8 scopes the app needs", True)
    ]
    assert not scope_checks(None)[0].ok


class _Exploding:
    network = Network.MASTODON

    def check(self) -> list[Check]:
        raise ConnectionError("instance unreachable\nsecond line")


def test_an_account_check_that_raises_is_a_failed_line_with_its_message() -> None:
    [line] = check_account(_Exploding())  # type: ignore[arg-type]
    assert line.ok is False
    assert line.what == "Mastodon account check failed: instance unreachable"
    assert "Mastodon settings" in line.fix
