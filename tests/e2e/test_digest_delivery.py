"""Issue 9, case 5: the weekly digest against a Slack that doesn't simply say yes — sent once, refusals backed
off and explained to the approvers once, and no digest of a week from before there was anything to report."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import pytest

from bot.networks.x.client import XAccount
from tests.e2e import seed
from tests.e2e.harness import OWNER, OWNER2, Harness, block_text
from tests.e2e.test_digest import DIGEST_TIME, MON_W45

H = timedelta(hours=1)
DIGEST = "C0DIGEST"


def digests(bot: Harness) -> list[str]:
    return [block_text(m.blocks) for m in bot.slack.messages(DIGEST) if "Weekly digest" in block_text(m.blocks)]


def dms(bot: Harness, user: str, containing: str) -> list[str]:
    return [m.text for m in bot.slack.messages(f"D{user[1:]}") if containing in m.text]


def metric_reads(bot: Harness) -> int:
    return len([r for r in bot.x.requests if r.route.startswith("GET /2/tweets")])


def a_published_week(bot: Harness) -> None:
    """W45 with one post on X, so building the digest reads its metrics."""
    account = XAccount(
        api_key=bot.x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=bot.x.url
    )
    post_id = account.post("Fresh beans as posted").id
    seed.draft(
        bot.store,
        writer="U0W1",
        text="Fresh beans",
        submitted=MON_W45 + 10 * H,
        status="published",
        steps=(("approved", OWNER, MON_W45 + 11 * H, None),),
        published_at=MON_W45 + 11 * H,
        post_id=post_id,
    )


def test_a_digest_slack_took_but_never_answered_is_not_sent_again(start_bot) -> None:
    bot = start_bot(DIGEST_CHANNEL=DIGEST)
    a_published_week(bot)
    bot.slack.lose_answer("chat.postMessage", hang=12)  # posted, and the answer never comes (client: 10 s)
    tick = bot.running.services.scheduler.tick
    first = tick(DIGEST_TIME).digest
    assert first is not None and not first.sent and "may or may not" in first.detail
    assert len(digests(bot)) == 1  # Slack has it
    for later in (DIGEST_TIME + timedelta(seconds=30), DIGEST_TIME + 11 * timedelta(minutes=1), DIGEST_TIME + 50 * H):
        result = tick(later).digest
        assert result is not None and not result.sent
    assert len(digests(bot)) == 1
    for approver in (OWNER, OWNER2):
        [told] = dms(bot, approver, "2026-W45")
        assert "may or may not" in told and f"<#{DIGEST}>" in told and "countersign digest --week 2026-W45" in told
    cli = bot.running.services.scheduler.digest.send(bot.running.services.scheduler.digest.due(DIGEST_TIME))
    assert not cli.sent and "not sent again" in cli.detail


def test_a_refused_digest_backs_off_tells_the_approvers_once_and_goes_out_when_fixed(start_bot, caplog) -> None:
    bot = start_bot(DIGEST_CHANNEL=DIGEST)
    a_published_week(bot)
    bot.slack.remove_bot_from(DIGEST)
    tick = bot.running.services.scheduler.tick
    with caplog.at_level(logging.WARNING, logger="bot"):
        first = tick(DIGEST_TIME).digest
    assert first is not None and not first.sent and "not_in_channel" in first.detail
    assert [r for r in caplog.records if "not_in_channel" in r.getMessage() and r.levelno == logging.WARNING]
    reads, attempts = metric_reads(bot), len(bot.slack.calls_to("chat.postMessage"))
    for approver in (OWNER, OWNER2):
        [told] = dms(bot, approver, "2026-W45")
        assert "/invite @Countersign" in told and f"<#{DIGEST}>" in told and "DIGEST_CHANNEL" in told

    for seconds in (30, 60, 90, 300):  # the scheduler's ticks while it waits: nothing rebuilt, nothing asked
        result = tick(DIGEST_TIME + timedelta(seconds=seconds)).digest
        assert result is not None and not result.sent and "not_in_channel" in result.detail
    assert metric_reads(bot) == reads and len(bot.slack.calls_to("chat.postMessage")) == attempts

    bot.slack.invite_bot(DIGEST)
    assert tick(DIGEST_TIME + 11 * timedelta(minutes=1)).digest.sent
    assert len(digests(bot)) == 1
    for approver in (OWNER, OWNER2):
        assert len(dms(bot, approver, "2026-W45")) == 1  # told once
    assert not tick(DIGEST_TIME + 12 * timedelta(minutes=1)).digest.sent


def test_refusals_back_off_longer_each_time(start_bot) -> None:
    bot = start_bot(DIGEST_CHANNEL=DIGEST)
    a_published_week(bot)
    bot.slack.remove_bot_from(DIGEST)
    tick = bot.running.services.scheduler.tick
    attempts_at = []
    now = DIGEST_TIME
    while now < DIGEST_TIME + 24 * H:
        before = len(bot.slack.calls_to("chat.postMessage"))
        tick(now)
        if len([c for c in bot.slack.calls_to("chat.postMessage")[before:] if c.args.get("channel") == DIGEST]):
            attempts_at.append(now)
        now += timedelta(minutes=5)
    gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
    assert gaps == sorted(gaps) and gaps[0] >= timedelta(minutes=10) and len(attempts_at) <= 10, attempts_at
    for approver in (OWNER, OWNER2):
        assert len(dms(bot, approver, "2026-W45")) == 1


@pytest.mark.parametrize("first_draft_after", [None, 26 * H])
def test_no_digest_for_a_week_that_ended_before_the_first_draft(start_bot, first_draft_after) -> None:
    bot = start_bot(DIGEST_CHANNEL=DIGEST)
    if first_draft_after is not None:  # the first draft came on the Tuesday of the week after (W46)
        seed.draft(bot.store, writer="U0W1", text="Our very first", submitted=DIGEST_TIME + first_draft_after)
    tick = bot.running.services.scheduler.tick
    result = tick(DIGEST_TIME).digest  # W45's digest is due, but nothing existed in W45
    assert result is not None and not result.sent and "before the first draft" in result.detail
    assert digests(bot) == []
    next_week = tick(DIGEST_TIME + 7 * 24 * H).digest  # W46's: the first draft is in it
    assert next_week is not None and next_week.sent == (first_draft_after is not None)


def test_a_busy_slack_is_retried_without_bothering_anyone(start_bot) -> None:
    bot = start_bot(DIGEST_CHANNEL=DIGEST)
    a_published_week(bot)
    bot.slack.fail("chat.postMessage", error="internal_error", status=200)
    tick = bot.running.services.scheduler.tick
    assert not tick(DIGEST_TIME).digest.sent
    assert tick(DIGEST_TIME + 11 * timedelta(minutes=1)).digest.sent
    assert len(digests(bot)) == 1
    assert dms(bot, OWNER, "2026-W45") == [] and dms(bot, OWNER2, "2026-W45") == []
