"""Pacing of Send API calls: never above Meta's per-page cap in any one-second span.

Meta allows 300 Send API calls per second per page (10 for audio and video) and counts them when
they arrive. Calls are started evenly spaced, one slot every `window / limit` seconds, with no
burst: a token bucket would let a full bucket burst on top of the refill rate (up to twice the
cap in one second), and a burst of hundreds of requests queues up on the way, so their arrival at
Meta spreads out and piles into the next second. The window is a little longer than a second so
that jitter between our start time and Meta's arrival time cannot squeeze more than the cap into
one of Meta's seconds.

An event loop that stalls (a slow callback, a full disk, a busy CPU) must not release a burst
either: the slots whose time passed during the stall are dropped, not caught up (the next start
comes at most half a slot after the late one), and a record of the actual start times is the hard
limit: never more than `limit` starts in any `window`, whatever the schedule says. Starts are
taken one after another (first come, first served), so two waiters can never both take the last
place in the window.

Every call a page makes goes through its pacer, so a broadcast and ordinary notifications
together stay under the cap. A throttling answer (613, 80006, ...) pauses the page and halves its
pace; the pace grows back as calls succeed again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

# Extra window length that absorbs jitter between our send time and Meta's arrival time.
WINDOW_MARGIN = 0.05
# After a late start, the next one waits at least this fraction of a slot (no catch-up burst).
MIN_GAP_FRACTION = 0.5

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[object]]


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Pacer:
    """At most `limit` call starts per `window` seconds, evenly spaced, first come first served."""

    def __init__(
        self,
        limit: int,
        window: float = 1.0 + WINDOW_MARGIN,
        *,
        clock: Clock = _loop_time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Allow `limit` calls per `window` seconds (`clock` and `sleep` are seams for tests)."""
        self.max_limit = limit
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0  # clock time of the next start on the even schedule
        self._starts: deque[float] = deque()  # actual start times within the last window
        self._turn = asyncio.Lock()

    @property
    def interval(self) -> float:
        """Seconds between two call starts at the current pace."""
        return self.window / self.limit

    async def acquire(self) -> None:
        """Wait for this call's start: its slot, and a free place in the last window."""
        async with self._turn:
            now = self._clock()
            slot = self._next_slot
            if slot < now - self.interval:  # idle for a while: the schedule starts again now
                slot = now
            while (wait := max(slot, self._window_frees_at(now)) - now) > 0:
                await self._sleep(wait)
                now = self._clock()
            self._starts.append(now)
            self._next_slot = max(slot + self.interval, now + self.interval * MIN_GAP_FRACTION)

    def _window_frees_at(self, now: float) -> float:
        """When the window has room for one more start (now, if it has room already)."""
        starts = self._starts
        while starts and starts[0] <= now - self.window:
            starts.popleft()
        if len(starts) < self.limit:
            return now
        return starts[len(starts) - self.limit] + self.window

    def throttled(self, pause: float) -> None:
        """Meta said slow down: start nothing for `pause` seconds and halve the pace."""
        self.limit = max(1, self.limit // 2)
        self._next_slot = max(self._next_slot, self._clock() + pause)

    def succeeded(self) -> None:
        """A call went through: grow the pace back towards the cap."""
        if self.limit < self.max_limit:
            self.limit = min(self.max_limit, self.limit + max(1, self.max_limit // 50))


class PageRateLimiter:
    """The two paces of one page: all Send API calls, and audio/video sends on top."""

    def __init__(self, per_second: int, media_per_second: int) -> None:
        """Create the pacers of one page."""
        self.calls = Pacer(per_second)
        self.media = Pacer(media_per_second)

    async def acquire(self, *, media: bool = False) -> None:
        """Take a slot for one call (and a media slot for audio or video)."""
        if media:
            await self.media.acquire()
        await self.calls.acquire()

    def throttled(self, pause: float, *, media: bool = False) -> None:
        """Meta answered a throttling error."""
        self.calls.throttled(pause)
        if media:
            self.media.throttled(pause)

    def succeeded(self) -> None:
        """A call went through."""
        self.calls.succeeded()
        self.media.succeeded()
