"""Each person's **Messages**: an event entity fed by the same routing as `facebook_message`."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import FacebookEntity, async_add_per_person
from .events import ENTITY_EVENT_TYPES, async_log_words, person_event_signal
from .runtime import FacebookConfigEntry, FacebookRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One Messages entity per person."""
    async_add_per_person(entry, async_add_entities, FacebookMessagesEvent)


class FacebookMessagesEvent(FacebookEntity, EventEntity):
    """What a person writes, taps or reacts with; attributes as in the bus event, and the words
    in the logbook (the only place Home Assistant's more-info dialog shows them)."""

    def __init__(self, runtime: FacebookRuntime, psid: str, name: str) -> None:
        """The messages of the person `psid`."""
        super().__init__(runtime, "messages", psid, name)
        self._attr_event_types = list(ENTITY_EVENT_TYPES)

    async def async_added_to_hass(self) -> None:
        """Hear the person's webhook events."""
        await super().async_added_to_hass()
        signal = person_event_signal(self.runtime.page.id, str(self.psid))
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._async_on_event))

    @callback
    def _async_on_event(self, kind: str, data: dict[str, Any]) -> None:
        self._trigger_event(kind, data)
        self.async_write_ha_state()
        async_log_words(self.hass, self.entity_id, data)  # the dialog shows no attributes
