"""Each person's **Messaging window closes**: when the page can no longer message them."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_PSID, SUBENTRY_TYPE_PERSON
from .entity import FacebookEntity
from .events import window_signal
from .runtime import FacebookRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """One window sensor per person."""
    runtime: FacebookRuntime = entry.runtime_data
    for subentry_id, sub in entry.subentries.items():
        if sub.subentry_type == SUBENTRY_TYPE_PERSON:
            entity = WindowClosesSensor(runtime, str(sub.data[CONF_PSID]), sub.title)
            async_add_entities([entity], config_subentry_id=subentry_id)


class WindowClosesSensor(FacebookEntity, SensorEntity):
    """The end of the person's 24-hour window (unknown until they write)."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, runtime: FacebookRuntime, psid: str, name: str) -> None:
        """The window of the person `psid`."""
        super().__init__(runtime, "window_closes", psid, name)

    @property
    def native_value(self) -> datetime | None:
        """When it closes (or closed)."""
        return self.runtime.audience.audience.closes_at(str(self.psid))

    async def async_added_to_hass(self) -> None:
        """Look again whenever the person acts on the page."""
        await super().async_added_to_hass()
        signal = window_signal(self.runtime.page.id, str(self.psid))
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self.async_write_ha_state))
