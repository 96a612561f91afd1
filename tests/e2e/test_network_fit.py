"""Issue 12, item 2: a brand on X and Bluesky, from a brands file (COUNTERSIGN_CONFIG), with Bluesky's stand-in.

A draft must fit every network of its brand: one over Bluesky's 300 graphemes but within X's 280 weighted (a long
URL is 23 on X, every character on Bluesky) is refused in the writer's thread, naming Bluesky and by how much, and
no approver gets a card; one that fits both gets a card counting each network under its own rules.

Counts are worked out by hand: the attribution `\\n\\n— by Ag` is 9 on both; the 100-character URL is 23 on X.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.runtime.brands import for_deployment
from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.sandbox.slack_api import dm_channel_for
from bot.slack.ids import BlockId
from tests.e2e.harness import DRAFTS, OWNER, SECRET, Harness, app_env, block_text

URL = "https://example.com/" + "a" * 80  # 100 characters


def brands_file(x: XSandbox, bluesky: BlueskySandbox) -> str:
    return f"""
[brands.acme]
name = "Acme Coffee"
drafts_channels = ["{DRAFTS}"]
approvers = ["{OWNER}"]
agency_name = "Ag"
attribution_template = "— by {{agency}}"

[brands.acme.x]
api_key_env = "ACME_X_API_KEY"
api_secret_env = "ACME_X_API_SECRET"
access_token_env = "ACME_X_ACCESS_TOKEN"
access_token_secret_env = "ACME_X_ACCESS_TOKEN_SECRET"
api_url = "{x.url}"

[brands.acme.bluesky]
handle = "{bluesky.user_handle}"
app_password_env = "ACME_BSKY_PASSWORD"
service = "{bluesky.url}"
"""


@pytest.fixture
def bluesky() -> Iterator[BlueskySandbox]:
    with BlueskySandbox() as sandbox:
        yield sandbox


@pytest.fixture
def app(
    slack: SlackSandbox, x: XSandbox, bluesky: BlueskySandbox, database_url: str, tmp_path: Path
) -> Iterator[Harness]:
    path = tmp_path / "countersign.toml"
    path.write_text(brands_file(x, bluesky), encoding="utf-8")
    env = {k: v for k, v in app_env(slack, x, database_url).items() if not k.startswith(("X_", "DRAFTS", "APPR"))}
    env |= {"COUNTERSIGN_CONFIG": str(path), "ACME_X_API_KEY": x.consumer_key, "ACME_X_API_SECRET": "s"}
    env |= {"ACME_X_ACCESS_TOKEN": "t", "ACME_X_ACCESS_TOKEN_SECRET": "ts", "ACME_BSKY_PASSWORD": bluesky.app_password}
    settings = Settings.from_env(env)
    running: Running = start_http(settings, "127.0.0.1", 0, brands=for_deployment(env, settings))
    driver = SlackDriver(
        f"{running.url}/slack/events", SECRET, response_url_base=slack.response_url_base, replies_of=slack.replies_of
    )
    yield Harness(running, driver, slack, x)
    running.stop()


def test_a_draft_over_bluesky_but_within_x_is_refused_naming_bluesky_and_no_card_is_sent(app: Harness) -> None:
    text = URL + " " + "b" * 202  # 303 graphemes (312 with the attribution); X: 23 + 1 + 202 + 9 = 235
    ts = app.draft(text)
    [reply] = app.thread(ts)
    assert reply.text == (
        "Not sent for approval. Too long for Bluesky: 312/300 graphemes (12 over, attribution included). "
        "X: fits (235/280). Shorten it and try again: nothing is ever cut silently."
    )
    app.settle()
    assert [m for m in app.slack.messages(dm_channel_for(OWNER)) if m.blocks] == []
    with app.store.read() as tx:
        assert tx.by_message(DRAFTS, ts) is None
    assert any(a.action == "refused_too_long" and "Bluesky" in (a.detail or "") for a in app.audit())


def test_a_draft_that_fits_both_gets_a_card_counting_each_network(app: Harness) -> None:
    text = "Fresh beans are in. " + URL  # X: 20 + 23 + 9 = 52; Bluesky: 20 + 100 + 9 = 129
    ts = app.draft(text)
    card = app.card(OWNER, containing="Fresh beans")
    [count] = [b for b in card.blocks if b.get("block_id") == BlockId.CARD_COUNT]
    assert count["elements"][0]["text"] == "X 52/280 · Bluesky 129/300 · attribution included, added to every post"
    [reply] = app.thread(ts)
    assert reply.text.endswith("· X 52/280 · Bluesky 129/300")


def test_the_decided_card_still_counts_each_network_of_the_approved_post(app: Harness) -> None:
    text = "Fresh beans are in. " + URL  # as above: the approved parts, measured again on each network
    app.draft(text)
    card = app.card(OWNER, containing="Fresh beans")
    app.click(card, "Approve")
    app.x.wait_for_posts(1)

    def counted(m: object) -> bool:
        count = [b for b in m.blocks if b.get("block_id") == BlockId.CARD_COUNT]  # type: ignore[attr-defined]
        return "published" in block_text(m.blocks) and bool(count)  # type: ignore[attr-defined]

    decided = app.wait_card(card, counted, timeout=10)
    [count] = [b for b in decided.blocks if b.get("block_id") == BlockId.CARD_COUNT]
    assert count["elements"][0]["text"] == "X 52/280 · Bluesky 129/300 · attribution included, added to every post"


def test_an_edit_over_bluesky_is_refused_naming_bluesky_and_the_card_keeps_the_version(app: Harness) -> None:
    first = "Fresh beans are in. " + URL
    ts = app.draft(first)
    card = app.card(OWNER, containing="Fresh beans")
    longer = first + " " + "b" * 190  # 311 graphemes (320 with the attribution); X: 20 + 23 + 1 + 190 + 9 = 243
    app.edit(ts, longer, first)
    [reply] = app.thread(ts, containing="edit wasn't sent")
    assert reply.text == (
        "Your edit wasn't sent. Too long for Bluesky: 320/300 graphemes (20 over, attribution included). "
        "X: fits (243/280). Shorten it and try again: nothing is ever cut silently. Approvers still see version 1."
    )
    assert app.row(ts).version == 1
    assert "version 1" in block_text(app.fresh(card).blocks) and "version 2" not in block_text(app.fresh(card).blocks)
