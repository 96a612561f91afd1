"""What a request costs Countersign: CPU, transactions, SQL statements and Slack / X calls per draft, per approval
and per already-decided click, beside the bare-Bolt floor; and what one Slack or X call costs its client.

Per database (SQLite file, PostgreSQL schema of its own), the servers start as in benchmarks/ack_latency.py
(harness.py: the Slack and X sandboxes in this process, the load generator in its own, the two bare-Bolt floors of
bolt_floor.py), except that Countersign runs under benchmarks/_counting_app.py: `python -m bot run --http` with
SQLAlchemy event listeners counting, per thread, transactions (`begin`), commits, rollbacks and statements
(`before_cursor_execute`). A warm-up round, then --rounds rounds of three phases, each --requests requests from
--senders closed-loop senders, the same signed bodies sent to Countersign and to each floor:

  draft     a writer's new top-level message in #drafts (the inbox INSERT and the ack; draft, cards, reply after)
  approve   the owner's first Approve on one of this round's cards (decision, post on X, cards, reply after)
  decided   Approve again on those cards, whose drafts are decided (the refusal after the ack)

How CPU is measured: user + system CPU time of the whole app process (all its threads: waitress's request threads,
Bolt's listener pool, the inbox threads, the publisher, the scheduler), read from /proc/<pid>/stat before the phase
and after the app has gone quiet (no Slack or X call for 0.5 s, so every after-ack effect is included), minus the
app's idle CPU rate (measured over 3 s of quiet after the warm-up) times the phase's duration, divided by the
phase's requests. The floors get the same arithmetic (they do nothing after the ack). /proc's tick is 10 ms, so a
phase of a few hundred requests reads to well under 1%. The counting listeners cost a few microseconds per statement,
included in the figure. Calls per request are what the sandboxes received during the phase (they record every call
that crossed the wire, Bolt's response_url posts included), divided by the phase's requests; "connections" is how
many TCP connections the sandboxes accepted meanwhile, per request.

The client part (in this process, against a sandbox of its own): --client-calls calls of `chat.postMessage` through
the WebClient bot.runtime.services builds, and of a post through its XAccount (tweepy), each timed with
`time.thread_time()` of the calling thread, so the sandbox threads answering them don't count.

With --compare-with DIR, a second Countersign runs DIR's code (PYTHONPATH=DIR; a `git worktree` or `git archive`
of main, say) on a database of its own, beside this tree's, on the same sandboxes: every phase runs on one, then
the other, so before and after are measured under the same load, which separate runs on a shared machine are not.

"Other load" counts every process outside this benchmark's tree, PostgreSQL's backends included (on a database
shared with others they can't be told apart). Figures are medians over the rounds, with the spread (min-max)
beside them. On a machine shared with other work they move by tens of percent between runs: compare rows of one
run, and rerun on a quiet machine before quoting.

    python benchmarks/cost.py                                   # SQLite and PostgreSQL, 3 rounds of 200
    python benchmarks/cost.py --databases sqlite --rounds 5 --requests 300 --json cost.json
    git worktree add /tmp/main main && python benchmarks/cost.py --compare-with /tmp/main
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import harness
from _cost_report import PHASES, Phase, as_json, report
from harness import Job, LoadGen, Process
from sqlalchemy.engine import make_url

from bot.runtime.demo import OWNER
from bot.sandbox import Sandbox
from bot.sandbox.slack_api import dm_channel_for

HERE = Path(__file__).resolve().parent
COUNTING_APP = HERE / "_counting_app.py"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COUNT_KEYS = ("transactions", "commits", "rollbacks", "statements")
COMPARED = "compared"  # the name of --compare-with's Countersign in the tables


# -- the database: a SQLite file, or a PostgreSQL schema of its own ---------------------------------------------


@contextlib.contextmanager
def fresh_database(kind: str, pg_url: str, folder: Path, name: str = "countersign") -> Iterator[str]:
    """SQLite: a file in `folder`. PostgreSQL: a new schema in `pg_url`'s database, picked by `search_path` for
    every session (as tests/db.py does), dropped afterwards, so the database can be shared with others."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    import psycopg

    base = make_url(pg_url)
    schema = f"cs_bench_cost_{os.getpid()}_{name.replace('-', '_')}"
    admin = psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        options = f"-csearch_path={schema}"
        yield base.update_query_dict({"options": options, "application_name": schema}).render_as_string(
            hide_password=False
        )
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (schema,))
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


# -- the app under test, counted ---------------------------------------------------------------------------------


@dataclass
class App:
    """One Countersign under test: this tree's, or (--compare-with) another tree's code on the same sandboxes."""

    name: str
    process: Process
    counts_port: int
    idle_cpu_per_s: float = 0.0


def launch_counted(name: str, env: dict[str, str], folder: Path, code: Path | None = None) -> App:
    """`_counting_app.py run --http`; with `code`, that source tree's `bot` is imported instead of this one's."""
    port, counts_port = harness.free_port(), harness.free_port()
    argv = [sys.executable, str(COUNTING_APP), "run", "--http", "--host", "127.0.0.1", "--port", str(port)]
    env = {**env, "BENCH_COUNTS_PORT": str(counts_port)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return App(name, harness.launch(name, argv, env, port, folder), counts_port)


def read_counts(port: int) -> dict[str, Counter[str]]:
    """The app's database counts so far, per kind of thread (waitress, listener, inbox, publisher, …)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    found: dict[str, Counter[str]] = {}
    for row in json.loads(b"".join(chunks)):
        group = thread_group(row["thread"])
        found.setdefault(group, Counter()).update({k: row[k] for k in COUNT_KEYS})
    return found


def thread_group(name: str) -> str:
    """`waitress-3` → `waitress`, `inbox_0` → `inbox`, `countersign-publisher` → `publisher`."""
    name = name.removeprefix("countersign-")
    return name.rstrip("0123456789").rstrip("-_") or name


# -- one phase ---------------------------------------------------------------------------------------------------


@dataclass
class Bench:
    sandbox: Sandbox
    loadgen: LoadGen
    apps: list[App]
    floors: list[Process]
    senders: int
    build: harness.BodyBuilder = field(default_factory=harness.builder)  # one for the run: its ts keep growing

    def measure(self, server: Process, bodies: list[tuple[bytes, str]], app: App | None) -> Phase:
        """One phase on `server`; `app` (None for a floor) is waited for and its database work counted."""
        slack, x = self.sandbox.slack, self.sandbox.x
        calls0, x0, opened0 = len(slack.calls), len(x.requests), opened(self.sandbox)
        counts0 = read_counts(app.counts_port) if app else {}
        cpu0, t0 = harness.cpu_seconds(server.pid), time.monotonic()
        result = self.loadgen.run(Job([server.url], bodies, self.senders))
        if app:
            harness.quiesce(self.sandbox)
        spent = harness.cpu_seconds(server.pid) - cpu0
        elapsed = time.monotonic() - t0
        n = len(bodies)
        phase = Phase(
            requests=n,
            cpu_ms=1000 * max(0.0, spent - (app.idle_cpu_per_s * elapsed if app else 0.0)) / n,
            non_200=sum(v for k, v in result.statuses().items() if k != 200),
            p50_ms=harness.percentile(result.ok_latencies(), 50) * 1000,
        )
        if app:
            counts1 = read_counts(app.counts_port)
            for group, now in counts1.items():
                before = counts0.get(group, Counter())
                delta = {k: (now[k] - before[k]) / n for k in COUNT_KEYS}
                if any(delta.values()):
                    phase.counts[group] = delta
            with slack._lock:
                calls = slack.calls[calls0:]
            with x._lock:
                xs = x.requests[x0:]
            phase.slack = {k: v / n for k, v in Counter(c.method for c in calls).items()}
            phase.x = {k: v / n for k, v in Counter(r.route for r in xs).items()}
            phase.connections = (opened(self.sandbox) - opened0) / n
        return phase

    def idle_rates(self, seconds: float = 3.0) -> None:
        """Each app's CPU per second while nothing is asked of it (publisher and scheduler ticks, the server)."""
        harness.quiesce(self.sandbox)
        before = [harness.cpu_seconds(app.process.pid) for app in self.apps]
        time.sleep(seconds)
        for app, spent in zip(self.apps, before, strict=True):
            app.idle_cpu_per_s = (harness.cpu_seconds(app.process.pid) - spent) / seconds


def opened(sandbox: Sandbox) -> int:
    """Connections both sandboxes accepted so far (0 with a sandbox too old to count them)."""
    return sum(getattr(server, "connections_opened", 0) for server in (sandbox.slack, sandbox.x))


def draft_bodies(build: harness.BodyBuilder, tag: str, n: int) -> list[tuple[bytes, str]]:
    return [build.draft_event(f"Cost {tag} draft {i}: beans, roast and a story.") for i in range(n)]


def click_bodies(sandbox: Sandbox, build: harness.BodyBuilder, tag: str, n: int) -> list[tuple[bytes, str]]:
    """Approve on each of this round's cards (found by their text), once every card is out."""
    marker = f"Cost {tag} draft "
    deadline = time.monotonic() + 120
    while True:
        cards = [
            m
            for m in sandbox.slack.messages(dm_channel_for(OWNER))
            if marker in json.dumps(m.blocks) and "Approve" in json.dumps(m.blocks)
        ]
        if len(cards) >= n:
            return [build.click(card, "Approve", OWNER) for card in cards[:n]]
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(cards)} cards for the {n} drafts of round {tag}")
        time.sleep(0.05)


def one_round(bench: Bench, tag: str, n: int) -> dict[str, dict[str, Phase]]:
    """The three phases, each on every app in turn and then on each floor: phase → server name → figures. Each
    app gets drafts of its own; the floors get the first app's bodies."""
    out: dict[str, dict[str, Phase]] = {kind: {} for kind in PHASES}
    bodies = {app.name: {"draft": draft_bodies(bench.build, f"{app.name} {tag}", n)} for app in bench.apps}
    for kind in PHASES:
        for app in bench.apps:
            mine = bodies[app.name]
            if kind == "approve":
                mine["approve"] = click_bodies(bench.sandbox, bench.build, f"{app.name} {tag}", n)
            elif kind == "decided":
                mine["decided"] = mine["approve"]
            out[kind][app.name] = bench.measure(app.process, mine[kind], app)
        for floor in bench.floors:
            out[kind][floor.name] = bench.measure(floor, bodies[bench.apps[0].name][kind], None)
    return out


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(harness.workdir(f"cost-{kind}-"))
        sandbox = stack.enter_context(harness.start_sandbox())
        codes: list[tuple[str, Path | None]] = [("countersign", None)]
        if args.compare_with:
            codes.append((COMPARED, args.compare_with))
        urls = [stack.enter_context(fresh_database(kind, args.postgresql_url, folder, name)) for name, _ in codes]
        env = harness.app_env(sandbox, urls[0], LOG_LEVEL=args.log_level)
        floors = [harness.launch_floor(env, folder), harness.launch_floor(env, folder, "bolt-floor-sync", sync=True)]
        apps = [
            launch_counted(name, {**env, "DATABASE_URL": url}, folder, code)
            for (name, code), url in zip(codes, urls, strict=True)
        ]
        try:
            with LoadGen() as loadgen, harness.OtherLoad(None) as other:
                bench = Bench(sandbox, loadgen, apps, floors, args.senders)
                one_round(bench, "warm", max(2 * args.senders, args.warmup))
                bench.idle_rates()
                rounds = []
                for r in range(args.rounds):
                    rounds.append(one_round(bench, f"r{r}", args.requests))
                    print(f"  {kind}: round {r + 1} of {args.rounds} done", flush=True)
        finally:
            for server in [*floors, *(app.process for app in apps)]:
                server.stop()
        late = {app.name: app.process.log_path.read_text(errors="replace").count("didn't call ack()") for app in apps}
    return {
        "database": kind,
        "apps": [app.name for app in apps],
        "rounds": rounds,
        "idle_cpu_ms_per_s": {app.name: 1000 * app.idle_cpu_per_s for app in apps},
        "other_load": other.share,
        "other_line": other.line(),
        "late_acks": late,
    }


# -- the client part ---------------------------------------------------------------------------------------------


def client_costs(calls: int) -> dict[str, float]:
    """Median CPU-ms of the calling thread per `chat.postMessage` and per post on X, through the clients the app
    builds (bot.runtime.services), against a sandbox in this process."""
    from bot.runtime.accounts import x_account
    from bot.runtime.services import slack_client

    with harness.start_sandbox() as sandbox:
        settings = SimpleNamespace(
            slack_bot_token=sandbox.slack.bot_token,
            slack_api_url=sandbox.slack.url,
            x_api_key=sandbox.x.consumer_key,
            x_api_secret="s",
            x_access_token="t",
            x_access_token_secret="s",
            x_api_url=sandbox.x.url,
        )
        client, account = slack_client(settings), x_account(settings)  # type: ignore[arg-type]

        def per_call(call: Any) -> float:
            for i in range(20):
                call(-1 - i)  # warm-up: imports, caches, the first connection
            samples = []
            for i in range(calls):
                t0 = time.thread_time()
                call(i)
                samples.append(time.thread_time() - t0)
            return 1000 * statistics.median(samples)

        return {
            "slack chat.postMessage": per_call(lambda i: client.chat_postMessage(channel="C0COST", text=f"call {i}")),
            "X post (tweepy create_tweet)": per_call(lambda i: account.post(f"Cost benchmark post {i} {time.time()}")),
        }


def compared_client_costs(code: Path, calls: int) -> dict[str, float]:
    """The client part with `code`'s bot (its clients and its sandboxes), in a process of its own."""
    argv = [sys.executable, __file__, "--client-only", "--client-calls", str(calls)]
    done = subprocess.run(argv, env={**os.environ, "PYTHONPATH": str(code)}, capture_output=True, check=True)
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgresql-url", default=DEFAULT_PG, help="a schema of its own is made in it and dropped")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="requests per phase per round")
    parser.add_argument("--senders", type=int, default=4, help="closed-loop senders")
    parser.add_argument("--warmup", type=int, default=30, help="requests per phase of the uncounted first round")
    parser.add_argument("--client-calls", type=int, default=300, help="0 skips the client part")
    parser.add_argument("--log-level", default="INFO", help="Countersign's LOG_LEVEL (INFO is the default in .env)")
    parser.add_argument("--quiet-wait", type=float, default=0.0, help="first wait up to this many s for an idle CPU")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--compare-with",
        type=Path,
        help="a source tree (e.g. `git worktree add /tmp/main main`) whose Countersign runs beside this one's, phase "
        "by phase on the same sandboxes and floors, so the two are measured under the same load",
    )
    parser.add_argument("--client-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_only:  # compared_client_costs runs this in the other tree's code
        print(json.dumps(client_costs(args.client_calls)))
        return
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if set(kinds) - {"sqlite", "postgresql"}:
        raise SystemExit("--databases takes sqlite and/or postgresql")
    logging.getLogger().setLevel(logging.ERROR)
    harness.print_machine(args.postgresql_url if "postgresql" in kinds else None, args.quiet_wait)
    started = time.perf_counter()
    clients = {}
    if args.client_calls:
        clients["countersign"] = client_costs(args.client_calls)
        if args.compare_with:
            clients[COMPARED] = compared_client_costs(args.compare_with.resolve(), args.client_calls)
    if args.compare_with:
        args.compare_with = args.compare_with.resolve()
    results = [run_database(kind, args) for kind in kinds]
    print(report(results, clients))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(as_json(results, clients), indent=2))


if __name__ == "__main__":
    main()
