"""The `facebook` notify platform, both ways a page can be set up.

YAML (`notify: - platform: facebook`), as it always was: each entry becomes a page runtime behind
the one webhook and a `notify.<name>` service (plus `notify.<name>_<person>` per named person).
A config entry: a notify entity per person and **Everyone** (BROADCAST) on the page's device,
and the `facebook.send_message` action on them, which takes every `data` key `notify.<name>`
takes. Every send goes to `sending.async_send`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
import voluptuous as vol

from .entity import FacebookEntity, async_add_per_person
from .messenger.const import TARGET_BROADCAST
from .router import DATA_ROUTER
from .runtime import FacebookRuntime, PageSettings, async_build_runtime
from .schema import PLATFORM_SCHEMA
from .sending import async_send

__all__ = ["PLATFORM_SCHEMA", "async_get_service", "async_setup_entry"]

PARALLEL_UPDATES = 0
SERVICE_SEND_MESSAGE = "send_message"
ATTR_MESSAGE = "message"
SEND_MESSAGE_SCHEMA: dict[Any, Any] = {
    vol.Required(ATTR_MESSAGE): cv.string,
    vol.Optional(ATTR_TITLE): cv.string,
    vol.Optional(ATTR_DATA): dict,
}
# The `data` of a `facebook.send_message` call, on its way through Home Assistant's own
# `_async_send_message` (which records the entity's state, as `notify.send_message` does).
_CALL_DATA: ContextVar[dict[str, Any] | None] = ContextVar("facebook_call_data", default=None)


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> FacebookNotificationService:
    """Set up one YAML page: its runtime, its place behind the webhook, its notify service."""
    runtime = await async_build_runtime(hass, PageSettings.from_yaml(config))

    @callback
    def stop(_event: Event) -> None:
        runtime.async_stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    router = hass.data[DATA_ROUTER]
    runtime.on_identified = router.async_identified
    router.async_add(runtime)
    runtime.async_look_up()
    return FacebookNotificationService(runtime)


class FacebookNotificationService(BaseNotificationService):
    """`notify.<name>` for one YAML page."""

    def __init__(self, runtime: FacebookRuntime) -> None:
        """Send as the page of `runtime`."""
        self.runtime = runtime

    @property
    def targets(self) -> dict[str, str] | None:
        """Named people get their own service: `notify.<name>_<person>`."""
        return self.runtime.book.named() or None

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Validate the whole call, fetch media, send, and raise for any failure."""
        await async_send(
            self.runtime,
            message,
            title=kwargs.get(ATTR_TITLE),
            targets=kwargs.get(ATTR_TARGET),
            data=kwargs.get(ATTR_DATA),
        )


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    """Everyone on the page's device; one notify entity per person on theirs."""
    runtime: FacebookRuntime = entry.runtime_data
    async_add_entities([FacebookNotifyEntity(runtime, "everyone", None, None)])
    async_add_per_person(
        entry,
        async_add_entities,
        lambda runtime, psid, name: FacebookNotifyEntity(runtime, "person", psid, name),
    )
    async_get_current_platform().async_register_entity_service(
        SERVICE_SEND_MESSAGE, SEND_MESSAGE_SCHEMA, "async_send_with_data"
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
        await async_send(
            self.runtime, message, title=title, targets=self._targets, data=_CALL_DATA.get()
        )

    async def async_send_with_data(
        self, message: str, title: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        """`facebook.send_message`: quick replies, buttons, media, every `data` key."""
        token = _CALL_DATA.set(data)
        try:
            await self._async_send_message(message=message, title=title)
        finally:
            _CALL_DATA.reset(token)
