"""The `facebook` notify platform: `notify: - platform: facebook` in YAML, as it always was.

Each entry becomes a page runtime behind the one webhook, and a `notify.<name>` service (plus
`notify.<name>_<person>` for every named person); a call goes to `sending.async_send`.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .router import DATA_ROUTER
from .runtime import FacebookRuntime, PageSettings, async_build_runtime
from .schema import PLATFORM_SCHEMA
from .sending import async_send

__all__ = ["PLATFORM_SCHEMA", "async_get_service"]


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> FacebookNotificationService:
    """Set up one YAML page: its runtime, its place behind the webhook, its notify service."""
    runtime = await async_build_runtime(hass, PageSettings.from_yaml(config))

    @callback
    def stop(_event: Event) -> None:
        runtime.async_stop()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    hass.data[DATA_ROUTER].async_add(runtime)
    runtime.async_look_up()
    return FacebookNotificationService(runtime)


class FacebookNotificationService(BaseNotificationService):
    """`notify.<name>` for one page."""

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
