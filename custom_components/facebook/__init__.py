"""Facebook Messenger for Home Assistant: notify through the Send API, events from the webhook.

`async_setup` is the composition root of what all pages share: the webhook router (with its
redelivery memory) and the one `/api/facebook_webhooks` view, registered once, before any page
joins it from the notify platform.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .router import DATA_ROUTER, WebhookRouter
from .webhook import FacebookWebhookView

CONFIG_SCHEMA = cv.platform_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create the router and its webhook view (pages join from the notify platform)."""
    router = WebhookRouter(hass)
    await router.async_load()
    hass.data[DATA_ROUTER] = router
    hass.http.register_view(FacebookWebhookView(router))
    return True
