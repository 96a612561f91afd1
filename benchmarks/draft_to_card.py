"""End-to-end latency: a draft event → the approval card's chat.postMessage at the Slack sandbox, and an
Approve click → the post's POST /2/tweets at the X sandbox.

Runs the real app (`python -m bot run --http`, its own process; `--in-process` uses `start_http` in this
process instead, as the first version of this script did) on loopback against the sandboxes, and sends the
requests one at a time: draft i, wait for its card, click Approve on that card, wait for its post, wait until
the app is idle (thread replies, card updates, App Home), then draft i+1. Each time runs from just before the
HTTP request to the moment the sandbox receives the call. The sandboxes and the sender live in this process and
stamp with `time.perf_counter()` (CLOCK_MONOTONIC, the same clock the app process would see).

Goals (issue 5): p50 under 50 ms (draft → card) and under 100 ms (Approve → post); no fixed polling delay on
the hot path (the publisher's idle tick is 5 s, so any polling would show as p50 in the seconds).

    python benchmarks/draft_to_card.py [--drafts 200] [--warmup 10] [--database-url …] [--in-process]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import harness
from harness import Tally

from bot.runtime.demo import OWNER, SIGNING_SECRET, WRITER
from bot.runtime.runner import start_http
from bot.runtime.settings import Settings
from bot.sandbox import Sandbox, SlackDriver

GOALS_MS = {"draft_to_card": 50.0, "approve_to_post": 100.0}


@contextlib.contextmanager
def app(sandbox: Sandbox, url: str, folder: Path, in_process: bool, undo_window: float = 0.0) -> Iterator[str]:
    env = harness.app_env(sandbox, url, UNDO_WINDOW=f"{undo_window:g}s" if undo_window else "0")
    if in_process:
        running = start_http(Settings.from_env(env), "127.0.0.1", 0)
        try:
            yield running.url
        finally:
            running.stop()
    else:
        process = harness.launch_countersign(env, folder)
        try:
            yield process.url
        finally:
            process.stop()


def measure(
    drafts: int, warmup: int, database_url: str, in_process: bool, undo_window: float = 0.0
) -> dict[str, list[float]]:
    """With `undo_window` (UNDO_WINDOW, s) Approve → post is counted from the window's end: click + window."""
    logging.getLogger().setLevel(logging.ERROR)
    samples: dict[str, list[float]] = {"draft_to_card": [], "approve_to_post": [], "draft_ack": [], "click_ack": []}
    with (
        harness.workdir("e2e-bench-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(database_url, folder) as url,
        app(sandbox, url, folder, in_process, undo_window) as base,
    ):
        driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET)
        cards = Tally(sandbox.slack, harness.is_card)
        for i in range(warmup + drafts):
            marker = f"Draft number {i} for the end-to-end benchmark."
            started = time.perf_counter()
            _, response = driver.message(WRITER, marker, "C0DRAFTS")
            acked = time.perf_counter()
            [*_, card_call] = cards.wait_for(i + 1, timeout=10)
            if marker not in json.dumps(card_call.args.get("blocks")):
                raise RuntimeError(f"card {i} is not for draft {i}")
            card = sandbox.slack.message(card_call.response["channel"], card_call.response["ts"])
            harness.quiesce(sandbox, quiet_s=0.15)  # the writer's thread reply, so the click starts from idle
            clicked = time.perf_counter()
            click = driver.click(card, "Approve", OWNER)
            click_acked = time.perf_counter()
            post = sandbox.x.wait_until(
                lambda m=marker: next(
                    (
                        r
                        for r in sandbox.x.requests
                        if r.route == "POST /2/tweets" and m in str((r.json or {}).get("text"))
                    ),
                    None,
                ),
                timeout=10 + undo_window,
            )
            harness.quiesce(sandbox, quiet_s=0.15)
            if response.status_code != 200 or click.status_code != 200:
                raise RuntimeError(f"app answered {response.status_code} / {click.status_code}")
            if i >= warmup:
                samples["draft_to_card"].append(card_call.at - started)
                samples["approve_to_post"].append(post.at - clicked - undo_window)
                samples["draft_ack"].append(acked - started)
                samples["click_ack"].append(click_acked - clicked)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=200, help="measured drafts (each also approved)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--database-url",
        default="",
        help="default: SQLite in a temp folder; a PostgreSQL database named bench* is dropped and recreated",
    )
    parser.add_argument("--in-process", action="store_true", help="run the app with start_http in this process")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--undo-window",
        type=float,
        default=0.0,
        help="UNDO_WINDOW in s (default 0); Approve → post then counts from its end",
    )
    args = parser.parse_args()
    harness.print_machine(args.database_url or None, args.quiet_wait)
    with harness.OtherLoad(args.database_url) as other:
        samples = measure(args.drafts, args.warmup, args.database_url, args.in_process, args.undo_window)
    where = "in-process start_http" if args.in_process else "python -m bot run --http"
    db = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    print(f"{args.drafts} drafts, each then approved, one at a time ({where}, {db}); {other.line()}")
    rows = []
    titles = {
        "draft_to_card": "draft event → card chat.postMessage",
        "approve_to_post": "Approve click (+ UNDO_WINDOW) → POST /2/tweets",
        "draft_ack": "draft event → HTTP 200 (ack)",
        "click_ack": "Approve click → HTTP 200 (ack)",
    }
    summary = {}
    for key, title in titles.items():
        s = summary[key] = harness.ms_summary(samples[key])
        goal = GOALS_MS.get(key)
        verdict = "-" if goal is None else (f"p50 < {goal:.0f} ms: " + ("met" if s["p50"] < goal else "missed"))
        rows.append(
            [title, str(s["n"]), f"{s['p50']:.1f}", f"{s['p90']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}", verdict]
        )
    print(harness.table(["path", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "goal"], rows))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "other_load": other.share}, indent=2))


if __name__ == "__main__":
    main()
