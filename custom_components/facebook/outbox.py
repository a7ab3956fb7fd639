"""The durable outbox: messages that a transient failure kept from Meta, retried until delivered.

When a message still fails for a transient reason after the in-call retries (network down,
Meta 5xx, codes 1/2/1200, rate limits), the rest of that person's messages are stored with
Home Assistant's storage helper and retried in the background with backoff, in order, across
restarts. A message is given up on (`facebook_send_failed`) when its time to live ends, when
the person's 24-hour window is known to have closed, or when Meta refuses it for good.

The Send API has no idempotency key: if Meta accepted a message but its answer was lost, the
retry delivers it a second time (at least once). A failure before Meta accepted the message
is retried without duplicates (exactly once).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import itertools
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_SEND_FAILED, LOGGER
from .graph import GraphError, GraphTransientError, JSONDict, Upload
from .messages import Part, SendOptions
from .send import request_body, send_part
from .storage import async_load_field, page_store
from .targets import Target

if TYPE_CHECKING:
    from .page import MessengerPage

# Backoff between retries of the head of the outbox (seconds); the last value repeats.
RETRY_DELAYS: tuple[float, ...] = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0)
# Bounds: how many messages, and how many bytes of files, may wait.
MAX_MESSAGES = 1000
MAX_FILE_BYTES = 25 * 1024 * 1024

REASON_EXPIRED = "expired"
REASON_WINDOW = "window_closed"


class OutboxFull(Exception):
    """The outbox is at its size cap; the message can't be kept for later."""


@dataclass(slots=True)
class Entry:
    """The waiting messages of one person from one notify call, in order."""

    id: int
    target: Target
    options: SendOptions
    parts: list[Part]
    created: datetime
    attempts: int = 0
    last_error: str | None = field(default=None)

    @property
    def file_bytes(self) -> int:
        """Bytes of files this entry holds."""
        return sum(len(part.upload.data) for part in self.parts if part.upload is not None)

    def to_json(self) -> JSONDict:
        """The stored form (files as base64)."""
        return {
            "id": self.id,
            "target": {
                "label": self.target.label,
                "recipient": self.target.recipient,
                "psid": self.target.psid,
                "name": self.target.name,
            },
            "options": {
                "messaging_type": self.options.messaging_type,
                "tag": self.options.tag,
                "notification_type": self.options.notification_type,
            },
            "parts": [_part_to_json(part) for part in self.parts],
            "created": self.created.isoformat(),
            "attempts": self.attempts,
            "last_error": self.last_error,
        }

    @classmethod
    def from_json(cls, data: JSONDict) -> Entry:
        """Read a stored entry (raises KeyError/ValueError/TypeError on damage)."""
        target = data["target"]
        options = data["options"]
        created = dt_util.parse_datetime(data["created"])
        if created is None:
            raise ValueError("bad date")
        return cls(
            id=int(data["id"]),
            target=Target(
                str(target["label"]),
                {str(k): str(v) for k, v in target["recipient"].items()},
                psid=target.get("psid"),
                name=target.get("name"),
            ),
            options=SendOptions(
                str(options["messaging_type"]), options.get("tag"), options.get("notification_type")
            ),
            parts=[_part_from_json(part) for part in data["parts"]],
            created=created,
            attempts=int(data.get("attempts", 0)),
            last_error=data.get("last_error"),
        )


def _part_to_json(part: Part) -> JSONDict:
    upload = None
    if part.upload is not None:
        upload = {
            "filename": part.upload.filename,
            "content_type": part.upload.content_type,
            "data": base64.b64encode(part.upload.data).decode(),
        }
    return {
        "message": part.message,
        "sender_action": part.sender_action,
        "media_kind": part.media_kind,
        "upload": upload,
    }


def _part_from_json(data: JSONDict) -> Part:
    upload = data.get("upload")
    return Part(
        message=data.get("message"),
        sender_action=data.get("sender_action"),
        media_kind=data.get("media_kind"),
        upload=Upload(
            data=base64.b64decode(upload["data"]),
            filename=str(upload["filename"]),
            content_type=str(upload["content_type"]),
        )
        if upload
        else None,
    )


class Outbox:
    """The waiting messages of one page and the task that delivers them."""

    def __init__(self, page: MessengerPage, ttl: timedelta) -> None:
        """Create the outbox of `page` (messages live at most `ttl`)."""
        self._page = page
        self.ttl = ttl
        # Atomic: a kill in the middle of a write leaves the previous file, never half of one.
        self._store = page_store(page.hass, "outbox", page.service_name, atomic=True)
        self.entries: list[Entry] = []
        self._ids = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        """How many messages wait."""
        return sum(len(entry.parts) for entry in self.entries)

    async def async_load(self) -> None:
        """Read what waited when Home Assistant stopped, and start delivering it."""
        stored = await async_load_field(self._store, "entries")
        for item in stored if isinstance(stored, list) else []:
            try:
                self.entries.append(Entry.from_json(item))
            except (KeyError, ValueError, TypeError, AttributeError) as err:
                LOGGER.warning("A damaged outbox entry was dropped: %s", type(err).__name__)
        if self.entries:
            self._ids = itertools.count(max(entry.id for entry in self.entries) + 1)
            LOGGER.info(
                "notify.%s: %d message(s) waiting from before the restart",
                self._page.service_name,
                len(self),
            )
            self._async_kick()

    def has_pending(self, target: Target) -> bool:
        """Whether messages to this person wait (new ones must queue behind them)."""
        return any(entry.target.recipient == target.recipient for entry in self.entries)

    async def async_enqueue(
        self, target: Target, parts: list[Part], options: SendOptions, error: str
    ) -> None:
        """Keep `parts` for `target`, on disk before this returns; raises OutboxFull past the caps.

        Writes that overlap share one write of the newest state (the store's own lock), so a
        burst of queued messages costs a few writes, not one each.
        """
        entry = Entry(next(self._ids), target, options, list(parts), dt_util.utcnow(), 0, error)
        if len(self) + len(entry.parts) > MAX_MESSAGES:
            raise OutboxFull(f"the outbox holds {len(self)} messages (the cap is {MAX_MESSAGES})")
        if sum(e.file_bytes for e in self.entries) + entry.file_bytes > MAX_FILE_BYTES:
            raise OutboxFull("the outbox holds 25 MB of files already")
        self.entries.append(entry)
        await self._async_save()
        self._async_kick()

    @callback
    def _async_kick(self) -> None:
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = self._page.hass.async_create_background_task(
                self._async_run(), f"{DOMAIN} {self._page.service_name} outbox"
            )

    async def _async_save(self) -> None:
        """Write the outbox now (a delivered message gone from disk at once: no resend after
        a kill)."""
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        return {"entries": [entry.to_json() for entry in self.entries]}

    async def _async_run(self) -> None:
        """Deliver the head of the outbox until it is empty (order kept)."""
        failures = 0
        while self.entries:
            entry = self.entries[0]
            reason = self._give_up_reason(entry)
            if reason is not None:
                await self._async_drop(entry, reason)
                continue
            try:
                await self._async_send_head(entry)
            except GraphTransientError as err:
                entry.attempts += 1
                entry.last_error = str(err)
                await self._async_save()
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                delay = max(delay, err.retry_after or 0.0)
                failures += 1
                LOGGER.debug("Outbox retry in %.1f s after: %s", delay, err)
                self._wake.clear()
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                continue
            except GraphError as err:
                await self._async_drop(entry, str(err))
                continue
            failures = 0
            self.entries.pop(0)
            await self._async_save()
            LOGGER.info(
                "notify.%s: delivered the kept message(s) to %s",
                self._page.service_name,
                entry.target.describe(),
            )

    async def _async_send_head(self, entry: Entry) -> None:
        while entry.parts:
            part = entry.parts[0]
            await send_part(
                self._page, entry.target, part, request_body(entry.target, part, entry.options)
            )
            entry.parts.pop(0)
            if entry.parts:  # the last part: the caller drops the whole entry and writes
                await self._async_save()

    def _give_up_reason(self, entry: Entry) -> str | None:
        now = dt_util.utcnow()
        if entry.created + self.ttl <= now:
            return REASON_EXPIRED
        psid = entry.target.psid
        if (
            psid is not None
            and entry.options.tag is None
            and self._page.audience.window_closed(psid, now)
        ):
            return REASON_WINDOW
        return None

    async def _async_drop(self, entry: Entry, reason: str) -> None:
        self.entries.remove(entry)
        await self._async_save()
        LOGGER.warning(
            "notify.%s: gave up on %d message(s) to %s: %s",
            self._page.service_name,
            len(entry.parts),
            entry.target.describe(),
            reason,
        )
        self._page.hass.bus.async_fire(
            EVENT_SEND_FAILED,
            {
                "target": entry.target.label,
                "reason": reason,
                "page_id": self._page.page_id,
                "messages": len(entry.parts),
                "last_error": entry.last_error,
            },
        )
