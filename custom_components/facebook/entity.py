"""What every entity of a config-entry page shares: its device, its id, its availability.

A page is a service device holding **Everyone**; each person (a `person` subentry) is a device
of their own (Home Assistant 2026.8 and later want one device per subentry), named after them.
Entities are unavailable while Meta rejects the page's token, and back once it works again.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_PSID, DOMAIN, SUBENTRY_TYPE_PERSON
from .events import person_unique_id, token_signal
from .runtime import FacebookConfigEntry, FacebookRuntime

MANUFACTURER = "Meta"


def async_add_per_person(
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[FacebookRuntime, str, str], Entity],
) -> None:
    """One entity per person subentry, tied to it (removing the person removes the entity)."""
    runtime = entry.runtime_data
    for subentry_id, sub in entry.subentries.items():
        if sub.subentry_type == SUBENTRY_TYPE_PERSON:
            entity = make(runtime, str(sub.data[CONF_PSID]), sub.title)
            async_add_entities([entity], config_subentry_id=subentry_id)


class FacebookEntity(Entity):
    """An entity of a page, or of one person of it."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, runtime: FacebookRuntime, key: str, psid: str | None = None, name: str | None = None
    ) -> None:
        """The `key` entity of the page, or of the person `psid` (called `name`)."""
        self.runtime = runtime
        self.psid = psid
        page_id = runtime.page.id
        self._attr_translation_key = key
        if psid is None:
            self._attr_unique_id = f"{page_id}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, str(page_id))},
                entry_type=DeviceEntryType.SERVICE,
                name=runtime.page.name or runtime.settings.label,
                manufacturer=MANUFACTURER,
                model="Facebook Page",
            )
        else:
            self._attr_unique_id = person_unique_id(page_id, psid, key)
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, f"{page_id}_{psid}")},
                entry_type=DeviceEntryType.SERVICE,
                name=name or psid,
                manufacturer=MANUFACTURER,
                model="Messenger conversation",
            )

    @property
    def available(self) -> bool:
        """Not while Meta rejects the page's token."""
        return not self.runtime.health.rejected

    async def async_added_to_hass(self) -> None:
        """Show the token's state as it changes."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, token_signal(self.runtime.page.id), self.async_write_ha_state
            )
        )
