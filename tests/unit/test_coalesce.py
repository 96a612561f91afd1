"""The coalescer folds requests that arrive during a run into one more run, per key."""

from __future__ import annotations

import threading

import pytest

from bot.intake.coalesce import Coalescer


def test_a_lone_request_runs_once() -> None:
    runs: list[str] = []
    refresh = Coalescer(runs.append)
    assert refresh("U1") is True
    assert refresh("U1") is True
    assert runs == ["U1", "U1"]


def test_requests_during_a_run_fold_into_one_more_run() -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def work(key: str) -> None:
        runs.append(key)
        if len(runs) == 1:
            started.set()
            release.wait(5)

    refresh = Coalescer(work)
    first = threading.Thread(target=refresh, args=("U1",))
    first.start()
    assert started.wait(5)
    folded = [refresh("U1") for _ in range(5)]  # all arrive while the first run is busy
    release.set()
    first.join(5)
    assert folded == [False] * 5
    assert runs == ["U1", "U1"]  # the first run, then one for all five


def test_other_keys_are_not_held_up() -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def work(key: str) -> None:
        runs.append(key)
        if key == "U1":
            started.set()
            release.wait(5)

    refresh = Coalescer(work)
    first = threading.Thread(target=refresh, args=("U1",))
    first.start()
    assert started.wait(5)
    assert refresh("U2") is True
    release.set()
    first.join(5)
    assert runs == ["U1", "U2"]


def test_a_failed_run_does_not_block_the_next_request() -> None:
    calls: list[str] = []

    def work(key: str) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("Slack said no")

    refresh = Coalescer(work)
    with pytest.raises(RuntimeError):
        refresh("U1")
    assert refresh("U1") is True
    assert calls == ["U1", "U1"]
