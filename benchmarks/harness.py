"""Shared plumbing for the benchmarks: real app processes, the bare-Bolt floor, a load generator in its own
process, signed Slack bodies built ahead of time, percentiles, RSS.

Everything runs on loopback. Instances are the real `python -m bot run --http` (the same command an operator
runs), each in its own process; the Slack and X sandboxes run in the benchmark's own process, which is
otherwise idle while a measurement runs. `time.perf_counter()` is CLOCK_MONOTONIC on Linux, the same clock in
every process, so times taken by the load generator, the sandboxes and the benchmark compare directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import math
import multiprocessing
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.runtime.demo import DRAFTS, OWNER, SIGNING_SECRET, WRITER
from bot.sandbox import Sandbox, SlackDriver
from bot.sandbox.slack_api import ApiCall, SlackSandbox
from storage.engine import make_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLOOR_SCRIPT = HERE / "bolt_floor.py"


# -- numbers -----------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the value at or below which q% of the samples fall."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms_summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else math.nan,
        "mean": statistics.fmean(ms) if ms else math.nan,
    }


def fmt_ms(value: float) -> str:
    return f"{value:.1f}"


# -- memory ------------------------------------------------------------------------------------------


def rss_mib(pid: int | str = "self") -> float:
    """Resident set size now (VmRSS), MiB."""
    return _status_kib(pid, "VmRSS") / 1024


def peak_rss_mib(pid: int | str = "self") -> float:
    """High-water mark of the resident set (VmHWM), MiB."""
    return _status_kib(pid, "VmHWM") / 1024


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int | str = "self", *, descendants: bool = True) -> float:
    """User + system CPU a process (all its threads) has used so far, with its live descendants' by default
    (a server that forks is measured whole; this benchmark's own process would count every server it started)."""
    table = _processes()
    me = int(pid) if pid != "self" else os.getpid()
    pids = family(me, table) if descendants else [me]
    return sum(table[each][1] for each in pids if each in table) / os.sysconf("SC_CLK_TCK")


def family(pid: int, table: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """`pid` and its live descendants."""
    parents = {child: parent for child, (parent, _) in (table or _processes()).items()}
    found, grew = {pid}, True
    while grew:
        grown = found | {child for child, parent in parents.items() if parent in found}
        grew, found = grown != found, grown
    return sorted(found)


def _processes() -> dict[int, tuple[int, int]]:
    """Every live process: pid → (parent pid, utime + stime in clock ticks)."""
    table: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def _status_kib(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


# -- the machine -------------------------------------------------------------------------------------


def machine(database_url: str | None = None) -> dict[str, str]:
    """nproc, RAM, CPU model, Python, SQLite and (if given) PostgreSQL versions."""
    info = {
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }
    with contextlib.suppress(OSError, StopIteration):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        total = next(line for line in meminfo if line.startswith("MemTotal:"))
        info["ram"] = f"{int(total.split()[1]) / 1024 / 1024:.1f} GiB"
    with contextlib.suppress(OSError, StopIteration):
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        info["cpu"] = next(line for line in cpuinfo if line.startswith("model name")).split(":", 1)[1].strip()
    if database_url and make_url(database_url).get_backend_name() == "postgresql":
        server = make_url(database_url).set(database="postgres")  # the benchmark's own db may not exist yet
        engine = make_engine(server.render_as_string(hide_password=False))
        try:
            with engine.connect() as connection:
                info["postgresql"] = str(connection.execute(text("SHOW server_version")).scalar())
        finally:
            engine.dispose()
    return info


def print_machine(database_url: str | None = None, quiet_wait_s: float = 0.0) -> None:
    """Print the machine, and how busy it was just before the run (other processes skew every figure on
    2 cores). With `quiet_wait_s`, first wait up to that long for the machine to be nearly idle."""
    info = machine(database_url)
    print("machine: " + " · ".join(f"{k} {v}" for k, v in info.items()))
    if os.environ.get("BENCH_APP_SCRIPT"):
        print(
            f"app: {os.environ['BENCH_APP_SCRIPT']} with BENCH_PATCHES={os.environ.get('BENCH_PATCHES', '')!r} "
            "(an experiment, not the code as it is)"
        )
    busy = wait_until_quiet(quiet_wait_s) if quiet_wait_s else cpu_busy()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"before the run: {busy:.0%} of the CPUs busy with other work, load average {load}", flush=True)
    if busy > QUIET:
        print("  ! the machine is busy: expect slower and noisier figures than on an idle machine", flush=True)


QUIET = 0.10


def cpu_busy(interval: float = 1.0) -> float:
    """Fraction of all CPUs' time spent busy over `interval` seconds (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total0, idle0 = sample()
    time.sleep(interval)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _system_jiffies() -> list[int]:
    """The machine's CPU time so far: user, nice, system, idle, iowait, irq, softirq, steal (jiffies)."""
    return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


def _tree_jiffies(database: str | None = None) -> dict[int, int]:
    """utime+stime of this process and all its descendants, by pid; with `database`, also of the PostgreSQL
    backends connected to that database (they work for the instances under test), under negative pids."""
    table = _processes()
    mine = {pid: table[pid][1] for pid in family(os.getpid(), table) if pid in table}
    if database:
        for pid, (_, spent) in table.items():
            if pid not in mine and _is_backend_of(pid, database):
                mine[-pid] = spent
    return mine


def _is_backend_of(pid: int, database: str) -> bool:
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return title.startswith("postgres: ") and f" {database} " in title


def _reaped_jiffies() -> float:
    """CPU of children this process has waited for (they are no longer in /proc)."""
    times = os.times()
    return (times.children_user + times.children_system) * os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """How much of the machine others used while the block ran (0..1): processes outside this benchmark's
    tree (and outside the PostgreSQL backends of `database_url`), and the hypervisor (steal)."""

    share: float = 0.0
    steal: float = 0.0
    irq: float = 0.0

    def __init__(self, database_url: str | None = None) -> None:
        self.database = make_url(database_url).database if database_url and is_postgresql(database_url) else None

    def __enter__(self) -> OtherLoad:
        self._system, self._reaped = _system_jiffies(), _reaped_jiffies()
        self._tree = _tree_jiffies(self.database)
        return self

    def __exit__(self, *exc_info: object) -> None:
        now = _system_jiffies()
        tree = _tree_jiffies(self.database)
        alive = sum(spent - self._tree.get(pid, 0) for pid, spent in tree.items())
        # Children that ended are now in the reaped total; backends that ended took their time with them.
        gone = sum(spent for pid, spent in self._tree.items() if pid > 0 and pid not in tree)
        ours = alive + _reaped_jiffies() - self._reaped - gone
        delta = [b - a for a, b in zip(self._system, now, strict=True)]
        total = max(1, sum(delta))
        self.share = max(0.0, (delta[0] + delta[1] + delta[2] - ours) / total)
        self.irq = (delta[5] + delta[6]) / total
        self.steal = delta[7] / total

    def line(self) -> str:
        flag = "  ! figures are skewed by other work" if self.share + self.steal > QUIET else ""
        return (
            f"other processes used {self.share:.0%} of the CPUs during the measurement (steal {self.steal:.0%}, "
            f"interrupts {self.irq:.0%}){flag}"
        )


def wait_until_quiet(max_wait_s: float, threshold: float = QUIET) -> float:
    """Wait (at most `max_wait_s`) until the CPUs are under `threshold` busy for 3 s in a row."""
    deadline = time.monotonic() + max_wait_s
    calm = 0
    busy = cpu_busy()
    while time.monotonic() < deadline:
        calm = calm + 1 if busy <= threshold else 0
        if calm >= 3:
            break
        busy = cpu_busy()
    return busy


# -- databases ---------------------------------------------------------------------------------------


def is_postgresql(url: str) -> bool:
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def recreate_postgresql(url: str) -> None:
    """Drop and create the database named in `url`. Refuses names not starting with "bench": this is for
    throwaway benchmark databases only, never for one that holds real drafts."""
    parsed = make_url(url)
    name = parsed.database or ""
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to drop database {name!r}: benchmark databases must be named bench*")
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def database(url: str | None, folder: Path, name: str = "bench.db") -> Iterator[str]:
    """A fresh database: a SQLite file in `folder`, or the PostgreSQL database of `url` dropped and recreated."""
    if url and is_postgresql(url):
        recreate_postgresql(url)
        yield url
    elif url:
        yield url
    else:
        yield f"sqlite:///{folder / name}"


# -- the sandboxes and the environment of an instance ------------------------------------------------


def start_sandbox() -> Sandbox:
    sandbox = Sandbox.start()
    sandbox.slack.add_user(OWNER, "olivia", real_name="Olivia Ortiz")
    sandbox.slack.add_user(WRITER, "wendy", real_name="Wendy Wu")
    return sandbox


def app_env(sandbox: Sandbox, database_url: str, **extra: str) -> dict[str, str]:
    """What an operator would put in `.env` for this sandbox, plus `extra`: the one-brand environment setup on X
    alone, as every figure in docs/performance.md was measured (the demo's brands file adds Bluesky)."""
    env = {
        "SLACK_BOT_TOKEN": sandbox.slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.slack.url,
        "X_API_KEY": sandbox.x.consumer_key,
        "X_API_SECRET": "bench",
        "X_ACCESS_TOKEN": "bench",
        "X_ACCESS_TOKEN_SECRET": "bench",
        "X_API_URL": sandbox.x.url,
        "DATABASE_URL": database_url,
        "DRAFTS_CHANNEL": DRAFTS,
        "APPROVERS": OWNER,
        "AGENCY_NAME": "Northwind Agency",
        "LOG_LEVEL": "INFO",
        "UNDO_WINDOW": "0",  # Approve → post is measured from the end of the window (docs/performance.md)
    }
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 1.0) -> int:
    parsed = url.removeprefix("http://")
    hostport, _, path = parsed.partition("/")
    host, _, port = hostport.partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class Process:
    """A server process on loopback; `started_s` is process start → first GET /healthz answered 200."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str
    started_s: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def rss_mib(self) -> float:
        """Of the process and its descendants (Countersign's worker)."""
        return sum(rss_mib(pid) for pid in family(self.pid))

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def launch(
    name: str, argv: list[str], env: dict[str, str], port: int, cwd: Path, timeout: float = 60.0, poll_s: float = 0.005
) -> Process:
    """Start `argv`, then poll /healthz every `poll_s` until it answers 200."""
    log_path = cwd / f"{name}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL"))}
    full_env.update(env)
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        popen = subprocess.Popen(argv, env=full_env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    deadline = started + timeout
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited with {popen.returncode}:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if http_get(f"{url}/healthz", timeout=0.5) == 200:
                return Process(name, popen, url, time.perf_counter() - started, log_path)
        if time.perf_counter() > deadline:
            popen.kill()
            raise RuntimeError(f"{name} did not answer /healthz within {timeout:g}s:\n{log_path.read_text()[-3000:]}")
        time.sleep(poll_s)


def launch_countersign(env: dict[str, str], cwd: Path, name: str = "countersign", port: int = 0) -> Process:
    """The real app: `python -m bot run --http` (migrates, then serves with waitress, publisher, scheduler).

    BENCH_APP_SCRIPT=/path/to/script.py runs `python script.py run --http …` instead: a way to try a change
    (a script that patches something, then calls `bot.runtime.cli.main()`) without editing the code."""
    port = port or free_port()
    script = os.environ.get("BENCH_APP_SCRIPT")
    launcher = [sys.executable, str(Path(script).resolve())] if script else [sys.executable, "-m", "bot"]
    argv = [*launcher, "run", "--http", "--host", "127.0.0.1", "--port", str(port)]
    return launch(name, argv, env, port, cwd)


def launch_floor(env: dict[str, str], cwd: Path, name: str = "bolt-floor", *, sync: bool = False) -> Process:
    """A bare Bolt app that only acks, served the same way (see bolt_floor.py)."""
    port = free_port()
    argv = [sys.executable, str(FLOOR_SCRIPT), "--port", str(port)]
    if sync:
        argv.append("--process-before-response")
    return launch(name, argv, env, port, cwd)


# -- Slack bodies, built ahead of time ---------------------------------------------------------------


class BodyBuilder(SlackDriver):
    """SlackDriver whose senders return the (body, content type) they would have posted instead of posting.

    The load generator signs each body just before sending it, as Slack does."""

    def post(self, body: bytes, content_type: str, **_: Any) -> Any:  # type: ignore[override]
        return body, content_type

    def draft_event(self, text: str, channel: str = "C0DRAFTS", user: str = WRITER) -> tuple[bytes, str]:
        _, built = self.message(user, text, channel)
        return built


def builder() -> BodyBuilder:
    return BodyBuilder("http://unused/slack/events", SIGNING_SECRET)


def sign(secret: bytes, body: bytes, stamp: int) -> str:
    return "v0=" + hmac.new(secret, b"v0:%d:" % stamp + body, hashlib.sha256).hexdigest()


# -- watching the sandbox without rescanning it -------------------------------------------------------


class Tally:
    """Counts Slack calls matching `match` as they arrive, scanning only calls not yet seen."""

    def __init__(self, slack: SlackSandbox, match: Callable[[ApiCall], bool]) -> None:
        self.slack, self.match = slack, match
        self.seen = 0
        self.hits: list[ApiCall] = []

    def update(self) -> int:
        with self.slack._lock:
            fresh = self.slack.calls[self.seen :]
            self.seen += len(fresh)
        self.hits += [c for c in fresh if self.match(c)]
        return len(self.hits)

    def wait_for(self, count: int, timeout: float) -> list[ApiCall]:
        deadline = time.monotonic() + timeout
        while self.update() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.hits)} of {count} calls after {timeout:g}s")
            time.sleep(0.02)
        return self.hits


def is_card(call: ApiCall) -> bool:
    return call.method == "chat.postMessage" and call.args.get("channel") == OWNER and bool(call.args.get("blocks"))


def quiesce(sandbox: Sandbox, quiet_s: float = 0.5, timeout: float = 120.0) -> None:
    """Wait until neither sandbox has received anything for `quiet_s` (the app's after-ack work is done)."""
    deadline = time.monotonic() + timeout
    last = (-1, -1)
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = (len(sandbox.slack.calls), len(sandbox.x.requests))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.05)
    raise TimeoutError("the app was still calling the sandboxes after the timeout")


# -- the load generator: its own process, N sender threads, keep-alive connections --------------------


@dataclass
class Shot:
    """One request: sent at t0, fully answered at t1 (both perf_counter), HTTP status."""

    index: int
    target: int
    t0: float
    t1: float
    status: int

    @property
    def latency(self) -> float:
        return self.t1 - self.t0


@dataclass
class Job:
    targets: list[str]  # base URLs; request i goes to targets[i % len]
    bodies: list[tuple[bytes, str]]
    senders: int
    secret: str = SIGNING_SECRET
    path: str = "/slack/events"


@dataclass
class Result:
    shots: list[Shot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # CPU the server used meanwhile, when the caller measured it

    def ok_latencies(self) -> list[float]:
        return [s.latency for s in self.shots if s.status == 200]

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for s in self.shots:
            counts[s.status] = counts.get(s.status, 0) + 1
        return counts


def fire(job: Job) -> Result:
    """Closed loop: each sender sends its next body as soon as the previous one is answered. Client-side time
    of the whole HTTP round trip (request written → response body read), on a kept-alive connection."""
    secret = job.secret.encode()
    lock = threading.Lock()
    next_index = iter(range(len(job.bodies)))
    result = Result()
    gate = threading.Barrier(job.senders + 1)

    def sender() -> None:
        connections: dict[int, http.client.HTTPConnection] = {}
        shots: list[Shot] = []
        gate.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            target = i % len(job.targets)
            body, content_type = job.bodies[i]
            stamp = int(time.time())
            headers = {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": sign(secret, body, stamp),
            }
            connection = connections.get(target)
            if connection is None:
                host_port = job.targets[target].removeprefix("http://")
                host, _, port = host_port.partition(":")
                connection = connections[target] = http.client.HTTPConnection(host, int(port), timeout=30)
            t0 = time.perf_counter()
            try:
                connection.request("POST", job.path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                status = 0
                connection.close()
                connections.pop(target, None)
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}")
            t1 = time.perf_counter()
            shots.append(Shot(i, target, t0, t1, status))
        for connection in connections.values():
            connection.close()
        with lock:
            result.shots.extend(shots)

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(job.senders)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join()
    result.wall_s = time.perf_counter() - started
    result.shots.sort(key=lambda s: s.index)
    return result


def _loadgen_main(connection: Any) -> None:
    while True:
        job = connection.recv()
        if job is None:
            return
        connection.send(fire(job))


class LoadGen:
    """A load-generator process (spawned, so it shares nothing with the servers or the sandboxes)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._here, there = context.Pipe()
        self._process = context.Process(target=_loadgen_main, args=(there,), name="loadgen", daemon=True)
        self._process.start()

    def run(self, job: Job) -> Result:
        self._here.send(job)
        return self._here.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._here.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()

    def __enter__(self) -> LoadGen:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, columns padded so it also reads well in a terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


# -- where the time goes: py-spy attached to an instance ----------------------------------------------


class Profiler:
    """`py-spy record` on a running process while a block runs (raw collapsed stacks, GIL holders only, so
    the samples are the CPU the interpreter spends). Needs py-spy in the venv: `pip install py-spy`."""

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        self.pid, self.output, self.rate = pid, output, rate
        self._popen: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        argv = [
            str(PY_SPY),
            "record",
            "-p",
            str(self.pid),
            "-f",
            "raw",
            "-o",
            str(self.output),
            "-r",
            str(self.rate),
            "--gil",
            "--nonblocking",
            "-F",
        ]
        self._popen = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # attached before the load starts
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._popen is not None:
            self._popen.send_signal(signal.SIGINT)
            self._popen.wait(30)


PY_SPY = Path(sys.executable).with_name("py-spy")  # `pip install py-spy` in the benchmark's environment


def profile_summary(path: Path, top: int = 25, own_files: tuple[str, ...] = ("bot/", "handlers/", "storage/")) -> str:
    """Top functions by inclusive share of GIL-holding samples, and the project's own frames by inclusive share."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        return "no samples"
    out = [f"{total} samples holding the GIL", "inclusive (function, % of samples):"]
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])
    out += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in ranked if any(o in frame for o in own_files)][:top]
    out.append("self time:")
    out += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(out)
