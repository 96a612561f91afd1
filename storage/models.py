"""Tables. The draft row carries its state-machine status and version; everything else hangs off it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import JSONList, UTCDateTime, utcnow


class Status(StrEnum):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    UNKNOWN = "unknown"
    FAILED = "failed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # Delete from X (bot/delivery/deleter.py): published → deleting → deleted, or → delete_failed (Retry) → deleting.
    DELETING = "deleting"
    DELETED = "deleted"
    DELETE_FAILED = "delete_failed"


OPEN_FOR_DECISION = frozenset({Status.PENDING})
OPEN_FOR_WRITER = frozenset({Status.PENDING, Status.CHANGES_REQUESTED})


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class Draft(SQLModel, table=True):
    """A writer's post and the owner's decision on it. Where it went is on its Delivery rows, one per network
    (post ids, links, attempts, errors); past approval, `status` is their aggregate (storage.deliveries)."""

    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_draft_message"),
        Index("ix_draft_brand_status_created", "brand", "status", "created_at"),
        Index("ix_draft_brand_created", "brand", "created_at"),
        # For `status` on a long history: each reads a few rows of one status in order, not all of them.
        Index("ix_draft_brand_status_decided", "brand", "status", "decided_at"),  # rejected this week
        Index("ix_draft_brand_status_pending", "brand", "status", "pending_since"),  # the queue, oldest first
        Index("ix_draft_brand_status_updated", "brand", "status", "updated_at"),  # failed/unknown, newest first
        Index("ix_draft_status_publish_at", "status", "publish_at"),  # what goes out next, and what is late
        Index("ix_draft_status_escalate_at", "status", "escalate_at"),  # pending drafts whose backups are due
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(default="default", max_length=64)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    writer_id: str = Field(max_length=32)
    writer_name: str = Field(default="", max_length=255)
    status: str = Field(default=Status.PENDING, max_length=32)
    version: int = 1
    text: str
    reason: str | None = None
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _ts(nullable=True)
    approver_name: str | None = Field(default=None, max_length=255)
    final_parts: list[str] | None = Field(default=None, sa_column=Column(JSONList(), nullable=True))  # as approved
    pending_since: datetime | None = _ts(nullable=True)  # when the current version went to the approvers
    # The time it goes out (intake/schedule_line): proposed by the writer while pending, decided by the owner once
    # approved. None: as soon as approved. `time_noticed_at`: when approvers were told the time passed undecided
    # (pending) or unposted past the grace (approved, the brand paused or the app down): told once per version.
    publish_at: datetime | None = _ts(nullable=True)
    publish_said: str | None = Field(default=None, max_length=255)  # the `at:` line as written, to tell an edit of it
    time_noticed_at: datetime | None = _ts(nullable=True)
    # UNDO_WINDOW (approval/undo): approved, the publisher claims it only from `undo_until`; until then any approver
    # may put it back to pending. `undone_by`/`undone_at`: the last Undo, shown on the pending card it leaves.
    undo_until: datetime | None = _ts(nullable=True)
    undone_by: str | None = Field(default=None, max_length=32)
    undone_at: datetime | None = _ts(nullable=True)
    # Escalation (jobs/escalation): since when the approvers have been asked without answering (the clock's start,
    # kept through a writer's edits), when the backups get the card if nobody has decided (None: never), and when
    # they did. `escalated_at` is set once per draft: a draft escalated stays escalated, whatever versions follow.
    waiting_since: datetime | None = _ts(nullable=True)
    escalate_at: datetime | None = _ts(nullable=True)
    escalated_at: datetime | None = _ts(nullable=True)
    # Delete: who asked and why (what each network still has, and when it went, is on its Delivery row).
    deleted_by: str | None = Field(default=None, max_length=32)
    delete_reason: str | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class Delivery(SQLModel, table=True):
    """One approved draft version on its way to one network: its own status, attempt, lease, keys, post ids, link.

    The draft row holds the decision (text, version, time, approvals); each (version, network) pair is delivered on its
    own, so X failing never blocks or repeats Bluesky. The claim / uncertain / reconcile rules of publishing apply per
    delivery; the draft's `status` is their aggregate (storage.deliveries.aggregate). `keys`: per part, the key chosen
    and stored before that part's create call (`Account.new_key`), sent again on every retry of the part.
    """

    __table_args__ = (
        UniqueConstraint("draft_id", "version", "network", name="uq_delivery_version_network"),
        Index("ix_delivery_status_next", "status", "next_attempt_at"),  # due to publish, looks due, next wake-up
        Index("ix_delivery_status_lease", "status", "lease_until"),  # claims whose lease ran out
        Index("ix_delivery_brand_status_published", "brand", "status", "published_at"),  # the digest's week
    )

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    brand: str = Field(default="default", max_length=64)
    version: int
    network: str = Field(max_length=16)  # bot.networks.base.Network
    status: str = Field(default=Status.APPROVED, max_length=32)
    final_parts: list[str] | None = Field(default=None, sa_column=Column(JSONList(), nullable=True))
    post_ids: list[str] | None = Field(default=None, sa_column=Column(JSONList(), nullable=True))
    keys: list[str] | None = Field(default=None, sa_column=Column(JSONList(), nullable=True))
    post_url: str | None = None
    attempt_id: str | None = Field(default=None, max_length=64)
    claimed_by: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _ts(nullable=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)  # approved: the next try; unknown: the next look
    looks: int = 0
    last_error: str | None = None
    published_at: datetime | None = _ts(nullable=True)
    deleted_ids: list[str] | None = Field(default=None, sa_column=Column(JSONList(), nullable=True))
    deleted_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class DraftVersion(SQLModel, table=True):
    """Every text a draft has had, and who wrote it (the writer, or the owner through Edit)."""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_version"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    text: str
    author_id: str = Field(max_length=32)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Card(SQLModel, table=True):
    """An approval card as posted to Slack, so every card of a draft can be updated later."""

    __table_args__ = (UniqueConstraint("draft_id", "approver_id", name="uq_card_approver"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    approver_id: str = Field(default="", max_length=32)  # "" for the shared approvals-channel card
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    # What the card in Slack shows: behind the draft's (status, version) until an update lands.
    shown_status: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    shown_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _ts(nullable=False, default=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which draft, when, and what it moved."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_brand_at_action", "brand", "at", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    # Copied from the draft, so a week's rows are read from one index without a join.
    brand: str = Field(default="default", max_length=64, sa_column_kwargs={"server_default": "default"})
    draft_id: int | None = Field(default=None, foreign_key="draft.id", index=True)
    actor_id: str = Field(max_length=32)
    actor_team_id: str = Field(default="", max_length=32)
    action: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    version: int | None = None
    detail: str | None = None
    at: datetime = _ts(nullable=False, default=utcnow)


class SlackEvent(SQLModel, table=True):
    """Event ids already handled: Slack redelivers the same `event_id` on retries."""

    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts(nullable=False, default=utcnow)


class BrandState(SQLModel, table=True):
    """Per-brand switches. A paused brand's approved posts wait until it is resumed."""

    __tablename__ = "brand_state"

    brand: str = Field(primary_key=True, max_length=64)
    paused: bool = False
    changed_by: str | None = Field(default=None, max_length=32)
    changed_at: datetime | None = _ts(nullable=True)


class DigestRun(SQLModel, table=True):
    """One row per brand and covered ISO week: the key that makes the weekly digest go out once."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("brand", "week", name="uq_digest_brand_week"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    week: str = Field(max_length=10)  # e.g. 2026-W47
    claimed_by: str = Field(max_length=128)
    claimed_at: datetime = _ts(nullable=False, default=utcnow)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = _ts(nullable=True)
    # Set (committed) just before chat.postMessage: a claim that dies after it may have posted, so it is
    # never taken over for a second send.
    posting_at: datetime | None = _ts(nullable=True)
    # Slack refused (an `ok: false` answer: nothing was posted): tried again from `retry_at`, backing off.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    retry_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=255)
    # Slack may have posted it (no answer in time, or the sender died mid-call): never sent again by itself.
    uncertain_at: datetime | None = _ts(nullable=True)
    told_at: datetime | None = _ts(nullable=True)  # the approvers were told what went wrong (once per week)


class Reminder(SQLModel, table=True):
    """A nudge sent for one period of one pending version; the unique key keeps it to one per period."""

    __table_args__ = (UniqueConstraint("draft_id", "version", "period", name="uq_reminder_period"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    period: int
    sent_at: datetime = _ts(nullable=False, default=utcnow)


class InboxItem(SQLModel, table=True):
    """A Slack request written down before Slack got its 200, kept until the move it asks for is committed.

    The instance that received it owns it (`owner`) until `lease_until`; a row still here after that was
    left by a process that stopped, and any instance replays it. `attempts` bounds replays of a request
    that fails every time.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_lease_until", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    body: str  # the request's payload as JSON
    received_at: datetime = _ts(nullable=False, default=utcnow)
    owner: str = Field(max_length=32)
    lease_until: datetime = _ts(nullable=False)
    attempts: int = 0
    # An Undo click (bot/approval/undo.py) holds its draft: the publisher doesn't claim it while the click waits here,
    # so a click acked by a process that then stopped is replayed before the post can go out.
    holds_draft: int | None = None


class WriterNotice(SQLModel, table=True):
    """The writer was told (or is being told) about one move of their draft: the audit row `move_id`.

    The unique key makes the thread reply go out once, whichever of the deciding listener, the publisher or
    an instance's catch-up gets there first; a claim whose reply failed is released for the catch-up to retry.
    """

    __tablename__ = "writer_notice"

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    move_id: int = Field(unique=True)
    claimed_at: datetime = _ts(nullable=False, default=utcnow)
    sent_at: datetime | None = _ts(nullable=True)


class SlackMessage(SQLModel, table=True):
    """What is known of one message in the drafts channel beyond its draft: the newest edit seen, and whether it
    was deleted. Slack's deliveries arrive out of order and more than once; these two fields are what let every
    later delivery be judged against the newest one (see bot/intake/message_life.py). A row exists only for messages
    that were edited or deleted."""

    __tablename__ = "slack_message"

    channel: str = Field(primary_key=True, max_length=32)
    ts: str = Field(primary_key=True, max_length=32)
    newest_edit: str | None = Field(default=None, max_length=32)  # message_life.order_key of `edited.ts`
    deleted_at: datetime | None = _ts(nullable=True)
    first_seen_at: datetime = _ts(nullable=False, default=utcnow)


class DraftMedia(SQLModel, table=True):
    """An image of one draft version, bound to its content by sha256: the version is what was approved.

    The bytes stay in Slack (the file id); publishing fetches them again and posts only if the hash matches
    (bot.delivery.media_publish). Changing, adding or removing an image makes a new version, as text does.
    """

    __tablename__ = "draft_media"
    __table_args__ = (UniqueConstraint("draft_id", "version", "position", name="uq_draft_media_position"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    position: int  # 0-based, in the order the files were attached
    file_id: str = Field(max_length=32)
    name: str = Field(max_length=255)
    mime: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # image | gif
    size: int
    sha256: str = Field(max_length=64)
    alt_text: str = ""
    part: int = 0  # the thread part (0-based) it goes with
    width: int = 0
    height: int = 0
    url: str = Field(default="", max_length=1000)  # Slack's url_private, fetched again at publish time


class Approval(SQLModel, table=True):
    """One approver's yes on one draft version (APPROVAL_RULE: `all` or N need several). A new version has none:
    each approver approves the exact text they saw. `approver_name` is the name the attribution signs with,
    looked up when they said yes, so the yes that meets the rule composes the post without asking Slack."""

    __table_args__ = (UniqueConstraint("draft_id", "version", "approver_id", name="uq_approval_version_approver"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    approver_id: str = Field(max_length=32)
    approver_team_id: str = Field(default="", max_length=32)
    approver_name: str = Field(default="", max_length=255)
    at: datetime = _ts(nullable=False, default=utcnow)
