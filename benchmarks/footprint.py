"""Start-up time and idle memory of one instance (`python -m bot run --http`).

Start-up = process start → first `GET /healthz` answered 200 (polled every 5 ms), on an empty database
(migrations from nothing) and on a database already at head (a restart), each --runs times; the median is
reported. Idle RSS = VmRSS of the instance after it has sat idle for --idle seconds (its scheduler's first
tick and its publisher's idle ticks included). For scale, it also times a bare `import bot.runtime.runner` (the part
of start-up that is the interpreter loading the code).

    python benchmarks/footprint.py [--runs 5] [--idle 10] [--database-url postgresql+psycopg://…/bench]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness


def import_time(runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import bot.runtime.runner, bot.runtime.cli"], check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(args: argparse.Namespace) -> dict:
    cold, warm, rss_idle, rss_start = [], [], [], []
    with harness.workdir("footprint-") as folder, harness.start_sandbox() as sandbox:
        for run in range(args.runs):
            with harness.database(args.database_url, folder, f"footprint-{run}.db") as url:
                env = harness.app_env(sandbox, url, LOG_LEVEL=args.log_level)
                first = harness.launch_countersign(env, folder, f"first-{run}")
                cold.append(first.started_s)
                first.stop()
                again = harness.launch_countersign(env, folder, f"again-{run}")
                warm.append(again.started_s)
                rss_start.append(again.rss_mib())
                if run == 0:
                    time.sleep(args.idle)
                    rss_idle.append(again.rss_mib())
                again.stop()
    return {
        "database": (args.database_url or "sqlite").split(":")[0],
        "startup_empty_db_s": statistics.median(cold),
        "startup_migrated_db_s": statistics.median(warm),
        "startup_all_s": {"empty": cold, "migrated": warm},
        "rss_after_start_mib": statistics.median(rss_start),
        "rss_idle_mib": rss_idle[0],
        "idle_s": args.idle,
        "import_s": import_time(args.runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before reading RSS")
    parser.add_argument(
        "--database-url",
        default="",
        help="default: SQLite files in a temp folder; a PostgreSQL "
        "database named bench* is dropped and recreated for each run",
    )
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    harness.print_machine(args.database_url or None, args.quiet_wait)
    with harness.OtherLoad(args.database_url) as other:
        r = measure(args)
    print(other.line())
    rows = [
        ["start-up, empty database (migrations from nothing)", f"{r['startup_empty_db_s'] * 1000:.0f} ms"],
        ["start-up, database at head (restart)", f"{r['startup_migrated_db_s'] * 1000:.0f} ms"],
        ["  of which `import bot.runtime.runner, …cli` in a fresh interpreter", f"{r['import_s'] * 1000:.0f} ms"],
        ["RSS right after start-up", f"{r['rss_after_start_mib']:.1f} MiB"],
        [f"RSS after {r['idle_s']:g} s idle", f"{r['rss_idle_mib']:.1f} MiB"],
    ]
    print(harness.table([f"one instance, {r['database']}, median of {args.runs}", "value"], rows))
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()
