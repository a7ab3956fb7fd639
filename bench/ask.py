"""Ask and wait: from the person's tap (the webhook POST) to the script resuming.

A real script waits in ``facebook.ask`` (a question to one person, two answers); the person taps
an answer on the simulator (``/_sim/users/<psid>/quick_reply``: a signed webhook POST to Home
Assistant's ``/api/facebook_webhooks``, as Meta sends it), and the script's next step fires an
event. The clock starts as that POST begins (the simulator's ``started_at``) and stops when the
event's listener runs, in this process (CLOCK_MONOTONIC is one clock for both processes). All the
integration does on the way is in it: the signature, parsing, routing, the window, the
redelivery memory, ``facebook_message`` and the person's Messages entity, matching the ask,
ending the service call, and Home Assistant's script engine taking its next step.

Interleaved with it, taking turns at going first, the floor any integration stands on: the same
tap POSTed by the simulator to a bare Home Assistant view (its HTTP stack, the HMAC, the JSON)
that resolves a waiting future by the tap's payload, and the coroutine waiting on it resumes.
The question itself (sent before each tap, through the simulator's ``--latency``) is not timed.

    .venv/bin/python -m bench.ask [--quick] [--calls 200] [--latency 0.1]
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys
import time

if __package__ in (None, ""):  # `python bench/ask.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

from bench import common
from bench.common import PAGE_ID, SimProcess
from bench.webhook_ingest import register_signed_view

ALICE = common.psids(1, start=6_300_000_000_000_000)[0]
CALLS, QUICK_CALLS = 200, 10
WARMUP = 10
RATIO_TARGET = 1.2
FLOOR_PATH = "/api/bench_ask_floor"
RESUMED = "bench_ask_resumed"
SCRIPT = "bench_ask"


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    args, calls, latency = common.calls_and_latency(argv, __doc__, CALLS, QUICK_CALLS, "taps")
    warmup = min(WARMUP, max(2, calls // 4))
    print(f"Ask-and-wait benchmark; {common.machine_line()}", flush=True)
    with SimProcess([ALICE], latency=latency) as sim:
        hass = common.hass_with_page(sim, allowed_chat_ids={"alice": ALICE})
        try:
            async with hass as running:
                delays = await _measure(running, sim, calls, warmup, args.profile)
        finally:
            await sim.close()
    return _report(args, calls, latency, delays)


async def _measure(
    running: common.RunningHass, sim: SimProcess, calls: int, warmup: int, profile: bool
) -> dict[str, list[float]]:
    """Both ways, taking turns at going first; the delays in seconds."""
    from homeassistant.core import callback
    from homeassistant.setup import async_setup_component

    from custom_components.facebook.events import person_entity_id

    hass = running.hass
    entity_id = person_entity_id(hass, PAGE_ID, ALICE)
    if entity_id is None:
        raise RuntimeError("the person has no notify entity")
    script = {
        "mode": "parallel",
        "sequence": [
            {
                "action": "facebook.ask",
                "data": {
                    "entity_id": entity_id,
                    "question": "The garage door is open. Close it?",
                    "answers": [
                        {"id": "close", "title": "Close it"},
                        {"id": "leave", "title": "Leave it"},
                    ],
                    "timeout": 60,
                },
                "response_variable": "answer",
            },
            {"event": RESUMED},
        ],
    }
    assert await async_setup_component(hass, "script", {"script": {SCRIPT: script}})
    # Callbacks, run on the event loop as the event fires (a plain function would go through
    # the executor: a thread hop that is not the integration's).
    resumed: asyncio.Queue[float] = asyncio.Queue()
    hass.bus.async_listen(RESUMED, callback(lambda _event: resumed.put_nowait(time.monotonic())))
    accepted: asyncio.Queue[None] = asyncio.Queue()  # Meta took the question
    hass.bus.async_listen(
        "facebook_message_sent", callback(lambda _event: accepted.put_nowait(None))
    )
    integration_url = running.url + "/api/facebook_webhooks"
    floor = _Floor(hass)
    floor.register()
    asked = 0

    async def question() -> str:
        """The payload of "Close it" of the next question the script asks, once the script
        waits for the answer (Meta took the question: the simulator's latency is over)."""
        nonlocal asked
        asked += 1
        await asyncio.wait_for(accepted.get(), 30)
        await asyncio.sleep(0.005)  # the call goes from sending to waiting
        while True:
            sent = await sim.sent()
            questions = [s for s in sent if "quick_replies" in (s["message"] or {})]
            if len(questions) >= asked:
                return str(questions[asked - 1]["message"]["quick_replies"][0]["payload"])
            await asyncio.sleep(0.002)

    async def tap(payload: str) -> None:
        body = {"title": "Close it", "payload": payload}
        await sim.control("POST", f"users/{ALICE}/quick_reply", body)

    async def via_messenger() -> float:
        await hass.services.async_call("script", "turn_on", {"entity_id": f"script.{SCRIPT}"})
        payload = await question()
        await tap(payload)
        return await asyncio.wait_for(resumed.get(), 30)

    async def via_floor() -> float:
        future = floor.expect(f"FLOOR_{time.monotonic_ns()}")
        await sim.control("POST", "config", {"webhook_url": running.url + FLOOR_PATH})
        try:
            await tap(floor.taps[-1])
            async with asyncio.timeout(30):  # as facebook.ask waits
                await future
            return time.monotonic()
        finally:
            await sim.control("POST", "config", {"webhook_url": integration_url})

    await sim.control("POST", "config", {"webhook_url": integration_url})
    kinds = {"messenger": via_messenger, "floor": via_floor}
    ends: dict[str, list[float]] = {kind: [] for kind in kinds}
    since = 0
    for number in range(warmup + calls):
        if number == warmup:
            since = len((await sim.control("GET", "webhooks"))["data"])
        names = list(kinds)
        shift = number % len(names)
        for kind in names[shift:] + names[:shift]:
            with common.profiled(profile and number == warmup, f"ask-{kind}"):
                end = await kinds[kind]()
            if number >= warmup:
                ends[kind].append(end)
    return await _delays(sim, since, ends, floor.taps)


class _Floor:
    """A bare Home Assistant view: the HMAC, the JSON, and a waiting future resolved by the
    tap's payload (the benchmark's coroutine waits on it, and notes when it resumed)."""

    def __init__(self, hass: Any) -> None:
        self.hass = hass
        self.futures: dict[str, asyncio.Future[None]] = {}
        self.taps: list[str] = []  # the payloads that came, in order

    def register(self) -> None:
        """Serve at FLOOR_PATH."""

        def resolve(item: dict[str, Any]) -> None:
            payload = item["message"]["quick_reply"]["payload"]
            future = self.futures.pop(payload, None)
            if future is not None:
                future.set_result(None)

        register_signed_view(self.hass, FLOOR_PATH, "api:bench_ask_floor", resolve)

    def expect(self, payload: str) -> asyncio.Future[None]:
        """The future the tap with `payload` resolves."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.futures[payload] = future
        self.taps.append(payload)
        return future


async def _delays(
    sim: SimProcess, since: int, ends: dict[str, list[float]], floor_taps: list[str]
) -> dict[str, list[float]]:
    """Each timed tap's POST start (the simulator's records, in order) to its resume."""
    floor = set(floor_taps)
    began: dict[str, list[float]] = {"messenger": [], "floor": []}
    for post in (await sim.control("GET", f"webhooks?since={since}"))["data"]:
        for entry in json.loads(post["body"])["entry"]:
            for event in entry.get("messaging", []):
                payload = event["message"]["quick_reply"]["payload"]
                began["floor" if payload in floor else "messenger"].append(post["started_at"])
    if any(len(began[kind]) != len(ends[kind]) for kind in ends):
        raise RuntimeError(f"taps and resumes do not pair up: {began} vs {ends}")
    return {kind: [e - b for b, e in zip(began[kind], ends[kind], strict=True)] for kind in ends}


def _report(args: Any, calls: int, latency: float, delays: dict[str, list[float]]) -> int:
    stats = common.quantiles_ms(delays)
    ratio = stats["messenger"]["median"] / stats["floor"]["median"]
    p90 = stats["messenger"]["p90"] / stats["floor"]["p90"]
    added = stats["messenger"]["median"] - stats["floor"]["median"]
    rows = {
        "messenger": "tap → facebook.ask returns → the script's next step",
        "floor": "floor: bare Home Assistant view resolves a waiting future",
    }
    print()
    print(
        common.table(
            f"A tap answering a waiting script, {calls} of each way, alternating (ms; the "
            f"question before each tap went through a simulator latency of "
            f"{latency * 1000:.0f} ms, not timed)",
            ["way", "median", "p10", "p90", "p99", "vs the floor (median)"],
            [
                [label, *stats[k].values(), f"{stats[k]['median'] / stats['floor']['median']:.2f}x"]
                for k, label in rows.items()
            ],
        )
    )
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [
                [
                    f"within {RATIO_TARGET}x of the floor (median)",
                    f"{common.verdict(ratio <= RATIO_TARGET)} ({ratio:.2f}x; {added:.2f} ms added)",
                ],
                ["p90 vs the floor's p90", f"{p90:.2f}x"],
            ],
        )
    )
    print()
    common.report(
        "ask",
        args,
        {"calls": calls, "latency": latency, "ms": stats, "ratio": ratio},
        f"{stats['messenger']['median']:.2f} ms median from the tap's webhook POST to the "
        f"script resuming vs {stats['floor']['median']:.2f} ms for a bare view resolving a "
        f"future = {ratio:.2f}x (target {RATIO_TARGET}x)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
