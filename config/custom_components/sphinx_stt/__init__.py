"""Sandbox speech-to-text: PocketSphinx, offline, constrained to the sandbox's sentences.

Not part of the Facebook Messenger integration (which talks to whatever `stt` entity the user
has): the developer sandbox (`scripts/develop`) and the tests use it to turn voice notes made
by espeak-ng into text without a network. `sphinx_stt:` in configuration.yaml creates its entry.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType

DOMAIN = "sphinx_stt"
CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)
PLATFORMS = [Platform.STT]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """`sphinx_stt:` in YAML: make the config entry once."""
    if DOMAIN in config and not hass.config_entries.async_entries(DOMAIN):
        hass.async_create_task(
            hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_IMPORT})
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Add the speech-to-text entity."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Remove it."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
