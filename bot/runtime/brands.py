"""The brands one deployment serves: who drafts where, who approves, under which rule, and on which accounts it posts.

They come from `countersign.toml` (its path in `COUNTERSIGN_CONFIG`), read once at start and checked all at once,
so an operator fixes every typo in one go. Without the file, today's environment settings are the one-brand
shortcut: a brand keyed `default`, so every existing deployment keeps working unchanged.

Credentials never live in the file: it names the environment variable that holds each one, and `load` reads them
from the environment it is given, so the file can be committed and reviewed like any other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.approval.approval_rule import Rule
from bot.networks.base import Network
from bot.runtime.env_reader import DEFAULT_ATTRIBUTION, DEFAULT_X_API_URL
from bot.runtime.settings import Settings

CONFIG_ENV = "COUNTERSIGN_CONFIG"
DEFAULT_BRAND = "default"  # the key the one-brand shortcut uses; rows written before brands carry it
DEFAULT_BLUESKY_SERVICE = "https://bsky.social"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: where (`brand`, `key` inside it) and what to do about it."""

    brand: str | None  # None: the file as a whole, or its top level
    key: str  # dotted inside the brand ("approvers", "x.api_key_env"); "" for the brand (or file) itself
    message: str

    @property
    def where(self) -> str:
        if self.brand is None:
            return self.key or "the file"
        return ".".join(part for part in ("brands", self.brand, self.key) if part)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ConfigError(Exception):
    """Every problem found in the brands file, one line each."""

    def __init__(self, problems: list[Problem], path: str = "") -> None:
        self.problems = problems
        self.path = path
        super().__init__("\n".join(map(str, problems)))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"Countersign cannot start; fix these in {self.path or 'the brands file'}:\n{lines}"


@dataclass(frozen=True)
class Secret:
    """A credential: the environment variable the file names, and the value read from it (never shown)."""

    env: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class XAccountConfig:
    api_key: Secret
    api_secret: Secret
    access_token: Secret
    access_token_secret: Secret
    api_url: str = DEFAULT_X_API_URL  # the sandbox's address in tests and the demo

    network = Network.X

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return (self.api_key, self.api_secret, self.access_token, self.access_token_secret)

    def describe(self) -> str:
        where = "" if self.api_url == DEFAULT_X_API_URL else f" at {self.api_url}"
        return f"X (keys from {self.api_key.env} …){where}"


@dataclass(frozen=True)
class BlueskyAccountConfig:
    handle: str  # without the @, e.g. northwind.bsky.social
    app_password: Secret
    service: str = DEFAULT_BLUESKY_SERVICE  # the PDS the account lives on

    network = Network.BLUESKY

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return (self.app_password,)

    def describe(self) -> str:
        where = "" if self.service == DEFAULT_BLUESKY_SERVICE else f" on {self.service}"
        return f"Bluesky @{self.handle}{where}"


@dataclass(frozen=True)
class MastodonAccountConfig:
    instance: str  # the server's URL, e.g. https://mastodon.social
    access_token: Secret

    network = Network.MASTODON

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return (self.access_token,)

    def describe(self) -> str:
        return f"Mastodon on {self.instance}"


NetworkAccountConfig = XAccountConfig | BlueskyAccountConfig | MastodonAccountConfig


@dataclass(frozen=True)
class Brand:
    key: str  # stored on every row; lower-case letters, digits and hyphens
    name: str  # shown to people; "" for the one-brand shortcut, which has never shown one
    drafts_channels: tuple[str, ...]
    approvers: tuple[str, ...]
    agency_name: str
    networks: tuple[NetworkAccountConfig, ...]
    approval_rule: Rule = field(default_factory=Rule)
    approval_channel: str = ""  # cards go here instead of the approvers' DMs
    backup_approvers: tuple[str, ...] = ()
    escalate_after: timedelta | None = None
    attribution_template: str = DEFAULT_ATTRIBUTION
    digest_channel: str = ""
    digest_cron: str = "0 9 * * mon"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def account(self, network: Network) -> NetworkAccountConfig | None:
        return next((a for a in self.networks if a.network == network), None)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s.value for a in self.networks for s in a.secrets if s.value)


@dataclass(frozen=True)
class Brands:
    """Every brand, with the lookups the listeners need: a message's channel names its brand (a channel belongs to
    at most one), an approver may approve several brands."""

    all: tuple[Brand, ...]
    source: str = "environment"  # the file they came from, said by `config check` and in logs
    _by_key: dict[str, Brand] = field(init=False, repr=False, compare=False)
    _by_channel: dict[str, Brand] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Brand] = {}
        by_channel: dict[str, Brand] = {}
        for brand in self.all:
            if brand.key in by_key:
                raise ValueError(f"two brands are keyed {brand.key!r}")
            by_key[brand.key] = brand
            for channel in brand.drafts_channels:
                if channel in by_channel:
                    raise ValueError(f"{channel} is the drafts channel of {by_channel[channel].key} and {brand.key}")
                by_channel[channel] = brand
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_channel", by_channel)

    def __iter__(self) -> Iterator[Brand]:
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def __getitem__(self, key: str) -> Brand:
        return self._by_key[key]

    def get(self, key: str) -> Brand | None:
        return self._by_key.get(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def for_channel(self, channel_id: str) -> Brand | None:
        """The brand whose drafts channel this is, or None (a message elsewhere is no draft)."""
        return self._by_channel.get(channel_id)

    def for_approver(self, user_id: str, *, with_backups: bool = False) -> tuple[Brand, ...]:
        """The brands `user_id` approves (and, `with_backups`, those they are a backup for), in file order."""
        return tuple(b for b in self.all if user_id in b.approvers or (with_backups and user_id in b.backup_approvers))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential value, so logging can redact them wherever they appear."""
        return tuple(dict.fromkeys(s for b in self.all for s in b.secrets))


def load(path: str | PathLike[str], environ: Mapping[str, str]) -> Brands:
    """The brands in the TOML file at `path`, credentials read from `environ`; ConfigError with every problem."""
    from bot.runtime.brand_file import read  # the reader imports the types above

    return read(Path(path), environ)


def x_from_settings(settings: Settings) -> XAccountConfig:
    """The environment's X account (X_API_KEY … X_API_URL), as a brands file would name it."""
    return XAccountConfig(
        api_key=Secret("X_API_KEY", settings.x_api_key),
        api_secret=Secret("X_API_SECRET", settings.x_api_secret),
        access_token=Secret("X_ACCESS_TOKEN", settings.x_access_token),
        access_token_secret=Secret("X_ACCESS_TOKEN_SECRET", settings.x_access_token_secret),
        api_url=settings.x_api_url,
    )


def others_from_settings(settings: Settings) -> tuple[NetworkAccountConfig, ...]:
    """The environment's Bluesky and Mastodon accounts, when their variables are set, as a brands file names them."""
    found: list[NetworkAccountConfig] = []
    if settings.bluesky_handle:
        password = Secret("BLUESKY_APP_PASSWORD", settings.bluesky_app_password)
        service = settings.bluesky_service or DEFAULT_BLUESKY_SERVICE
        found.append(BlueskyAccountConfig(settings.bluesky_handle, password, service))
    if settings.mastodon_instance:
        token = Secret("MASTODON_ACCESS_TOKEN", settings.mastodon_access_token)
        found.append(MastodonAccountConfig(settings.mastodon_instance, token))
    return tuple(found)


def from_settings(settings: Settings) -> Brands:
    """The one-brand shortcut: today's environment settings as a brand keyed `default`, on X and on Bluesky and
    Mastodon when their variables are set."""
    x = x_from_settings(settings)
    brand = Brand(
        key=DEFAULT_BRAND,
        name="",
        drafts_channels=(settings.drafts_channel,),
        approvers=settings.approvers,
        agency_name=settings.agency_name,
        networks=(x, *others_from_settings(settings)),
        approval_rule=settings.approval_rule,
        approval_channel=settings.approval_channel,
        backup_approvers=settings.backup_approvers,
        escalate_after=settings.escalate_after,
        attribution_template=settings.attribution_template,
        digest_channel=settings.digest_channel or settings.drafts_channel,
        digest_cron=settings.digest_cron,
        timezone=settings.timezone,
    )
    return Brands((brand,))


def config_path(environ: Mapping[str, str]) -> Path | None:
    """The brands file `COUNTERSIGN_CONFIG` names, or None: the environment alone is the one-brand shortcut."""
    value = (environ.get(CONFIG_ENV) or "").strip()
    return Path(value) if value else None


def for_deployment(environ: Mapping[str, str], settings: Settings) -> Brands:
    """The file's brands when `COUNTERSIGN_CONFIG` is set, else the one-brand shortcut from `settings`."""
    path = config_path(environ)
    return load(path, environ) if path else from_settings(settings)
