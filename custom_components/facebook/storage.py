"""Home Assistant's storage helper for the integration's own files, read defensively."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

STORAGE_VERSION = 1


def page_store(
    hass: HomeAssistant, what: str, service_name: str, *, atomic: bool = False
) -> Store[dict[str, Any]]:
    """The private store `facebook.<what>.<service name>` of one page."""
    return Store(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{what}.{service_name}",
        private=True,
        atomic_writes=atomic,
    )


async def async_load_field(store: Store[dict[str, Any]], field: str) -> object:
    """One top-level field of a stored file; None when the file is missing or damaged."""
    try:
        data = await store.async_load()
    except (ValueError, OSError) as err:
        LOGGER.warning("%s could not be read and starts empty: %s", store.key, err)
        return None
    return data.get(field) if isinstance(data, dict) else None
