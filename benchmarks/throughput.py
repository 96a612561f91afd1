"""Throughput: drafts per second from event to card, with one and with several instances on one database.

For each instance count, the benchmark recreates the database, starts that many real instances
(`python -m bot run --http`, each its own process, sharing one PostgreSQL database), warms them up, then a load
generator in its own process sends --drafts new-draft events spread round-robin over the instances from
--senders concurrent senders. Throughput = drafts / (first event sent → last card received at the Slack
sandbox). It also checks that every draft got exactly one card, and reports the CPU the instances spent per
draft (the ceiling on 2 cores is roughly 2 CPU-seconds per second, shared with PostgreSQL, the sandboxes and the
sender, and a single instance can't use more than about one core for its Python code: the GIL).

    python benchmarks/throughput.py                                  # PostgreSQL bench db, 1 and 3 instances
    python benchmarks/throughput.py --instances 1 --database-url ""  # one instance on SQLite, for comparison
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
from pathlib import Path

import harness
from harness import Job, LoadGen, Tally

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def run_one(count: int, args: argparse.Namespace, loadgen: LoadGen) -> dict:
    with (
        harness.workdir("throughput-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(args.database_url, folder) as url,
    ):
        env = harness.app_env(sandbox, url, LOG_LEVEL=args.log_level)
        instances = [harness.launch_countersign(env, folder, f"countersign-{i}") for i in range(count)]
        try:
            targets = [p.url for p in instances]
            build = harness.builder()
            cards = Tally(sandbox.slack, harness.is_card)
            warm = [build.draft_event(f"Warm-up draft {i}.") for i in range(args.warmup)]
            loadgen.run(Job(targets, warm, min(args.senders, len(warm))))
            cards.wait_for(len(warm), timeout=60)
            harness.quiesce(sandbox)
            bodies = [build.draft_event(f"Throughput draft {i}: a story about beans.") for i in range(args.drafts)]
            cpu_before = sum(harness.cpu_seconds(p.pid) for p in instances)
            here_before = harness.cpu_seconds(os.getpid(), descendants=False)  # the sandboxes, not the instances
            with harness.OtherLoad(url) as other:
                result = loadgen.run(Job(targets, bodies, args.senders))
                hits = cards.wait_for(len(warm) + args.drafts, timeout=300)
            cpu_spent = sum(harness.cpu_seconds(p.pid) for p in instances) - cpu_before
            sandbox_spent = harness.cpu_seconds(os.getpid(), descendants=False) - here_before
            harness.quiesce(sandbox)
            cards.update()
            first_sent = min(s.t0 for s in result.shots)
            last_card = max(c.at for c in hits[len(warm) :])
            per_draft = collections.Counter(
                json.dumps(c.args.get("blocks")).split("Throughput draft ")[1].split(":")[0]
                for c in cards.hits
                if "Throughput draft " in json.dumps(c.args.get("blocks"))
            )
            duplicates = sum(n - 1 for n in per_draft.values() if n > 1)
            ack = harness.ms_summary(result.ok_latencies())
            return {
                "instances": count,
                "database": url.split(":")[0],
                "drafts": args.drafts,
                "senders": args.senders,
                "drafts_per_s": args.drafts / (last_card - first_sent),
                "seconds": last_card - first_sent,
                "cards": len(per_draft),
                "duplicate_cards": duplicates,
                "non_200": len(result.shots) - ack["n"],
                "ack_p50": ack["p50"],
                "ack_p99": ack["p99"],
                "cpu_ms_per_draft": 1000 * cpu_spent / args.drafts,
                "sandbox_cpu_ms_per_draft": 1000 * sandbox_spent / args.drafts,
                "other_load": other.share,
                "other_line": other.line(),
                "rss_mib": [round(p.rss_mib(), 1) for p in instances],
            }
        finally:
            for process in instances:
                process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", default="1,3", help="comma-separated instance counts")
    parser.add_argument("--drafts", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="a PostgreSQL database named bench* (dropped "
        'and recreated for each instance count), or "" for SQLite (one instance only)',
    )
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    counts = [int(n) for n in args.instances.split(",")]
    if not harness.is_postgresql(args.database_url) and max(counts) > 1:
        raise SystemExit("several instances need PostgreSQL (--database-url postgresql+psycopg://…/bench)")
    logging.getLogger().setLevel(logging.ERROR)
    harness.print_machine(args.database_url or None, args.quiet_wait)
    results = []
    with LoadGen() as loadgen:
        for count in counts:
            results.append(run_one(count, args, loadgen))
            r = results[-1]
            print(
                f"  {count} instance(s): {r['drafts_per_s']:.0f} drafts/s, ack p50 {r['ack_p50']:.1f} ms "
                f"p99 {r['ack_p99']:.1f} ms, {r['cpu_ms_per_draft']:.1f} CPU-ms per draft in the app, "
                f"{r['cards']} drafts carded, {r['duplicate_cards']} duplicate cards; {r['other_line']}",
                flush=True,
            )
    rows = [
        [
            str(r["instances"]),
            r["database"],
            str(r["drafts"]),
            str(r["senders"]),
            f"{r['drafts_per_s']:.0f}",
            f"{r['ack_p50']:.1f} / {r['ack_p99']:.1f}",
            f"{r['cpu_ms_per_draft']:.1f}",
            f"{r['sandbox_cpu_ms_per_draft']:.1f}",
            f"{r['cards']}/{r['drafts']}",
            str(r["duplicate_cards"]),
        ]
        for r in results
    ]
    print(
        harness.table(
            [
                "instances",
                "database",
                "drafts",
                "senders",
                "drafts/s",
                "ack p50 / p99 ms",
                "app CPU-ms per draft",
                "sandbox CPU-ms per draft",
                "carded",
                "duplicate cards",
            ],
            rows,
        )
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
