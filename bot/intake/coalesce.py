"""Fold repeated refreshes of the same thing into one.

An owner who approves ten drafts in a row asks for ten App Home refreshes; each one reads the queue and
renders it, and only the last can show the truth. `Coalescer` runs the work for a key at most once at a
time, and every request that arrives while it runs is folded into a single run after it. So the final
state is always rendered, and a burst costs two runs, not ten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Coalescer(Generic[K]):
    def __init__(self, work: Callable[[K], None]) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._again: dict[K, bool] = {}  # keys being worked on → whether a request came in meanwhile

    def __call__(self, key: K) -> bool:
        """Do the work for `key`, or leave it to the run in progress. Returns whether this call ran it.

        The caller that runs the work also runs the folded-in request, on its own thread, before returning.
        """
        with self._lock:
            if key in self._again:
                self._again[key] = True
                return False
            self._again[key] = False
        try:
            while True:
                self._work(key)
                with self._lock:
                    if not self._again[key]:
                        del self._again[key]
                        return True
                    self._again[key] = False
        except BaseException:
            with self._lock:  # a failed run ends the fold: the next request starts afresh
                self._again.pop(key, None)
            raise
