"""Ack latency of POST /slack/events: Countersign against a bare Bolt app that only acks (the floor).

The servers run side by side in one run as their own processes (`python -m bot run --http` and two of
benchmarks/bolt_floor.py: waitress, same thread counts, same signing secret; one floor with Countersign's Bolt
settings, where a listener thread acks and the request thread polls for it every 10 ms, and one with
process_before_response, which acks on the request thread; the goal is held to the faster); the Slack and
X sandboxes run in this process; a load generator in a third process sends signed requests from 1, 8 and 32
concurrent senders (closed loop, keep-alive connections) and times each HTTP round trip on the client side.
Each cell gets a warm-up run that isn't counted; after every Countersign run the benchmark waits until the app
has finished its after-ack work (cards, replies, posts), so one cell's backlog doesn't land in the next.

Three kinds of request, in this order (each one needs the one before on Countersign):
  draft      a writer's new top-level message in #drafts (inbox INSERT before the ack; draft, card, reply after)
  approve    the owner's first Approve on a pending draft's card (inbox INSERT before the ack; decision, post after)
  decided    Approve on a card whose draft is already approved (inbox INSERT before the ack; the refusal after)
The floor gets the very same bodies.

    python benchmarks/ack_latency.py                       # SQLite, 1/8/32 senders, 400 requests per cell
    python benchmarks/ack_latency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import harness
from harness import Job, LoadGen, Process, Tally

from bot.runtime.demo import OWNER
from bot.sandbox import Sandbox
from bot.sandbox.slack_api import dm_channel_for

KINDS = ("draft", "approve", "decided")
KIND_TITLES = {
    "draft": "draft event (new message in #drafts)",
    "approve": "Approve click, first decision (compare-and-set, then publish)",
    "decided": "Approve click on an already-decided draft (refusal path)",
}
GOAL_RATIO, GOAL_P99_MS, GOAL_SENDERS = 1.3, 100.0, 32


def warmup_count(senders: int, warmup: int) -> int:
    return max(warmup, 2 * senders)


def measure_cell(
    loadgen: LoadGen,
    server: Process,
    bodies: list[tuple[bytes, str]],
    senders: int,
    warm: int,
    settle: Sandbox | None,
    profile: Path | None = None,
) -> harness.Result:
    """Warm-up run, (settle), measured run, (settle). `settle` is the sandbox to wait on for Countersign;
    `profile` records the measured run (and its after-ack work) with py-spy."""
    loadgen.run(Job([server.url], bodies[:warm], senders))
    if settle is not None:
        harness.quiesce(settle)
    cpu_before = harness.cpu_seconds(server.pid)
    with harness.Profiler(server.pid, profile) if profile else contextlib.nullcontext():
        result = loadgen.run(Job([server.url], bodies[warm:], senders))
        if settle is not None:
            harness.quiesce(settle)
    result.cpu_s = harness.cpu_seconds(server.pid) - cpu_before  # its after-ack work included
    bad = {k: v for k, v in result.statuses().items() if k != 200}
    if bad or result.errors:
        print(f"  ! {server.name}: non-200 answers {bad} errors {result.errors[:3]}", file=sys.stderr)
    return result


@dataclass
class Bench:
    """What every cell needs: the servers (floor first), the sandbox, the load generator."""

    servers: list[Process]
    countersign: Process
    sandbox: Sandbox
    loadgen: LoadGen
    profile_dir: Path | None
    cells: dict = field(default_factory=dict)

    def cell(self, kind: str, level: int, bodies: list[tuple[bytes, str]], warm: int) -> None:
        for server in self.servers:
            mine = server is self.countersign
            profile = self.profile_dir / f"{kind}-{level}.txt" if self.profile_dir and mine else None
            result = measure_cell(self.loadgen, server, bodies, level, warm, self.sandbox if mine else None, profile)
            if profile:
                print(harness.profile_summary(profile))
            summary = harness.ms_summary(result.ok_latencies())
            summary["rps"] = len(result.shots) / result.wall_s if result.wall_s else 0.0
            summary["non_200"] = len(result.shots) - summary["n"]
            summary["cpu_ms_per_request"] = 1000 * result.cpu_s / max(1, len(result.shots))
            self.cells.setdefault(kind, {}).setdefault(str(level), {})[server.name] = summary
            print(
                f"  {kind:8} {level:>2} senders  {server.name:16} p50 {summary['p50']:6.1f} ms  "
                f"p99 {summary['p99']:6.1f} ms  ({summary['n']} ok, {summary['rps']:.0f} req/s, "
                f"{summary['cpu_ms_per_request']:.1f} CPU-ms per request)",
                flush=True,
            )


def run(args: argparse.Namespace) -> dict:
    logging.getLogger().setLevel(logging.ERROR)
    levels = [int(s) for s in args.senders.split(",")]
    warms = {level: warmup_count(level, args.warmup) for level in levels}
    sizes = {level: warms[level] + args.requests for level in levels}
    drafts_needed = sum(sizes.values())
    results: dict = {"levels": levels, "requests": args.requests, "warmup": warms}
    with (
        harness.workdir("ack-bench-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(args.database_url, folder) as url,
    ):
        env = harness.app_env(sandbox, url, LOG_LEVEL=args.log_level)
        # Two floors: Bolt's defaults (a listener thread acks; the request thread polls every 10 ms) and
        # process_before_response (acks on the request thread). Countersign is held to the faster of the two.
        servers = [harness.launch_floor(env, folder), harness.launch_floor(env, folder, "bolt-floor-sync", sync=True)]
        countersign = harness.launch_countersign(env, folder)
        servers.append(countersign)
        results["database"] = url.split(":")[0]
        results["rss_idle_mib"] = countersign.rss_mib()
        build = harness.builder()
        try:
            with LoadGen() as loadgen, harness.OtherLoad(url) as other:
                bench = Bench(servers, countersign, sandbox, loadgen, args.profile)
                # 1. draft events: on Countersign each becomes a pending draft with a card
                texts = iter(range(drafts_needed))
                for level in levels:
                    bodies = [
                        build.draft_event(f"Benchmark draft {next(texts)}: beans, roast and a story.")
                        for _ in range(sizes[level])
                    ]
                    bench.cell("draft", level, bodies, warms[level])
                Tally(sandbox.slack, harness.is_card).wait_for(drafts_needed, timeout=120)
                cards = [m for m in sandbox.slack.messages(dm_channel_for(OWNER)) if "Approve" in json.dumps(m.blocks)]
                if len(cards) < drafts_needed:
                    raise SystemExit(f"only {len(cards)} cards for {drafts_needed} drafts")
                clicks = [build.click(card, "Approve", OWNER) for card in cards]
                # 2. first approvals, each on a different pending draft
                posts_before, used = len(sandbox.x.posts), 0
                for level in levels:
                    bench.cell("approve", level, clicks[used : used + sizes[level]], warms[level])
                    used += sizes[level]
                if len(sandbox.x.posts) - posts_before != used:
                    print(f"  ! {used} first approvals, {len(sandbox.x.posts) - posts_before} posts", file=sys.stderr)
                # 3. the same cards clicked again: every draft is already approved
                for level in levels:
                    bench.cell("decided", level, [clicks[i % used] for i in range(sizes[level])], warms[level])
                results["rss_after_mib"] = countersign.rss_mib()
                results["peak_rss_mib"] = sum(harness.peak_rss_mib(p) for p in harness.family(countersign.pid))
            results["cells"] = bench.cells
            results["other_load"] = other.share
            results["other_line"] = other.line()
        finally:
            for server in servers:
                server.stop()
        # Bolt answers 404 when a listener hasn't called ack() within 3 s; it logs this line each time.
        results["late_acks"] = countersign.log_path.read_text(errors="replace").count("didn't call ack()")
    return results


def report(results: dict) -> str:
    lines = []
    for kind in KINDS:
        lines.append(f"\n{KIND_TITLES[kind]}")
        cells = results["cells"][kind]
        names = list(next(iter(cells.values())))
        headers = ["senders"] + [f"{n} p50 / p99 ms" for n in names]
        headers += ["p50 / faster floor's", "goal", "countersign req/s", "countersign CPU-ms per request"]
        rows = []
        for level in results["levels"]:
            cell = cells[str(level)]
            mine = cell["countersign"]
            floor = min((cell[n] for n in names if n != "countersign"), key=lambda c: c["p50"])
            ratio = mine["p50"] / floor["p50"]
            goal = "-"
            if level == GOAL_SENDERS:
                met = ratio <= GOAL_RATIO and mine["p99"] < GOAL_P99_MS
                goal = "met" if met else "missed"
            rows.append(
                [str(level)]
                + [f"{cell[n]['p50']:.1f} / {cell[n]['p99']:.1f}" for n in names]
                + [f"{ratio:.2f}x", goal, f"{mine['rps']:.0f}", f"{mine.get('cpu_ms_per_request', 0):.1f}"]
            )
        lines.append(harness.table(headers, rows))
    lines.append("\n" + results["other_line"])
    lines.append(
        f"Countersign answered 404 to {results['late_acks']} requests whose listener hadn't acked within "
        "Bolt's 3 s (Slack shows the person an error; the listener still runs later)"
    )
    lines.append(
        f"Countersign RSS: {results['rss_idle_mib']:.1f} MiB idle after start, "
        f"{results['rss_after_mib']:.1f} MiB after the run (peak {results['peak_rss_mib']:.1f} MiB)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", default="1,8,32", help="comma-separated concurrency levels")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per cell")
    parser.add_argument("--warmup", type=int, default=30, help="uncounted requests per cell (at least 2 per sender)")
    parser.add_argument(
        "--database-url",
        default="",
        help="default: a SQLite file in a temp folder; a PostgreSQL database named bench* is dropped and recreated",
    )
    parser.add_argument("--log-level", default="INFO", help="Countersign's LOG_LEVEL (INFO is the default in .env)")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="record each Countersign cell with py-spy into this folder "
        "(pip install py-spy; the profiler costs CPU, so don't quote latencies from such a run)",
    )
    args = parser.parse_args()
    if args.profile:
        if not harness.PY_SPY.exists():
            parser.error(f"--profile records with py-spy, not installed here: {sys.executable} -m pip install py-spy")
        args.profile.mkdir(parents=True, exist_ok=True)
    harness.print_machine(args.database_url or None, args.quiet_wait)
    started = time.perf_counter()
    results = run(args)
    print(report(results))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
