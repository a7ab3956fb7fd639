"""The webhook's redelivery memory: an event Meta sends again (same `mid`) fires once, across
restarts too (the memory is saved shortly after it changes, and is bounded)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .const import LOGGER, SEEN_EVENTS_MAX
from .messenger import Deduplicator, MessagingEvent
from .store import async_load_field, private_store

# The memory is saved at most this many seconds after it changed.
SEEN_SAVE_DELAY = 2.0


class Redeliveries:
    """What the webhook has seen, for every page of this Home Assistant."""

    def __init__(self, hass: HomeAssistant) -> None:
        """An empty memory, kept as `facebook.webhook_seen`."""
        self.seen = Deduplicator(SEEN_EVENTS_MAX)
        self._store = private_store(hass, "webhook_seen", atomic=True)
        self._save_pending = False

    def __len__(self) -> int:
        """How many events are remembered."""
        return len(self.seen)

    async def async_load(self) -> None:
        """Read the memory saved before the last stop (a redelivery after a restart fires
        nothing)."""
        self.seen.restore(await async_load_field(self._store, "seen"))

    def first_time(self, event: MessagingEvent) -> bool:
        """Whether an event is new (False: a redelivery); the memory is saved shortly."""
        if not self.seen.first_time(event):
            LOGGER.debug("Redelivered webhook event ignored: %s", event.mid or event.kind)
            return False
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, SEEN_SAVE_DELAY)
        return True

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        return {"seen": self.seen.dump()}
