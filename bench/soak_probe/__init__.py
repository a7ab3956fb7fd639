"""Soak probe: how late a 50 ms timer fires on Home Assistant's event loop, served over HTTP.

``bench.soak`` copies this package into the soak's ``<config>/custom_components/`` (next to a
link to the repository's ``facebook``) and configures ``soak_probe:``. From set-up on, a timer
is due every 50 ms; each firing records how late it ran (the loop was busy with something else
for that long). ``GET /api/soak_probe/lag?since=N`` (authenticated) answers the samples from
index ``N`` on, each ``[time.monotonic(), lag in ms]``, with this process's id, so the benchmark
can tell a restarted Home Assistant from the one before and leave the start-up out.

With ``soak_probe: {stall_stacks: true}`` a watcher thread also records where the event loop
was stuck: whenever the timer is more than 100 ms overdue, the loop thread's stack at that
moment (``GET /api/soak_probe/stalls``). It costs a thread waking every 20 ms, so it is off in
the soak's measured runs and on only when asked (``bench.soak --stall-stacks``).
"""

from __future__ import annotations

import asyncio
from collections import deque
import os
import sys
import threading
import time
import traceback
from typing import Any

from aiohttp import web
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

DOMAIN = "soak_probe"
INTERVAL = 0.050  # seconds between two due times
MAX_SAMPLES = 50_000  # about 40 minutes of samples between two reads

STALL_AFTER = 0.100  # seconds overdue before the watcher takes the loop thread's stack
WATCH_EVERY = 0.020
MAX_STALLS = 2_000

CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Any(None, vol.Schema({vol.Optional("stall_stacks", default=False): cv.boolean}))},
    extra=vol.ALLOW_EXTRA,
)


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

    @property
    def due(self) -> float:
        """When the armed timer is due (loop time, which is time.monotonic())."""
        return self._due

    def since(self, index: int) -> list[tuple[float, float]]:
        """The samples from index `index` on (as many as are still kept)."""
        first = self.count - len(self.samples)
        return list(self.samples)[max(0, index - first) :]


class StallWatch(threading.Thread):
    """Takes the loop thread's stack whenever the probe's timer is long overdue."""

    def __init__(self, probe: LagProbe, loop_thread: int) -> None:
        """Watch `probe`, whose loop runs in thread `loop_thread`."""
        super().__init__(name="soak_probe stall watch", daemon=True)
        self.probe = probe
        self.loop_thread = loop_thread
        self.stalls: deque[dict[str, Any]] = deque(maxlen=MAX_STALLS)
        self.stopped = threading.Event()

    def run(self) -> None:
        """Check every WATCH_EVERY; one stack per stall (per overdue timer)."""
        taken_for = -1.0
        while not self.stopped.wait(WATCH_EVERY):
            due = self.probe.due
            overdue = time.monotonic() - due
            if overdue < STALL_AFTER or due == taken_for:
                continue
            # The loop thread's current frame, as a debugger sees it (read-only).
            frame = sys._current_frames().get(self.loop_thread)
            if frame is None:
                continue
            stack = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack(frame)]
            self.stalls.append(
                {"at": time.monotonic(), "overdue_ms": overdue * 1000, "stack": stack}
            )
            taken_for = due


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


class StallView(HomeAssistantView):
    """`GET /api/soak_probe/stalls`: where the loop was stuck (empty unless watching)."""

    url = "/api/soak_probe/stalls"
    name = "api:soak_probe:stalls"
    requires_auth = True

    def __init__(self, watch: StallWatch | None) -> None:
        """Serve `watch`'s stacks."""
        self.watch = watch

    async def get(self, request: web.Request) -> web.Response:
        """The stalls recorded after `?after=` (monotonic seconds), innermost frame last."""
        try:
            after = float(request.query.get("after", "0"))
        except ValueError:
            return self.json_message("after must be a number", 400)
        kept = list(self.watch.stalls) if self.watch is not None else []
        stalls = [stall for stall in kept if stall["at"] > after]
        return self.json({"pid": os.getpid(), "watching": self.watch is not None, "stalls": stalls})


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the probe and serve its samples."""
    probe = LagProbe(hass.loop)
    probe.start()
    hass.http.register_view(LagView(probe))
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, probe.stop)
    watch = None
    if (config.get(DOMAIN) or {}).get("stall_stacks"):
        watch = StallWatch(probe, threading.get_ident())
        watch.start()
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, lambda _: watch.stopped.set())
    hass.http.register_view(StallView(watch))
    return True
