"""Each person's **Messaging window**, and the page's **Webhook**.

The window is on while the page may message the person: it turns off at the closing time by a
timer set for that moment (no polling); a timer that finds the person wrote since sets itself
for the new closing time. The Webhook (a diagnostic of pages that listen) is on while the last
check found Meta delivering to it.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, EntityCategory
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .entity import FacebookEntity, async_add_per_person
from .events import webhook_signal, window_signal
from .runtime import FacebookConfigEntry, FacebookRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One window binary sensor per person; the page's Webhook, when it listens."""
    async_add_per_person(entry, async_add_entities, WindowOpenSensor)
    if entry.runtime_data.settings.webhook_in_use:
        async_add_entities([WebhookSensor(entry.runtime_data)])


class WindowOpenSensor(FacebookEntity, BinarySensorEntity):
    """Whether the person's 24-hour window is open."""

    def __init__(self, runtime: FacebookRuntime, psid: str, name: str) -> None:
        """The window of the person `psid`."""
        super().__init__(runtime, "window", psid, name)
        self._closing: CALLBACK_TYPE | None = None

    @property
    def is_on(self) -> bool:
        """Open: the person acted within the window."""
        closes_at = self.runtime.audience.closes_at(str(self.psid))
        return closes_at is not None and closes_at > dt_util.utcnow()

    async def async_added_to_hass(self) -> None:
        """Follow the person's window: a new closing time when they act, off when it passes."""
        await super().async_added_to_hass()
        signal = window_signal(self.runtime.page.id, str(self.psid))
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._async_moved))
        self.async_on_remove(self._async_cancel)
        self.async_on_remove(  # no timer outlives Home Assistant (it does not remove entities)
            self.hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_STOP, lambda _event: self._async_cancel()
            )
        )
        self._async_arm()

    @callback
    def _async_moved(self) -> None:
        """The person acted. An open window stays on and keeps its timer (cheap on the
        webhook's hot path: the timer looks again when it fires); a closed one turns on."""
        if self._closing is None:
            self._async_arm()
            self.async_write_ha_state()

    @callback
    def _async_arm(self) -> None:
        """A timer for the closing time of the current window (one at a time)."""
        self._async_cancel()
        closes_at = self.runtime.audience.closes_at(str(self.psid))
        if closes_at is not None and closes_at > dt_util.utcnow():
            job = HassJob(self._async_closed, cancel_on_shutdown=True)
            self._closing = async_track_point_in_utc_time(self.hass, job, closes_at)

    @callback
    def _async_closed(self, _now: datetime) -> None:
        """The closing time came: off, unless the person wrote since (then a new timer)."""
        self._closing = None
        self._async_arm()
        if self._closing is None:
            self.async_write_ha_state()

    @callback
    def _async_cancel(self) -> None:
        if self._closing is not None:
            self._closing()
            self._closing = None


class WebhookSensor(FacebookEntity, BinarySensorEntity):
    """Whether Meta delivers to the page's webhook (unknown until the first check)."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, runtime: FacebookRuntime) -> None:
        """The webhook of the page of `runtime`."""
        super().__init__(runtime, "webhook")

    @property
    def is_on(self) -> bool | None:
        """What the last check found."""
        return self.runtime.webhook.subscribed

    async def async_added_to_hass(self) -> None:
        """Show each check's finding."""
        await super().async_added_to_hass()
        signal = webhook_signal(self.runtime.page.id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self.async_write_ha_state))
