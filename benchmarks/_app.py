"""Plumbing for benchmarks/reliability.py: the real app on loopback against the sandboxes, and what a round counts.

A `Lab` owns one Slack sandbox and one X sandbox for the whole run and a temp folder; each `Round` resets the
sandboxes, gets a fresh SQLite file, and runs the app either in this process (`start_http`) or as a subprocess
(`python -m bot run --http`, for failpoints and SIGKILL). `Round.tally()` settles the app and counts what matters:
posts on X per draft, duplicates, drafts and decisions lost, and the end state of each draft as a person sees it.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import requests
from sqlmodel import col, select

from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import Sandbox, SlackDriver
from bot.sandbox.slack_api import Message, dm_channel_for
from storage import deliveries
from storage.engine import make_engine
from storage.models import AuditEvent, Card, Delivery, Draft
from storage.store import Store

SECRET = "reliability-signing-secret-5e2b"
TEAM, OTHER_TEAM = "T0ACME", "T0OTHER"
DRAFTS, OWNER, OWNER2, WRITER, OUTSIDER, GUEST = "C0DRAFTS", "U0OWNER", "U0OWNER2", "U0WRITER", "U0OUTSIDER", "U0GUEST"
APPROVERS = (OWNER, OWNER2)
AGENCY = "Northwind Agency"
PEOPLE = {OWNER: "Olivia Owner", OWNER2: "Omar Second", WRITER: "Wendy Writer", OUTSIDER: "Oscar Outsider"}
ASKED = ["Mark as published", "Publish again", "Cancel"]
SETTLED = ("published", "unknown", "failed")
LEASE = "2s"
FORM = "application/x-www-form-urlencoded"
T = TypeVar("T")


def oneline(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]


def poll(predicate: Callable[[], T | None], timeout: float, what: str = "condition", every: float = 0.02) -> T:
    """Re-check `predicate` until it is truthy (for state that lives in the database, which notifies no one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:g} s")
        time.sleep(every)


def final_text(text: str, approver: str = OWNER) -> str:
    return f"{text}\n\n— drafted by {AGENCY}, approved by {PEOPLE[approver]}"


def buttons(message: Message | None) -> list[str]:
    blocks = message.blocks if message is not None else []
    return [e["text"]["text"] for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LogCount(logging.Handler):
    """Counts ERROR records; being the root logger's handler, it also keeps the run's output quiet."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.errors.append(f"{record.name}: {' '.join(record.getMessage().split())}"[:200])


@dataclass
class Tally:
    """One scenario's figures, summed over its rounds."""

    rounds: int = 0
    injected: int = 0
    posts: int = 0
    duplicates: int = 0
    drafts_lost: int = 0
    decisions_lost: int = 0
    held: int = 0
    states: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("rounds", "injected", "posts", "duplicates", "drafts_lost", "decisions_lost", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.states.update(other.states)
        if other.failures:
            self.failures.append("; ".join(other.failures))


class Lab:
    def __init__(self) -> None:
        self.sandbox = Sandbox.start()
        self.folder = tempfile.TemporaryDirectory(prefix="countersign-reliability-")
        self.count = 0
        self.log = LogCount()
        root = logging.getLogger()
        root.addHandler(self.log)
        root.setLevel(logging.WARNING)
        for user, name in PEOPLE.items():
            self.sandbox.slack.add_user(user, name.split()[0].lower(), real_name=name)
        self.sandbox.slack.add_user(GUEST, "gus", real_name="Gus Guest", team_id=OTHER_TEAM)

    def close(self) -> None:
        self.sandbox.stop()
        self.folder.cleanup()

    def env(self, database: str, **overrides: str) -> dict[str, str]:
        slack, x = self.sandbox.slack, self.sandbox.x
        env = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url}
        env.update(X_API_KEY=x.consumer_key, X_API_SECRET="s", X_ACCESS_TOKEN="t", X_ACCESS_TOKEN_SECRET="s")
        env.update(X_API_URL=x.url, DATABASE_URL=database, DRAFTS_CHANNEL=DRAFTS, APPROVERS=",".join(APPROVERS))
        # UNDO_WINDOW=0: Approve → post is measured from the end of the window (docs/performance.md).
        return {**env, "AGENCY_NAME": AGENCY, "UNDO_WINDOW": "0", **overrides}

    def round(self, *, spawn: str | None = None, **overrides: str) -> Round:
        """A fresh round: sandboxes reset, a new SQLite file, the app started (in-process, or a subprocess with
        `spawn` as its failpoint; "" for none)."""
        self.sandbox.reset()
        self.count += 1
        database = f"sqlite:///{Path(self.folder.name) / f'round-{self.count}.db'}"
        found = Round(self, database, overrides)
        if spawn is None:
            found.start()
        else:
            found.spawn(spawn)
        return found


@dataclass
class Round:
    lab: Lab
    database: str
    overrides: dict[str, str]
    running: Running | None = None
    process: subprocess.Popen[bytes] | None = None
    driver: SlackDriver | None = None
    texts: dict[str, str] = field(default_factory=dict)  # ts → text of every draft Slack got a 200 for
    decided: set[str] = field(default_factory=set)  # ts of drafts whose decision click got a 200
    store: Store | None = None

    # -- running the app -----------------------------------------------------------------------

    def start(self) -> None:
        """The app in this process (also the restart after a subprocess died)."""
        settings = Settings.from_env(self.lab.env(self.database, **self.overrides))
        self.running = start_http(settings, "127.0.0.1", 0, scheduler=False)
        self._drive(self.running.url)

    def spawn(self, failpoint: str) -> None:
        """`python -m bot run --http` with COUNTERSIGN_FAILPOINT=`failpoint`, healthy when this returns."""
        port, folder = free_port(), Path(self.lab.folder.name)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "COUNTERS"))}
        env = {**base, **self.lab.env(self.database, **self.overrides), "LOG_LEVEL": "WARNING"}
        if failpoint:
            env["COUNTERSIGN_FAILPOINT"] = failpoint
        with open(folder / f"app-{self.lab.count}.log", "wb") as log:
            command = [sys.executable, "-m", "bot", "run", "--http", "--port", str(port), "--host", "127.0.0.1"]
            self.process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode} while starting")
            try:
                return requests.get(f"{url}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        poll(healthy, 30, "a healthy subprocess")
        self._drive(url)

    def _drive(self, url: str) -> None:
        slack = self.lab.sandbox.slack
        self.driver = SlackDriver(
            f"{url}/slack/events",
            SECRET,
            response_url_base=slack.response_url_base,
            timeout=20,
            replies_of=slack.replies_of,  # a draft deleted after our reply is a tombstone, as in Slack
        )
        self.store = self.store or Store(make_engine(self.database))

    def exit_code(self, timeout: float = 20) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def settle(self) -> None:
        """Stop the app once in-flight work is done: after this, what the sandboxes saw is final."""
        if self.running is not None:
            self.running.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    # -- the people ----------------------------------------------------------------------------

    def draft(self, text: str, user: str = WRITER) -> str:
        assert self.driver is not None
        ts, response = self.driver.message(user, text, DRAFTS)
        if response.status_code == 200:
            self.texts[ts] = text
        return ts

    def card(self, text: str, approver: str = OWNER, timeout: float = 10) -> Message:
        channel = dm_channel_for(approver)
        return self.lab.sandbox.slack.wait_for(
            lambda s: next((m for m in s.messages(channel) if m.blocks and text in str(m.blocks)), None), timeout
        )

    def click(self, ts: str, card: Message, label: str, user: str = OWNER) -> int:
        """Click `label` on the card as it is now; a 200 means the decision must be kept. Returns the status (0:
        no answer, the app died first)."""
        assert self.driver is not None
        fresh = self.lab.sandbox.slack.message(card.channel, card.ts) or card
        try:
            status = self.driver.click(fresh, label, user).status_code
        except requests.ConnectionError:
            return 0
        if status == 200:
            self.decided.add(ts)
        return status

    def submitted(self, text: str, shown: str = "") -> tuple[str, Message]:
        """A draft by the writer, once intake is over: both cards out (found by `shown`, default the text) and the
        writer told, as a person would see it before deciding."""
        ts = self.draft(text)
        card = self.card(shown or text)
        self.card(shown or text, OWNER2)
        self.lab.sandbox.slack.wait_for(lambda s: [m for m in s.thread(DRAFTS, ts) if "for approval" in m.text], 10)
        return ts, card

    def approve(self, text: str) -> tuple[str, Message]:
        """A draft by the writer, approved by the owner from the card."""
        ts, card = self.submitted(text)
        self.click(ts, card, "Approve")
        return ts, card

    # -- the database --------------------------------------------------------------------------

    def row(self, ts: str) -> Draft | None:
        assert self.store is not None
        with self.store.transaction() as tx:
            return tx.by_message(DRAFTS, ts)

    def sent(self, ts: str) -> Delivery | None:
        """Where the draft of message `ts` got to on X: its X delivery of its current version (None before that)."""
        draft = self.row(ts)
        if draft is None or self.store is None:
            return None
        with self.store.read() as tx:
            return next((d for d in deliveries.of_draft(tx.session, draft.id or 0) if d.network == "x"), None)

    def wait_status(self, ts: str, *statuses: str, timeout: float = 10) -> Draft:
        return poll(lambda: (d := self.row(ts)) and d.status in statuses and d, timeout, f"status {statuses}")

    def reconciled(self, ts: str, timeout: float = 10, drive: Callable[[], object] | None = None) -> Draft:
        """Published, failed, or unknown once the account's posts were read (the approvers are then asked).
        `drive` runs before each look (a restarted publisher's pass, to pick up an expired lease now)."""

        def done() -> Draft | None:
            if drive is not None:
                drive()
            draft = self.row(ts)
            if draft is None or draft.status not in SETTLED:
                return None
            if draft.status != "unknown":
                return draft
            return draft if "recent posts" in (((sent := self.sent(ts)) and sent.last_error) or "") else None

        return poll(done, timeout, "a settled draft", every=0.1 if drive else 0.02)

    def audits(self, prefix: str) -> int:
        assert self.store is not None
        with self.store.transaction() as tx:
            actions = tx.session.exec(select(AuditEvent.action)).all()
        return sum(a.startswith(prefix) for a in actions)

    def cards(self) -> list[Card]:
        assert self.store is not None
        with self.store.transaction() as tx:
            return list(tx.session.exec(select(Card).order_by(col(Card.id))).all())

    def detail(self) -> str:
        """What the round left, for a failure's description: drafts, their cards, their audit trail."""
        assert self.store is not None
        slack, parts = self.lab.sandbox.slack, []
        with self.store.transaction() as tx:
            for draft in tx.session.exec(select(Draft)).all():
                trail = ", ".join(a.action for a in tx.audit_trail(draft.id or 0))
                went = "; ".join(
                    f"{d.network} {d.status} ({d.last_error}) posts {d.post_ids}"
                    for d in deliveries.of_draft(tx.session, draft.id or 0)
                )
                parts.append(f"draft {draft.id} {draft.status} [{went}]: {trail}")
            for c in tx.session.exec(select(Card)).all():
                shown = buttons(slack.message(c.channel, c.ts)) if c.ts else "never posted"
                parts.append(f"card {c.approver_id} shown {c.shown_status} v{c.shown_version} {shown}")
        return (
            "left: " + ("; ".join(parts) or "nothing in the database") + f"; {len(self.lab.sandbox.x.posts)} posts on X"
        )

    def cards_current(self) -> bool:
        """Every card was last shown its draft's current state (the database's record of the last update)."""
        assert self.store is not None
        with self.store.transaction() as tx:
            rows = tx.session.exec(select(Card, Draft).where(col(Card.draft_id) == col(Draft.id))).all()
        return bool(rows) and all(c.ts and c.shown_status == d.status and c.shown_version == d.version for c, d in rows)

    # -- the count -----------------------------------------------------------------------------

    def tally(self, injected: int, expected: set[str], posts: int, checks: dict[str, bool] | None = None) -> Tally:
        """Settle, then count. The round held if every draft ended in one of the `expected` states, X has
        `posts` posts, nothing was lost or duplicated, and every check is true (a check named "note: …" is only
        counted among the end states, when true)."""
        self.settle()
        x, slack = self.lab.sandbox.x, self.lab.sandbox.slack
        live = x.live_posts()
        tally = Tally(rounds=1, injected=injected, posts=len(live))
        shown = self.cards()
        for ts, text in self.texts.items():
            draft = self.row(ts)
            mine = [p for p in live if p.text.startswith(text)]
            tally.duplicates += max(0, len(mine) - 1)
            if draft is None:
                tally.drafts_lost += 1
                tally.states["lost"] += 1
                continue
            tally.decisions_lost += ts in self.decided and draft.status == "pending"
            on_cards = [buttons(slack.message(c.channel, c.ts)) for c in shown if c.draft_id == draft.id and c.ts]
            tally.states[state_of(draft, on_cards, self.sent(ts))] += 1
        strays = [p for p in live if not any(p.text.startswith(t) for t in self.texts.values())]
        tally.duplicates += len(strays)  # a post no draft accounts for
        ends = set(tally.states)  # before any notes are added
        problems = {
            f"end states {dict(tally.states)}, expected {sorted(expected)}": not ends <= expected,
            f"{len(live)} posts on X where the end state means {posts}": len(live) != posts,
            "a draft or a decision was lost": bool(tally.drafts_lost or tally.decisions_lost),
            "a duplicate post": bool(tally.duplicates),
            **{f"check failed: {name}": not ok for name, ok in (checks or {}).items() if not name.startswith("note")},
        }
        tally.states.update(name for name, seen in (checks or {}).items() if name.startswith("note") and seen)
        tally.failures = [what for what, bad in problems.items() if bad]
        if tally.failures:
            tally.failures.append(self.detail())
        tally.held = int(not tally.failures)
        if self.store is not None:
            self.store.engine.dispose()
        return tally


def state_of(draft: Draft, on_cards: list[list[str]], sent: Delivery | None = None) -> str:
    """The end state as a person sees it: what the draft is, and whether its cards offer the way forward (`sent`:
    its X delivery, whose error a failure names)."""
    if draft.status == "published":
        return "published"
    if draft.status == "unknown":
        return "unknown, asked" if on_cards and all(b == ASKED for b in on_cards) else "unknown, NOT asked"
    if draft.status == "failed":
        error = (sent.last_error if sent else None) or ""
        why = "check the X keys" if "check the X keys" in error else "out of credits" if "credits" in error else error
        retry = "Retry" if on_cards and all(b == ["Retry"] for b in on_cards) else "NO Retry"
        return f"failed: {why[:40]}, {retry}"
    if draft.status in ("approved", "publishing"):
        return "still queued"
    return str(draft.status)
