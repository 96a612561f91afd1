"""What a workflow call came to. Listeners turn these into what people see (`bot.slack.replies`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.approval.post_text import PostText
from bot.intake.media_rules import MediaRefusal
from bot.slack.text import Refusal
from storage.models import Delivery, Draft, DraftMedia


class Kind(StrEnum):
    # intake
    SUBMITTED = "submitted"
    REVISED = "revised"
    WITHDRAWN = "withdrawn"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    FILES_ONLY = "files_only"
    FILES_DROPPED = "files_dropped"
    NOT_EDITABLE = "not_editable"
    NOT_WITHDRAWABLE = "not_withdrawable"
    MEDIA_REFUSED = "media_refused"  # an image X would refuse (size, count, a GIF with others, unreadable)
    SLACK_ONLY = "slack_only"  # mentions a channel/@here/user group, or a custom emoji: nothing on X
    NO_OTHER_APPROVER = "no_other_approver"
    BAD_TIME = "bad_time"  # the `at:` line (or a picked time) can't be read, or is not ahead
    RULE_UNREACHABLE = "rule_unreachable"  # APPROVAL_RULE asks more than others could give
    # decisions
    APPROVED = "approved"
    APPROVED_PARTLY = "approved_partly"  # a yes recorded; APPROVAL_RULE needs more before it goes out
    EDITED = "edited"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    RETRYING = "retrying"
    MARKED = "marked_published"
    CANCELLED = "cancelled"
    # times (bot/approval/schedule_moves.py)
    RESCHEDULED = "rescheduled"
    POSTING_NOW = "posting_now"
    UNSCHEDULED = "unscheduled"
    TIME_PASSED = "time_passed"  # Approve on a draft whose proposed time went by: Approve now, or a new time
    NOT_SCHEDULED = "not_scheduled"
    # undo after approve (bot/approval/undo.py)
    UNDONE = "undone"
    UNDO_REASON = "undo_reason"
    ALREADY_UNDONE = "already_undone"
    TOO_LATE_TO_UNDO = "too_late_to_undo"
    # Delete from X (bot/delivery/deleter.py)
    DELETING = "deleting"
    NOT_DELETABLE = "not_deletable"  # not published (or no post id known)
    ALREADY_DELETING = "already_deleting"
    ALREADY_DELETED = "already_deleted"
    REASON_GIVEN = "reason_given"  # Add a reason, after one was kept already
    REASON_ADDED = "reason_added"
    # the brand's switch
    PAUSED = "paused"
    RESUMED = "resumed"
    UNCHANGED = "unchanged"
    # refusals
    NOT_AN_APPROVER = "not_an_approver"
    OTHER_BRAND = "other_brand"  # an approver of another brand of this deployment: detail is the draft's brand name
    OTHER_ORGANISATION = "other_organisation"
    OWN_DRAFT = "own_draft"
    STALE_CARD = "stale_card"
    ALREADY_DECIDED = "already_decided"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    REASON_REQUIRED = "reason_required"
    NAME_UNKNOWN = "name_unknown"
    ALREADY_APPROVED = "already_approved"  # the same person's second yes on a version (detail: who is waiting)
    TIME_WITH_LAST_YES = "time_with_last_yes"  # a picked time (or Approve now) on a yes that doesn't meet the rule
    NOT_YET_ESCALATED = "not_yet_escalated"  # a backup approver, before the draft was escalated to them


REFUSALS = frozenset(
    {
        Kind.NOT_AN_APPROVER,
        Kind.OTHER_BRAND,
        Kind.OTHER_ORGANISATION,
        Kind.OWN_DRAFT,
        Kind.STALE_CARD,
        Kind.ALREADY_DECIDED,
        Kind.NOT_FOUND,
        Kind.BAD_REQUEST,
        Kind.TOO_LONG,
        Kind.SLACK_ONLY,
        Kind.MEDIA_REFUSED,
        Kind.REASON_REQUIRED,
        Kind.NAME_UNKNOWN,
        Kind.NOT_YET_ESCALATED,
        Kind.BAD_TIME,
        Kind.TIME_PASSED,
        Kind.NOT_SCHEDULED,
        Kind.ALREADY_APPROVED,
        Kind.TIME_WITH_LAST_YES,
        Kind.ALREADY_UNDONE,
        Kind.TOO_LATE_TO_UNDO,
        Kind.NOT_DELETABLE,
        Kind.ALREADY_DELETING,
        Kind.ALREADY_DELETED,
        Kind.REASON_GIVEN,
    }
)


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    draft: Draft | None = None
    post: PostText | None = None
    detail: str = ""
    refusals: tuple[Refusal, ...] = ()  # for SLACK_ONLY: what the writer has to write as text
    media: tuple[MediaRefusal, ...] = ()  # for MEDIA_REFUSED: the files X won't take; else files left out
    told: int | None = None  # the writer's reply, claimed in the move's own transaction: that move's audit row id
    attempt_id: str | None = None  # for DELETING: the claim on the deliveries that `Deleter.run` deletes under
    # What a reply names: the draft version's deliveries as the move read them (each network's post, link, error),
    # and for a refusal about what the brand posts to (Slack-only text, images), the brand's networks.
    delivered: tuple[Delivery, ...] = ()
    networks: tuple[str, ...] = ()
    # For SUBMITTED: the card slots claimed in the intake's own transaction (approver ids, "" for the approvals
    # channel's card) and the version's images as stored there: its cards are posted without reading it back.
    cards: tuple[str, ...] = ()
    images: tuple[DraftMedia, ...] = ()

    @property
    def refused(self) -> bool:
        return self.kind in REFUSALS

    @property
    def changed(self) -> bool:
        """Whether cards and threads need to hear about it."""
        return self.kind in {
            Kind.SUBMITTED,
            Kind.REVISED,
            Kind.WITHDRAWN,
            Kind.APPROVED,
            Kind.APPROVED_PARTLY,
            Kind.EDITED,
            Kind.CHANGES_REQUESTED,
            Kind.REJECTED,
            Kind.RETRYING,
            Kind.MARKED,
            Kind.CANCELLED,
            Kind.RESCHEDULED,
            Kind.POSTING_NOW,
            Kind.UNSCHEDULED,
            Kind.UNDONE,
            Kind.UNDO_REASON,
            Kind.DELETING,
        }
