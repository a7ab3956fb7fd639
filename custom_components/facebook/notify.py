"""The `facebook` notify platform: a notify entity per person, and `notify.<name>` from YAML.

A config entry's page has a notify entity per person and **Everyone** (BROADCAST) on the
page's device, and the `facebook.send_message` action on them, which takes every `data` key
`notify.<name>` takes. A YAML entry keeps its `notify.<name>` service (and
`notify.<name>_<person>` per named person), as it always had: the service sends through the page
of the config entry the YAML was imported into. Every send goes to `sending.async_send`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util.json import JsonValueType
import voluptuous as vol

from .const import CONF_ALLOWED_CHAT_IDS, DOMAIN, NOTIFY_KEY_PERSON
from .entity import FacebookEntity, async_add_per_person
from .events import person_entity_id
from .messenger import TARGET_BROADCAST, AddressBook, DeliveryOutcome
from .runtime import FacebookConfigEntry, FacebookRuntime
from .schema import PLATFORM_SCHEMA
from .sending import async_send
from .yaml_import import async_import, imported_entry, service_name

__all__ = ["PLATFORM_SCHEMA", "async_get_service", "async_setup_entry"]

PARALLEL_UPDATES = 0
SERVICE_SEND_MESSAGE = "send_message"
ATTR_MESSAGE = "message"
SEND_MESSAGE_SCHEMA: dict[Any, Any] = {
    vol.Required(ATTR_MESSAGE): cv.string,
    vol.Optional(ATTR_TITLE): cv.string,
    vol.Optional(ATTR_DATA): dict,
}


@dataclass(slots=True)
class _Call:
    """A `facebook.send_message` call on its way through Home Assistant's own
    `_async_send_message` (which records the entity's state, as `notify.send_message` does):
    its `data` in, what Meta accepted out."""

    data: dict[str, Any] | None
    outcomes: list[DeliveryOutcome] = field(default_factory=list)


_CALL: ContextVar[_Call | None] = ContextVar("facebook_call", default=None)


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> FacebookNotificationService:
    """`notify.<name>` of one YAML entry, sending through the entry it is imported into.

    The import runs again here (it ran at start already, and finds nothing to change then), so
    a YAML entry added or changed later (a reload) updates its config entry too.
    """
    name = service_name(config)
    await async_import(hass, name, config)
    return FacebookNotificationService(hass, name, AddressBook(config[CONF_ALLOWED_CHAT_IDS]))


class FacebookNotificationService(BaseNotificationService):
    """`notify.<name>` of one YAML entry."""

    def __init__(self, hass: HomeAssistant, name: str, book: AddressBook) -> None:
        """Send through the page imported from the YAML entry `name`."""
        self._hass = hass
        self._name = name
        self._named = book.named() or None
        self._entry_id: str | None = None

    @property
    def targets(self) -> dict[str, str] | None:
        """Named people get their own service: `notify.<name>_<person>`."""
        return self._named

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Validate the whole call, fetch media, send, and raise for any failure."""
        await async_send(
            self._runtime(),
            message,
            title=kwargs.get(ATTR_TITLE),
            targets=kwargs.get(ATTR_TARGET),
            data=kwargs.get(ATTR_DATA),
        )

    def _runtime(self) -> FacebookRuntime:
        """The page, or why there is none (its entry is not set up: say why)."""
        entries = self._hass.config_entries
        entry = entries.async_get_entry(self._entry_id) if self._entry_id else None
        if entry is None:
            entry = imported_entry(self._hass, self._name)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="page_not_loaded",
                translation_placeholders={
                    "service": f"notify.{self._name}",
                    "reason": (entry.reason if entry else None) or "-",
                },
            )
        self._entry_id = entry.entry_id
        runtime: FacebookRuntime = entry.runtime_data
        return runtime


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Everyone on the page's device; one notify entity per person on theirs."""
    runtime = entry.runtime_data
    async_add_entities([FacebookNotifyEntity(runtime, "everyone", None, None)])
    async_add_per_person(
        entry,
        async_add_entities,
        lambda runtime, psid, name: FacebookNotifyEntity(runtime, NOTIFY_KEY_PERSON, psid, name),
    )
    async_get_current_platform().async_register_entity_service(
        SERVICE_SEND_MESSAGE,
        SEND_MESSAGE_SCHEMA,
        "async_send_with_data",
        supports_response=SupportsResponse.OPTIONAL,
    )


class FacebookNotifyEntity(FacebookEntity, NotifyEntity):
    """A person of the page (the device's own entity), or Everyone (BROADCAST)."""

    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(
        self, runtime: FacebookRuntime, key: str, psid: str | None, name: str | None
    ) -> None:
        """Send to `psid`, or to everyone the page can reach when there is none."""
        super().__init__(runtime, key, psid, name)
        self._targets = [psid] if psid else [TARGET_BROADCAST]
        if psid:
            self._attr_name = None  # the person's device name: notify.<their name>

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """`notify.send_message`, or `facebook.send_message` with its `data`."""
        call = _CALL.get()
        data = call.data if call is not None else None
        outcomes = await async_send(
            self.runtime, message, title=title, targets=self._targets, data=data
        )
        if call is not None:
            call.outcomes = outcomes

    async def async_send_with_data(
        self, message: str, title: str | None = None, data: dict[str, Any] | None = None
    ) -> ServiceResponse:
        """`facebook.send_message`: quick replies, buttons, media, every `data` key. Its
        response (when asked for): `messages`, each message Meta accepted, in order, with who
        got it (`entity_id`: the person's notify entity; `psid`) and its `message_id`."""
        call = _Call(data)
        token = _CALL.set(call)
        try:
            await self._async_send_message(message=message, title=title)
        finally:
            _CALL.reset(token)
        return {"messages": self._messages(call.outcomes)}

    def _messages(self, outcomes: list[DeliveryOutcome]) -> list[JsonValueType]:
        page_id = self.runtime.page.id
        messages: list[JsonValueType] = []
        for outcome in outcomes:
            psid = outcome.target.psid
            entity_id = self.entity_id if self.psid else None
            if entity_id is None and psid is not None:  # Everyone: each person's own entity
                entity_id = person_entity_id(self.hass, page_id, psid)
            messages.extend(
                {"entity_id": entity_id, "psid": psid, "message_id": result.message_id}
                for result in outcome.sent
                if result.message_id
            )
        return messages
