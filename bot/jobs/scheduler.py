"""The background loop every instance runs: requests a stopped instance left unhandled, the weekly digest
when it is due, reminders, and the cards and thread replies Slack missed.

Instances coordinate only through the database (unique keys per digest week and reminder period),
so running the loop everywhere is safe. `tick(now)` does one pass and is what tests drive.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.jobs import digest_render
from bot.jobs.digest import build
from bot.jobs.digest_send import DigestSender, SendResult
from bot.jobs.reminders import Reminders
from bot.jobs.schedule import Week, digest_due
from bot.networks.base import Account
from storage.maintenance import optimize
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
TICK_S = 30.0
MIN_PAUSE_S = 1.0  # never tick faster than this, even when a replay keeps failing
OPTIMIZE_EVERY = timedelta(hours=6)


class DigestJob:
    """One brand's weekly digest: its channel, schedule and time zone; its approvers hear of a failure."""

    def __init__(
        self,
        store: Store,
        client: WebClient,
        account: Account | Mapping[str, Account],  # the brand's accounts by network, or one
        worker_id: str,
        *,
        brand: str = "default",
        channel: str,
        approvers: tuple[str, ...],
        cron: str,
        zone: ZoneInfo,
    ) -> None:
        self.store = store
        self.account = account
        self.brand = brand
        self.cron = cron
        self.zone = zone
        self.sender = DigestSender(store, client, channel, worker_id, approvers)

    def due(self, now: datetime) -> Week | None:
        return digest_due(self.cron, now, self.zone)

    def send(self, week: Week, now: datetime | None = None, *, brand: str | None = None) -> SendResult:
        brand = brand or self.brand
        return self.sender.send(
            brand,
            week,
            lambda: digest_render.blocks(build(self.store, self.account, week, brand=brand, now=now)),
            now=now,
        )


@dataclass(frozen=True)
class Tick:
    digest: SendResult | None
    reminders: int
    cards_caught_up: int = 0
    requests_replayed: int = 0
    writers_told: int = 0
    times_told: int = 0
    escalated: int = 0
    digests: tuple[SendResult, ...] = ()  # every brand's digest sent or tried at this tick (`digest`: the first)


class Scheduler:
    def __init__(
        self,
        digest: DigestJob,
        reminders: Reminders,
        clock: Callable[[], datetime] = utcnow,
        catch_up: Callable[[datetime], int] = lambda _now: 0,
        replay: Callable[[datetime], int] = lambda _now: 0,
        replay_due: Callable[[], datetime | None] = lambda: None,
        tell_writers: Callable[[datetime], int] = lambda _now: 0,
        keep_time: Callable[[datetime], int] = lambda _now: 0,
        escalate: Callable[[datetime], int] = lambda _now: 0,
        digests: Sequence[DigestJob] = (),
    ) -> None:
        self.digests = tuple(digests) or (digest,)  # one per brand; `digest` is the first (the one-brand shortcut's)
        self.escalate = escalate  # bot.jobs.escalation: backups get the card of a draft nobody answered in time
        self.keep_time = keep_time  # bot.jobs.timekeeper: times that passed without a post are told
        self.digest = digest
        self.reminders = reminders
        self.catch_up = catch_up
        self.replay = replay
        self.replay_due = replay_due
        self.tell_writers = tell_writers
        self.clock = clock
        self._optimized_at: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> Tick:
        """One pass at `now` (default: the clock's)."""
        now = now or self.clock()
        if self._optimized_at is None or abs(now - self._optimized_at) >= OPTIMIZE_EVERY:
            optimize(self.digest.store.engine)
            self._optimized_at = now
        replayed = self.replay(now)  # first: a replayed draft or decision is what the steps below report on
        escalated = self.escalate(now)
        results = []
        for job in self.digests:  # each brand's on its own schedule, in its own time zone
            week = job.due(now)
            if week is not None:
                results.append(sent := job.send(week, now))
                if sent.sent:
                    log.info("weekly digest %s of %s sent", sent.week, job.brand)
        return Tick(
            results[0] if results else None,
            self.reminders.run(now),
            self.catch_up(now),
            replayed,
            self.tell_writers(now),
            self.keep_time(now),
            escalated,
            tuple(results),
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="countersign-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed; trying again at the next tick")
            self._stop.wait(self._pause())

    def _pause(self) -> float:
        """Until the next tick, or sooner when a stopped instance's request can be replayed (its lease ends)."""
        try:
            due = self.replay_due()
        except Exception:
            log.exception("couldn't read the inbox; replaying at the next tick")
            return TICK_S
        if due is None:
            return TICK_S
        return min(TICK_S, max(MIN_PAUSE_S, (due - self.clock()).total_seconds() + MIN_PAUSE_S))
