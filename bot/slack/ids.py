"""Every action, block and callback id the app sends to Slack, in one place.

Slack echoes these back in payloads; listeners are registered by them. Keeping them as enums means
a typo is an AttributeError at import, not a button that silently does nothing.
"""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    APPROVE = "countersign.approve"
    EDIT = "countersign.edit"
    REQUEST_CHANGES = "countersign.request_changes"
    REJECT = "countersign.reject"
    RETRY = "countersign.retry"
    PUBLISH_AGAIN = "countersign.publish_again"
    MARK_PUBLISHED = "countersign.mark_published"
    CANCEL = "countersign.cancel"
    APPROVE_NOW = "countersign.approve_now"
    CHANGE_TIME = "countersign.change_time"
    POST_NOW = "countersign.post_now"
    UNSCHEDULE = "countersign.unschedule"
    UNDO = "countersign.undo"
    DELETE_FROM_X = "countersign.delete_from_x"
    RETRY_DELETE = "countersign.retry_delete"
    ADD_DELETE_REASON = "countersign.add_delete_reason"


class BlockId(StrEnum):
    CARD_HEADER = "card.header"
    CARD_TEXT = "card.text"
    CARD_COUNT = "card.count"
    CARD_ACTIONS = "card.actions"
    CARD_OUTCOME = "card.outcome"
    CARD_NETWORK = "card.network"  # .<network>: one network's line, when a version went to several
    CARD_NETWORK_ACTIONS = "card.network_actions"  # .<network>: that network's buttons
    CARD_MEDIA = "card.media"
    EDIT_TEXT = "edit.text"
    REASON = "decision.reason"
    PART_LINK = "mark.part_link"
    CARD_TIME = "card.time"
    CARD_PROGRESS = "card.progress"  # APPROVAL_RULE: who approved, who is still to decide
    WHEN = "schedule.when"
    UNDO_NOTE = "card.undone"
    CARD_ESCALATION = "card.escalation"  # a backup's card: why they were asked (bot/slack/escalation_blocks.py)


class InputId(StrEnum):
    """action_id of the input elements inside modals."""

    TEXT = "text"
    REASON = "reason"
    LINK = "link"
    WHEN = "when"


class CallbackId(StrEnum):
    EDIT = "countersign.edit_modal"
    REQUEST_CHANGES = "countersign.request_changes_modal"
    REJECT = "countersign.reject_modal"
    MARK_PART = "countersign.mark_part_modal"
    CHANGE_TIME = "countersign.change_time_modal"
    UNDO_REASON = "countersign.undo_reason_modal"
    DELETE_REASON = "countersign.delete_reason_modal"


class MetadataType(StrEnum):
    """`metadata.event_type` on messages the app posts, so one whose answer was lost can be found again."""

    CARD = "countersign_card"
    REPLY = "countersign_reply"
