"""Settings: read once at start from the environment (and `.env`), validated all at once.

A bad start must name every variable that is wrong in one message, so the operator fixes the
`.env` in one go instead of meeting the problems one traceback at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.approval.approval_rule import Rule
from bot.runtime.env_reader import (
    DEFAULT_ATTRIBUTION,
    DEFAULT_DATABASE_URL,
    DEFAULT_HEALTH_PORT,
    DEFAULT_SLACK_API_URL,
    DEFAULT_TIMEZONE,
    DEFAULT_X_API_URL,
    EnvReader,
)

# What a brands file (COUNTERSIGN_CONFIG) gives per brand: not required of the environment when it is set.
BRAND_LEVEL = (
    "DRAFTS_CHANNEL",
    "APPROVERS",
    "AGENCY_NAME",
    "X_API_KEY",
    "X_API_SECRET",
    "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET",
)


class SettingsError(Exception):
    """Every problem found in the environment, one line per variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"Countersign cannot start; fix these settings (environment or .env):\n{lines}"


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    x_api_key: str = field(repr=False)
    x_api_secret: str = field(repr=False)
    x_access_token: str = field(repr=False)
    x_access_token_secret: str = field(repr=False)
    drafts_channel: str
    approvers: tuple[str, ...]
    agency_name: str
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    x_api_url: str = DEFAULT_X_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    approval_channel: str = ""
    approval_rule: Rule = field(default_factory=Rule)  # APPROVAL_RULE: any (default), all, or N approvers
    attribution_template: str = DEFAULT_ATTRIBUTION
    reminder_after: timedelta | None = timedelta(hours=4)
    digest_channel: str = ""
    digest_cron: str = "0 9 * * mon"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    publish_lease: timedelta = timedelta(seconds=90)
    request_lease: timedelta = timedelta(seconds=60)
    health_port: int | None = DEFAULT_HEALTH_PORT  # Socket Mode's /healthz and /readyz; None = off
    health_host: str = "0.0.0.0"
    schedule_grace: timedelta = timedelta(minutes=5)  # a scheduled post later than this is asked about, not posted
    undo_window: timedelta = timedelta(seconds=30)  # after Approve, before the publisher may claim; 0 = off
    log_level: str = "INFO"
    log_format: str = "text"
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # Escalation (bot/jobs/escalation.py): who else gets the card when the approvers haven't answered in time.
    backup_approvers: tuple[str, ...] = ()
    escalate_after: timedelta | None = None
    # The one-brand setup's other networks, beside X (bot.runtime.brands.from_settings); "" = not used.
    bluesky_handle: str = ""
    bluesky_app_password: str = field(default="", repr=False)
    bluesky_service: str = ""  # "" = Bluesky's own (bsky.social)
    mastodon_instance: str = ""
    mastodon_access_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, socket_mode: bool = False) -> Settings:
        """Build settings from `env`, or raise SettingsError naming each bad variable.

        `socket_mode` decides which credential is required: the app-level token for Socket Mode,
        the signing secret for HTTP mode.
        """
        reader = EnvReader(env)
        # A brands file (COUNTERSIGN_CONFIG, bot/runtime/brands) gives each brand's channels, approvers, agency and
        # accounts: then the environment's one-brand settings are optional (and, if given, unused).
        per_brand = not (env.get("COUNTERSIGN_CONFIG") or "").strip()
        reader.optional = () if per_brand else BRAND_LEVEL
        bot_token = reader.required("SLACK_BOT_TOKEN", prefix="xoxb-")
        signing_secret = reader.text("SLACK_SIGNING_SECRET", required=not socket_mode)
        app_token = reader.text("SLACK_APP_TOKEN", required=socket_mode, prefix="xapp-")
        settings = cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            x_api_key=reader.required("X_API_KEY"),
            x_api_secret=reader.required("X_API_SECRET"),
            x_access_token=reader.required("X_ACCESS_TOKEN"),
            x_access_token_secret=reader.required("X_ACCESS_TOKEN_SECRET"),
            slack_api_url=reader.url("SLACK_API_URL", DEFAULT_SLACK_API_URL, trailing_slash=True),
            x_api_url=reader.url("X_API_URL", DEFAULT_X_API_URL).rstrip("/"),
            database_url=reader.database_url(),
            drafts_channel=reader.channel("DRAFTS_CHANNEL", required=True),
            approval_channel=reader.channel("APPROVAL_CHANNEL", required=False),
            approvers=(approvers := reader.approvers()),
            approval_rule=reader.approval_rule(approvers),
            agency_name=reader.required("AGENCY_NAME"),
            attribution_template=reader.template(),
            reminder_after=reader.reminder_after(),
            digest_channel=reader.channel("DIGEST_CHANNEL", required=False),
            digest_cron=reader.digest_cron(),
            timezone=reader.timezone(),
            publish_lease=reader.publish_lease(),
            request_lease=reader.duration("REQUEST_LEASE", "60s", minimum=timedelta(seconds=1)),
            health_port=reader.port("HEALTH_PORT", DEFAULT_HEALTH_PORT),
            health_host=reader.host("HEALTH_HOST", "0.0.0.0"),
            schedule_grace=reader.duration("SCHEDULE_GRACE", "5m", minimum=timedelta(seconds=1)),
            undo_window=reader.undo_window(),
            log_level=reader.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True),
            log_format=reader.choice("LOG_FORMAT", ("text", "json"), "text"),
        )
        if settings.undo_window > settings.schedule_grace:  # a post due inside the window would count as late
            reader.problems.append(
                f"UNDO_WINDOW must not be longer than SCHEDULE_GRACE ({settings.schedule_grace.total_seconds():g}s):"
                " a scheduled post held by the window would be kept as late instead of going out"
            )
        backups, escalate_after = reader.escalation(settings.approvers)
        settings = replace(settings, backup_approvers=backups, escalate_after=escalate_after)
        if per_brand:  # a brands file names each brand's networks itself
            settings = replace(settings, **reader.other_networks())
        if reader.problems:
            raise SettingsError(reader.problems)
        if not settings.digest_channel:
            settings = replace(settings, digest_channel=settings.drafts_channel)
        return _with_secrets(settings)


def _with_secrets(settings: Settings) -> Settings:
    """Remember every secret value, so logging can redact them wherever they appear."""
    values = (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.x_api_key,
        settings.x_api_secret,
        settings.x_access_token,
        settings.x_access_token_secret,
        settings.bluesky_app_password,
        settings.mastodon_access_token,
    )
    return replace(settings, secrets=tuple(v for v in values if v))
