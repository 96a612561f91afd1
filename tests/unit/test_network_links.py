"""A version that went to several networks: the card's outcome and the writer's reply link each network's post;
with one network both read exactly as they always did."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.approval.post_text import Part, PostText
from bot.slack.blocks import approval_card, outcome_line
from bot.slack.network_links import network_links
from bot.slack.replies import decision_reply
from storage.models import Delivery, Draft, Status
from tests.unit.delivery_rows import delivered

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
X_LINK = "https://x.com/acme/status/1001"
BSKY_LINK = "https://bsky.app/profile/acme.bsky.social/post/3k2a"


def published(**fields: object) -> Draft:
    draft = Draft(channel="C0DRAFTS", ts="1.1", writer_id="U0WRITER", text="Hi", status=Status.PUBLISHED)
    for name, value in {"id": 7, "decided_by": "U0OWNER", "decided_at": AT, **fields}.items():
        setattr(draft, name, value)
    return draft


def test_two_networks_are_each_linked_on_the_card_and_in_the_writers_thread() -> None:
    links = [("x", X_LINK), ("bluesky", BSKY_LINK)]
    found = [
        Delivery(draft_id=7, brand="acme", version=1, network=n, status=Status.PUBLISHED, post_url=u) for n, u in links
    ]
    text = str(approval_card(published(), PostText(parts=(Part("Hi", 2),)), deliveries=found)["blocks"])
    assert f"<{X_LINK}|view on X>" in text and f"<{BSKY_LINK}|view on Bluesky>" in text
    assert (
        decision_reply(published(), links=links)
        == f"Approved by <@U0OWNER> · published X: {X_LINK} · Bluesky: {BSKY_LINK}"
    )


def test_one_network_reads_as_it_always_did() -> None:
    draft = published()
    assert f"<{X_LINK}|view on X>" in outcome_line(draft, delivered(draft, post_url=X_LINK))
    assert decision_reply(published(), links=[("x", X_LINK)]) == f"Approved by <@U0OWNER> · published {X_LINK}"


def test_a_link_not_known_yet_is_said_so() -> None:
    assert network_links([("x", None), ("mastodon", "https://m.example/@acme/1")], mrkdwn=False) == (
        "X: (link unknown) · Mastodon: https://m.example/@acme/1"
    )
