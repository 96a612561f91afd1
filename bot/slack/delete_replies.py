"""What `/countersign delete` answers: that it started, and how it ended, on every network the post is on.

Delete takes a version's posts down from each of its networks (bot/delivery/deleter.py), each on its own delivery:
one network may stop while the others are gone. The answer counts every network's posts and, when it stopped,
says each network's own fact (`per_network.brief`, as `/countersign status` says it) and what is still up where.
A post on one network reads as it did when X was the only one.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.approval.post_text import escape_mrkdwn
from bot.delivery.deleter import remaining
from bot.networks.base import title_of
from bot.reports.per_network import brief
from bot.slack.network_words import first_error, status_words, where
from storage.models import Delivery, Draft, Status


def _posts(delivered: Sequence[Delivery]) -> int:
    return sum(len(d.post_ids or []) for d in delivered)


def deleting(draft_id: int, delivered: Sequence[Delivery]) -> str:
    """The command's ack, once the deletion is claimed: from where, and how many posts over every network."""
    parts = _posts(delivered)
    return f"Deleting draft #{draft_id} from {where(delivered)} ({parts} post{'s' if parts != 1 else ''})…"


def deletion_result(draft: Draft | None, remaining_parts: list[int], delivered: Sequence[Delivery] = ()) -> str:
    """What `/countersign delete` answers once every network has answered for every part (or one stopped it).
    `remaining_parts`: the parts still up, for a post on one network; several networks' are read from each."""
    if draft is None:
        return "That draft is gone. Nothing was changed."
    found = tuple(delivered)
    on, parts = where(found), _posts(found)
    posts = "its post" if parts == 1 else f"all {parts} posts"
    match Status(draft.status):
        case Status.DELETED:
            return f":wastebasket: Draft #{draft.id} is deleted from {on} ({posts}). Every card says so."
        case Status.DELETE_FAILED if len(found) > 1:
            still = " ".join(_still_on(d) for d in found if d.status != Status.DELETED)
            return (
                f":warning: Deleting draft #{draft.id} from {on} stopped: {brief(found)}. {still} Press *Retry* on the"
                " card, or run the command again."
            )
        case Status.DELETE_FAILED:
            left = ", ".join(str(n) for n in remaining_parts)
            return (
                f":warning: Deleting draft #{draft.id} from {on} stopped: {escape_mrkdwn(first_error(found) or '')}."
                f" Still on {on}: part {left} of {parts}. Press *Retry* on the card, or run the command again."
            )
    return f"Draft #{draft.id} is {status_words(draft.status, on)}."


def _still_on(delivery: Delivery) -> str:
    """`Still on Bluesky: part 1 of 1.`: one network's parts not known to be gone."""
    left = ", ".join(str(n) for n in remaining([delivery]))
    return f"Still on {title_of(delivery.network)}: part {left} of {len(delivery.post_ids or [])}."
