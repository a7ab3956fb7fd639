"""Facebook Messenger for Home Assistant: notify through the Send API, events from the webhook.

`async_setup` builds what all pages share, once: the webhook router and the one
`/api/facebook_webhooks` view. It also imports every YAML `notify: - platform: facebook` entry
into a config entry (`yaml_import`), so every page, however it was set up, is a config entry
that `async_setup_entry` builds the same way (`page.async_build_runtime`).
"""

from __future__ import annotations

from functools import partial

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType

from . import ask_service, log_filter
from .attachments import async_keep_clean
from .const import DOMAIN
from .expiry import async_watch_token_expiry
from .grid import DATA_PICTURES, PictureStore, PictureView
from .identity import async_ask_until_answered, async_check_page, duplicate_page
from .messenger import PageInfo
from .page import async_build_runtime
from .people_names import async_name_people
from .router import DATA_ROUTER, WebhookRouter
from .runtime import FacebookConfigEntry, FacebookRuntime
from .store import async_remove_page_files
from .voice import async_prepare_voice
from .webhook import FacebookWebhookView
from .webhook_health import WebhookHealth
from .yaml_import import async_import_all

CONFIG_SCHEMA = cv.platform_only_config_schema(DOMAIN)
PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.NOTIFY,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Create the router and its webhook view, register `facebook.ask`; import the YAML pages."""
    router = WebhookRouter(hass)
    await router.async_load()
    hass.data[DATA_ROUTER] = router
    hass.http.register_view(FacebookWebhookView(router))
    ask_service.async_register(hass)
    pictures = hass.data[DATA_PICTURES] = PictureStore()
    hass.http.register_view(PictureView(pictures))
    async_import_all(hass, config)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: FacebookConfigEntry) -> bool:
    """Build the page, check it with Meta (briefly), serve it, and add its entities."""
    router = hass.data[DATA_ROUTER]
    runtime = await async_build_runtime(hass, entry)
    entry.async_on_unload(partial(log_filter.stop_redacting, *runtime.settings.secrets))
    try:
        answered = await async_check_page(hass, entry, runtime)
        _refuse_a_second_setup(router.pages.get(runtime.page.id or ""), runtime)
    except BaseException:
        runtime.async_stop()
        raise
    if answered:  # before the devices are made (no reload: no update listener yet)
        await async_name_people(hass, entry, runtime)
    entry.runtime_data = runtime
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(runtime.webhook.async_stop_listening)
    stopping: list[CALLBACK_TYPE] = [runtime.async_stop, runtime.webhook.async_stop_listening]
    entry.async_on_unload(  # Home Assistant does not unload entries when it stops
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, partial(_async_stop, stopping))
    )
    router.async_add(runtime)
    entry.async_on_unload(lambda: router.async_remove(runtime))
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    if not answered:
        entry.async_create_background_task(
            hass, async_ask_until_answered(hass, entry, runtime), f"{DOMAIN} page check"
        )
    if runtime.page.id is None:  # a YAML import Meta has not answered yet: sends only
        return True
    runtime.profile.async_start()
    if runtime.utility is not None:
        runtime.utility.async_start()
    if runtime.settings.webhook_in_use:
        health = WebhookHealth(hass, entry, runtime)
        health.async_start(router)
        entry.async_on_unload(health.async_stop)
        stopping.append(health.async_stop)
    entry.async_create_background_task(
        hass, _async_watch_expiry(hass, entry, runtime), f"{DOMAIN} token expiry"
    )
    if runtime.settings.speech_to_text:
        await async_prepare_voice(hass, runtime.settings.label)
    if runtime.settings.save_attachments:
        keep_days = runtime.settings.attachments_keep_days
        entry.async_on_unload(async_keep_clean(hass, runtime.page.id, keep_days))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


@callback
def _async_stop(stopping: list[CALLBACK_TYPE], _event: Event) -> None:
    """Home Assistant stops: the page stops its work (and heard from Meta until now)."""
    for stop in stopping:
        stop()


def _refuse_a_second_setup(other: FacebookRuntime | None, runtime: FacebookRuntime) -> None:
    """The same page set up twice (from the UI and in YAML) would answer every message twice."""
    if other is not None and other is not runtime:
        page = PageInfo(str(runtime.page.id), runtime.page.name or other.page.name or "")
        raise duplicate_page(runtime, page, other.settings.label)


async def _async_watch_expiry(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
) -> None:
    entry.async_on_unload(await async_watch_token_expiry(hass, entry, runtime))


async def async_unload_entry(hass: HomeAssistant, entry: FacebookConfigEntry) -> bool:
    """Remove the page's entities; its timers, tasks and place behind the webhook go with it
    (the outbox first finishes what it is sending)."""
    await entry.runtime_data.outbox.async_shutdown()
    if entry.runtime_data.page.id is None:
        return True  # it had no entities yet
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FacebookConfigEntry) -> None:
    """The page is gone for good: so are its files (its outbox, audience and records)."""
    await async_remove_page_files(hass, entry)


async def _async_reload(hass: HomeAssistant, entry: FacebookConfigEntry) -> None:
    """Options, people or credentials changed: build the page again."""
    hass.config_entries.async_schedule_reload(entry.entry_id)
