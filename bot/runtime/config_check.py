"""`countersign config check [--file PATH]`: read the brands file as a start would, and say what it found.

Every problem on its own line, named by brand and key, so an operator fixes the file in one go before a deploy;
or, when it is fine, a few lines per brand (its channels, approvers, rule, networks) to compare with what they
meant. It reads credentials from the environment but never tries them: that is `countersign doctor`'s job.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from dotenv import load_dotenv

from bot.approval.approval_rule import ALL, ANY
from bot.runtime.brands import CONFIG_ENV, Brand, Brands, ConfigError, config_path, load

OK, PROBLEMS, NO_FILE = 0, 1, 2  # exit codes
_NO_FILE = (
    f"{CONFIG_ENV} is not set and no --file was given: there is no brands file to check "
    "(without one, the environment settings are the one brand, and `countersign run` checks those)"
)


def check(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> list[str]:
    """One line per problem in the brands file at `path` (default: `COUNTERSIGN_CONFIG`); empty when it is fine."""
    try:
        _load(path, environ)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    except _NoFile:
        return [_NO_FILE]
    return []


def report(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> tuple[int, str]:
    """The exit code and the text `config check` prints."""
    try:
        brands = _load(path, environ)
    except ConfigError as exc:
        return PROBLEMS, "\n".join(str(p) for p in exc.problems)
    except _NoFile:
        return NO_FILE, _NO_FILE
    return OK, summary(brands)


def summary(brands: Brands) -> str:
    count = f"{len(brands)} brand{'s' if len(brands) != 1 else ''}"
    lines = [f"{brands.source}: {count}, no problems found (credentials are read, not tried: `countersign doctor`)."]
    for brand in brands:
        lines += ["", *_brand_lines(brand)]
    return "\n".join(lines)


def _brand_lines(brand: Brand) -> list[str]:
    title = f"{brand.key} — {brand.name}" if brand.name and brand.name != brand.key else brand.key
    approvers = f"approvers: {', '.join(brand.approvers)} ({_rule_words(brand)})"
    if brand.backup_approvers and brand.escalate_after is not None:
        hours = brand.escalate_after.total_seconds() / 3600
        approvers += f"; backups after {hours:g}h: {', '.join(brand.backup_approvers)}"
    cards = f"cards in {brand.approval_channel}" if brand.approval_channel else "cards by direct message"
    return [
        title,
        f"  drafts channels: {', '.join(brand.drafts_channels)}",
        f"  {approvers}; {cards}",
        f"  digest: {brand.digest_channel}, {brand.digest_cron} ({brand.timezone.key})",
        f"  networks: {', '.join(a.describe() for a in brand.networks)}",
    ]


def _rule_words(brand: Brand) -> str:
    rule = brand.approval_rule
    if rule.kind == ANY:
        return "rule any: one yes is enough"
    if rule.kind == ALL:
        return "rule all: every approver but the writer"
    if rule.single:
        return f"rule {rule.n}: one yes is enough"
    return f"rule {rule.n}: {rule.n} yeses from different approvers"


class _NoFile(Exception):
    pass


def _load(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Brands:
    chosen = Path(path) if path is not None else config_path(environ)
    if chosen is None:
        raise _NoFile
    return load(chosen, environ)


def config_check_command(
    file: Annotated[
        Path | None, typer.Option("--file", help=f"The brands file to check (default: ${CONFIG_ENV}).")
    ] = None,
) -> None:
    """Check the brands file: every problem by brand and key, or what each brand is set to."""
    load_dotenv(Path.cwd() / ".env")  # the credentials the file names may live there, as for `countersign run`
    code, text = report(file, os.environ)
    typer.echo(text)
    raise typer.Exit(code)
