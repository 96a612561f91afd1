"""`countersign` with SQL and CPU counters, to see where a request's transactions, statements and CPU go.

Not a way to run Countersign: benchmarks/experiments/intake_cost.py starts it instead of `python -m bot`
(BENCH_APP_SCRIPT, see harness.launch_countersign). Every transaction begun and every statement sent is counted
by the kind of thread that ran it (`inbox`, `listener`, `publisher`, `waitress` for the request thread that acks,
`other`), and so is each thread's CPU time. SIGUSR1 writes the counts since the last SIGUSR1 to
BENCH_SQL_COUNTS (JSON) and starts them again.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

OUT = Path(os.environ.get("BENCH_SQL_COUNTS", "sql_counts.json"))
TICKS = os.sysconf("SC_CLK_TCK")
_lock = threading.Lock()
_counts: Counter[str] = Counter()
_statements: Counter[str] = Counter()
_cpu_at_reset: dict[int, float] = {}
_process_cpu_at_reset = 0.0


def kind(name: str) -> str:
    for prefix, label in (("inbox", "inbox"), ("listener", "listener"), ("countersign-publisher", "publisher")):
        if name.startswith(prefix):
            return label
    return "waitress" if name.startswith("waitress") else "other"


def _here() -> str:
    return kind(threading.current_thread().name)


@event.listens_for(Engine, "begin")
def _begin(connection: Any) -> None:
    with _lock:
        _counts[f"{_here()}.tx"] += 1


@event.listens_for(Engine, "before_cursor_execute")
def _statement(connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
    if statement.lstrip().upper().startswith("BEGIN"):
        return  # SQLite's BEGIN IMMEDIATE, counted as the transaction
    with _lock:
        _counts[f"{_here()}.stmt"] += 1
        _statements[f"{_here()}: {' '.join(statement.split())[:110]}"] += 1


def _thread_cpu() -> dict[int, float]:
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def _dump(*_: Any) -> None:
    global _process_cpu_at_reset
    names = {t.native_id: t.name for t in threading.enumerate()}
    cpu: Counter[str] = Counter()
    now = _thread_cpu()
    for tid, seconds in now.items():
        cpu[kind(names.get(tid, "other"))] += seconds - _cpu_at_reset.get(tid, 0.0)
    process = time.process_time()
    with _lock:
        data = {
            "counts": dict(_counts),
            "statements": dict(_statements.most_common()),
            "cpu_s": dict(cpu),
            "process_cpu_s": process - _process_cpu_at_reset,
        }
        _counts.clear()
        _statements.clear()
    _cpu_at_reset.clear()
    _cpu_at_reset.update(now)
    _process_cpu_at_reset = process
    OUT.write_text(json.dumps(data, indent=1))


signal.signal(signal.SIGUSR1, _dump)

from bot.runtime.cli import main  # noqa: E402

main()
