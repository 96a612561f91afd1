"""The tables benchmarks/cost.py prints, and its JSON: medians over rounds, per request, per code and floor."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import harness

PHASES = ("draft", "approve", "decided")
TITLES = {"draft": "draft event", "approve": "Approve (first decision)", "decided": "Approve, already decided"}


@dataclass
class Phase:
    """What one phase cost one server, per request."""

    requests: int
    cpu_ms: float
    non_200: int
    p50_ms: float
    counts: dict[str, dict[str, float]] = field(default_factory=dict)  # thread group → key → per request
    slack: dict[str, float] = field(default_factory=dict)  # Web API method → calls per request
    x: dict[str, float] = field(default_factory=dict)  # route → calls per request
    connections: float = 0.0  # TCP connections the sandboxes accepted, per request

    def total(self, key: str) -> float:
        return sum(group.get(key, 0.0) for group in self.counts.values())


def median_of(
    rounds: list[dict[str, dict[str, Phase]]], kind: str, server: str, get: Any
) -> tuple[float, float, float]:
    values = [get(r[kind][server]) for r in rounds]
    return statistics.median(values), min(values), max(values)


def fmt(stat: tuple[float, float, float], digits: int = 1) -> str:
    mid, low, high = stat
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def calls_line(per_request: dict[str, float]) -> str:
    if not per_request:
        return "0"
    total = sum(per_request.values())
    parts = ", ".join(f"{k} {v:.2g}" for k, v in sorted(per_request.items(), key=lambda kv: -kv[1]))
    return f"{total:.2g}: {parts}"


def report(results: list[dict[str, Any]], clients: dict[str, dict[str, float]]) -> str:
    lines = []
    for db in results:
        rounds = db["rounds"]
        lines.append(f"\n{db['database']}: median of {len(rounds)} rounds (min-max), per request")
        headers = ["request", "code", "CPU-ms", "transactions", "statements", "Web API calls", "X calls"]
        headers += ["connections", "ack p50 ms"]
        rows = []
        for kind in PHASES:
            for name in db["apps"]:
                rows.append(
                    [
                        TITLES[kind],
                        name,
                        fmt(median_of(rounds, kind, name, lambda p: p.cpu_ms)),
                        f"{median_of(rounds, kind, name, lambda p: p.total('transactions'))[0]:.1f}",
                        f"{median_of(rounds, kind, name, lambda p: p.total('statements'))[0]:.1f}",
                        f"{median_of(rounds, kind, name, lambda p: sum(p.slack.values()))[0]:.2f}",
                        f"{median_of(rounds, kind, name, lambda p: sum(p.x.values()))[0]:.2f}",
                        f"{median_of(rounds, kind, name, lambda p: p.connections)[0]:.2f}",
                        f"{median_of(rounds, kind, name, lambda p: p.p50_ms)[0]:.1f}",
                    ]
                )
            for floor in ("bolt-floor", "bolt-floor-sync"):
                cpu = fmt(median_of(rounds, kind, floor, lambda p: p.cpu_ms), 2)
                p50 = f"{median_of(rounds, kind, floor, lambda p: p.p50_ms)[0]:.1f}"
                rows.append([TITLES[kind], floor, cpu, "-", "-", "-", "-", "-", p50])
        lines.append(harness.table(headers, rows))
        last = rounds[-1]
        for name in db["apps"]:
            lines.append(f"{name}: where the database work runs, and what crossed the wire (last round, per request):")
            for kind in PHASES:
                phase = last[kind][name]
                by_thread = ", ".join(
                    f"{group} {c['transactions']:.1f} tx / {c['statements']:.1f} stmts"
                    for group, c in sorted(phase.counts.items())
                )
                lines.append(f"  {TITLES[kind]}: {by_thread or 'none'}")
                lines.append(f"    Slack {calls_line(phase.slack)}; X {calls_line(phase.x)}")
        bad = sum(p.non_200 for r in rounds for servers in r.values() for p in servers.values())
        idle = ", ".join(f"{name} {ms:.2f}" for name, ms in db["idle_cpu_ms_per_s"].items())
        lines.append(
            f"non-200 answers: {bad}; late acks (Bolt's 404 after 3 s): {db['late_acks']}; idle CPU ms/s "
            f"(subtracted): {idle}; {db['other_line']}"
        )
    for name, figures in clients.items():
        lines.append(f"\n{name}: client CPU per call (calling thread's CPU time, median):")
        lines += [f"  {what}: {ms:.3f} ms" for what, ms in figures.items()]
    return "\n".join(lines)


def as_json(results: list[dict[str, Any]], clients: dict[str, dict[str, float]]) -> dict[str, Any]:
    def plain(phase: Phase) -> dict[str, Any]:
        return phase.__dict__

    return {
        "databases": [
            {**db, "rounds": [{k: {s: plain(p) for s, p in v.items()} for k, v in r.items()} for r in db["rounds"]]}
            for db in results
        ],
        "clients": clients,
    }
