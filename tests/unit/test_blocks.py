"""Block Kit builders on their own: data in, Slack JSON out, within Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.approval.post_text import PostText, compose
from bot.approval.refs import CardRef
from bot.networks.base import Network
from bot.networks.bluesky.text_rules import BlueskyTextRules
from bot.networks.mastodon.text_rules import default_rules
from bot.networks.x.rules import RULES
from bot.slack.blocks import approval_card, edit_modal, reason_modal
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from storage.models import Draft, Status
from tests.unit.delivery_rows import delivered

TEMPLATE = "— drafted by {agency}, approved by {approver}"
DECIDED_AT = datetime(2025, 11, 22, 9, 30, tzinfo=UTC)


def make_draft(text: str = "Fresh beans are in.", **fields: Any) -> Draft:
    values: dict[str, Any] = {
        "id": 17,
        "version": 3,
        "status": Status.PENDING,
        "channel": "C0DRAFTS",
        "ts": "1763800000.000100",
        "writer_id": "U0WRITER",
        "writer_name": "Wes Writer",
        "text": text,
    }
    values.update(fields)
    return Draft(**values)


def make_post(text: str) -> PostText:
    return compose(text, template=TEMPLATE, agency="Acme & Co", approver="Olivia", writer="Wes")


def card_for(draft: Draft, **sent: Any) -> dict[str, Any]:
    """The card of `draft`, drawn with its one delivery (X's) carrying `sent` (post ids, link, error) once approved."""
    return approval_card(draft, make_post(draft.text), deliveries=delivered(draft, **sent))


def texts_in(node: Any) -> Iterator[str]:
    """Every string anywhere in a Block Kit structure."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from texts_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts_in(value)


def text_objects(node: Any, kind: str) -> Iterator[str]:
    """The text of every text object of `kind` (`mrkdwn`: where Slack parses entities and styles)."""
    if isinstance(node, dict):
        if node.get("type") == kind and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from text_objects(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value, kind)


def blocks_with(card: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    return [b for b in card["blocks"] if b.get("block_id") == block_id]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]


def assert_within_slack_limits(card: dict[str, Any]) -> None:
    blocks = card["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        assert len(block.get("block_id", "")) <= 255
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            assert len(element.get("action_id", "")) <= 255
            assert len(element.get("value", "")) <= 2000
    json.dumps(card)  # plain JSON, no enums or datetimes that slack_sdk can't send


# -- a pending draft -----------------------------------------------------------------------


def test_pending_card_shows_the_exact_post_text_as_plain_characters() -> None:
    # plain_text: Slack parses no entity, applies no style and makes no emoji of a shortcode, so the owner reads
    # the characters X gets (no escaping needed: `&amp;` would show as typed).
    card = card_for(make_draft("Tom & Jerry <3 <!channel> *Grand* :coffee: ☕"))
    [text_block] = blocks_with(card, BlockId.CARD_TEXT)
    assert text_block["text"] == {
        "type": "plain_text",
        "text": "Tom & Jerry <3 <!channel> *Grand* :coffee: ☕\n\n— drafted by Acme & Co, approved by Olivia",
        "emoji": False,
    }


def test_pending_card_shows_the_weighted_count() -> None:
    # "Fresh beans are in." 19 + "\n\n" 2 + "— drafted by Acme & Co, approved by Olivia" 42 = 63
    card = card_for(make_draft())
    [count] = blocks_with(card, BlockId.CARD_COUNT)
    assert count["type"] == "context"
    assert count["elements"][0]["text"].startswith("63/280")


def test_pending_card_header_names_the_writer_draft_and_version() -> None:
    [header] = blocks_with(card_for(make_draft()), BlockId.CARD_HEADER)
    text = header["text"]["text"]
    assert "<@U0WRITER>" in text
    assert "#17" in text
    assert "version 3" in text


def test_pending_card_has_the_four_decision_buttons_carrying_the_ref() -> None:
    card = card_for(make_draft())
    [actions] = blocks_with(card, BlockId.CARD_ACTIONS)
    labelled = [(e["text"]["text"], e["action_id"], e["value"]) for e in actions["elements"]]
    assert labelled == [
        ("Approve", ActionId.APPROVE.value, "17:3"),
        ("Edit", ActionId.EDIT.value, "17:3"),
        ("Request changes", ActionId.REQUEST_CHANGES.value, "17:3"),
        ("Reject", ActionId.REJECT.value, "17:3"),
    ]
    assert all(e["type"] == "button" and e["text"]["type"] == "plain_text" for e in actions["elements"])
    assert not blocks_with(card, BlockId.CARD_OUTCOME)


def test_button_value_parses_back_to_the_drafts_ref() -> None:
    for element in buttons(card_for(make_draft(id=981, version=12))):
        assert CardRef.parse(element["value"]) == CardRef(981, 12)


def test_a_thread_gets_one_numbered_section_per_part() -> None:
    draft = make_draft("One & only\n---\nTwo <b>\n---\nThree")
    card = card_for(draft)
    parts = [b for b in card["blocks"] if str(b.get("block_id", "")).startswith(f"{BlockId.CARD_TEXT}.")]
    assert [b["text"] for b in parts] == [
        {"type": "plain_text", "text": "Post 1 of 3:\nOne & only", "emoji": False},
        {"type": "plain_text", "text": "Post 2 of 3:\nTwo <b>", "emoji": False},
        {
            "type": "plain_text",
            "text": "Post 3 of 3:\nThree\n\n— drafted by Acme & Co, approved by Olivia",
            "emoji": False,
        },
    ]
    [header] = blocks_with(card, BlockId.CARD_HEADER)
    assert "a thread of 3 posts for X" in header["text"]["text"]
    assert len({b["block_id"] for b in card["blocks"] if "block_id" in b}) == len(
        [b for b in card["blocks"] if "block_id" in b]
    ), "block ids must be unique within a message"
    [count] = blocks_with(card, BlockId.CARD_COUNT)
    assert count["elements"][0]["text"].startswith("10/280 · 7/280 · 49/280")


def test_the_card_has_a_plain_fallback_text() -> None:
    card = card_for(make_draft())
    assert "17" in card["text"]
    assert "waiting for approval" in card["text"]


def count_text(card: dict[str, Any]) -> str:
    [count] = blocks_with(card, BlockId.CARD_COUNT)
    return count["elements"][0]["text"]


def test_a_shared_card_says_the_post_will_name_whoever_approves() -> None:
    draft = make_draft()
    post = make_post(draft.text)
    assert "whoever approves" in count_text(approval_card(draft, post, shared=True))
    assert "whoever approves" not in count_text(approval_card(draft, post))
    # Once approved, the parts carry the real name: the note would be wrong.
    approved = make_draft(status=Status.APPROVED, decided_by="U0OWNER", final_parts=post.texts)
    assert "whoever approves" not in count_text(approval_card(approved, post, shared=True))


# -- decided drafts ------------------------------------------------------------------------


def decided(status: Status, sent: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A card decided by U0OWNER; `sent`: what its delivery says came of it (post_url, last_error…)."""
    values = {"decided_by": "U0OWNER", "decided_at": DECIDED_AT} | fields
    return card_for(make_draft(status=status, **values), **(sent or {}))


def outcome_text(card: dict[str, Any]) -> str:
    [outcome] = blocks_with(card, BlockId.CARD_OUTCOME)
    return outcome["text"]["text"]


@pytest.mark.parametrize(
    ("status", "fields", "sent", "words"),
    [
        (Status.APPROVED, {}, {}, ["Approved by <@U0OWNER>", "publishing"]),
        (Status.PUBLISHING, {}, {}, ["Approved by <@U0OWNER>"]),
        (
            Status.PUBLISHED,
            {},
            {"post_url": "https://x.com/acme/status/123"},
            ["Approved by <@U0OWNER>", "<https://x.com/acme/status/123|view on X>"],
        ),
        (Status.REJECTED, {"reason": "Off brand"}, {}, ["Rejected by <@U0OWNER>", "Off brand"]),
        (Status.CHANGES_REQUESTED, {"reason": "Shorter please"}, {}, ["Changes requested by <@U0OWNER>", "Shorter"]),
        (Status.FAILED, {}, {"last_error": "X refused the keys (401)"}, ["<@U0OWNER>", "failed", "Retry"]),
        (Status.UNKNOWN, {}, {"last_error": "X did not answer in time"}, ["<@U0OWNER>", "didn't confirm"]),
    ],
)
def test_a_decided_card_has_no_decision_buttons_and_says_who_decided(
    status: Status, fields: dict[str, Any], sent: dict[str, Any], words: list[str]
) -> None:
    card = decided(status, sent, **fields)
    decision_ids = {ActionId.APPROVE, ActionId.EDIT, ActionId.REQUEST_CHANGES, ActionId.REJECT}
    assert not [b for b in buttons(card) if b["action_id"] in decision_ids]
    line = outcome_text(card)
    for word in words:
        assert word in line
    assert f"<!date^{int(DECIDED_AT.timestamp())}^" in line
    assert_within_slack_limits(card)


def test_a_withdrawn_card_names_the_writer() -> None:
    card = decided(Status.WITHDRAWN, decided_by=None)
    assert not buttons(card)
    line = outcome_text(card)
    assert "Withdrawn by <@U0WRITER>" in line


def test_only_a_failed_card_offers_retry() -> None:
    card = decided(Status.FAILED, {"last_error": "out of credits (402)"})
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons(card)] == [
        ("Retry", ActionId.RETRY.value, "17:3")
    ]
    for status in (Status.APPROVED, Status.PUBLISHED, Status.REJECTED, Status.WITHDRAWN):
        assert not buttons(decided(status, {"post_url": "https://x.com/a/status/1"}))


def test_an_unknown_card_asks_the_approver_to_settle_it() -> None:
    card = decided(Status.UNKNOWN, {"last_error": "X answered 503"})
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons(card)] == [
        ("Mark as published", ActionId.MARK_PUBLISHED.value, "17:3"),
        ("Publish again", ActionId.PUBLISH_AGAIN.value, "17:3"),
        ("Cancel", ActionId.CANCEL.value, "17:3"),
    ]
    assert "Check the account on X" in outcome_text(card)


def test_an_approved_card_mentions_the_last_retryable_error() -> None:
    line = outcome_text(decided(Status.APPROVED, {"last_error": "X rate limit reached"}))
    assert "X rate limit reached" in line
    assert "Retrying" in line


def test_decision_without_a_decider_says_someone() -> None:
    line = outcome_text(decided(Status.REJECTED, decided_by=None, decided_at=None, reason="no"))
    assert "Rejected by someone" in line
    assert "<!date" not in line


def test_reasons_and_errors_in_outcome_lines_are_escaped() -> None:
    rejected = outcome_text(decided(Status.REJECTED, reason="<!channel> look & see <https://e.vil|here>"))
    assert "&lt;!channel&gt; look &amp; see &lt;https://e.vil|here&gt;" in rejected
    failed = outcome_text(decided(Status.FAILED, {"last_error": "<!here>"}))
    assert "<!here>" not in failed


# -- nothing in the card can ping or break Slack's limits --------------------------------------


CHANNEL_TEXT = "<!channel> free coffee & <@U0BOSS> <https://evil.example|bank>"


@pytest.mark.parametrize("status", list(Status))
def test_agency_text_never_yields_an_unescaped_broadcast_anywhere(status: Status) -> None:
    draft = make_draft(
        CHANNEL_TEXT + "\n---\n" + CHANNEL_TEXT,
        status=status,
        reason=CHANNEL_TEXT,
        decided_by="U0OWNER",
    )
    card = card_for(draft, last_error=CHANNEL_TEXT, post_url="https://x.com/a/status/1")
    everything = "\n".join(text_objects(card, "mrkdwn"))  # plain_text objects are shown as they are
    assert CHANNEL_TEXT in "\n".join(text_objects(card, "plain_text"))
    assert "<!channel>" not in everything
    assert "<@U0BOSS>" not in everything
    assert "<https://evil.example" not in everything
    # ...and not because the text was dropped: both parts of the post are on the card, verbatim.
    parts = [b for b in card["blocks"] if b.get("block_id", "").startswith(BlockId.CARD_TEXT)]
    assert ["\n".join(text_objects(b, "plain_text")).count(CHANNEL_TEXT) for b in parts] == [1, 1]


def test_a_long_thread_stays_within_section_and_id_limits() -> None:
    # A URL costs 23 however long it is, so a part that fits X can be thousands of characters:
    # 11 URLs + 10 spaces weigh 11*23 + 10 = 263; escaping "&" makes each URL longer still.
    url = "https://example.com/?" + "&x=1" * 60
    long_part = " ".join([url] * 11)
    last_part = " ".join([url] * 9)  # 9*23 + 8 = 215, + 2 + 42 (attribution) = 259
    text = "\n---\n".join([long_part] * 9 + [last_part])
    post = make_post(text)
    assert post.fits
    card = approval_card(make_draft(text, id=10**18 - 1, version=10**9 - 1), post)
    assert_within_slack_limits(card)


def test_an_oversized_single_part_is_still_a_valid_section() -> None:
    # A URL costs 23 however long it is: 9 URLs of 401 characters weigh 9*23 + 8 = 215 but are 3617 characters.
    text = " ".join(["https://example.com/" + "a" * 381] * 9)
    assert make_post(text).fits
    card = card_for(make_draft(text))
    assert_within_slack_limits(card)
    [text_block] = blocks_with(card, BlockId.CARD_TEXT)
    assert text_block["text"]["text"].endswith("…")


def test_a_thread_that_fits_always_gives_a_postable_card() -> None:
    text = "\n---\n".join(f"Part {i}" for i in range(1, 61))
    post = make_post(text)
    # Either such a thread is refused before any card is built, or its card must be postable.
    # Today every part is short, so it fits, and its card has 1 + 60 + 2 = 63 blocks.
    if post.fits:
        card = approval_card(make_draft(text), post)
        assert len(card["blocks"]) <= 50


# -- modals --------------------------------------------------------------------------------


def test_edit_modal() -> None:
    ref = CardRef(17, 3)
    view = edit_modal(ref, "Fresh beans are in.", "— drafted by Acme & Co, approved by <Olivia>")
    assert view["type"] == "modal"
    assert view["callback_id"] == CallbackId.EDIT.value
    assert CardRef.parse(view["private_metadata"]) == ref
    assert len(view["title"]["text"]) <= 24
    assert len(view["submit"]["text"]) <= 24
    assert len(view["close"]["text"]) <= 24
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == BlockId.EDIT_TEXT.value
    assert field["element"]["action_id"] == InputId.TEXT.value
    assert field["element"]["initial_value"] == "Fresh beans are in."
    assert "Added to the last part when posted: — drafted by Acme & Co, approved by <Olivia>" in list(
        text_objects(view, "plain_text")
    )
    assert "<Olivia>" not in "\n".join(text_objects(view, "mrkdwn"))
    json.dumps(view)


@pytest.mark.parametrize("callback", [CallbackId.REQUEST_CHANGES, CallbackId.REJECT])
def test_reason_modal(callback: CallbackId) -> None:
    ref = CardRef(17, 3)
    view = reason_modal(callback, ref, "<!channel> draft text")
    assert view["callback_id"] == callback.value
    assert view["private_metadata"] == "17:3"
    assert len(view["title"]["text"]) <= 24
    assert len(view["submit"]["text"]) <= 24
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == BlockId.REASON.value
    assert field["element"]["action_id"] == InputId.REASON.value
    assert "<!channel>" not in "\n".join(text_objects(view, "mrkdwn"))
    assert "<!channel> draft text" in list(text_objects(view, "plain_text"))
    json.dumps(view)


def test_the_two_reason_modals_differ() -> None:
    ref = CardRef(1, 1)
    changes = reason_modal(CallbackId.REQUEST_CHANGES, ref, "x")
    reject = reason_modal(CallbackId.REJECT, ref, "x")
    assert changes["title"] != reject["title"]
    assert changes["submit"] != reject["submit"]


def test_modals_metadata_and_excerpt_stay_within_limits() -> None:
    ref = CardRef(10**18 - 1, 10**9 - 1)
    view = reason_modal(CallbackId.REJECT, ref, "<" * 5000)
    assert len(view["private_metadata"]) <= 3000
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def test_the_header_names_every_network_the_post_goes_to() -> None:
    rules = {RULES.network: RULES, Network.BLUESKY: BlueskyTextRules(), Network.MASTODON: default_rules()[0]}
    post = compose("One\n---\nTwo", template=TEMPLATE, agency="Ag", approver="Olivia", writer="Wes", rules=rules)
    [header] = blocks_with(approval_card(make_draft(), post), BlockId.CARD_HEADER)
    assert "drafted a thread of 2 posts for X, Bluesky and Mastodon ·" in header["text"]["text"]
    [one] = blocks_with(approval_card(make_draft(), make_post("One")), BlockId.CARD_HEADER)
    assert "drafted a post for X ·" in one["text"]["text"]  # a Workflow given no rules: X's alone, as always
