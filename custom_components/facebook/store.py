"""Home Assistant's storage helper for the integration's own files, read defensively."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import CONF_STORAGE_KEY, DOMAIN, LOGGER

STORAGE_VERSION = 1

type JSONStore = Store[dict[str, Any]]


def private_store(hass: HomeAssistant, name: str, *, atomic: bool = False) -> JSONStore:
    """The private store `facebook.<name>` (atomic: a kill mid-write leaves the last file)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{name}", private=True, atomic_writes=atomic)


# What each page keeps on disk, as `facebook.<what>.<storage key>`.
PAGE_FILES = ("audience", "outbox", "profile", "webhook")


def page_store(hass: HomeAssistant, what: str, key: str, *, atomic: bool = False) -> JSONStore:
    """The private store `facebook.<what>.<key>` of one page (`PAGE_FILES`)."""
    return private_store(hass, f"{what}.{key}", atomic=atomic)


def storage_key(entry: ConfigEntry) -> str:
    """Where a config entry's page keeps its files (an imported YAML page: where it always
    did, under its service name)."""
    return str(entry.data.get(CONF_STORAGE_KEY) or f"entry_{entry.entry_id}")


async def async_remove_page_files(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete everything a removed page kept on disk."""
    for what in PAGE_FILES:
        await page_store(hass, what, storage_key(entry)).async_remove()


async def async_load_field(store: JSONStore, field: str) -> object:
    """One top-level field of a stored file; None when the file is missing or damaged."""
    try:
        data = await store.async_load()
    except (ValueError, OSError) as err:
        LOGGER.warning("%s could not be read and starts empty: %s", store.key, err)
        return None
    return data.get(field) if isinstance(data, dict) else None
