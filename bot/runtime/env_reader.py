"""Reading one environment variable at a time into a typed value, collecting every problem instead of failing on
the first (bot.runtime.settings puts them together into one message); and the defaults and shapes a value may take,
shared with the brands file (bot.runtime.brand_file), which checks the same values per brand.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.approval.approval_rule import Rule
from bot.jobs.schedule import parse_duration, to_cron
from bot.networks.bluesky.handle import is_handle, normal
from bot.networks.x.client import CONNECT_TIMEOUT_S, LONGEST_X_CALL, READ_TIMEOUT_S

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_X_API_URL = "https://api.twitter.com"
DEFAULT_DATABASE_URL = "sqlite:///countersign.db"
DEFAULT_ATTRIBUTION = "— drafted by {agency}, approved by {approver}"
DEFAULT_REMINDER_AFTER = "4h"
DEFAULT_DIGEST_SCHEDULE = "mon 09:00"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_UNDO_WINDOW = "30s"
MAX_UNDO_WINDOW = timedelta(minutes=10)  # longer is a schedule: `at:` or Change time, not a held Approve
DEFAULT_HEALTH_PORT = 3000  # the port the Dockerfile's HEALTHCHECK polls
TEMPLATE_FIELDS = ("agency", "approver", "writer")

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def database_url_problem(value: str) -> str | None:
    """Why `value` can't be Countersign's database (to follow "DATABASE_URL "), or None.

    Checked here, at start, because each of these used to pass and then fail with a traceback from
    SQLAlchemy: a URL it can't parse (`postgresql`, `sqlite:`), a driver we don't ship (`+psycopg2`),
    an in-memory SQLite (every connection its own empty database) or a PostgreSQL URL with nowhere to go.
    """
    forms = "sqlite:///path/to/countersign.db or postgresql+psycopg://user:password@host:5432/dbname"
    scheme = value.split(":", 1)[0][:40]
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        return f"must be a URL like {forms} (got '{scheme}:…')"
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            return f"must name a file, like sqlite:///countersign.db (got '{value[:40]}')"
        return None
    if backend != "postgresql":
        return f"must be a URL like {forms} (got '{scheme}:…')"
    driver = url.drivername.partition("+")[2] or "psycopg"  # a bare postgresql:// means psycopg 3 here
    if driver != "psycopg":
        return f"uses the driver {driver}; Countersign talks to PostgreSQL through psycopg 3: postgresql+psycopg://…"
    if not url.host or not url.database:
        return "needs a host and database, like postgresql+psycopg://user:password@host:5432/dbname"
    return None


def template_fields(template: str) -> set[str]:
    """Names the template really substitutes (`{{agency}}` is an escaped literal, not a field)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


class EnvReader:
    """Collects problems instead of failing on the first one."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        self.optional: tuple[str, ...] = ()  # names a brands file gives instead (bot.runtime.settings.BRAND_LEVEL)

    def _get(self, name: str) -> str:
        return (self.env.get(name) or "").strip()

    def text(self, name: str, *, required: bool, prefix: str = "") -> str:
        value = self._get(name)
        if not value:
            if required and name not in self.optional:
                self.problems.append(f"{name} is missing")
            return ""
        if prefix and not value.startswith(prefix):
            self.problems.append(f"{name} should start with '{prefix}' (got '{value[:5]}…')")
        return value

    def required(self, name: str, *, prefix: str = "") -> str:
        return self.text(name, required=True, prefix=prefix)

    def url(self, name: str, default: str, *, trailing_slash: bool = False) -> str:
        value = self._get(name) or default
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            self.problems.append(f"{name} must be an http(s) URL (got '{value}')")
        if trailing_slash and not value.endswith("/"):
            value += "/"
        return value

    def pair(self, first: str, second: str) -> tuple[str, str]:
        """Two variables that only mean something together (an account and its credential): both or neither."""
        a, b = self._get(first), self._get(second)
        if bool(a) != bool(b):
            missing, given = (second, first) if a else (first, second)
            self.problems.append(f"{missing} is missing: {given} is set, and the account needs both (or unset it)")
        return a, b

    def other_networks(self) -> dict[str, str]:
        """Bluesky (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD, BLUESKY_SERVICE) and Mastodon (MASTODON_INSTANCE,
        MASTODON_ACCESS_TOKEN) for the one-brand setup, as Settings' fields."""
        handle, password = self.pair("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
        handle = normal(handle)
        if handle and not is_handle(handle):
            self.problems.append(
                f"BLUESKY_HANDLE '{handle}' is not a Bluesky handle: the account's full handle without the @, "
                "like northwind.bsky.social or a domain of your own"
            )
        service = self.url("BLUESKY_SERVICE", "").rstrip("/") if self._get("BLUESKY_SERVICE") else ""
        instance, token = self.pair("MASTODON_INSTANCE", "MASTODON_ACCESS_TOKEN")
        if instance:
            instance = self.url("MASTODON_INSTANCE", "").rstrip("/")
        return {
            "bluesky_handle": handle,
            "bluesky_app_password": password,
            "bluesky_service": service,
            "mastodon_instance": instance,
            "mastodon_access_token": token,
        }

    def database_url(self) -> str:
        value = self._get("DATABASE_URL") or DEFAULT_DATABASE_URL
        problem = database_url_problem(value)
        if problem:
            self.problems.append(f"DATABASE_URL {problem}")
        return value

    def channel(self, name: str, *, required: bool) -> str:
        value = self.text(name, required=required)
        if value and not CHANNEL_ID.match(value):
            self.problems.append(f"{name} must be a channel id like C0123ABCD, not a name (got '{value}')")
        return value

    def approvers(self) -> tuple[str, ...]:
        raw = self._get("APPROVERS")
        ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
        if not ids and "APPROVERS" not in self.optional:
            self.problems.append("APPROVERS is missing (comma-separated Slack user ids, e.g. U0123ABCD)")
        bad = [i for i in ids if not USER_ID.match(i)]
        if bad:
            self.problems.append(f"APPROVERS must be Slack user ids like U0123ABCD (bad: {', '.join(bad)})")
        return ids

    def approval_rule(self, approvers: tuple[str, ...]) -> Rule:
        value = self._get("APPROVAL_RULE")
        try:
            rule = Rule.parse(value)
        except ValueError as exc:
            self.problems.append(f"APPROVAL_RULE {exc}")
            return Rule()
        if rule.kind == "count" and approvers and rule.n > len(approvers):
            self.problems.append(
                f"APPROVAL_RULE asks for {rule.n} approvals but APPROVERS lists only {len(approvers)}: "
                f"no draft could ever be approved (use a number up to {len(approvers)}, or all)"
            )
        return rule

    def user_ids(self, name: str) -> tuple[str, ...]:
        raw = self._get(name)
        ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
        bad = [i for i in ids if not USER_ID.match(i)]
        if bad:
            self.problems.append(f"{name} must be Slack user ids like U0123ABCD (bad: {', '.join(bad)})")
        return ids

    def escalation(self, approvers: tuple[str, ...]) -> tuple[tuple[str, ...], timedelta | None]:
        """BACKUP_APPROVERS and ESCALATE_AFTER go together: backups nobody escalates to, or a wait with nobody
        to escalate to, is a setting that silently does nothing, so either alone is refused by name."""
        backups = self.user_ids("BACKUP_APPROVERS")
        both = [b for b in backups if b in approvers]
        if both:
            self.problems.append(
                f"BACKUP_APPROVERS must not repeat APPROVERS: an approver is asked from the start ({', '.join(both)})"
            )
        value = self._get("ESCALATE_AFTER")
        after: timedelta | None = None
        if value and value.lower() not in ("off", "never", "0"):
            try:
                after = parse_duration(value)
            except ValueError as exc:
                self.problems.append(f"ESCALATE_AFTER: {exc} (or 'off')")
                return backups, None
        if backups and after is None and not value:
            self.problems.append("BACKUP_APPROVERS needs ESCALATE_AFTER (how long to wait before asking them, e.g. 8h)")
        if after is not None and not backups:
            self.problems.append("ESCALATE_AFTER needs BACKUP_APPROVERS (the Slack user ids to ask when time is up)")
        return backups, after

    def reminder_after(self) -> timedelta | None:
        value = self._get("REMINDER_AFTER") or DEFAULT_REMINDER_AFTER
        if value.lower() in ("off", "never", "0"):
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.problems.append(f"REMINDER_AFTER: {exc} (or 'off')")
            return None

    def choice(self, name: str, allowed: tuple[str, ...], default: str, *, upper: bool = False) -> str:
        value = self._get(name) or default
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            self.problems.append(f"{name} must be one of {', '.join(allowed)} (got '{value}')")
            return default
        return value

    def duration(self, name: str, default: str, *, minimum: timedelta) -> timedelta:
        value = self._get(name) or default
        try:
            parsed = parse_duration(value)
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return parse_duration(default)
        if parsed < minimum:
            self.problems.append(f"{name} must be at least {minimum.total_seconds():g}s (got {value})")
        return parsed

    def undo_window(self) -> timedelta:
        """How long an Approve can be undone before the post may go out: `0`/`off` turns it off."""
        value = self._get("UNDO_WINDOW") or DEFAULT_UNDO_WINDOW
        if value.lower() in ("0", "0s", "off"):
            return timedelta(0)
        window = self.duration("UNDO_WINDOW", DEFAULT_UNDO_WINDOW, minimum=timedelta(seconds=1))
        if window > MAX_UNDO_WINDOW:
            self.problems.append(
                f"UNDO_WINDOW must be at most {MAX_UNDO_WINDOW.total_seconds() / 60:g}m (got {value}); "
                "to hold a post longer, give it a time to go out"
            )
            return parse_duration(DEFAULT_UNDO_WINDOW)
        return window

    def publish_lease(self) -> timedelta:
        """A claim must outlive the longest single X call, or another instance takes over a post still going out."""
        lease = self.duration("PUBLISH_LEASE", "90s", minimum=timedelta(seconds=1))
        if timedelta(seconds=1) <= lease < LONGEST_X_CALL:
            self.problems.append(
                f"PUBLISH_LEASE must be at least {LONGEST_X_CALL.total_seconds():g}s, the longest one X call can take "
                f"({CONNECT_TIMEOUT_S:g}s to connect + {READ_TIMEOUT_S:g}s to read) (got {self._get('PUBLISH_LEASE')})"
            )
        return lease

    def port(self, name: str, default: int) -> int | None:
        """A TCP port, or None for `0`/`off`."""
        value = self._get(name) or str(default)
        if value.lower() in ("0", "off"):
            return None
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            self.problems.append(f"{name} must be a port from 1 to 65535, or 0 to turn it off (got '{value[:20]}')")
            return default
        return int(value)

    def host(self, name: str, default: str) -> str:
        """An address to listen on: an IP address or a host name, without port or scheme."""
        value = self._get(name) or default
        if not re.fullmatch(r"[A-Za-z0-9.\-:]+", value) or "://" in value:
            self.problems.append(
                f"{name} must be an address to listen on, like 0.0.0.0 or 127.0.0.1 (got '{value[:40]}')"
            )
            return default
        return value

    def digest_cron(self) -> str:
        value = self._get("DIGEST_SCHEDULE") or DEFAULT_DIGEST_SCHEDULE
        try:
            return to_cron(value)
        except ValueError as exc:
            self.problems.append(f"DIGEST_SCHEDULE: {exc}")
            return ""

    def timezone(self) -> ZoneInfo:
        value = self._get("TIMEZONE") or DEFAULT_TIMEZONE
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.problems.append(f"TIMEZONE must be an IANA time zone name like Europe/Paris (got '{value}')")
            return ZoneInfo(DEFAULT_TIMEZONE)

    def template(self) -> str:
        value = self._get("ATTRIBUTION_TEMPLATE") or DEFAULT_ATTRIBUTION
        try:
            value.format(**{name: "x" for name in TEMPLATE_FIELDS})
        except (KeyError, IndexError, ValueError) as exc:
            self.problems.append(
                f"ATTRIBUTION_TEMPLATE may use only {{agency}}, {{approver}} and {{writer}} ({exc!r} in '{value}')"
            )
        if "agency" not in template_fields(value):
            self.problems.append("ATTRIBUTION_TEMPLATE must name the agency with {agency}: every post discloses it")
        return value
