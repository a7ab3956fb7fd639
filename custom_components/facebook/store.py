"""Home Assistant's storage helper for the integration's own files, read defensively."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

STORAGE_VERSION = 1

type JSONStore = Store[dict[str, Any]]


def private_store(hass: HomeAssistant, name: str, *, atomic: bool = False) -> JSONStore:
    """The private store `facebook.<name>` (atomic: a kill mid-write leaves the last file)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{name}", private=True, atomic_writes=atomic)


def page_store(hass: HomeAssistant, what: str, key: str, *, atomic: bool = False) -> JSONStore:
    """The private store `facebook.<what>.<key>` of one page (key: its notify service name)."""
    return private_store(hass, f"{what}.{key}", atomic=atomic)


async def async_load_field(store: JSONStore, field: str) -> object:
    """One top-level field of a stored file; None when the file is missing or damaged."""
    try:
        data = await store.async_load()
    except (ValueError, OSError) as err:
        LOGGER.warning("%s could not be read and starts empty: %s", store.key, err)
        return None
    return data.get(field) if isinstance(data, dict) else None
