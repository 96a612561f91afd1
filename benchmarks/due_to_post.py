"""Scheduled posts: a draft's due time → its POST /2/tweets at the X sandbox.

Runs the real app (`python -m bot run --http`, its own process) on loopback against the sandboxes. Each draft is
written with a first line `at: <a whole second 2-3 s ahead>` (UTC), its card is approved at once, and the time from
the due moment to the moment the X sandbox receives the post is measured; then the next draft. The publisher sleeps
until the next due time it reads from the database (no fixed polling), so this is how late on its time a scheduled
post leaves. `--instances 3` (PostgreSQL) starts three app processes (the Approve clicks go round them): every
one wakes for the time, one posts.
Wall-clock due times are turned into the sandbox's `time.perf_counter()` stamps through one offset taken at the
start (both clocks in this process).

Goal (issue 10): p50 and p99 under 1 s.

    cd benchmarks && python due_to_post.py [--posts 40] [--warmup 3] [--lead 2] [--database-url …] [--instances 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import harness

from bot.runtime.demo import OWNER, SIGNING_SECRET, WRITER
from bot.sandbox import Sandbox, SlackDriver

GOAL_MS = 1000.0


@contextlib.contextmanager
def apps(sandbox: Sandbox, url: str, folder: Path, count: int) -> Iterator[list[str]]:
    env = harness.app_env(sandbox, url, TIMEZONE="UTC")
    processes = [harness.launch_countersign(env, folder, name=f"countersign-{n}") for n in range(count)]
    try:
        yield [p.url for p in processes]
    finally:
        for process in processes:
            process.stop()


def measure(posts: int, warmup: int, lead: float, database_url: str, instances: int) -> dict[str, list[float]]:
    logging.getLogger().setLevel(logging.ERROR)
    samples: dict[str, list[float]] = {"due_to_post": [], "approved_ahead": []}
    offset = time.time() - time.perf_counter()  # wall clock = perf_counter + offset, in this process
    with (
        harness.workdir("due-bench-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(database_url, folder) as url,
        apps(sandbox, url, folder, instances) as bases,
    ):
        drivers = [SlackDriver(f"{base}/slack/events", SIGNING_SECRET) for base in bases]
        cards = harness.Tally(sandbox.slack, harness.is_card)
        for i in range(warmup + posts):
            marker = f"Scheduled draft {i} for the due-time benchmark."
            due = math.ceil(time.time() + lead)
            stamp = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%d %H:%M:%S")
            # One driver writes (its message ts and event ids are counters of its own); clicks go round the instances.
            _, response = drivers[0].message(WRITER, f"at: {stamp}\n{marker}", "C0DRAFTS")
            [*_, card_call] = cards.wait_for(i + 1, timeout=10)
            if marker not in json.dumps(card_call.args.get("blocks")):
                raise RuntimeError(f"card {i} is not for draft {i}")
            card = sandbox.slack.message(card_call.response["channel"], card_call.response["ts"])
            click = drivers[(i + 1) % len(drivers)].click(card, "Approve", OWNER)
            approved_ahead = due - time.time()
            post = sandbox.x.wait_until(
                lambda m=marker: next(
                    (
                        r
                        for r in sandbox.x.requests
                        if r.route == "POST /2/tweets" and m in str((r.json or {}).get("text"))
                    ),
                    None,
                ),
                timeout=lead + 10,
            )
            if response.status_code != 200 or click.status_code != 200:
                raise RuntimeError(f"app answered {response.status_code} / {click.status_code}")
            if approved_ahead <= 0:
                raise RuntimeError(f"draft {i} was approved {-approved_ahead:.2f} s after its time: raise --lead")
            harness.quiesce(sandbox, quiet_s=0.15)
            if i >= warmup:
                samples["due_to_post"].append(post.at + offset - due)
                samples["approved_ahead"].append(approved_ahead)
        tweets = [r for r in sandbox.x.requests if r.route == "POST /2/tweets"]
        if len(tweets) != warmup + posts:
            raise RuntimeError(f"{len(tweets)} POST /2/tweets for {warmup + posts} drafts")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40, help="measured scheduled drafts")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--lead", type=float, default=2.0, help="seconds between writing a draft and its time")
    parser.add_argument("--instances", type=int, default=1, help="app processes (use PostgreSQL for more than 1)")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    harness.print_machine(args.database_url or None)
    samples = measure(args.posts, args.warmup, args.lead, args.database_url, args.instances)
    db = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    print(f"{args.posts} scheduled drafts, one at a time, {args.instances} instance(s), {db}")
    s = harness.ms_summary(samples["due_to_post"])
    verdict = "met" if s["p50"] < GOAL_MS and s["p99"] < GOAL_MS else "missed"
    ahead = harness.ms_summary(samples["approved_ahead"])
    rows = [
        [
            "due time → POST /2/tweets",
            str(s["n"]),
            f"{s['p50']:.1f}",
            f"{s['p90']:.1f}",
            f"{s['p99']:.1f}",
            f"{s['max']:.1f}",
            f"p50, p99 < 1 s: {verdict}",
        ],
        ["(approved this far ahead)", str(ahead["n"]), f"{ahead['p50']:.1f}", "", "", f"{ahead['max']:.1f}", ""],
    ]
    print(harness.table(["path", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "goal"], rows))
    if args.json:
        args.json.write_text(json.dumps({"summary": s}, indent=2))


if __name__ == "__main__":
    main()
