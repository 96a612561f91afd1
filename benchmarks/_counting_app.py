"""`countersign` with its database work counted, for benchmarks/cost.py (not a way to run Countersign).

Before the app starts, SQLAlchemy event listeners on the `Engine` class (so on every engine the app makes) count,
per thread, the transactions begun (`begin`), committed and rolled back, and the statements sent
(`before_cursor_execute`; SQLite's own `BEGIN` / `BEGIN IMMEDIATE`, which our engine issues at the start of every
transaction, is counted as the transaction, not as a statement). Nothing of the app is changed: the listeners only
add to per-thread counters (a dict each, no lock on the hot path).

The totals, per thread, are served as JSON to anyone connecting to 127.0.0.1:$BENCH_COUNTS_PORT (one answer per
connection; the thread that serves them blocks in accept() and costs nothing between reads). Then
`bot.runtime.cli.main()` runs as `python -m bot` would.

    BENCH_COUNTS_PORT=4999 python benchmarks/_counting_app.py run --http --port 3000
"""

from __future__ import annotations

import json
import os
import socket
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_local = threading.local()
_threads: list[tuple[str, dict[str, int]]] = []
_threads_lock = threading.Lock()


def _mine() -> dict[str, int]:
    counts: dict[str, int] | None = getattr(_local, "counts", None)
    if counts is None:
        counts = _local.counts = {"transactions": 0, "commits": 0, "rollbacks": 0, "statements": 0}
        with _threads_lock:
            _threads.append((threading.current_thread().name, counts))
    return counts


@event.listens_for(Engine, "begin")
def _on_begin(_connection: Any) -> None:
    _mine()["transactions"] += 1


@event.listens_for(Engine, "commit")
def _on_commit(_connection: Any) -> None:
    _mine()["commits"] += 1


@event.listens_for(Engine, "rollback")
def _on_rollback(_connection: Any) -> None:
    _mine()["rollbacks"] += 1


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    if not statement.startswith("BEGIN"):
        _mine()["statements"] += 1


def snapshot() -> list[dict[str, Any]]:
    """Every thread that touched the database so far: its name and its counts."""
    with _threads_lock:
        return [{"thread": name, **counts} for name, counts in _threads]


def _serve(port: int) -> None:
    with socket.create_server(("127.0.0.1", port)) as server:
        while True:
            connection, _ = server.accept()
            with connection:
                connection.sendall(json.dumps(snapshot()).encode())


def main() -> None:
    port = int(os.environ["BENCH_COUNTS_PORT"])
    threading.Thread(target=_serve, args=(port,), name="bench-counts", daemon=True).start()
    from bot.runtime.cli import main as countersign

    countersign()


if __name__ == "__main__":
    main()
