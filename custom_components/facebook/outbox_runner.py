"""The durable outbox: messages a transient failure kept from Meta, retried until delivered.

When a message still fails for a transient reason after the in-call retries (network down, Meta
5xx, codes 1/2/1200, rate limits), the rest of that person's messages wait here, on disk before
the call that kept them returns (atomic writes: a kill at any moment loses nothing), and are
retried in the background with backoff, in order, across restarts. A delivered message leaves
the disk before the next one is sent, so a kill does not send it again. A message is given up on
(`facebook_send_failed`) when its time to live ends, when the person's window is known to have
closed, or when Meta refuses it for good.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .events import PageRef, async_fire_send_failed, async_fire_sent
from .messenger import (
    Backoff,
    GraphClient,
    GraphError,
    GraphTransientError,
    OutboxEntry,
    OutboxQueue,
    OutgoingMessage,
    PersonKey,
    SendOptions,
    Target,
    WindowClosed,
    person_key,
    send_one,
)
from .store import async_load_field, page_store

DEFAULT_BACKOFF = Backoff(5.0, 300.0)
# People whose waiting messages are retried at once (the page's pacer keeps Meta's cap).
OUTBOX_CONCURRENCY = 32
# How long an unload waits for the sends under way (each at most a request's retries).
SHUTDOWN_WAIT = 30.0


class OutboxRunner:
    """The waiting messages of one page, their file on disk, and the task that delivers them."""

    def __init__(
        self,
        hass: HomeAssistant,
        queue: OutboxQueue,
        client: GraphClient,
        page: PageRef,
        window_closed: WindowClosed,
        storage_key: str,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        """Deliver `queue` through `client`, giving up on a person whose window is known to be
        closed (`window_closed`); kept on disk as `facebook.outbox.<storage_key>`."""
        self._hass = hass
        self.queue = queue
        self._client = client
        self._page = page
        self._window_closed = window_closed
        self._backoff = backoff
        self._store = page_store(hass, "outbox", storage_key, atomic=True)
        self._workers: dict[PersonKey, asyncio.Task[None]] = {}  # one per person with waiting
        self._sending: set[asyncio.Task[GraphTransientError | None]] = set()  # attempts under way
        self._turns = asyncio.Semaphore(OUTBOX_CONCURRENCY)
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        """How many messages wait."""
        return len(self.queue)

    @property
    def ttl(self) -> timedelta:
        """How long a message may wait."""
        return self.queue.ttl

    def has_pending(self, target: Target) -> bool:
        """Whether messages to this person wait (new ones must queue behind them)."""
        return self.queue.has_pending(target)

    async def async_load(self) -> None:
        """Read what waited when Home Assistant stopped, and start delivering it."""
        self.queue.load(await async_load_field(self._store, "entries"))
        if self.queue.entries:
            LOGGER.info(
                "%s: %d message(s) waiting from before the restart",
                self._page.label,
                len(self.queue),
            )
            self._async_kick()

    async def async_keep(
        self, target: Target, messages: list[OutgoingMessage], options: SendOptions, why: str
    ) -> None:
        """Keep messages for `target`, on disk before this returns; raises OutboxFull.

        Writes that overlap share one write of the newest state (the store's own lock), so a
        burst of kept messages costs a few writes, not one each.
        """
        self.queue.add(target, messages, options, why, dt_util.utcnow())
        await self._async_save()
        self._async_kick()

    @callback
    def async_stop(self) -> None:
        """Stop retrying (what waits stays on disk for the next start)."""
        for worker in self._workers.values():
            worker.cancel()
        self._workers.clear()

    async def async_shutdown(self) -> None:
        """Stop retrying, after the sends under way: each one's leaving the disk is written
        before this returns, so the page set up again does not send it a second time."""
        self.async_stop()
        if self._sending:
            await asyncio.wait(self._sending, timeout=SHUTDOWN_WAIT)

    @callback
    def _async_kick(self) -> None:
        """Wake the waiting workers, and start one for each person who has none."""
        self._wake.set()
        self._wake = asyncio.Event()
        for entry in self.queue.heads():
            key = person_key(entry.target)
            worker = self._workers.get(key)
            if worker is None or worker.done():
                self._workers[key] = self._hass.async_create_background_task(
                    self._async_deliver_person(key), f"{DOMAIN} {self._page.label} outbox"
                )

    async def _async_save(self) -> None:
        await self._store.async_save(self.queue.to_json())

    async def _async_deliver_person(self, key: PersonKey) -> None:
        """One person's waiting messages, oldest first, until none is left.

        People are delivered at the same time (each by their own worker, a bounded number
        sending at once), so one person's outage or slow answer holds nobody else up.
        """
        failures = 0
        while (entry := self.queue.head_of(key)) is not None:
            wake = self._wake
            async with self._turns:
                # Shielded: stopping the worker never cuts a send from its write to disk.
                attempt = self._hass.async_create_task(
                    self._async_try(entry), f"{DOMAIN} outbox send", eager_start=True
                )
                self._sending.add(attempt)
                attempt.add_done_callback(self._sending.discard)
                error = await asyncio.shield(attempt)
            if error is None:
                failures = 0
                continue
            await self._async_wait(wake, error, failures)
            failures += 1

    async def _async_try(self, entry: OutboxEntry) -> GraphTransientError | None:
        """One person's oldest entry: delivered, given up on, or (transient) kept for later."""
        reason = self.queue.give_up_reason(entry, dt_util.utcnow(), self._window_closed)
        if reason is not None:
            await self._async_give_up(entry, reason)
            return None
        try:
            await self._async_send_entry(entry)
        except GraphTransientError as err:
            entry.note_failure(str(err))
            await self._async_save()
            return err
        except GraphError as err:
            await self._async_give_up(entry, str(err))
            return None
        self.queue.remove(entry)
        await self._async_save()
        LOGGER.info(
            "%s: delivered the kept message(s) to %s", self._page.label, entry.target.describe()
        )
        return None

    async def _async_send_entry(self, entry: OutboxEntry) -> None:
        """Send an entry's messages in order; each leaves the disk once Meta accepted it."""
        while entry.messages:
            outgoing = entry.messages[0]
            result = await send_one(self._client, entry.target, outgoing, entry.options)
            if outgoing.message is not None:
                async_fire_sent(self._hass, self._page.id, entry.target, result)
            entry.pop_sent()
            if entry.messages:  # the last one: the caller drops the whole entry and writes
                await self._async_save()

    async def _async_wait(
        self, wake: asyncio.Event, error: GraphTransientError, failures: int
    ) -> None:
        """Wait before trying again (a new message wakes the worker early)."""
        delay = max(self._backoff.delay(failures), error.retry_after or 0.0)
        LOGGER.debug("Outbox retry in %.1f s after: %s", delay, error)
        try:
            async with asyncio.timeout(delay):
                await wake.wait()
        except TimeoutError:
            pass

    async def _async_give_up(self, entry: OutboxEntry, reason: str) -> None:
        self.queue.remove(entry)
        await self._async_save()
        LOGGER.warning(
            "%s: gave up on %d message(s) to %s: %s",
            self._page.label,
            len(entry.messages),
            entry.target.describe(),
            reason,
        )
        async_fire_send_failed(
            self._hass,
            self._page.id,
            entry.target,
            reason=reason,
            messages=len(entry.messages),
            last_error=entry.last_error,
        )
