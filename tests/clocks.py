"""Clocks the tests move: the pacer's loop time with stalls, and the pacers a page builds on it."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from custom_components.facebook.messenger.pacing import Pacer


class StallingClock:
    """Loop time that the test moves: sleeps take their time (plus a late wake-up), and at random
    moments the whole loop stalls for 50 to 200 ms, as a blocking callback would make it. Nothing
    else moves it: to a pacer on this clock the machine is infinitely fast, so the rate it
    allows is the pacer's own, never this machine's speed."""

    def __init__(self, seed: int, stall_chance: float) -> None:
        self.now = 1000.0
        self.random = random.Random(seed)
        self.stall_chance = stall_chance
        self.stalls = 0

    def _maybe_stall(self) -> None:
        if self.random.random() < self.stall_chance:
            self.now += self.random.uniform(0.05, 0.2)
            self.stalls += 1

    def __call__(self) -> float:
        self._maybe_stall()
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.random.uniform(0, 0.0005)  # timers fire a little late
        self._maybe_stall()
        await asyncio.sleep(0)


def most_in_any(starts: list[float], window: float) -> int:
    """The most starts inside any span of `window` seconds."""
    most, first = 0, 0
    for last, start in enumerate(starts):
        while start - starts[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


class ClockedPacer(Pacer):
    """A page's pacer (its own limit and window) on a test's clock, noting when each call
    started."""

    clock: StallingClock

    def __init__(self, limit: int, *args: Any, **_seams: Any) -> None:
        super().__init__(limit, *args, clock=self.clock, sleep=self.clock.sleep)
        self.starts: list[float] = []

    async def acquire(self) -> None:
        await super().acquire()
        self.starts.append(self.clock.now)


def starts_of(pacer: Pacer) -> list[float]:
    """When each call through `pacer` started, on the test's clock."""
    assert isinstance(pacer, ClockedPacer), "the page was set up before its pacers were clocked"
    return pacer.starts
