"""How `status` and the weekly digest scale with history: N drafts in the database, timed.

Fills a fresh database (SQLite file by default, or --database-url) with N drafts spread over a year —
mostly published, some pending, failed, rejected — each with its version and audit rows, then times
`status.build()+render()` and the digest's `build()` + blocks for the last full week (median of --runs), in a
fresh process, with that process's RSS before the first query, after the last, and its peak while answering.
Goals (issue 5): status under 100 ms and the digest under 2 s at 1,000,000 drafts; memory that doesn't grow with
the history (compare the RSS figures at 100,000 and at 1,000,000 drafts).

    python benchmarks/history_scale.py --drafts 100000
    python benchmarks/history_scale.py --drafts 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness
from sqlalchemy import insert, text

from bot.jobs import digest_render
from bot.jobs.digest import build as build_digest
from bot.jobs.schedule import Week
from bot.reports import status
from bot.runtime.settings import Settings
from storage.engine import make_engine
from storage.maintenance import optimize
from storage.migrate import upgrade
from storage.models import AuditEvent, Delivery, Draft, DraftVersion
from storage.store import Store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BATCH = 20_000


def fill(store: Store, drafts: int, seed: int = 7, backlog: int | None = None, days: int = 365) -> None:
    """`backlog=None`: 5% pending and 1% failed, spread over the year (a stress: 50,000 drafts waiting at 1M).
    `backlog=N`: the N newest drafts are pending and N // 5 failed, as on a team that keeps up."""
    rng = random.Random(seed)
    statuses = ["published"] * 85 + ["rejected"] * 6 + ["withdrawn"] * 3 + ["failed"] * 1 + ["pending"] * 5
    if backlog is not None:
        statuses = [s for s in statuses if s not in ("pending", "failed")]
    with store.engine.begin() as connection:
        for start in range(0, drafts, BATCH):
            rows, versions, audits, delivered = [], [], [], []
            for i in range(start, min(drafts, start + BATCH)):
                created = NOW - timedelta(seconds=rng.randrange(days * 86400))
                state = rng.choice(statuses)
                if backlog is not None and i >= drafts - backlog - backlog // 5:
                    state = "pending" if i >= drafts - backlog else "failed"
                    created = NOW - timedelta(seconds=rng.randrange(3 * 86400))
                decided = created + timedelta(minutes=rng.randrange(5, 600))
                rows.append(
                    {
                        "id": i + 1,
                        "brand": "default",
                        "channel": "C0DRAFTS",
                        "ts": f"1700000000.{i:06d}",
                        "writer_id": f"U0W{i % 7}",
                        "writer_name": f"Writer {i % 7}",
                        "status": state,
                        "version": 1,
                        "text": f"Draft {i}: fresh beans and a story about the roast.",
                        "created_at": created,
                        "updated_at": decided,
                        "pending_since": created,
                        "decided_at": None if state == "pending" else decided,
                        "decided_by": "U0OWNER",
                        "final_parts": '["x"]' if state == "published" else None,
                    }
                )
                versions.append(
                    {"draft_id": i + 1, "version": 1, "text": "v1", "author_id": f"U0W{i % 7}", "created_at": created}
                )
                if state in ("published", "failed"):  # past approval: its X delivery, as migration 0017 makes one
                    delivered.append(delivery(rows[-1], 10**18 + i))
                audits.append(
                    {
                        "draft_id": i + 1,
                        "action": "submitted",
                        "actor_id": f"U0W{i % 7}",
                        "actor_team_id": "",
                        "at": created,
                        "to_status": "pending",
                        "detail": None,
                    }
                )
                if state != "pending":
                    action = {"published": "approved", "failed": "approved"}.get(state, state)
                    audits.append(
                        {
                            "draft_id": i + 1,
                            "action": action,
                            "actor_id": "U0OWNER",
                            "actor_team_id": "",
                            "at": decided,
                            "to_status": state,
                            "detail": "Off brand" if state == "rejected" else None,
                        }
                    )
            connection.execute(insert(Draft), rows)
            connection.execute(insert(DraftVersion), versions)
            connection.execute(insert(AuditEvent), audits)
            if delivered:
                connection.execute(insert(Delivery), delivered)


def delivery(draft: dict, post_id: int) -> dict:
    """The X delivery of a draft row of `fill` (what status, the digest and history read what went out from)."""
    up = draft["status"] == "published"
    return {
        "draft_id": draft["id"],
        "brand": draft["brand"],
        "version": draft["version"],
        "network": "x",
        "status": draft["status"],
        "final_parts": draft["final_parts"],
        "post_ids": f'["{post_id}"]' if up else None,
        "post_url": f"https://x.com/acme/status/{post_id}" if up else None,
        "attempts": 1,
        "looks": 0,
        "published_at": draft["decided_at"] if up else None,
        "last_error": "X refused the keys (401)" if draft["status"] == "failed" else None,
        "created_at": draft["decided_at"],
        "updated_at": draft["updated_at"],
    }


def timed(fn, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return {"first": samples[0] * 1000, "median": statistics.median(samples) * 1000, "max": max(samples) * 1000}


def settings_for(url: str) -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-x",
            "SLACK_SIGNING_SECRET": "x",
            "X_API_KEY": "x",
            "X_API_SECRET": "x",
            "X_ACCESS_TOKEN": "x",
            "X_ACCESS_TOKEN_SECRET": "x",
            "DRAFTS_CHANNEL": "C0DRAFTS",
            "APPROVERS": "U0OWNER",
            "AGENCY_NAME": "A",
            "DATABASE_URL": url,
        }
    )


def measure(url: str, runs: int) -> dict[str, float]:
    """Time status and the digest in this process; RSS now, after, and the peak while answering."""
    settings = settings_for(url)
    engine = make_engine(url)
    store = Store(engine)
    week = Week.of(NOW, settings.timezone).shift(-1)
    gc.collect()
    rss_before = harness.rss_mib()
    peak_reset = harness.reset_peak_rss()
    status_ms = timed(lambda: status.render(status.build(store, settings, now=NOW)), runs)
    digest_ms = timed(lambda: digest_render.blocks(build_digest(store, None, week, now=NOW)), runs)
    gc.collect()
    result = {
        "status": status_ms,
        "digest": digest_ms,
        "week": str(week),
        "rss_before_mib": rss_before,
        "rss_after_mib": harness.rss_mib(),
        "peak_rss_mib": harness.peak_rss_mib() if peak_reset else float("nan"),
        "drafts": _count(engine),
    }
    engine.dispose()
    return result


def _count(engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM draft")).scalar() or 0)


def prepare(url: str, drafts: int, reuse: bool, backlog: int | None, days: int) -> None:
    """Fill a fresh database with `drafts` drafts (or, with `reuse`, check it already holds that many)."""
    engine = make_engine(url)
    upgrade(engine)
    held = _count(engine)
    if reuse and held == drafts:
        print(f"reusing {held:,} drafts in {url.split(':')[0]}")
    elif held:
        raise SystemExit(f"the database already holds {held:,} drafts: use a fresh one, or --reuse --drafts {held}")
    else:
        started = time.perf_counter()
        fill(Store(engine), drafts, backlog=backlog, days=days)
        print(f"{drafts:,} drafts written to {url.split(':')[0]} in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        # What autovacuum does by itself within a minute of a bulk load; without it the planner has no statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    optimize(engine)  # what a running instance's scheduler does at its first tick (SQLite's ANALYZE)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--database-url",
        default="",
        help="default: a SQLite file in a temp folder; a PostgreSQL "
        "database named bench* is dropped and recreated (unless --reuse)",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        default=None,
        help="pending drafts (the newest N; N/5 failed); "
        "default: 5%% of all drafts pending and 1%% failed, spread over the year",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=365,
        help="the history's span (drafts are spread evenly): "
        "1,000,000 over 3650 days has the weekly volume of 100,000 over 365, with 10x the history",
    )
    parser.add_argument("--reuse", action="store_true", help="measure a database already filled with --drafts drafts")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.measure_only:  # the fresh process the figures come from
        print(json.dumps(measure(args.database_url, args.runs)))
        return
    harness.print_machine(args.database_url or None, args.quiet_wait)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'history.db'}"
        if harness.is_postgresql(url) and not args.reuse:
            harness.recreate_postgresql(url)
        prepare(url, args.drafts, args.reuse, args.backlog, args.days)
        # Measured in a fresh process, so its memory is the answering's, not the filling's.
        with harness.OtherLoad(url) as other:
            answer = subprocess.run(
                [sys.executable, __file__, "--measure-only", "--database-url", url, "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
            )
        r = json.loads(answer.stdout.strip().splitlines()[-1])
    db = url.split(":")[0].split("+")[0]
    mix = f"backlog of {args.backlog} pending" if args.backlog is not None else "5% pending"
    mix += f", over {args.days} days"
    print(f"{r['drafts']:,} drafts on {db} ({mix}); {other.line()}")
    rows = []
    for key, title, goal in (("status", "status (build + render)", 100.0), ("digest", f"digest {r['week']}", 2000.0)):
        t = r[key]
        verdict = f"< {goal:g} ms: " + ("met" if t["median"] < goal else "missed")
        rows.append([title, f"{t['first']:.1f}", f"{t['median']:.1f}", f"{t['max']:.1f}", verdict])
    print(harness.table(["query", "first ms", f"median of {args.runs} ms", "max ms", "goal (median)"], rows))
    print(
        f"RSS of the answering process: {r['rss_before_mib']:.1f} MiB before the first query, "
        f"{r['rss_after_mib']:.1f} MiB after {2 * args.runs} answers, "
        f"peak {r['peak_rss_mib']:.1f} MiB while answering"
    )
    if args.json:
        args.json.write_text(json.dumps({**r, "database": db, "other_load": other.share}, indent=2))


if __name__ == "__main__":
    main()
