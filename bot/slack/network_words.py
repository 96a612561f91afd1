"""Which networks a reply names, and how a draft's state reads with them: `X`, `X and Bluesky`, `X, Bluesky and
Mastodon`, as the card says them (`PostText.networks`, bot/slack/delete_blocks.py).

A draft's version goes to each of its brand's networks as its own delivery (storage/deliveries.py); a reply reads
those. A caller that has none to give (a draft not yet approved, a refusal made before anything was read) gets the
brand's networks, and one that knows neither reads X, as every reply did when X was the only network.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.approval.approval_rule import joined
from bot.networks.base import title_of
from storage.models import Delivery, Status

STATUS_WORDS = {
    Status.PENDING: "waiting for approval",
    Status.CHANGES_REQUESTED: "sent back for changes",
    Status.APPROVED: "approved and queued for {where}",
    Status.PUBLISHING: "being published",
    Status.PUBLISHED: "published",
    Status.UNKNOWN: "in an unknown state ({where} didn't confirm the post)",
    Status.FAILED: "failed to publish",
    Status.REJECTED: "rejected",
    Status.WITHDRAWN: "withdrawn by its writer",
    Status.DELETING: "being deleted from {where}",
    Status.DELETED: "deleted from {where}",
    Status.DELETE_FAILED: "partly deleted from {where} (Retry is on the card)",
}


def status_words(status: str, where: str = "X") -> str:
    """`approved and queued for X and Bluesky`: a draft's state, naming the networks (`where`) it is about."""
    words = STATUS_WORDS.get(Status(status))
    return words.format(where=where) if words else status


def where(delivered: Sequence[Delivery] = (), networks: Sequence[str] = ()) -> str:
    """The networks a reply names: the version's deliveries', else the brand's (`networks`), else X."""
    names = [d.network for d in delivered] or list(networks) or ["x"]
    return joined([title_of(n) for n in dict.fromkeys(names)])


def titles(delivered: Sequence[Delivery]) -> str:
    """`Mastodon`, `X and Bluesky`: the networks of these deliveries (a subset: the failed ones, the stopped ones)."""
    return joined([title_of(d.network) for d in delivered])


def first_error(delivered: Sequence[Delivery]) -> str | None:
    """The error of a post on one network (None when the caller gave no delivery)."""
    return delivered[0].last_error if delivered else None
