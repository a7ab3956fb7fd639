"""Pacing of Send API calls: never above Meta's per-page cap in any one-second span.

Meta allows 300 Send API calls per second per page (10 for audio and video). Calls are started
evenly spaced, one slot every `window / limit` seconds, with no burst: a token bucket would let a
full bucket burst on top of the refill rate (up to twice the cap in one second), and a burst of
hundreds of requests queues up on the way, so their arrival at Meta spreads out and piles into
the next second. The window is a little longer than a second so that jitter between our start
time and Meta's arrival time cannot squeeze more than the cap into one of Meta's seconds. Every
call a page makes goes through its pacer, so a broadcast and ordinary notifications together
stay under the cap.

A throttling answer (613, 80006, ...) pauses the page and halves its pace; the pace grows back
as calls succeed again. No Home Assistant imports.
"""

from __future__ import annotations

import asyncio

# Extra window length that absorbs jitter between our send time and Meta's arrival time.
WINDOW_MARGIN = 0.05


class Pacer:
    """At most `limit` call starts per `window` seconds, evenly spaced, first come first served."""

    def __init__(self, limit: int, window: float = 1.0 + WINDOW_MARGIN) -> None:
        """Allow `limit` calls per `window` seconds."""
        self.max_limit = limit
        self.limit = limit
        self.window = window
        self._next_slot = 0.0  # loop time of the next free start

    @property
    def interval(self) -> float:
        """Seconds between two call starts at the current pace."""
        return self.window / self.limit

    async def acquire(self) -> None:
        """Take the next free slot and wait for it."""
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def throttled(self, pause: float) -> None:
        """Meta said slow down: start nothing for `pause` seconds and halve the pace."""
        now = asyncio.get_running_loop().time()
        self.limit = max(1, self.limit // 2)
        self._next_slot = max(self._next_slot, now + pause)

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
