"""Facebook Messenger for Home Assistant: notify through the Send API, events from the webhook.

`async_setup` is the composition root of what all pages share: the webhook router (with its
redelivery memory) and the one `/api/facebook_webhooks` view, registered once, before any page
joins it, whether from the YAML notify platform or from a config entry. `async_setup_entry`
builds a config entry's page with the same `async_build_runtime` a YAML page uses.
"""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError, ConfigEntryNotReady
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, LOGGER
from .events import async_signal_token
from .expiry import async_watch_token_expiry
from .messenger.errors import GraphAuthError, GraphError
from .router import DATA_ROUTER, WebhookRouter
from .runtime import FacebookRuntime, PageSettings, async_build_runtime
from .webhook import FacebookWebhookView

CONFIG_SCHEMA = cv.platform_only_config_schema(DOMAIN)
PLATFORMS = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
# A page that does not answer within this many seconds at setup is retried later by Home
# Assistant (ConfigEntryNotReady), never waited for.
SETUP_TIMEOUT = 30.0

type FacebookConfigEntry = ConfigEntry[FacebookRuntime]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create the router and its webhook view (pages join from YAML or from entries)."""
    router = WebhookRouter(hass)
    await router.async_load()
    hass.data[DATA_ROUTER] = router
    hass.http.register_view(FacebookWebhookView(router))
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FacebookConfigEntry) -> bool:
    """Build the page of a config entry, check its token with Meta, and add its entities."""
    router = hass.data[DATA_ROUTER]
    settings = PageSettings.from_entry(entry)
    if (other := router.runtime_for_page(settings.page_id)) is not None:  # YAML has it
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="duplicate_page",
            translation_placeholders={
                "service": settings.label,
                "page": f"{other.page.name} ({settings.page_id})",
                "other": other.settings.label,
            },
        )
    runtime = await async_build_runtime(
        hass,
        settings,
        on_rejected=lambda _err: entry.async_start_reauth(hass),
        on_token_change=lambda: async_signal_token(hass, settings.page_id),
    )
    try:
        await _async_check_page(runtime)
    except BaseException:
        runtime.async_stop()
        raise
    entry.runtime_data = runtime
    router.async_add(runtime)
    if runtime.utility is not None:
        runtime.utility.subscribe = True
        runtime.utility.async_start()
    entry.async_on_unload(lambda: router.async_remove(runtime))
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(await async_watch_token_expiry(hass, entry, runtime))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_check_page(runtime: FacebookRuntime) -> None:
    """`GET /me`: the token must still be the page's (190 asks for a new one)."""
    try:
        async with asyncio.timeout(SETUP_TIMEOUT):
            info = await runtime.client.get_page()
    except GraphAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="setup_token_rejected",
            translation_placeholders={"service": runtime.settings.label, "error": str(err)},
        ) from err
    except (GraphError, TimeoutError) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="setup_unreachable",
            translation_placeholders={"service": runtime.settings.label, "error": str(err)},
        ) from err
    if info.id != runtime.settings.page_id:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="setup_wrong_page",
            translation_placeholders={"service": runtime.settings.label, "page": info.name},
        )
    runtime.page.name = info.name
    LOGGER.info("%s sends as page %s (%s)", runtime.settings.label, info.name, info.id)


async def async_unload_entry(hass: HomeAssistant, entry: FacebookConfigEntry) -> bool:
    """Remove the page's entities; its timers, tasks and place behind the webhook go with it."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_reload(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Options, people or credentials changed: build the page again."""
    hass.config_entries.async_schedule_reload(entry.entry_id)
