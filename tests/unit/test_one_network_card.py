"""A brand on one network that isn't X: its card names that network wherever the X-only card named X (publishing
to, view on, didn't confirm, Delete from), and a brand on several names them all on Delete's dialog."""

from __future__ import annotations

from functools import partial
from typing import Any

from bot.approval.post_text import PostText, compose
from bot.networks.base import Network
from bot.networks.bluesky.text_rules import BlueskyTextRules
from bot.networks.mastodon.text_rules import default_rules
from bot.networks.x.rules import RULES
from bot.sandbox.slack_blocks import block_errors
from bot.slack.blocks import approval_card
from bot.slack.ids import BlockId
from storage.models import Draft, Status
from tests.unit.test_blocks import TEMPLATE
from tests.unit.test_delete_blocks import published, up

BLUESKY_LINK = "https://bsky.app/profile/acme.bsky.social/post/3kabc"


def post_on(*networks: Network) -> PostText:
    every = {Network.X: RULES, Network.BLUESKY: BlueskyTextRules(), Network.MASTODON: default_rules()[0]}
    rules = {n: every[n] for n in networks}
    return compose("a\n---\nb\n---\nc", template=TEMPLATE, agency="Ag", approver="Olivia", writer="Wes", rules=rules)


def outcome(draft: Draft, post: PostText, network: Network = Network.X, **sent: Any) -> dict[str, Any]:
    """The card's outcome block, drawn with the draft's one delivery (on `network`, three parts up, with `sent`)."""
    card = approval_card(draft, post, deliveries=up(draft, network, **sent))
    assert block_errors(card["blocks"]) == []
    return next(b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME)


def test_a_bluesky_only_card_says_bluesky_where_an_x_card_says_x() -> None:
    post = post_on(Network.BLUESKY)
    bluesky = partial(outcome, post=post, network=Network.BLUESKY)
    done = bluesky(published(), post_url=BLUESKY_LINK)
    assert f"<{BLUESKY_LINK}|view on Bluesky>" in done["text"]["text"]
    button = done["accessory"]
    assert button["text"]["text"] == "Delete from Bluesky"
    assert button["confirm"]["title"]["text"] == "Delete from Bluesky?"
    assert "from Bluesky for everyone" in button["confirm"]["text"]["text"]
    going = bluesky(published(status=Status.PUBLISHING), post_ids=[])["text"]["text"]
    assert "publishing to Bluesky…" in going
    unsure = bluesky(published(status=Status.UNKNOWN), post_ids=[], last_error="timed out")["text"]["text"]
    assert "but Bluesky didn't confirm" in unsure and "Check the account on Bluesky" in unsure and " X" not in unsure
    gone = bluesky(published(status=Status.DELETED, deleted_by="U0OWNER"), deleted_ids=["101", "102", "103"])
    assert "deleted from Bluesky by <@U0OWNER>" in gone["text"]["text"]


def test_an_x_only_card_reads_as_it_always_did() -> None:
    done = outcome(published(), post_on(Network.X))
    assert "view on X>" in done["text"]["text"] and done["accessory"]["text"]["text"] == "Delete from X"


def test_delete_on_a_brand_of_several_networks_names_every_one_within_slacks_limits() -> None:
    two = outcome(published(), post_on(Network.X, Network.BLUESKY))["accessory"]
    assert (two["text"]["text"], two["confirm"]["confirm"]["text"]) == ("Delete from X and Bluesky",) * 2
    three = outcome(published(), post_on(Network.X, Network.BLUESKY, Network.MASTODON))["accessory"]
    assert three["text"]["text"] == "Delete from X, Bluesky and Mastodon"
    assert three["confirm"]["confirm"]["text"] == "Delete from all 3 networks"  # Slack: at most 30 characters
    assert "from X, Bluesky and Mastodon for everyone" in three["confirm"]["text"]["text"]
