"""What a page knows of its webhook: whether Meta delivers to it, and until when it heard.

`heard_until` (kept on disk) is when Meta's webhook last reached the page, or when Home
Assistant stopped listening: what people wrote after it, while Home Assistant was deaf, is read
back at the next start (`webhook_health`). `subscribed` is what the last check found.
"""

from __future__ import annotations

import time
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .events import async_signal_webhook
from .store import async_load_field, page_store

# How long after the last event the time is saved (a restart loses at most this much of it,
# and then reads back a little more than it needs: redeliveries are recognised, never fired).
HEARD_SAVE_DELAY = 30.0


class WebhookState:
    """The webhook as one page sees it."""

    def __init__(self, hass: HomeAssistant, key: str, page_id: str | None) -> None:
        """The state of the page `page_id`, kept as `facebook.webhook.<key>`."""
        self._hass = hass
        self._page_id = page_id
        self._store = page_store(hass, "webhook", key, atomic=True)
        self._save_pending = False
        self.heard_until: float | None = None  # epoch seconds; None: never listened yet
        # What `heard_until` was at start, before the webhook could hear anything new: the
        # start's catch-up reads from there (an event heard meanwhile must not hide the rest).
        self.deaf_since: float | None = None
        self.subscribed: bool | None = None  # None: not checked yet

    async def async_load(self) -> None:
        """Read when the page last heard from Meta (before the last stop)."""
        stored = await async_load_field(self._store, "heard_until")
        self.heard_until = float(stored) if isinstance(stored, int | float) else None
        self.deaf_since = self.heard_until

    @callback
    def async_note_heard(self, when: float) -> None:
        """Meta's webhook delivered an event of `when` (epoch seconds)."""
        if self.heard_until is None or when > self.heard_until:
            self.heard_until = when
            self._schedule_save()

    @callback
    def async_stop_listening(self) -> None:
        """The page stops listening (Home Assistant stops, or the entry goes): it heard
        everything until now; written at once."""
        self.async_note_heard(time.time())
        if self._save_pending:
            self._hass.async_create_task(self._store.async_save(self._data()))

    @callback
    def async_set_subscribed(self, subscribed: bool) -> None:
        """What the check found: Meta delivers to the page's webhook, or not."""
        if subscribed != self.subscribed:
            self.subscribed = subscribed
            async_signal_webhook(self._hass, self._page_id)

    def _schedule_save(self) -> None:
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, HEARD_SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        return {"heard_until": self.heard_until}
