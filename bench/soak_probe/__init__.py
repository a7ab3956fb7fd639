"""Soak probe: how late a 50 ms timer fires on Home Assistant's event loop, served over HTTP.

``bench.soak`` copies this package into the soak's ``<config>/custom_components/`` (next to a
link to the repository's ``facebook``) and configures ``soak_probe:``. From set-up on, a timer
is due every 50 ms; each firing records how late it ran (the loop was busy with something else
for that long). ``GET /api/soak_probe/lag?since=N`` (authenticated) answers the samples from
index ``N`` on, each ``[time.monotonic(), lag in ms]``, with this process's id, so the benchmark
can tell a restarted Home Assistant from the one before and leave the start-up out.
"""

from __future__ import annotations

import asyncio
from collections import deque
import os
import time
from typing import Any

from aiohttp import web
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType

DOMAIN = "soak_probe"
INTERVAL = 0.050  # seconds between two due times
MAX_SAMPLES = 50_000  # about 40 minutes of samples between two reads

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


class LagProbe:
    """A timer due every INTERVAL on the loop, and how late each firing was."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Probe `loop` (not started yet)."""
        self._loop = loop
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self.samples: deque[tuple[float, float]] = deque(maxlen=MAX_SAMPLES)
        self.count = 0  # samples taken so far (the index of the next one)

    @callback
    def start(self) -> None:
        """Arm the first timer."""
        self._arm()

    @callback
    def stop(self, _event: Event | None = None) -> None:
        """Disarm the timer (Home Assistant stops)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        """Set the next timer, due INTERVAL from now."""
        self._due = self._loop.time() + INTERVAL
        self._handle = self._loop.call_at(self._due, self._fired)

    def _fired(self) -> None:
        """Record how late this firing is, and arm the next one."""
        now = self._loop.time()
        self.samples.append((time.monotonic(), max(0.0, now - self._due) * 1000))
        self.count += 1
        self._arm()

    def since(self, index: int) -> list[tuple[float, float]]:
        """The samples from index `index` on (as many as are still kept)."""
        first = self.count - len(self.samples)
        return list(self.samples)[max(0, index - first) :]


class LagView(HomeAssistantView):
    """`GET /api/soak_probe/lag?since=N`: the probe's samples from index N on."""

    url = "/api/soak_probe/lag"
    name = "api:soak_probe:lag"
    requires_auth = True

    def __init__(self, probe: LagProbe) -> None:
        """Serve `probe`."""
        self.probe = probe

    async def get(self, request: web.Request) -> web.Response:
        """The samples, the next index and the process id."""
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            return self.json_message("since must be an integer", 400)
        data: dict[str, Any] = {
            "pid": os.getpid(),
            "interval": INTERVAL,
            "next": self.probe.count,
            "samples": self.probe.since(since),
        }
        return self.json(data)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the probe and serve its samples."""
    probe = LagProbe(hass.loop)
    probe.start()
    hass.http.register_view(LagView(probe))
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, probe.stop)
    return True
