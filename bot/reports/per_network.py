"""Each network's own facts about a draft, as status, `show` and the digest say them.

A draft's version goes to each of its brand's networks as its own delivery (storage/deliveries.py), with its own
status, link, time and error. A report of a draft that went out on X and Bluesky but failed on Mastodon says just
that, network by network, never the first network's post as if it were the draft's. A draft with one delivery
(a one-network brand) is told as it always was, by the callers.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.approval.post_text import escape_mrkdwn
from bot.networks.base import title_of
from storage.models import Delivery, Status


def is_up(delivery: Delivery) -> bool:
    return delivery.status == Status.PUBLISHED and bool(delivery.post_url)


def link(delivery: Delivery, *, mrkdwn: bool = True) -> str:
    """`<url|X>` (Slack) or `X url` (a terminal): a post that is up, named by its network."""
    title = title_of(delivery.network)
    return f"<{delivery.post_url}|{title}>" if mrkdwn else f"{title} {delivery.post_url}"


def not_up(delivery: Delivery, *, mrkdwn: bool = True) -> str:
    """`Mastodon failed: why`: a network the draft is not up on, and the reason when there is one."""
    said = f"{title_of(delivery.network)} {delivery.status.replace('_', ' ')}"
    if delivery.last_error:
        said += f": {escape_mrkdwn(delivery.last_error) if mrkdwn else delivery.last_error}"
    return said


def brief(delivered: Sequence[Delivery], *, mrkdwn: bool = True) -> str:
    """One line of every network: `<url|X> · <url|Bluesky> · Mastodon failed: why`."""
    return " · ".join(link(d, mrkdwn=mrkdwn) if is_up(d) else not_up(d, mrkdwn=mrkdwn) for d in delivered)
