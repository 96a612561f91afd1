"""backoff(): capped exponential backoff with jitter between half and all of the step."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.delivery.publisher import backoff

# Steps worked out by hand: 2 s doubling per attempt, capped at 5 minutes.
STEPS = {1: 2, 2: 4, 3: 8, 4: 16, 5: 32, 6: 64, 7: 128, 8: 256, 9: 300, 10: 300, 20: 300, 1000: 300}
SEEDS = range(50)


@pytest.mark.parametrize(("attempt", "step"), sorted(STEPS.items()))
def test_backoff_stays_within_half_and_all_of_the_step(attempt: int, step: int) -> None:
    delays = [backoff(attempt, random.Random(seed)) for seed in SEEDS]
    assert all(step / 2 <= d <= step for d in delays), (min(delays), max(delays))
    assert len(set(delays)) > 1, "jitter must actually vary"


def test_backoff_never_exceeds_five_minutes() -> None:
    rng = random.Random(7)
    assert max(backoff(attempt, rng) for attempt in range(0, 200)) <= 300


def test_backoff_doubles_per_attempt_for_the_same_draw_until_the_cap() -> None:
    for seed in SEEDS:
        delays = [backoff(attempt, random.Random(seed)) for attempt in range(1, 12)]
        for earlier, later in itertools.pairwise(delays[:8]):  # attempts 1..8: 2 s up to 256 s
            assert later == pytest.approx(2 * earlier)
        assert delays[8] == delays[9] == delays[10], "capped steps stay flat"
        assert delays[8] > delays[7]


def test_a_zero_or_negative_attempt_waits_like_the_first() -> None:
    for seed in SEEDS:
        first = backoff(1, random.Random(seed))
        assert backoff(0, random.Random(seed)) == first
        assert backoff(-3, random.Random(seed)) == first


def test_backoff_works_without_an_explicit_rng() -> None:
    assert 1 <= backoff(1) <= 2
