"""Issue 3, points 3 to 5: reminders on an injected clock, and the weekly digest, exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.networks.x.client import XAccount
from storage.types import utcnow
from tests.e2e import seed
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, WRITER, Harness, block_text

H = timedelta(hours=1)
MON_W45 = datetime(2026, 11, 2, tzinfo=UTC)  # ISO week 2026-W45 starts here (UTC)
DIGEST_TIME = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # Monday of W46, 09:00: the W45 digest is due


def digests(bot: Harness, channel: str = DRAFTS) -> list[str]:
    return [block_text(m.blocks) for m in bot.slack.messages(channel) if "Weekly digest" in block_text(m.blocks)]


def history_from(store, at: datetime) -> None:
    """A first draft at `at`: no digest goes out for a week that ended before there was anything to report."""
    seed.draft(store, writer="U0W1", text="The first draft", submitted=at)


def reminders_to(bot: Harness, user: str) -> list[str]:
    return [m.text for m in bot.slack.messages(f"D{user[1:]}") if "waited" in m.text]


# -- reminders ------------------------------------------------------------------------------------


def test_a_pending_draft_is_nudged_once_per_period_until_decided(bot: Harness) -> None:
    ts = bot.draft("Please look at me.")
    card = bot.card(OWNER, containing="Please look at me")
    bot.thread(ts)  # intake is over: both cards are posted
    since = bot.row(ts).pending_since
    tick = bot.running.services.scheduler.tick

    assert tick(since + 4 * H - timedelta(seconds=1)).reminders == 0
    assert tick(since + 4 * H).reminders == 1
    assert tick(since + 4 * H + timedelta(minutes=30)).reminders == 0  # never more often than the period
    [nudge] = reminders_to(bot, OWNER)
    assert "draft #1" in nudge and "waited 4 h 00 min" in nudge
    assert f"p{card.ts.replace('.', '')}" in nudge  # links to the card
    assert len(reminders_to(bot, OWNER2)) == 1

    assert tick(since + 8 * H).reminders == 1
    assert len(reminders_to(bot, OWNER)) == 2
    bot.click(card, "Approve")
    bot.wait_status(ts, "published")
    assert tick(since + 12 * H).reminders == 0
    assert len(reminders_to(bot, OWNER)) == 2


def test_a_writers_revision_restarts_the_reminder_clock(bot: Harness) -> None:
    ts = bot.draft("Version one.")
    bot.card(OWNER, containing="Version one")
    bot.edit(ts, "Version two.", "Version one.")
    draft = bot.wait_status(ts, "pending")
    bot.slack.wait_until(lambda: bot.row(ts).version == 2)
    revised_at = bot.row(ts).pending_since
    assert revised_at >= draft.created_at
    tick = bot.running.services.scheduler.tick
    assert tick(revised_at + 4 * H - timedelta(seconds=1)).reminders == 0
    assert tick(revised_at + 4 * H).reminders == 1


def test_reminders_can_be_turned_off(start_bot) -> None:
    bot = start_bot(REMINDER_AFTER="off")
    ts = bot.draft("No nudges.")
    bot.card(OWNER, containing="No nudges")
    assert bot.running.services.scheduler.tick(bot.row(ts).pending_since + 100 * H).reminders == 0


def test_two_instances_due_at_once_send_one_reminder_per_period(start_bot) -> None:
    first, second = start_bot(), start_bot()  # one database, two apps
    ts = first.draft("Shared queue.")
    first.thread(ts)
    due = first.row(ts).pending_since + 4 * H
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda app: app.running.services.scheduler.tick(due).reminders, [first, second] * 3))
    assert sum(results) == 1
    assert len(reminders_to(first, OWNER)) == 1


# -- the digest -----------------------------------------------------------------------------------


def seeded_week(bot: Harness) -> dict[str, str]:
    """Week 2026-W45 as an owner lived it, plus four earlier weeks for the trend. Answers by hand below."""
    account = XAccount(
        api_key=bot.x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=bot.x.url
    )
    ids = {name: account.post(f"{name} as posted").id for name in ("A", "B", "C")}
    bot.x.set_metrics(ids["A"], like_count=5, retweet_count=2, reply_count=1, impression_count=100)
    bot.x.set_metrics(ids["C"], like_count=7, impression_count=250)
    store, d = bot.store, MON_W45
    seed.draft(
        store,
        writer="U0W1",
        text="A: fresh beans",
        submitted=d + 10 * H,
        status="published",
        steps=(("approved", OWNER, d + 11 * H, None),),
        published_at=d + 11 * H,
        post_id=ids["A"],
    )
    seed.draft(
        store,
        writer="U0W1",
        text="B: latte art",
        submitted=d + 33 * H,
        status="published",
        steps=(("edited", OWNER, d + 36 * H, None),),
        published_at=d + 36 * H,
        post_id=ids["B"],
    )
    seed.draft(
        store,
        writer="U0W2",
        text="C: price list",
        submitted=d + 56 * H,
        status="published",
        steps=(
            ("changes_requested", OWNER, d + 58 * H, "Add the price"),
            ("revised", "U0W2", d + 59 * H, None),
            ("approved", OWNER, d + 63 * H, None),
        ),
        published_at=d + 63 * H,
        post_id=ids["C"],
    )
    seed.draft(
        store,
        writer="U0W2",
        text="D: competitors",
        submitted=d + 81 * H,
        status="rejected",
        steps=(("rejected", OWNER2, d + 89 * H, "Off brand"),),
    )
    seed.draft(
        store,
        writer="U0W1",
        text="E: oops",
        submitted=d + 106 * H,
        status="withdrawn",
        steps=(("withdrawn", "U0W1", d + 108 * H, None),),
    )
    seed.draft(
        store,
        writer="U0W3",
        text="F: broken keys",
        submitted=d + 129 * H,
        status="failed",
        steps=(("approved", OWNER, d + 129.5 * H, None), ("publish_failed", "worker", d + 129.6 * H, "401")),
    )
    seed.draft(store, writer="U0W2", text="G: still waiting", submitted=d + 164 * H)
    seed.draft(
        store,
        writer="U0W1",
        text="Next week",
        submitted=d + 169 * H,
        status="published",
        steps=(("approved", OWNER, d + 170 * H, None),),
        published_at=d + 170 * H,
        post_id="77",
    )
    for weeks_back, published in ((4, 1), (3, 2), (2, 0), (1, 3)):
        for i in range(published):
            at = d - weeks_back * 7 * 24 * H + (10 + i) * H
            seed.draft(
                store,
                writer="U0W1",
                text=f"old {weeks_back}.{i}",
                submitted=at,
                status="published",
                steps=(("approved", OWNER, at, None),),
                published_at=at,
                post_id=str(9000 + weeks_back * 10 + i),
            )
    return ids


def test_the_weekly_digest_has_the_numbers_of_a_seeded_week(bot: Harness) -> None:
    ids = seeded_week(bot)
    result = bot.running.services.scheduler.tick(DIGEST_TIME).digest
    assert result is not None and result.sent and result.week == "2026-W45"
    [text] = digests(bot)

    assert "Weekly digest · 2026-W45" in text and "Mon 02 Nov to Sun 08 Nov, UTC" in text
    # Published in W45: A, B, C (not the next week's post), each with its link and engagement.
    assert "Published in your name: 3" in text
    assert f"https://x.com/acmecoffee/status/{ids['A']}" in text
    assert "5 likes · 2 reposts · 1 replies · 100 impressions" in text
    assert "7 likes · 0 reposts · 0 replies · 250 impressions" in text
    # Submitted A to G = 7; approved as is A, C, F = 3; edited B; changes C; rejected D; withdrawn E; failed F.
    assert (
        "7 submitted · 3 approved as is · 1 edited by the owner · 1 changes requested · 1 rejected"
        " · 1 withdrawn · 1 failed"
    ) in text
    # Waits: A 1h, B 3h, C 2h (changes) and 4h (after the revision), D 8h, F 0.5h → sorted 0.5 1 2 3 4 8:
    # median (2+3)/2 = 2.5 h; 90th percentile by nearest rank = the 6th of 6 = 8 h.
    assert "over 6 decisions: median 2 h 30 min, 90th percentile 8 h 00 min" in text
    # G has waited from Sun 20:00 to the digest, Mon 09:00: 13 h.
    assert "Slowest still pending: #7 by <@U0W2>, waiting 13 h" in text
    assert "changes requested by <@U0OWNER>: _Add the price_" in text
    assert "rejected by <@U0OWNER2>: _Off brand_" in text
    # Per writer in W45: W1 A B E = 3, W2 C D G = 3, W3 F = 1.
    assert "<@U0W1>: 3\n• <@U0W2>: 3\n• <@U0W3>: 1" in text
    assert "Still waiting for you: 1*\n• #7 by <@U0W2>, waiting 13 h" in text  # only G is pending
    # Trend: W41..W44 published 1, 2, 0, 3 → 1.5 a week; 3 this week is up.
    assert "Trend ↑: 3 published this week vs 1.5/week over the previous 4 (1, 2, 0, 3)" in text


def test_engagement_unavailable_still_sends_the_digest(bot: Harness) -> None:
    seeded_week(bot)
    bot.x.fail(route="GET /2/tweets", status=403, times=5)
    assert bot.running.services.scheduler.tick(DIGEST_TIME).digest.sent
    [text] = digests(bot)
    assert "engagement unavailable" in text and "Published in your name: 3" in text


def test_a_digest_is_sent_once_per_week_across_ticks_and_instances(start_bot) -> None:
    first, second = start_bot(), start_bot()
    history_from(first.store, MON_W45)
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda app: app.running.services.scheduler.tick(DIGEST_TIME).digest, [first, second, first, second]
            )
        )
    assert sum(r.sent for r in results) == 1
    assert {r.week for r in results} == {"2026-W45"}
    assert len(digests(first)) == 1
    later = first.running.services.scheduler.tick(DIGEST_TIME + 30 * H).digest
    assert not later.sent and "already sent" in later.detail


def test_a_missed_digest_is_sent_later_the_same_week_but_not_the_next(bot: Harness) -> None:
    history_from(bot.store, MON_W45)
    tick = bot.running.services.scheduler.tick
    # Monday 08:59 of W46: the slot of W45 (for W44) is a week old, so nothing is due.
    assert tick(DIGEST_TIME - timedelta(minutes=1)).digest is None
    # Down on Monday morning, back on Wednesday: the W45 digest still goes out.
    assert tick(DIGEST_TIME + 50 * H).digest.week == "2026-W45"
    # Down for all of W47: on Monday 08:59 of W48 the W46 digest is stale and never sent.
    assert tick(DIGEST_TIME + 14 * 24 * H - timedelta(minutes=1)).digest is None
    assert len(digests(bot)) == 1


def test_the_digest_goes_to_digest_channel_in_the_configured_time_zone(start_bot) -> None:
    bot = start_bot(DIGEST_CHANNEL="C0DIGEST", DIGEST_SCHEDULE="fri 17:30", TIMEZONE="America/New_York")
    friday = datetime(2026, 11, 13, 22, 30, tzinfo=UTC)  # Fri 17:30 in New York (EST, UTC-5)
    history_from(bot.store, MON_W45 + 12 * H)
    assert bot.running.services.scheduler.tick(friday - timedelta(minutes=1)).digest is None
    result = bot.running.services.scheduler.tick(friday).digest
    assert result.sent and result.week == "2026-W45"
    [text] = digests(bot, "C0DIGEST")
    assert "America/New_York" in text


@pytest.mark.parametrize("published", [60])
def test_a_long_week_is_summarised_within_block_kit_limits(bot: Harness, published: int) -> None:
    d = MON_W45
    for i in range(published):
        seed.draft(
            bot.store,
            writer=f"U0W{i % 12}",
            text=f"Post {i} " + "x" * 200,
            submitted=d + i * H,
            status="rejected",
            steps=(("rejected", OWNER, d + i * H + H, "Reason " + "y" * 150),),
        )
    assert bot.running.services.scheduler.tick(DIGEST_TIME).digest.sent
    [message] = [m for m in bot.slack.messages(DRAFTS) if "Weekly digest" in block_text(m.blocks)]
    assert len(message.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")
    text = block_text(message.blocks)
    assert "…and 52 more reasons" in text and "…and 4 more writers" in text


def test_the_background_loop_sends_the_digest_by_itself(start_bot) -> None:
    bot = start_bot(DIGEST_SCHEDULE="* * * * *")  # due every minute: due right now
    history_from(bot.store, utcnow() - 8 * 24 * H)  # a draft in the week the digest covers
    bot.running.services.scheduler.start()
    bot.slack.wait_for(lambda s: digests(bot) or None, timeout=10)
    bot.settle()
    assert len(digests(bot)) == 1


def test_writer_and_owner_ids_in_the_digest_are_mentions_not_raw_text(bot: Harness) -> None:
    seed.draft(
        bot.store,
        writer=WRITER,
        text="<!channel> sneaky",
        submitted=MON_W45 + H,
        status="rejected",
        steps=(("rejected", OWNER, MON_W45 + 2 * H, "<!here> no"),),
    )
    bot.running.services.scheduler.tick(DIGEST_TIME)
    [text] = digests(bot)
    assert "<!here>" not in text and "&lt;!here&gt; no" in text


# -- the CLI and separate processes ---------------------------------------------------------------


def test_cli_prints_a_weeks_digest_and_sends_it_once(bot: Harness, slack, x, database_url, tmp_path) -> None:
    from tests.e2e.harness import app_env
    from tests.e2e.test_running import run_cli

    seeded_week(bot)
    env = app_env(slack, x, database_url)
    printed = run_cli("digest", "--week", "2026-W45", env=env, cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "Weekly digest 2026-W45" in printed.stdout and "Published in your name: 3" in printed.stdout
    assert digests(bot) == []

    first = run_cli("digest", "--week", "2026-W45", "--send", env=env, cwd=tmp_path)
    second = run_cli("digest", "--week", "2026-W45", "--send", env=env, cwd=tmp_path)
    assert first.returncode == 0 and first.stdout.startswith("Sent: digest for 2026-W45"), first.stderr
    assert second.returncode == 0 and "already sent" in second.stdout
    assert len(digests(bot)) == 1
    # The scheduler uses the same key: its Monday tick finds the week done.
    assert not bot.running.services.scheduler.tick(DIGEST_TIME).digest.sent
    assert len(digests(bot)) == 1


def test_cli_refuses_a_malformed_week(tmp_path, slack, x, database_url) -> None:
    from tests.e2e.harness import app_env
    from tests.e2e.test_running import run_cli

    result = run_cli("digest", "--week", "2026-47", env=app_env(slack, x, database_url), cwd=tmp_path)
    assert result.returncode == 2 and "ISO week like 2026-W47" in result.stderr and "Traceback" not in result.stderr


def test_cli_status_prints_the_same_report(bot: Harness, slack, x, database_url, tmp_path) -> None:
    from tests.e2e.harness import app_env
    from tests.e2e.test_running import run_cli

    bot.draft("Waiting for the CLI.")
    bot.card(OWNER, containing="Waiting for the CLI")
    result = run_cli("status", env=app_env(slack, x, database_url), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 pending" in result.stdout and "Waiting for the CLI." in result.stdout


def test_two_app_processes_due_at_the_same_moment_send_one_digest(slack, x, database_url, tmp_path) -> None:
    import subprocess
    import sys

    from storage.engine import make_engine
    from storage.migrate import upgrade_url
    from storage.store import Store
    from tests.e2e.harness import app_env
    from tests.e2e.test_running import free_port, wait_healthy

    env = {**app_env(slack, x, database_url), "DIGEST_SCHEDULE": "* * * * *", "PATH": "/usr/bin:/bin"}
    upgrade_url(database_url)
    engine = make_engine(database_url)
    history_from(Store(engine), utcnow() - 8 * 24 * H)  # a draft in the week the digest covers
    engine.dispose()
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    try:
        for port in ports:  # both are serving, so both schedulers have ticked at start
            wait_healthy(f"http://127.0.0.1:{port}")
        slack.wait_for(lambda s: [m for m in s.messages(DRAFTS) if "Weekly digest" in m.text] or None, timeout=30)
    finally:
        for process in processes:
            process.terminate()
        outputs = [p.communicate(timeout=15) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert len([m for m in slack.messages(DRAFTS) if "Weekly digest" in m.text]) == 1
