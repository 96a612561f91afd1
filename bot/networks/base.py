"""The one surface every network offers the rest of the bot: compose and limits, upload media, post, find, delete,
read metrics, diagnose.

Nothing outside a network's folder knows its wire format, its SDK or its error classes. The publisher, the
reconciler, Delete and the digest speak only this, so adding a network is a folder and a line in the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Network(StrEnum):
    X = "x"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"

    @property
    def title(self) -> str:
        return {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}[self.value]


def title_of(network: str) -> str:
    """A stored network name as people read it (`mastodon` → `Mastodon`); a name no network has any more, as is."""
    return Network(network).title if network in Network.__members__.values() else network


class Verdict(StrEnum):
    RETRY = "retry"  # never reached the network (refused connection, 429), or the call is idempotent: send again
    UNCERTAIN = "uncertain"  # may have been posted and sending again could post twice: look before anything else
    FAILED = "failed"  # the network said no for a reason a person must fix


@dataclass(frozen=True)
class Diagnosis:
    """What an exception from a network call means for the post, in words a person can act on."""

    verdict: Verdict
    reason: str
    retry_at: float | None = None  # epoch seconds, when the network said when to come back


@dataclass(frozen=True)
class TextRules:
    """How a network counts a post's text. `count` is the network's own measure (X: weighted; Bluesky: graphemes;
    Mastodon: characters with every URL as `url_length`)."""

    network: Network
    limit: int
    unit: str  # "characters", "graphemes": said in a refusal ("312/300 graphemes")

    def count(self, text: str) -> int:  # pragma: no cover - each network's rules implement it
        raise NotImplementedError


@dataclass(frozen=True)
class MediaLimits:
    """What a network takes in one post, checked at intake (bot.intake.media_rules) so a draft one network would
    refuse never reaches a card."""

    max_images: int
    image_bytes: int
    alt_limit: int  # characters
    mimes: frozenset[str] = field(default_factory=lambda: frozenset({"image/jpeg", "image/png", "image/webp"}))
    gif_bytes: int = 0  # a GIF's own limit where the network has one (X: 15 MB); 0: as any image


@dataclass(frozen=True)
class Posted:
    """One post (or one part of a thread) that is up: the network's id for it, opaque outside the network's folder
    (a Bluesky id carries the record's uri and cid, which a reply needs), and its public link when known."""

    id: str
    link: str | None


@dataclass(frozen=True)
class Check:
    """One line of `countersign doctor`: what was checked, whether it holds, and what to do if not."""

    what: str
    ok: bool
    fix: str = ""


class Account(Protocol):
    """A brand's account on one network. Thread-safe: the publisher, the reconciler and the digest share one."""

    network: Network

    def rules(self) -> TextRules:
        """The text rules now (Mastodon reads its instance's limit once, then keeps it)."""

    def media_limits(self) -> MediaLimits: ...

    def new_key(self) -> str:
        """A key chosen before a create call and stored with the attempt, so a repeat of the same call is the same
        post: Mastodon's `Idempotency-Key`, Bluesky's record key (a TID). X offers none: any string."""

    def upload_media(self, data: bytes, mime: str, alt: str | None) -> str:
        """The network's handle for an uploaded image (X: media id; Bluesky: the blob ref as JSON; Mastodon: media
        id). Raises the network's own exceptions; `diagnose` reads them."""

    def post(self, text: str, *, key: str, reply_to: str | None = None, media: Sequence[str] = ()) -> Posted: ...

    def find(self, key: str, text: str, since: datetime) -> str | bool | None:
        """After an uncertain create: the id of the post if it is up, False if it certainly isn't, None if the
        network can't say now. Bluesky reads the record at its key; X and Mastodon read recent posts."""

    def delete(self, post_id: str) -> bool:
        """True: deleted now. False: it was already gone."""

    def metrics(self, post_ids: Sequence[str]) -> dict[str, dict[str, int]] | None:
        """Public counts per post id, or None when the network won't say. Keys are X's `public_metrics` names, which
        every network maps its own onto (`like_count`, `retweet_count`, `reply_count`, `quote_count`), so the digest
        reads one shape."""

    def link(self, post_id: str) -> str | None: ...

    def post_id_from_link(self, link: str) -> str | None:
        """The id `post` would have given for one of this account's posts, from the link a person copies from the
        network's app (Mark as published on a thread's part: the rest replies to it); None if the link isn't to a
        post of this account. May ask the network (Bluesky: the record's cid and thread root, which a reply names),
        raising the network's own exceptions when it can't say now (`diagnose` reads them): call it before any
        transaction."""

    def diagnose(self, exc: BaseException) -> Diagnosis: ...

    def check(self) -> list[Check]:
        """`countersign doctor`: are the credentials good, and is the account what we think it is."""
