"""`countersign`: run the bot, migrate the database, check the setup, or play the demo."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from dotenv import load_dotenv

from bot.runtime import logs
from bot.runtime.brands import Brand, Brands
from bot.runtime.config_check import config_check_command
from bot.runtime.doctor import DoctorInputs, doctor_command
from bot.runtime.services import StartupError
from bot.runtime.settings import Settings, SettingsError

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Countersign: the agency drafts, the owner decides, every post on X says who drafted it.",
)
config = typer.Typer(no_args_is_help=True, help="The brands file (COUNTERSIGN_CONFIG).")
config.command("check")(config_check_command)
cli.add_typer(config, name="config")


def _migrated(settings: Settings) -> None:
    """Bring the schema up to date for a one-off command, or stop with the one line saying why not."""
    from bot.runtime.runner import migrate as do_migrate

    try:
        do_migrate(settings)
    except StartupError as exc:
        typer.echo(f"Countersign cannot start: {exc}", err=True)
        raise typer.Exit(1) from None


def _settings(*, socket_mode: bool, need_slack: bool = True) -> Settings:
    """Settings from the environment and `.env`; commands that never talk to Slack don't need its secrets (and with
    COUNTERSIGN_CONFIG set, Settings doesn't ask for the one-brand shortcut's)."""
    load_dotenv(os.path.join(os.getcwd(), ".env"))
    env = dict(os.environ)
    if not need_slack:
        env.setdefault("SLACK_BOT_TOKEN", "xoxb-unused")
        env.setdefault("SLACK_SIGNING_SECRET", "unused")
    try:
        return Settings.from_env(env, socket_mode=socket_mode)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _brands(settings: Settings) -> Brands:
    """The brands COUNTERSIGN_CONFIG names (or the one-brand shortcut); a bad file stops here, one line a problem."""
    from bot.runtime.brands import ConfigError, for_deployment

    try:
        return for_deployment(os.environ, settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@cli.command()
def run(
    http: Annotated[bool, typer.Option("--http", help="Serve Slack over HTTP instead of Socket Mode.")] = False,
    port: Annotated[int, typer.Option(help="Port for --http.", min=1, max=65535)] = 3000,
    host: Annotated[str, typer.Option(help="Address for --http.")] = "0.0.0.0",
) -> None:
    """Migrate the database, then serve Slack and publish approved posts until stopped."""
    from bot.runtime.runner import serve_forever, start_http, start_socket_mode

    settings = _settings(socket_mode=not http)
    brands = _brands(settings)
    logs.configure(settings.log_level, settings.secrets + brands.secrets, settings.log_format)
    try:
        running = (
            start_http(settings, host, port, brands=brands) if http else start_socket_mode(settings, brands=brands)
        )
    except StartupError as exc:
        typer.echo(f"Countersign cannot start: {exc}", err=True)
        raise typer.Exit(1) from None
    if http:
        where = f"HTTP on {running.url}/slack/events"
    else:
        where = f"Socket Mode, health on {running.url}/healthz" if running.url else "Socket Mode"
    typer.echo(f"Countersign is running ({where}). Ctrl-C stops it.")
    serve_forever(running)


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date, then exit."""
    from bot.runtime.env_reader import DEFAULT_DATABASE_URL
    from storage.engine import MissingDriver
    from storage.migrate import upgrade_url

    load_dotenv(os.path.join(os.getcwd(), ".env"))
    try:
        upgrade_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    except MissingDriver as exc:
        typer.echo(f"Migration failed: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:  # any driver error: say it plainly, no traceback
        typer.echo(f"Migration failed (DATABASE_URL): {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo("Database is up to date.")


BrandOption = Annotated[
    list[str] | None, typer.Option("--brand", help="Only this brand (its key in COUNTERSIGN_CONFIG); repeat for more.")
]


def _chosen_brands(settings: Settings, keys: list[str] | None) -> list[Brand]:
    """The brands a command reports on: those named with --brand, else every brand of the deployment."""
    brands = _brands(settings)
    unknown = sorted(set(keys or ()) - set(brands.keys))
    if unknown:
        typer.echo(f"--brand: no brand {', '.join(unknown)}; the brands are {', '.join(brands.keys)}.", err=True)
        raise typer.Exit(2)
    return [b for b in brands if not keys or b.key in keys]


def _heading(brand: Brand, several: bool) -> str:
    return f"== {brand.name or brand.key} ({brand.key})\n" if several else ""


@cli.command()
def status(brand: BrandOption = None) -> None:
    """Print what `/countersign status` shows: counts, the queue, what needs a person (each brand's)."""
    from bot.reports import status as report
    from storage.engine import make_engine
    from storage.store import Store

    settings = _settings(socket_mode=False, need_slack=False)
    chosen = _chosen_brands(settings, brand)
    _migrated(settings)
    store = Store(make_engine(settings.database_url))
    for b in chosen:
        built = report.build(store, settings, brand=b.key, zone=b.timezone)
        typer.echo(_heading(b, len(chosen) > 1) + report.plain(built))


@cli.command()
def digest(
    week: Annotated[str | None, typer.Option(help="ISO week like 2026-W47 (default: the last complete week).")] = None,
    send: Annotated[bool, typer.Option("--send", help="Post it to the digest channel (once per week, ever).")] = False,
    brand: BrandOption = None,
) -> None:
    """Print a week's digest as text, or send it to Slack with the scheduler's exactly-once key (each brand's)."""
    from bot.jobs import digest_render
    from bot.jobs.digest import build
    from bot.jobs.schedule import Week
    from storage.types import utcnow

    settings = _settings(socket_mode=False, need_slack=send)
    chosen = _chosen_brands(settings, brand)
    try:
        weeks = {
            b.key: Week.parse(week, b.timezone) if week else Week.of(utcnow(), b.timezone).shift(-1) for b in chosen
        }
    except ValueError as exc:
        typer.echo(f"--week: {exc}", err=True)
        raise typer.Exit(2) from None
    _migrated(settings)
    if not send:
        from bot.runtime.accounts import accounts_of
        from storage.engine import make_engine
        from storage.store import Store

        store = Store(make_engine(settings.database_url))
        for b in chosen:
            x = next((a for a in accounts_of(b) if a.network == "x"), None)
            text = digest_render.plain(build(store, x, weeks[b.key], brand=b.key))
            typer.echo(_heading(b, len(chosen) > 1) + text)
        return
    from bot.runtime.services import build_services

    try:
        services = build_services(settings, brands=_brands(settings))
    except StartupError as exc:
        typer.echo(f"Countersign cannot send the digest: {exc}", err=True)
        raise typer.Exit(1) from None
    for b in chosen:
        result = services.desk(b.key).digest.send(weeks[b.key])
        said = ("Sent: " if result.sent else "Not sent: ") + result.detail.replace("<#", "#").replace(">", "")
        typer.echo(_heading(b, len(chosen) > 1) + said)
    services.store.engine.dispose()


def _doctor_inputs() -> DoctorInputs:
    """The brands from COUNTERSIGN_CONFIG (or the one-brand shortcut), a Slack client, the database URL."""
    from bot.runtime.accounts import accounts_of
    from bot.runtime.brands import ConfigError, for_deployment
    from bot.runtime.doctor import BrandTarget
    from bot.runtime.services import slack_client

    settings = _settings(socket_mode=False)
    try:
        brands = for_deployment(os.environ, settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    targets = [
        BrandTarget(b.key, b.name or b.key, list(b.drafts_channels), list(b.approvers), accounts_of(b)) for b in brands
    ]
    return DoctorInputs(targets, slack_client(settings), os.environ.get("SLACK_TEAM_ID") or None, settings.database_url)


cli.command("doctor")(doctor_command(_doctor_inputs))


@cli.command()
def demo() -> None:
    """Play the whole approval loop offline against local stand-ins for Slack, X and Bluesky."""
    from bot.runtime.demo import play

    play(typer.echo)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
