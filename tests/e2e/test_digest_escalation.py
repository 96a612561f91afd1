"""Issue 11, point 2: the digest says how often escalation was needed, and the median time to a decision with
and without it, from the database's audit rows (seeded for a past week)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.jobs import digest_render
from bot.jobs.digest import build
from bot.jobs.schedule import Week
from tests.e2e import seed
from tests.e2e.harness import DRAFTS, OWNER, Harness, block_text

H = timedelta(hours=1)
MON_W45 = datetime(2026, 11, 2, tzinfo=UTC)
DIGEST_TIME = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # Monday of W46, 09:00: the W45 digest is due
BACKUP = "U0BACKUP"


def digest_text(bot: Harness) -> str:
    result = bot.running.services.scheduler.tick(DIGEST_TIME).digest
    assert result is not None and result.sent
    [text] = [block_text(m.blocks) for m in bot.slack.messages(DRAFTS) if "Weekly digest" in block_text(m.blocks)]
    return text


def test_the_digest_counts_escalations_and_the_waits_with_and_without(bot: Harness) -> None:
    d, store = MON_W45, bot.store
    seed.draft(  # escalated after 8 h, decided by the backup an hour later: 9 h
        store,
        writer="U0W1",
        text="A: escalated, then approved",
        submitted=d + 10 * H,
        status="approved",
        steps=(("escalated", "countersign", d + 18 * H, None), ("approved", BACKUP, d + 19 * H, None)),
    )
    seed.draft(  # approved before any escalation: 1 h
        store, writer="U0W1", text="B: quick", submitted=d + 34 * H, steps=(("approved", OWNER, d + 35 * H, None),)
    )
    seed.draft(  # 2 h
        store, writer="U0W2", text="C: quick", submitted=d + 36 * H, steps=(("approved", OWNER, d + 38 * H, None),)
    )
    seed.draft(  # escalated, still pending at the end of the week
        store,
        writer="U0W2",
        text="D: escalated, waiting",
        submitted=d + 58 * H,
        steps=(("escalated", "countersign", d + 66 * H, None),),
    )
    text = digest_text(bot)
    said = "Escalated to backups: 2 drafts · median to a decision 9 h 00 min with escalation, 1 h 30 min without"
    assert said in text
    assert "over 3 decisions: median 2 h 00 min" in text  # the overall figure is unchanged in meaning


def test_a_week_without_escalation_says_nothing_about_it(bot: Harness) -> None:
    seed.draft(
        bot.store,
        writer="U0W1",
        text="A: quick",
        submitted=MON_W45 + 10 * H,
        steps=(("approved", OWNER, MON_W45 + 11 * H, None),),
    )
    assert "Escalated" not in digest_text(bot)


def test_the_plain_digest_has_the_same_line(bot: Harness) -> None:
    seed.draft(
        bot.store,
        writer="U0W1",
        text="A",
        submitted=MON_W45 + 10 * H,
        steps=(("escalated", "countersign", MON_W45 + 18 * H, None), ("rejected", BACKUP, MON_W45 + 20 * H, "No")),
    )
    digest = build(bot.store, None, Week.of(MON_W45 + 10 * H, ZoneInfo("UTC")), now=DIGEST_TIME)
    assert "Escalated to backups: 1 draft · median to a decision 10 h with escalation, — without" in (
        digest_render.plain(digest)
    )
