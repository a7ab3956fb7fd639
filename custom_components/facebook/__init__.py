"""Facebook Messenger for Home Assistant: notify through the Send API, events from the webhook.

Configured only as a notify platform (`notify: - platform: facebook`); this module makes sure
the one webhook view exists as soon as the integration loads.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .hub import async_get_hub

CONFIG_SCHEMA = cv.platform_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create the hub and its webhook view (pages join it from the notify platform)."""
    await async_get_hub(hass).async_load()
    return True
