"""Record keys chosen before the create call: TIDs as the atproto spec defines them.

A TID is a 64-bit integer (top bit 0, then 53 bits of microseconds since the UNIX epoch, then a 10-bit clock
id) written as 13 characters of base32-sortable (`234567abcdefghijklmnopqrstuvwxyz`), so keys sort by time.
`app.bsky.feed.post` records must have a TID key; choosing it ourselves makes a repeated create land on the same
record instead of making a second post.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_PATTERN = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


class _Clock:
    """Strictly increasing microseconds for this process, with one random clock id (the spec's advice)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self.clock_id = secrets.randbelow(1024)

    def next_micros(self) -> int:
        with self._lock:
            now = max(time.time_ns() // 1000, self._last + 1)
            self._last = now
            return now


_CLOCK = _Clock()


def encode(micros: int, clock_id: int) -> str:
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023)
    chars = []
    for _ in range(13):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_tid() -> str:
    return encode(_CLOCK.next_micros(), _CLOCK.clock_id)


def is_tid(key: str) -> bool:
    return TID_PATTERN.fullmatch(key) is not None
