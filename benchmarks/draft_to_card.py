"""Latency from a signed draft event to the approval card's chat.postMessage at the Slack sandbox.

Runs the real app in HTTP mode on loopback (SQLite in a temp folder) against the sandbox, sends N drafts
one after another, and times each from just before the HTTP request to the moment the sandbox receives
the card. Both clocks are this process's `time.perf_counter()`.

    python benchmarks/draft_to_card.py [--drafts 50] [--warmup 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from bot.demo import OWNER, SIGNING_SECRET, WRITER, env_for
from bot.runner import start_http
from bot.sandbox import Sandbox, SlackDriver
from bot.sandbox.slack_api import dm_channel_for
from bot.settings import Settings


def measure(drafts: int, warmup: int) -> list[float]:
    logging.getLogger().setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder, Sandbox.start() as sandbox:
        sandbox.slack.add_user(OWNER, "olivia", real_name="Olivia Ortiz")
        sandbox.slack.add_user(WRITER, "wendy", real_name="Wendy Wu")
        env = env_for(sandbox, Path(folder) / "bench.db")
        running = start_http(Settings.from_env(env), "127.0.0.1", 0)
        try:
            driver = SlackDriver(f"{running.url}/slack/events", SIGNING_SECRET)
            channel = dm_channel_for(OWNER)
            samples = []
            for i in range(warmup + drafts):
                marker = f"Draft number {i} for the benchmark."
                started = time.perf_counter()
                driver.message(WRITER, marker, env["DRAFTS_CHANNEL"])
                call = sandbox.slack.wait_for_call(
                    "chat.postMessage",
                    lambda c, m=marker: c.args.get("channel") == OWNER and m in str(c.args.get("blocks")),
                    timeout=10,
                )
                if i >= warmup:
                    samples.append(call.at - started)
                assert sandbox.slack.messages(channel)
            return samples
        finally:
            running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    samples = sorted(measure(args.drafts, args.warmup))
    ms = [s * 1000 for s in samples]
    p90 = ms[max(0, int(len(ms) * 0.9) - 1)]
    print(f"draft event → card chat.postMessage, {len(ms)} drafts (after {args.warmup} warm-up):")
    print(f"  median {statistics.median(ms):.1f} ms · p90 {p90:.1f} ms · min {ms[0]:.1f} ms · max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
