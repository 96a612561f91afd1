"""Claimer: a claim names its process, and a process of this host that no longer exists is known to be gone."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from bot.delivery.claimer import Claimer, process_start

ME = Claimer.this_process()


def claim_of(pid: int) -> str:
    return str(Claimer(ME.host, pid, process_start(pid) or "", ME.machine))


def test_a_claim_reads_back_as_written() -> None:
    assert Claimer.parse(str(ME)) == ME
    assert Claimer.parse("host.example:42:-:abcd1234") == Claimer("host.example", 42, "", "abcd1234")


@pytest.mark.parametrize("text", [None, "", "myhost-1234", "h:0:1:m", "h:-5:1:m", "h:x:1:m", "a:b"])
def test_anything_else_is_no_claim_and_never_gone(text: str | None) -> None:
    assert Claimer.parse(text) is None
    assert not ME.is_gone(text)


def test_this_process_and_a_live_one_are_not_gone() -> None:
    assert not ME.is_gone(str(ME))
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not ME.is_gone(claim_of(child.pid))
    finally:
        child.kill()
        child.wait()


def test_an_exited_process_is_gone_once_reaped_and_as_a_zombie() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    claim = claim_of(child.pid)
    while process_start(child.pid) not in (None, "zombie"):
        pass
    assert ME.is_gone(claim)  # exited, not reaped yet: a zombie holds nothing
    child.wait()
    assert ME.is_gone(claim)


def test_a_reused_pid_is_told_apart_by_its_start_time() -> None:
    if not ME.started:
        pytest.skip("no /proc here: a live pid is assumed to be the holder")
    assert ME.is_gone(str(replace(ME, started=str(int(ME.started) - 1))))


def test_another_host_or_pid_namespace_is_never_judged_here() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = Claimer.parse(claim_of(child.pid))
    assert gone is not None and ME.is_gone(str(gone))
    assert not ME.is_gone(str(replace(gone, host="other-host")))
    assert not ME.is_gone(str(replace(gone, machine="00000000")))  # another container with the same hostname
