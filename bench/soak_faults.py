"""The soak's faults and its kill: what Meta (the simulator) and the machine do to the page.

A fault every ``plan.fault_every`` seconds, each for ``plan.fault_seconds``, in turn: HTTP 5xx, a
connection reset before Meta accepts the message, 613 and 80006 (throttling), slow answers
(2.5 s more each: slow, but well under the client's 30 s timeout, so no answer is lost to a
timeout), and a lost answer (Meta accepts the message, then the connection drops). Each is
injected through the simulator's control API with no count limit and cleared at the end of its
window.

After half of the faults comes the kill: the simulator fails every send with HTTP 500, and
``plan.kill_after`` seconds later (past the in-call retries, so the notifications of the
fault's first seconds wait in the outbox, on disk) Home Assistant is SIGKILLed, the fault is
cleared, and Home Assistant is started again on the same config dir. The schedule waits for it:
the next fault comes ``plan.fault_every`` after the restart, so every fault meets a running
Home Assistant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import time
from typing import Any

from bench.common import SimProcess
from bench.soak_load import sleep_until
from bench.soak_stack import Hass, Plan, outbox_waiting

INJECTED_613 = "(#613) Calls to this api have exceeded the rate limit. [soak: injected fault]"


def fault_kinds(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """The six faults, in the order they come: (label, the control API's fault)."""
    slow = plan.slow_seconds
    return [
        ("HTTP 5xx (503)", {"kind": "http", "status": 503}),
        ("connection reset (before Meta accepts)", {"kind": "disconnect"}),
        ("613 throttled", {"kind": "error", "code": 613, "message": INJECTED_613}),
        ("80006 throttled", {"kind": "error", "code": 80006}),
        (f"slow answers (+{slow:g} s, under the 30 s timeout)", {"kind": "delay", "seconds": slow}),
        ("lost answer (accepted, then dropped)", {"kind": "disconnect", "after_accept": True}),
    ]


@dataclass
class Window:
    """One fault, from just before it was injected to just after it was cleared."""

    label: str
    spec: dict[str, Any]
    start: float
    end: float = 0.0


@dataclass
class Kill:
    """The kill and the restart."""

    window: Window  # the HTTP 500 fault it happened in
    killed: float = 0.0
    waiting: int = 0  # messages in the outbox file right after the kill
    ready: float = 0.0
    pid_before: int = 0
    pid_after: int = 0


@dataclass
class Scenario:
    """Runs the faults and the kill; remembers when each happened."""

    plan: Plan
    sim: SimProcess
    hass: Hass
    reconnect: Callable[[], Awaitable[None]]  # the observers' part of "ready again"
    windows: list[Window] = field(default_factory=list)
    kill: Kill | None = None
    readies: dict[int, float] = field(default_factory=dict)  # pid -> ready since

    async def run(self, t0: float) -> None:
        """Every fault in turn, the kill after half of them."""
        kinds = fault_kinds(self.plan)
        next_at = t0 + self.plan.fault_every
        for number in range(self.plan.faults):
            await sleep_until(next_at)
            await self.hass.up.wait()
            await self.fault(*kinds[number % len(kinds)])
            next_at += self.plan.fault_every
            if number + 1 == self.plan.faults // 2:
                await sleep_until(next_at)
                await self.kill_and_restart()
                next_at = time.monotonic() + self.plan.fault_every

    async def fault(self, label: str, spec: dict[str, Any]) -> Window:
        """Inject one fault for ``plan.fault_seconds``."""
        window = Window(label, spec, time.monotonic())
        self.windows.append(window)
        await self.sim.control("POST", "faults", {**spec, "count": None})
        await sleep_until(window.start + self.plan.fault_seconds)
        await self.sim.control("DELETE", "faults")
        window.end = time.monotonic()
        return window

    async def kill_and_restart(self) -> Kill:
        """SIGKILL during an HTTP 500 fault; start again on the same config dir."""
        spec = {"kind": "http", "status": 500}
        window = Window("HTTP 500, then SIGKILL", spec, time.monotonic())
        kill = self.kill = Kill(window, pid_before=self.hass.process.pid)
        await self.sim.control("POST", "faults", {**spec, "count": None})
        await sleep_until(window.start + self.plan.kill_after)
        kill.killed = self.hass.kill()
        kill.waiting = outbox_waiting(self.hass.process.config_dir)
        await self.sim.control("DELETE", "faults")
        window.end = time.monotonic()
        await self.hass.start()
        await self.reconnect()
        kill.ready = time.monotonic()
        kill.pid_after = self.hass.process.pid
        self.readies[kill.pid_after] = kill.ready
        self.hass.up.set()
        print(
            f"  killed at {kill.killed - window.start:.1f} s into the HTTP 500 fault with "
            f"{kill.waiting} message(s) in the outbox file; ready again "
            f"{kill.ready - kill.killed:.1f} s later",
            flush=True,
        )
        return kill
