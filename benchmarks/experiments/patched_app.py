"""`countersign` with a change patched in at start-up, to measure an idea before anyone edits the code.

Not a way to run Countersign: the benchmarks start it instead of `python -m bot` when BENCH_APP_SCRIPT points
here (see harness.launch_countersign). BENCH_PATCHES (comma-separated) picks the changes:

  noafter  the inbox INSERT and the ack only; no work after it (what the ack path costs when nothing else
           competes for the interpreter and the CPUs)
  switch   sys.setswitchinterval(BENCH_SWITCH_S, default 0.001): a thread waiting for the GIL waits at most
           that long for a busy one, instead of 5 ms
  poll     Bolt's ack wait polls every 1 ms instead of 10 ms (slack_bolt/listener/thread_runner.py, used by
           listeners that ack on a listener thread)

    BENCH_APP_SCRIPT=benchmarks/experiments/patched_app.py BENCH_PATCHES=noafter \\
        python benchmarks/ack_latency.py --senders 1,8,32
"""

from __future__ import annotations

import os
import sys
import time
import types

patches = {p.strip() for p in os.environ.get("BENCH_PATCHES", "").split(",") if p.strip()}
unknown = patches - {"noafter", "switch", "poll"}
if unknown:
    raise SystemExit(f"unknown BENCH_PATCHES {sorted(unknown)}")

if "noafter" in patches:
    import bot.intake.inbox

    bot.intake.inbox.Inbox.process = lambda self, item_id, kind, body: None  # type: ignore[method-assign]

if "switch" in patches:
    sys.setswitchinterval(float(os.environ.get("BENCH_SWITCH_S", "0.001")))

if "poll" in patches:
    import slack_bolt.listener.thread_runner as runner

    runner.time = types.SimpleNamespace(time=time.time, sleep=lambda seconds: time.sleep(min(seconds, 0.001)))

from bot.runtime.cli import main  # noqa: E402

main()
