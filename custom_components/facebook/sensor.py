"""Each person's **Messaging window closes**: when the page can no longer message them."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import FacebookEntity, async_add_per_person
from .events import window_signal
from .runtime import FacebookConfigEntry, FacebookRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One window sensor per person."""
    async_add_per_person(entry, async_add_entities, WindowClosesSensor)


class WindowClosesSensor(FacebookEntity, SensorEntity):
    """The end of the person's 24-hour window (unknown until they write)."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, runtime: FacebookRuntime, psid: str, name: str) -> None:
        """The window of the person `psid`."""
        super().__init__(runtime, "window_closes", psid, name)

    @property
    def native_value(self) -> datetime | None:
        """When it closes (or closed)."""
        return self.runtime.audience.closes_at(str(self.psid))

    async def async_added_to_hass(self) -> None:
        """Look again whenever the person acts on the page."""
        await super().async_added_to_hass()
        signal = window_signal(self.runtime.page.id, str(self.psid))
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self.async_write_ha_state))
