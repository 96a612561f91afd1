"""A clock tests move by hand: the app's "now" for times to go out, without sleeping."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, by: timedelta) -> datetime:
        with self._lock:
            self._now += by
            return self._now
