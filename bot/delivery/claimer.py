"""Who holds a publishing claim, precisely enough to tell at once that the holder died.

A lease answers "the holder is gone" for any host, but only once it runs out (90 s by default): after a `kill -9`
and a restart the post sat in "publishing" all that time. A claim therefore names its process: host, pid, the
process's start time, and a key of the machine's boot and pid namespace. A process of this host that no longer
exists holds nothing, and its claims are recovered at once.

Only certainty counts as "gone"; anything else waits for the lease as before:
- another host, another boot, or another pid namespace (two containers can share a hostname, e.g. on the host
  network, and see different processes under one pid): never judged here;
- no process with that pid (`ProcessLookupError`), or a zombie: gone;
- a process with that pid but another start time: the pid was reused, the holder is gone;
- a process with that pid and no way to read its start time (no /proc): assumed alive.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

HOST_CHARS = 64
_PROC = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def machine_key() -> str:
    """The boot and the pid namespace this process sees pids in, hashed short (`""` parts when unknown)."""
    try:
        namespace = os.readlink(_PROC / "self" / "ns" / "pid")
    except OSError:
        namespace = ""
    boot = _read(_PROC / "sys" / "kernel" / "random" / "boot_id")
    return hashlib.sha1(f"{boot}|{namespace}".encode()).hexdigest()[:8]


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); "zombie" for a process
    that has exited but not been reaped; None when it can't be read (no /proc, or no such process)."""
    stat = _read(_PROC / str(pid) / "stat")
    if not stat or ")" not in stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name, in parentheses, may hold spaces
    if len(fields) < 20:
        return None
    return "zombie" if fields[0] in ("Z", "X") else fields[19]


@dataclass(frozen=True)
class Claimer:
    host: str
    pid: int
    started: str  # "" when unknown
    machine: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.started or '-'}:{self.machine}"

    @property
    def prefix(self) -> str:
        """What every claim made on this host starts with (for finding them)."""
        return f"{self.host}:"

    @classmethod
    def this_process(cls) -> Claimer:
        pid = os.getpid()
        host = socket.gethostname().replace(":", "_")[:HOST_CHARS] or "localhost"
        return cls(host, pid, process_start(pid) or "", machine_key())

    @classmethod
    def parse(cls, text: str | None) -> Claimer | None:
        """A claim written by `str()`; None for anything else (an older worker id, a damaged value)."""
        parts = (text or "").rsplit(":", 3)
        if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) <= 0:
            return None
        host, pid, started, machine = parts
        return cls(host, int(pid), "" if started == "-" else started, machine)

    def is_gone(self, claim: str | None) -> bool:
        """True only when certain that the process behind `claim` (as seen from this one) no longer exists."""
        holder = Claimer.parse(claim)
        if holder is None or (holder.host, holder.machine) != (self.host, self.machine):
            return False
        if holder == self:
            return False
        try:
            os.kill(holder.pid, 0)  # signal 0: only asks whether the pid exists
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # it exists, as another user
        except OSError:
            return False
        started = process_start(holder.pid)
        if started is None:
            return False
        return started == "zombie" or (bool(holder.started) and started != holder.started)
