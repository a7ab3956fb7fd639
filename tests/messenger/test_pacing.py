"""The pacer, on a clock the test controls: even spacing, no burst after a stall, the cap held."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from custom_components.facebook.messenger.pacing import Pacer
from tests.clocks import StallingClock, most_in_any


async def run(pacer: Pacer, clock: StallingClock, calls: int, in_flight: int) -> list[float]:
    starts: list[float] = []
    queue = iter(range(calls))

    async def worker() -> None:
        for _ in queue:
            await pacer.acquire()
            starts.append(clock.now)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return starts


@pytest.mark.parametrize("seed", range(3))
async def test_stalls_never_release_a_burst(seed: int) -> None:
    clock = StallingClock(seed, stall_chance=0.02)
    pacer = Pacer(300, clock=clock, sleep=clock.sleep)
    starts = await run(pacer, clock, calls=3000, in_flight=96)
    assert clock.stalls > 50  # the run really was full of stalls
    assert most_in_any(starts, 1.0) <= 290  # Meta's cap of 300 in any second, with room
    assert most_in_any(starts, pacer.window) <= 300
    # No burst after a stall: consecutive starts keep at least half a slot apart.
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= pacer.interval / 2 - 1e-9


async def test_without_stalls_the_pace_is_the_cap() -> None:
    clock = StallingClock(1, stall_chance=0.0)
    pacer = Pacer(300, clock=clock, sleep=clock.sleep)
    starts = await run(pacer, clock, calls=3000, in_flight=96)
    rate = (len(starts) - 1) / (starts[-1] - starts[0])
    assert 280 <= rate <= 300 / pacer.window + 1e-6  # late timers do not slow it down
    assert most_in_any(starts, 1.0) <= 287


async def test_an_idle_page_starts_again_without_a_double_start() -> None:
    clock = StallingClock(2, stall_chance=0.0)
    pacer = Pacer(10, window=1.0, clock=clock, sleep=clock.sleep)
    await run(pacer, clock, calls=5, in_flight=1)
    clock.now += 60  # nothing to send for a minute
    starts = await run(pacer, clock, calls=3, in_flight=3)
    assert starts[1] - starts[0] >= 0.1 - 1e-9  # a full slot, not half of one


async def test_throttling_pauses_halves_and_recovers() -> None:
    clock = StallingClock(3, stall_chance=0.0)
    pacer = Pacer(100, window=1.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire()
    pacer.throttled(2.0)
    assert pacer.limit == 50
    paused_from = clock.now
    await pacer.acquire()
    assert clock.now - paused_from >= 2.0  # the pause is waited out first
    for _ in range(25):
        pacer.succeeded()
    assert pacer.limit == 100


async def test_a_lower_limit_is_held_by_the_record_of_starts() -> None:
    clock = StallingClock(4, stall_chance=0.0)
    pacer = Pacer(100, window=1.0, clock=clock, sleep=clock.sleep)
    starts = await run(pacer, clock, calls=50, in_flight=10)
    pacer.limit = 10  # as after throttling, with many starts already in the last window
    more = await run(pacer, clock, calls=30, in_flight=10)
    assert most_in_any([s for s in [*starts, *more] if s > more[0] - 1e-9], 1.0) <= 10
