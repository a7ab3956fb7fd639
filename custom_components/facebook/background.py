"""A page's background job: started without making Home Assistant wait, stopped with the page."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN


class BackgroundJob:
    """One piece of background work of a page (a new start replaces a running one)."""

    def __init__(self, hass: HomeAssistant, name: str) -> None:
        """A job that Home Assistant's task list shows as `facebook <name>`."""
        self._hass = hass
        self._name = f"{DOMAIN} {name}"
        self._task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        """Whether the work is still going on."""
        return self._task is not None and not self._task.done()

    @callback
    def async_start(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` in the background (Home Assistant's start never waits for it)."""
        self.async_stop()
        self._task = self._hass.async_create_background_task(work, self._name)

    @callback
    def async_stop(self) -> None:
        """Stop the work, if it runs."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
