"""One card update per decision: the handler of an approval that goes out now waits a moment for the publisher.

Publishing usually answers in tens of milliseconds, so showing "Approved… publishing to X…" and then the outcome
is two updates of every card where one would do. The decision's handler registers here before it wakes the
publisher and waits up to `WAIT`: once this instance's publisher has recorded the outcome and shown it on the cards
(its own refresh, from the database), the handler has nothing left to show. When publishing is slow, or this
instance's publisher doesn't take the draft (paused, another instance claimed it, not due after all), the handler
shows the draft as it is then: the interim state only when it is real.

In memory on purpose: it only saves work. Nothing is lost if the process stops, as the decision and the outcome are
in the database and the cards' catch-up compares what they show (`card.shown_status`) with the draft.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from storage.models import Delivery, Draft, Status

WAIT = 1.0  # seconds: past this, "publishing…" is worth showing


@dataclass
class Waiter:
    """One decision's handler, waiting for the publisher's outcome on its draft."""

    registered_before: int  # passes of the publisher begun before this registration (one begun later sees the draft)
    event: threading.Event = field(default_factory=threading.Event)
    shown: bool = False  # the publisher recorded an outcome and refreshed the cards with it

    def wait(self, timeout: float = WAIT) -> bool:
        """Whether the publisher showed the outcome on the cards (else the caller shows what there is)."""
        self.event.wait(timeout)
        return self.shown


class Waiters:
    """The publisher's side: decisions waiting for it, by draft, and its passes over the queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Waiter] = {}
        self._passes = 0

    def expect(self, draft_id: int) -> Waiter:
        with self._lock:
            waiter = self._waiting[draft_id] = Waiter(self._passes)
        return waiter

    def forget(self, draft_id: int, waiter: Waiter) -> None:
        with self._lock:
            if self._waiting.get(draft_id) is waiter:
                del self._waiting[draft_id]

    def shown(self, draft_id: int) -> None:
        """The outcome on `draft_id` is recorded and on its cards."""
        with self._lock:
            waiter = self._waiting.pop(draft_id, None)
        if waiter is not None:
            waiter.shown = True
            waiter.event.set()

    def pass_begins(self) -> int:
        with self._lock:
            self._passes += 1
            return self._passes

    def pass_ends(self, begun: int) -> None:
        """A pass that began after a registration saw its draft (committed before): if it didn't publish it, this
        publisher won't soon, and the handler needn't wait out `WAIT`."""
        with self._lock:
            done = [d for d, w in self._waiting.items() if w.registered_before < begun]
            released = [self._waiting.pop(d) for d in done]
        for waiter in released:
            waiter.event.set()


def goes_out_now(draft: Draft | None, delivered: Sequence[Delivery], now: datetime) -> bool:
    """Whether the publisher may take `draft` at once: approved, no Undo window open, no time ahead, and its
    deliveries (`delivered`, its version's) not held back: the earliest retry or look any of them has booked is due.
    (With UNDO_WINDOW the window's card is the decision's state for now, shown at once.)"""
    if draft is None or draft.status != Status.APPROVED:
        return False
    booked = min((d.next_attempt_at for d in delivered if d.next_attempt_at is not None), default=None)
    return all(t is None or t <= now for t in (draft.undo_until, draft.publish_at, booked))
