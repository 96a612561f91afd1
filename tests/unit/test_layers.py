"""The tree's import rules (docs/architecture.md), checked on the source: a newcomer can trust the map.

Each rule is a folder and the folders it may not import. The rules are the ones the code keeps today; a change
that breaks one either moves the code to where it belongs or changes the map, in the same commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(folder: str) -> dict[str, set[str]]:
    """Module path → the dotted modules it imports (absolute imports; `from bot import x` as `bot.x`)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(
    folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = (), exempt: tuple[str, ...] = ()
) -> list[str]:
    def hits(name: str) -> bool:
        inside = any(name == f or name.startswith(f + ".") for f in forbidden)
        return inside and not any(name == a or name.startswith(a + ".") for a in allowed)

    return sorted(
        f"{module} imports {name}"
        for module, names in imports_of(folder).items()
        if not module.startswith(exempt)
        for name in names
        if hits(name)
    )


RULES = [
    # storage knows nothing of Slack, X or the product's rules
    ("storage", ("bot", "handlers", "slack_sdk", "slack_bolt", "tweepy"), (), ()),
    # handlers are thin: no SQL, no network SDKs; storage only for its types
    ("handlers", ("sqlalchemy", "sqlmodel", "tweepy", "storage.store", "storage.engine"), (), ()),
    # a network is one folder behind bot.networks.base: it sees nothing of the product around it
    (
        "bot/networks",
        ("bot", "handlers", "storage", "slack_sdk", "slack_bolt"),
        ("bot.networks", "bot.sandbox.http_base"),
        (),
    ),
    # the decision doesn't know Slack's Web API, the jobs, the reports or the process around it
    ("bot/approval", ("slack_sdk", "slack_bolt", "handlers", "bot.jobs", "bot.reports", "bot.runtime"), (), ()),
    # the Slack stand-ins are test doubles of Slack: they import nothing of the product
    ("bot/sandbox", ("bot", "handlers", "storage"), ("bot.sandbox", "bot.networks"), ()),
    # SQL lives in storage/: the rest of bot/ asks storage's functions (a session may be handed on, as a type);
    # the process reads database URLs and checks the schema (runtime)
    (
        "bot",
        ("sqlalchemy", "sqlmodel.select", "sqlmodel.col", "sqlmodel.func", "sqlmodel.update"),
        (),
        ("bot/runtime/",),
    ),
    # only the process wires listeners to the app
    ("bot", ("handlers",), (), ("bot/runtime/",)),
]


@pytest.mark.parametrize(("folder", "forbidden", "allowed", "exempt"), RULES, ids=[r[0] for r in RULES])
def test_folder_keeps_its_imports(
    folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...], exempt: tuple[str, ...]
) -> None:
    assert offenders(folder, forbidden, allowed, exempt) == []


def test_the_checker_reports_an_import_it_forbids() -> None:
    """The checker can fail: handlers do import bot.slack, so forbidding it names the module and the import."""
    found = offenders("handlers", ("bot.slack",))
    assert "handlers/actions.py imports bot.slack.replies" in found
    assert offenders("handlers", ("bot.slack",), exempt=("handlers/",)) == []
