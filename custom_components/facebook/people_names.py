"""People known only by their PSID get their name from Meta (its User Profile API), once.

A YAML `allowed_chat_ids` list has no names, and the setup offers people the webhook saw by PSID:
their devices would be called by a 16-digit number. Meta tells a page the name of a person who
wrote to it. The device's name changes; the name YAML gave (or did not give) stays what events
carry as `sender_name`.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/identity/user-profile
"""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant

from .const import CONF_PSID, LOGGER, SUBENTRY_TYPE_PERSON
from .messenger import GraphError, as_text
from .runtime import FacebookConfigEntry, FacebookRuntime


async def async_name_people(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
) -> None:
    """Name the people whose title is still their PSID, all at once, within `setup_check`
    seconds (at setup, before their devices and entities are made: `notify.alice`)."""
    nameless = [
        sub
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_TYPE_PERSON and sub.title == str(sub.data.get(CONF_PSID))
    ]
    if not nameless:
        return
    try:
        async with asyncio.timeout(runtime.timing.setup_check):
            names = await asyncio.gather(*(_async_name(runtime, sub) for sub in nameless))
    except TimeoutError:
        return
    for subentry, name in zip(nameless, names, strict=True):
        if name:
            hass.config_entries.async_update_subentry(entry, subentry, title=name)


async def _async_name(runtime: FacebookRuntime, subentry: ConfigSubentry) -> str | None:
    psid = str(subentry.data.get(CONF_PSID))
    try:
        profile = await runtime.client.get(f"/{psid}", {"fields": "name"})
    except GraphError as err:
        LOGGER.debug("%s: Meta did not say the name of %s: %s", runtime.settings.label, psid, err)
        return None
    return as_text(profile.get("name"), 200)
