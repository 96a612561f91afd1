"""atproto's handle syntax (atproto.com/specs/handle): a host name of two or more ASCII labels, each 1-63 letters,
digits or hyphens, not starting or ending with a hyphen; the last label does not start with a digit. Checked where a
handle is configured (brands file, environment), so a typo is named there and not at the first login."""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HANDLE = re.compile(rf"^(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?$")


def normal(handle: str) -> str:
    """As the network stores it: no leading `@`, lower case."""
    return handle.strip().removeprefix("@").lower()


def is_handle(handle: str) -> bool:
    """Whether `handle` (already `normal`) is a handle a PDS could serve."""
    return bool(_HANDLE.match(handle))
