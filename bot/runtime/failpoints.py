"""Named places where a test can make the process die, to prove what survives a crash.

`COUNTERSIGN_FAILPOINT=after-claim` (or `after-x-call`, `before-card-update`, `after-delete-call`) makes the
process exit at once — no cleanup, no flush, as a SIGKILL would — the first time it reaches that place. Unset in
production; checking it costs one dictionary lookup.
"""

from __future__ import annotations

import logging
import os

VARIABLE = "COUNTERSIGN_FAILPOINT"
NAMES = frozenset({"after-claim", "after-x-call", "before-card-update", "after-delete-call"})
EXIT_CODE = 86

log = logging.getLogger(__name__)


def hit(name: str) -> None:
    if os.environ.get(VARIABLE) == name:
        log.critical("failpoint %s reached: exiting now", name)
        os._exit(EXIT_CODE)
