"""`countersign.toml`: the file read into `Brands`, every problem collected, named by brand and key.

The values follow today's environment settings (same parsers, same defaults, same rules), so moving from the
one-brand shortcut to the file changes where a value is written, never what it may be.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.approval.approval_rule import Rule
from bot.jobs.schedule import parse_duration, to_cron
from bot.runtime.account_file import NETWORK_KEYS, read_accounts
from bot.runtime.brands import Brand, Brands, ConfigError, Problem
from bot.runtime.config_table import Table, quoted, type_name
from bot.runtime.env_reader import (
    CHANNEL_ID,
    DEFAULT_ATTRIBUTION,
    DEFAULT_DIGEST_SCHEDULE,
    TEMPLATE_FIELDS,
    USER_ID,
    template_fields,
)

BRAND_KEYS = (
    "name",
    "drafts_channels",
    "approval_channel",
    "approvers",
    "approval_rule",
    "backup_approvers",
    "escalate_after",
    "agency_name",
    "attribution_template",
    "digest_channel",
    "digest_schedule",
    "timezone",
    *NETWORK_KEYS,
)
_BRAND_KEY = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_OFF = ("off", "never", "0")
_SYNTAX_AT = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_CHANNEL_HOW = "in Slack, open the channel's details: the id is at the bottom of About"
_USER_HOW = "in Slack, open the person's profile: ⋮ → Copy member ID"


def read(path: Path, environ: Mapping[str, str]) -> Brands:
    problems: list[Problem] = []
    data = _parse(path)
    Table(data, problems, brand=None).unknown_keys(("brands",))
    table = data.get("brands")
    brands: list[Brand] = []
    if not isinstance(table, dict) or not table:
        got = "" if table is None else f" (got {type_name(table)})"
        problems.append(
            Problem(None, "brands", f"names no brand: add a table [brands.<key>], like [brands.northwind]{got}")
        )
    else:
        for key, raw in table.items():
            brand = _brand(key, raw, problems, environ)
            if brand is not None:
                brands.append(brand)
    _one_brand_per_channel(brands, problems)
    if problems:
        raise ConfigError(problems, str(path))
    return Brands(tuple(brands), source=str(path))


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [Problem(None, str(path), "no such file: check the path (COUNTERSIGN_CONFIG or --file)")], str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable as UTF-8 text"
        raise ConfigError([Problem(None, str(path), f"cannot be read ({reason})")], str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(None, str(path), _syntax(str(exc), text))], str(path)) from None


def _syntax(message: str, text: str) -> str:
    """tomllib's message with its position as `line N, column M` first (Python 3.11 has no lineno attribute)."""
    match = _SYNTAX_AT.match(message)
    if match:
        where, what = f"line {match['line']}, column {match['column']}", match["what"]
    else:
        where, what = f"line {max(1, len(text.splitlines()))}, at the end", message.replace(" (at end of document)", "")
    return f'{where}: TOML syntax: {what}; fix it there (strings in "quotes", lists in [ ], one key per line)'


def _brand(key: str, raw: Any, problems: list[Problem], environ: Mapping[str, str]) -> Brand | None:
    if not _BRAND_KEY.match(key):
        problems.append(
            Problem(
                key,
                "",
                "a brand's key is stored on every draft: lower-case letters, digits and hyphens, "
                "starting with a letter, like [brands.northwind]",
            )
        )
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(key, "", f"must be a table, [brands.{key}] (got {type_name(raw)})"))
        return None
    table = Table(raw, problems, brand=key, environ=environ)
    table.unknown_keys(BRAND_KEYS)
    drafts = _channels(table, "drafts_channels")
    approvers = _user_ids(table, "approvers", required=True)
    rule = _rule(table, approvers)
    backups, escalate_after = _escalation(table, approvers)
    template = _template(table)
    brand = Brand(
        key=key,
        name=table.string("name", default=key, example='"Northwind Coffee"'),
        drafts_channels=drafts,
        approvers=approvers,
        agency_name=table.string("agency_name", required=True, example='"Acme Agency"'),
        networks=read_accounts(key, raw, problems, environ),
        approval_rule=rule,
        approval_channel=_channel(table, "approval_channel"),
        backup_approvers=backups,
        escalate_after=escalate_after,
        attribution_template=template,
        digest_channel=_channel(table, "digest_channel") or (drafts[0] if drafts else ""),
        digest_cron=_digest_cron(table),
        timezone=_timezone(table),
    )
    return brand


def _channels(table: Table, key: str) -> tuple[str, ...]:
    ids = table.strings(key, example='["C0123ABCD"]')
    if not ids:
        if ids is not None or key not in table.data:  # an empty list, or none; a wrong type was said already
            said = "is missing" if ids is None else "lists no channel"
            table.problem(key, f'{said}: give the channel ids writers post drafts in, like {key} = ["C0123ABCD"]')
        return ()
    for channel in ids:
        if not CHANNEL_ID.match(channel):
            table.problem(key, f"{quoted(channel)} is not a channel id (C… or G…, like C0123ABCD): {_CHANNEL_HOW}")
    return ids  # bad ones kept, as the environment's reader does: a brand with problems is never returned


def _channel(table: Table, key: str) -> str:
    value = table.string(key, example='"C0123ABCD"')
    if value and not CHANNEL_ID.match(value):
        table.problem(key, f"{quoted(value)} is not a channel id (C… or G…, like C0123ABCD): {_CHANNEL_HOW}")
        return ""
    return value


def _user_ids(table: Table, key: str, *, required: bool) -> tuple[str, ...]:
    ids = table.strings(key, example='["U0123ABCD"]')
    if not ids:
        if required and (ids is not None or key not in table.data):  # a wrong type was said already
            said = "is missing" if ids is None else "lists nobody"
            table.problem(key, f'{said}: give the Slack user ids of the people who approve, like {key} = ["U0123ABCD"]')
        return ()
    for user in ids:
        if not USER_ID.match(user):
            table.problem(key, f"{quoted(user)} is not a Slack user id (U… or W…, like U0123ABCD): {_USER_HOW}")
    return ids  # kept, bad ones too, so the rule is checked against the count the operator wrote


def _rule(table: Table, approvers: tuple[str, ...]) -> Rule:
    value = table.data.get("approval_rule", "any")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        table.problem("approval_rule", f'must be "any", "all" or a number of approvers like 2 (got {type_name(value)})')
        return Rule()
    try:
        rule = Rule.parse(value)
    except ValueError as exc:
        table.problem("approval_rule", str(exc))
        return Rule()
    if rule.kind == "count" and approvers and rule.n > len(approvers):
        table.problem(
            "approval_rule",
            f"asks for {rule.n} approvals but approvers lists only {len(approvers)}: no draft could ever be approved "
            f'(use a number up to {len(approvers)}, or "all")',
        )
    return rule


def _escalation(table: Table, approvers: tuple[str, ...]) -> tuple[tuple[str, ...], timedelta | None]:
    """As BACKUP_APPROVERS and ESCALATE_AFTER: they go together, and either alone is refused by name."""
    backups = _user_ids(table, "backup_approvers", required=False)
    both = [b for b in backups if b in approvers]
    if both:
        table.problem(
            "backup_approvers", f"must not repeat approvers: an approver is asked from the start ({', '.join(both)})"
        )
    value = table.string("escalate_after", example='"8h"')
    after: timedelta | None = None
    if value and value.lower() not in _OFF:
        try:
            after = parse_duration(value)
        except ValueError as exc:
            table.problem("escalate_after", f'{exc} (or "off")')
            return backups, None
    if backups and after is None and not value:
        table.problem("backup_approvers", 'needs escalate_after: how long to wait before asking them, like "8h"')
    if after is not None and not backups:
        table.problem("escalate_after", "needs backup_approvers: the Slack user ids to ask when time is up")
    return backups, after


def _template(table: Table) -> str:
    value = table.string("attribution_template", default=DEFAULT_ATTRIBUTION, example=f'"{DEFAULT_ATTRIBUTION}"')
    try:
        value.format(**{name: "x" for name in TEMPLATE_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        table.problem(
            "attribution_template", f"may use only {{agency}}, {{approver}} and {{writer}} ({exc!r} in {quoted(value)})"
        )
    if "agency" not in template_fields(value):
        table.problem("attribution_template", "must name the agency with {agency}: every post discloses it")
    return value


def _digest_cron(table: Table) -> str:
    value = table.string("digest_schedule", default=DEFAULT_DIGEST_SCHEDULE, example='"mon 09:00"')
    try:
        return to_cron(value)
    except ValueError as exc:
        table.problem("digest_schedule", str(exc))
        return ""


def _timezone(table: Table) -> ZoneInfo:
    value = table.string("timezone", default="UTC", example='"Europe/Paris"')
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem("timezone", f"must be an IANA time zone name like Europe/Paris (got {quoted(value)})")
        return ZoneInfo("UTC")


def _one_brand_per_channel(brands: list[Brand], problems: list[Problem]) -> None:
    """A draft's channel names its brand, so a channel two brands list would make its drafts ambiguous."""
    owner: dict[str, str] = {}
    for brand in brands:
        for channel in brand.drafts_channels:
            if channel in owner:
                problems.append(
                    Problem(
                        brand.key,
                        "drafts_channels",
                        f"{channel} is already the drafts channel of brands.{owner[channel]}: a channel belongs to one "
                        "brand (give each brand its own drafts channel)",
                    )
                )
            else:
                owner[channel] = brand.key
