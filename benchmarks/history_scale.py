"""How `status` and the weekly digest scale with history: N drafts in the database, timed.

Fills a fresh database (SQLite file by default, or --database-url) with N drafts spread over a year —
mostly published, some pending, failed, rejected — each with its version and audit rows, then times
`status.build()+render()` and the digest's `build()` for the last full week (median of --runs).

    python benchmarks/history_scale.py --drafts 100000
    python benchmarks/history_scale.py --drafts 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot import digest_render, status
from bot.digest import build as build_digest
from bot.schedule import Week
from bot.settings import Settings
from storage.engine import make_engine
from storage.maintenance import optimize
from storage.migrate import upgrade
from storage.models import AuditEvent, Draft, DraftVersion
from storage.store import Store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BATCH = 20_000


def fill(store: Store, drafts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    statuses = ["published"] * 85 + ["rejected"] * 6 + ["withdrawn"] * 3 + ["failed"] * 1 + ["pending"] * 5
    with store.engine.begin() as connection:
        for start in range(0, drafts, BATCH):
            rows, versions, audits = [], [], []
            for i in range(start, min(drafts, start + BATCH)):
                created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
                state = rng.choice(statuses)
                decided = created + timedelta(minutes=rng.randrange(5, 600))
                rows.append({
                    "id": i + 1, "brand": "default", "channel": "C0DRAFTS", "ts": f"1700000000.{i:06d}",
                    "writer_id": f"U0W{i % 7}", "writer_name": f"Writer {i % 7}", "status": state, "version": 1,
                    "text": f"Draft {i}: fresh beans and a story about the roast.", "attempts": 0,
                    "created_at": created, "updated_at": decided, "pending_since": created,
                    "decided_at": None if state == "pending" else decided, "decided_by": "U0OWNER",
                    "published_at": decided if state == "published" else None,
                    "post_url": f"https://x.com/acme/status/{10**18 + i}" if state == "published" else None,
                    "post_ids": f'["{10**18 + i}"]' if state == "published" else None,
                    "final_parts": '["x"]' if state == "published" else None,
                })
                versions.append({"draft_id": i + 1, "version": 1, "text": "v1", "author_id": f"U0W{i % 7}",
                                 "created_at": created})
                audits.append({"draft_id": i + 1, "action": "submitted", "actor_id": f"U0W{i % 7}",
                               "actor_team_id": "", "at": created, "to_status": "pending", "detail": None})
                if state != "pending":
                    action = {"published": "approved", "failed": "approved"}.get(state, state)
                    audits.append({"draft_id": i + 1, "action": action, "actor_id": "U0OWNER", "actor_team_id": "",
                                   "at": decided, "to_status": state,
                                   "detail": "Off brand" if state == "rejected" else None})
            connection.execute(insert(Draft), rows)
            connection.execute(insert(DraftVersion), versions)
            connection.execute(insert(AuditEvent), audits)


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000, max(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'history.db'}"
        engine = make_engine(url)
        upgrade(engine)
        store = Store(engine)
        started = time.perf_counter()
        fill(store, args.drafts)
        print(f"{args.drafts:,} drafts written to {url.split(':')[0]} in {time.perf_counter() - started:.1f} s")
        optimize(engine)  # what a running instance's scheduler does at its first tick
        settings = Settings.from_env({
            "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "x", "X_API_KEY": "x", "X_API_SECRET": "x",
            "X_ACCESS_TOKEN": "x", "X_ACCESS_TOKEN_SECRET": "x", "DRAFTS_CHANNEL": "C0DRAFTS",
            "APPROVERS": "U0OWNER", "AGENCY_NAME": "A", "DATABASE_URL": url,
        })
        week = Week.of(NOW, settings.timezone).shift(-1)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        status_ms = timed(lambda: status.render(status.build(store, settings, now=NOW)), args.runs)
        digest_ms = timed(lambda: digest_render.blocks(build_digest(store, None, week, now=NOW)), args.runs)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"status: median {status_ms[0]:.1f} ms, max {status_ms[1]:.1f} ms ({args.runs} runs)")
        print(f"digest {week}: median {digest_ms[0]:.1f} ms, max {digest_ms[1]:.1f} ms ({args.runs} runs)")
        print(f"peak RSS grew by {(rss_after - rss_before) / 1024:.1f} MiB while answering")
        engine.dispose()


if __name__ == "__main__":
    main()
