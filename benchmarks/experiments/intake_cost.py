"""Transactions, statements and CPU per draft's intake and per publishing step, counted in the running app.

The real app (`python -m bot run --http`, through benchmarks/experiments/count_sql.py, which counts by thread)
against the sandboxes on loopback. Phase "draft": N drafts one at a time, each waited for (card, thread reply).
Phase "approve": each of those drafts approved one at a time, each waited for (post on X, cards, replies); its
publisher thread is the publishing step (claim → X → record → cards and writer), the inbox thread the decision.
CPU is the app process's (and per thread kind), divided by N.

    python benchmarks/experiments/intake_cost.py [--drafts 200] [--database-url …] [--statements]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness
from harness import Tally

from bot.runtime.demo import OWNER, SIGNING_SECRET, WRITER
from bot.sandbox import SlackDriver

WRAPPER = Path(__file__).resolve().parent / "count_sql.py"


def snapshot(pid: int, out: Path) -> dict:
    out.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not out.exists() or not out.read_text().endswith("}"):
        if time.monotonic() > deadline:
            raise TimeoutError("no counts from the app")
        time.sleep(0.01)
    time.sleep(0.05)
    return json.loads(out.read_text())


def profiler(pid: int, folder: Path, phase: str) -> subprocess.Popen[bytes]:
    """py-spy on the app (raw stacks, only samples holding the GIL) into FOLDER/PHASE.raw."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    path = folder / f"{phase}.raw"
    command = [str(spy), "record", "--pid", str(pid), "--gil", "--format", "raw", "-o", str(path), "--nonblocking"]
    started = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return started


def stop(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def report(title: str, data: dict, n: int, statements: bool) -> None:
    print(f"\n{title} (per request, n={n}; process CPU {data['process_cpu_s'] * 1000 / n:.2f} ms)")
    kinds = sorted({k.split(".")[0] for k in data["counts"]} | set(data["cpu_s"]))
    for k in kinds:
        tx, stmt = data["counts"].get(f"{k}.tx", 0) / n, data["counts"].get(f"{k}.stmt", 0) / n
        print(f"  {k:10} tx {tx:5.2f}  statements {stmt:5.2f}  cpu {data['cpu_s'].get(k, 0) * 1000 / n:6.2f} ms")
    if statements:
        for line, count in data["statements"].items():
            print(f"    {count / n:5.2f}  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--statements", action="store_true", help="list each statement's count")
    parser.add_argument("--profile", type=Path, help="py-spy (raw, --gil) of each phase into this folder")
    args = parser.parse_args()
    os.environ["BENCH_APP_SCRIPT"] = str(WRAPPER)
    with (
        harness.workdir("intake-cost-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(args.database_url, folder) as url,
    ):
        out = folder / "counts.json"
        os.environ["BENCH_SQL_COUNTS"] = str(out)
        process = harness.launch_countersign(harness.app_env(sandbox, url, LOG_LEVEL="WARNING"), folder)
        try:
            driver = SlackDriver(f"{process.url}/slack/events", SIGNING_SECRET)
            cards = Tally(sandbox.slack, harness.is_card)
            total = args.warmup + args.drafts
            found = []

            def draft(i: int) -> None:
                driver.message(WRITER, f"Draft number {i} for the cost count.", "C0DRAFTS")
                [*_, call] = cards.wait_for(i + 1, timeout=10)
                found.append(sandbox.slack.message(call.response["channel"], call.response["ts"]))
                harness.quiesce(sandbox, quiet_s=0.1)

            def approve(i: int) -> None:
                posts = len([r for r in sandbox.x.requests if r.route == "POST /2/tweets"])
                driver.click(found[i], "Approve", OWNER)
                sandbox.x.wait_until(
                    lambda: len([r for r in sandbox.x.requests if r.route == "POST /2/tweets"]) > posts, timeout=10
                )
                harness.quiesce(sandbox, quiet_s=0.1)

            for i in range(args.warmup):
                draft(i)
                approve(i)
            snapshot(process.pid, out)
            spy = profiler(process.pid, args.profile, "draft") if args.profile else None
            for i in range(args.warmup, total):
                draft(i)
            drafts = snapshot(process.pid, out)
            stop(spy)
            spy = profiler(process.pid, args.profile, "approve") if args.profile else None
            for i in range(args.warmup, total):
                approve(i)
            approvals = snapshot(process.pid, out)
            stop(spy)
        finally:
            process.stop()
    db = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    print(f"{db}; idle waits of 0.1 s per request are in the process CPU's wall time, not its CPU")
    report("draft (event → card → thread reply)", drafts, args.drafts, args.statements)
    report("approval (click → decision → publishing step)", approvals, args.drafts, args.statements)


if __name__ == "__main__":
    main()
