"""One person's messages go out in the order their calls came, each call's messages whole.

Two notify calls to the same person run side by side, and each may wait (for media, for a
pacing slot, for a retry): without turns, their parts would interleave (`a1 b1 a2 b2`). A call
takes its turn for each of its people when it starts, before it waits for anything, and sends
to a person only once the calls before it are done with that person. People do not wait for
each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class Turn:
    """One call's place in one person's line; `async with` waits for it, then holds it."""

    __slots__ = ("_before", "_key", "_line", "_released", "done")

    def __init__(self, line: PersonTurns, key: Hashable, before: asyncio.Future[None] | None):
        """The turn after `before` (None: nobody is ahead)."""
        self._line = line
        self._key = key
        self._before = before
        self._released = False
        # Resolved once this call and every call ahead of it are done with the person.
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def __aenter__(self) -> None:
        """Wait until the calls ahead are done with this person."""
        if self._before is not None and not self._before.done():
            await asyncio.shield(self._before)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Done with this person: the next call may go."""
        self.release()

    def release(self) -> None:
        """Give the turn up (done, failed or never used; saying it twice is harmless).

        A call that gives up early still lets the next one go only after the calls ahead of it.
        """
        if self._released:
            return
        self._released = True
        if self._before is None or self._before.done():
            self._finish()
        else:
            self._before.add_done_callback(self._finish)

    def _finish(self, _before: object = None) -> None:
        if not self.done.done():
            self.done.set_result(None)
            self._line.forget(self._key, self.done)


class PersonTurns:
    """The lines of one page's people (only people with a call in progress take memory)."""

    def __init__(self) -> None:
        """Nobody in line."""
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        """How many people have a call in progress."""
        return len(self._last)

    def take(self, key: Hashable) -> Turn:
        """A turn behind every call already in line for this person."""
        turn = Turn(self, key, self._last.get(key))
        self._last[key] = turn.done
        return turn

    def forget(self, key: Hashable, done: asyncio.Future[None]) -> None:
        """The last turn of a person ended: nobody is in their line any more."""
        if self._last.get(key) is done:
            del self._last[key]
