"""Pacing of Send API calls: never above Meta's per-page cap in any one-second span.

Meta allows 300 Send API calls per second per page (10 for audio and video). A token bucket
lets a full bucket burst on top of the refill rate, which can put up to twice the cap into one
second; a sliding window of the last calls' start times cannot. The window is a little longer
than a second so that network jitter between our start time and Meta's arrival time cannot
squeeze more than the cap into one of Meta's seconds. Every call a page makes goes through
its limiter, so a broadcast and ordinary notifications together stay under the cap.

A throttling answer (613, 80006, ...) pauses the page and halves its pace; the pace grows back
as calls succeed again. No Home Assistant imports.
"""

from __future__ import annotations

import asyncio
from collections import deque

# Extra window length that absorbs jitter between our send time and Meta's arrival time.
WINDOW_MARGIN = 0.05


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any window of `window` seconds, first come first served."""

    def __init__(self, limit: int, window: float = 1.0 + WINDOW_MARGIN) -> None:
        """Allow `limit` calls per `window` seconds."""
        self.max_limit = limit
        self.limit = limit
        self.window = window
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._paused_until = 0.0

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            while True:
                now = loop.time()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                horizon = now - self.window
                starts = self._starts
                while starts and starts[0] <= horizon:
                    starts.popleft()
                if len(starts) < self.limit:
                    starts.append(now)
                    return
                await asyncio.sleep(starts[-self.limit] + self.window - now)

    def throttled(self, pause: float) -> None:
        """Meta said slow down: stop for `pause` seconds and halve the pace."""
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + pause)
        self.limit = max(1, self.limit // 2)

    def succeeded(self) -> None:
        """A call went through: grow the pace back towards the cap."""
        if self.limit < self.max_limit:
            self.limit = min(self.max_limit, self.limit + max(1, self.max_limit // 50))


class PageRateLimiter:
    """The two paces of one page: all Send API calls, and audio/video sends on top."""

    def __init__(self, per_second: int, media_per_second: int) -> None:
        """Create the limiters of one page."""
        self.calls = SlidingWindowLimiter(per_second)
        self.media = SlidingWindowLimiter(media_per_second)

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
