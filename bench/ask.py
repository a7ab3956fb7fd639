"""Ask and wait: from the person's tap (the webhook POST) to the script resuming.

A real script waits in ``facebook.ask`` (a question to one person, two answers); the person taps
an answer on the simulator (``/_sim/users/<psid>/quick_reply``: a signed webhook POST to Home
Assistant's ``/api/facebook_webhooks``, as Meta sends it), and the script's next step fires an
event. The clock starts as that POST begins (the simulator's ``started_at``) and stops when the
event's listener runs, in this process (CLOCK_MONOTONIC is one clock for both processes). All the
integration does on the way is in it: the signature, parsing, routing, the window, the
redelivery memory, ``facebook_message`` and the person's Messages entity, matching the ask,
ending the service call, and Home Assistant's script engine taking its next step.

Interleaved with it, taking turns at going first, three floors. Each takes the same tap, POSTed by
the simulator to a bare Home Assistant view (its HTTP stack, the HMAC, the JSON) that resolves a
waiting future by the tap's payload:
- the script floor: the future is awaited by a bare service that a script calls as it calls
  ``facebook.ask`` (with a ``response_variable``), and the clock stops at the same next step.
  Any ask a script waits on ends in Home Assistant's service-call return and script engine:
  this floor takes them too, and nothing of the integration's.
- the same, where the view also does what design.md has every message from a person do in Home
  Assistant before it answers: a bus event, the person's event entity and the state of their
  window-closing sensor (a bare ``EventEntity`` and a bare timestamp ``SensorEntity``).
- the bare floor: the benchmark's own coroutine waits on the future (no script at all).
The question itself (sent before each tap, through the simulator's ``--latency``) is not timed.

    .venv/bin/python -m bench.ask [--quick] [--calls 200] [--latency 0.1]
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
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
FLOOR_SCRIPT = "bench_ask_floor"  # the same script shape, waiting in FLOOR_SERVICE instead
ENTITY_FLOOR_SCRIPT = "bench_ask_entity_floor"  # the same, with the message's entities
FLOOR_DOMAIN, FLOOR_SERVICE = "bench", "ask_floor"
# What each way is called in the tables, in their order; its taps' payloads start with its prefix.
WAYS = {
    "messenger": "tap → facebook.ask returns → the script's next step",
    "entity_floor": "script floor, and the message's bus event, event entity and window sensor",
    "script_floor": "script floor: a bare service the script waits in, resolved by a bare view",
    "floor": "bare floor: a bare view resolves a future a coroutine waits on",
}
PREFIXES = {"entity_floor": "ENTITY_FLOOR_", "script_floor": "SCRIPT_FLOOR_", "floor": "FLOOR_"}


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
    """Every way in WAYS, taking turns at going first; the delays in seconds."""
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
    scripts = {SCRIPT: script}
    for name, entities in ((FLOOR_SCRIPT, False), (ENTITY_FLOOR_SCRIPT, True)):
        scripts[name] = {
            "mode": "parallel",
            "sequence": [
                {
                    "action": f"{FLOOR_DOMAIN}.{FLOOR_SERVICE}",
                    "data": {"entities": entities},
                    "response_variable": "answer",
                },
                {"event": RESUMED, "event_data": {"floor": True}},
            ],
        }
    assert await async_setup_component(hass, "script", {"script": scripts})
    # Callbacks, run on the event loop as the event fires (a plain function would go through
    # the executor: a thread hop that is not the integration's).
    resumed: dict[bool, asyncio.Queue[float]] = {False: asyncio.Queue(), True: asyncio.Queue()}

    @callback
    def on_resumed(event: Any) -> None:
        resumed[bool(event.data.get("floor"))].put_nowait(time.monotonic())

    hass.bus.async_listen(RESUMED, on_resumed)
    accepted: asyncio.Queue[None] = asyncio.Queue()  # Meta took the question
    hass.bus.async_listen(
        "facebook_message_sent", callback(lambda _event: accepted.put_nowait(None))
    )
    integration_url = running.url + "/api/facebook_webhooks"
    floor = _Floor(hass)
    await floor.async_add_entities()
    floor.register()
    floor.register_service()
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
        return await asyncio.wait_for(resumed[False].get(), 30)

    async def to_floor(waiting: Any) -> float:
        """Tap the floor view's newest payload; `waiting`: when what waits on it resumed."""
        await sim.control("POST", "config", {"webhook_url": running.url + FLOOR_PATH})
        try:
            await tap(floor.taps[-1])
            return float(await asyncio.wait_for(waiting, 30))  # as facebook.ask waits
        finally:
            await sim.control("POST", "config", {"webhook_url": integration_url})

    async def via_script(script: str) -> float:
        await hass.services.async_call("script", "turn_on", {"entity_id": f"script.{script}"})
        await asyncio.wait_for(floor.serving.get(), 30)  # the service waits on its future
        await asyncio.sleep(0.005)
        return await to_floor(resumed[True].get())

    async def via_script_floor() -> float:
        return await via_script(FLOOR_SCRIPT)

    async def via_entity_floor() -> float:
        return await via_script(ENTITY_FLOOR_SCRIPT)

    async def via_floor() -> float:
        future = floor.expect(f"{PREFIXES['floor']}{time.monotonic_ns()}")

        async def resumes() -> float:
            await future
            return time.monotonic()

        # Waiting before the tap, as a script waits: the clock stops when it resumes.
        waiting = asyncio.ensure_future(resumes())
        await asyncio.sleep(0)
        return await to_floor(waiting)

    await sim.control("POST", "config", {"webhook_url": integration_url})
    kinds = {
        "messenger": via_messenger,
        "entity_floor": via_entity_floor,
        "script_floor": via_script_floor,
        "floor": via_floor,
    }
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
    tap's payload (the bare service or the benchmark's coroutine waits on it)."""

    def __init__(self, hass: Any) -> None:
        self.hass = hass
        self.futures: dict[str, asyncio.Future[None]] = {}
        self.taps: list[str] = []  # the payloads that came, in order
        self.serving: asyncio.Queue[str] = asyncio.Queue()  # payloads the bare service awaits
        self.entities: tuple[Any, Any] | None = None  # the event entity, the window sensor

    async def async_add_entities(self) -> None:
        """A bare event entity and a bare timestamp sensor, as a person of a page has."""
        from homeassistant.components.event import EventEntity
        from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
        from homeassistant.helpers.entity_component import DATA_INSTANCES

        class FloorMessages(EventEntity):
            _attr_event_types = ["quick_reply"]  # noqa: RUF012
            _attr_should_poll = False
            _attr_unique_id = "bench_ask_floor_messages"
            _attr_name = "Bench ask floor messages"

        class FloorWindow(SensorEntity):
            _attr_device_class = SensorDeviceClass.TIMESTAMP
            _attr_should_poll = False
            _attr_unique_id = "bench_ask_floor_window"
            _attr_name = "Bench ask floor window closes"

        messages, window = FloorMessages(), FloorWindow()
        await self.hass.data[DATA_INSTANCES]["event"].async_add_entities([messages])
        await self.hass.data[DATA_INSTANCES]["sensor"].async_add_entities([window])
        self.entities = (messages, window)

    def _message_work(self, item: dict[str, Any]) -> None:
        """What every message from a person does in Home Assistant (design.md): its bus event,
        the person's event entity and their window's closing time."""
        assert self.entities is not None
        messages, window = self.entities
        data = {
            "sender_id": item["sender"]["id"],
            "page_id": item["recipient"]["id"],
            "timestamp": item["timestamp"],
            "message": item["message"].get("text"),
            "payload": item["message"]["quick_reply"]["payload"],
            "mid": item["message"].get("mid"),
            "type": "quick_reply",
        }
        self.hass.bus.async_fire("bench_ask_floor_message", data)
        messages._trigger_event("quick_reply", data)  # what an EventEntity does
        messages.async_write_ha_state()
        stamp = datetime.fromtimestamp(item["timestamp"] / 1000, UTC)
        window._attr_native_value = stamp + timedelta(hours=24)
        window.async_write_ha_state()

    def register(self) -> None:
        """Serve at FLOOR_PATH."""

        def resolve(item: dict[str, Any]) -> None:
            payload = item["message"]["quick_reply"]["payload"]
            if payload.startswith(PREFIXES["entity_floor"]):
                self._message_work(item)
            future = self.futures.pop(payload, None)
            if future is not None:
                future.set_result(None)

        register_signed_view(self.hass, FLOOR_PATH, "api:bench_ask_floor", resolve)

    def register_service(self) -> None:
        """`bench.ask_floor`: waits for its tap, and returns the answer, as `facebook.ask` does."""
        from homeassistant.core import ServiceCall, SupportsResponse

        async def ask_floor(call: ServiceCall) -> dict[str, Any]:
            kind = "entity_floor" if call.data.get("entities") else "script_floor"
            payload = f"{PREFIXES[kind]}{time.monotonic_ns()}"
            waiting = self.expect(payload)
            self.serving.put_nowait(payload)
            async with asyncio.timeout(30):
                await waiting
            return {"answer": payload}

        self.hass.services.async_register(
            FLOOR_DOMAIN, FLOOR_SERVICE, ask_floor, supports_response=SupportsResponse.ONLY
        )

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
    began: dict[str, list[float]] = {kind: [] for kind in WAYS}
    for post in (await sim.control("GET", f"webhooks?since={since}"))["data"]:
        for entry in json.loads(post["body"])["entry"]:
            for event in entry.get("messaging", []):
                payload = event["message"]["quick_reply"]["payload"]
                kind = "messenger"
                if payload in floor:
                    kind = next(k for k, prefix in PREFIXES.items() if payload.startswith(prefix))
                began[kind].append(post["started_at"])
    if any(len(began[kind]) != len(ends[kind]) for kind in ends):
        raise RuntimeError(f"taps and resumes do not pair up: {began} vs {ends}")
    return {kind: [e - b for b, e in zip(began[kind], ends[kind], strict=True)] for kind in ends}


def _report(args: Any, calls: int, latency: float, delays: dict[str, list[float]]) -> int:
    stats = common.quantiles_ms(delays)
    ours, floor, bare = stats["messenger"], stats["script_floor"], stats["floor"]
    ratio = ours["median"] / floor["median"]
    bare_ratio = ours["median"] / bare["median"]
    entity_ratio = ours["median"] / stats["entity_floor"]["median"]
    added = ours["median"] - floor["median"]
    print()
    print(
        common.table(
            f"A tap answering a waiting script, {calls} of each way, taking turns (ms; the "
            f"question before each tap went through a simulator latency of "
            f"{latency * 1000:.0f} ms, not timed)",
            ["way", "median", "p10", "p90", "p99", "vs the script floor", "vs the bare floor"],
            [
                [
                    label,
                    *stats[k].values(),
                    f"{stats[k]['median'] / floor['median']:.2f}x",
                    f"{stats[k]['median'] / bare['median']:.2f}x",
                ]
                for k, label in WAYS.items()
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
                    f"within {RATIO_TARGET}x of the script floor (median)",
                    f"{common.verdict(ratio <= RATIO_TARGET)} ({ratio:.2f}x; {added:.2f} ms added)",
                ],
                ["p90 vs the script floor's p90", f"{ours['p90'] / floor['p90']:.2f}x"],
                [
                    f"within {RATIO_TARGET}x of the script floor with the message's entities",
                    f"{common.verdict(entity_ratio <= RATIO_TARGET)} ({entity_ratio:.2f}x)",
                ],
                ["median vs the bare floor (no script)", f"{bare_ratio:.2f}x"],
            ],
        )
    )
    print()
    common.report(
        "ask",
        args,
        {
            "calls": calls,
            "latency": latency,
            "ms": stats,
            "ratio": ratio,
            "bare": bare_ratio,
            "entity": entity_ratio,
        },
        f"{ours['median']:.2f} ms median from the tap's webhook POST to the script resuming vs "
        f"{floor['median']:.2f} ms for a script waiting in a bare service = {ratio:.2f}x (target "
        f"{RATIO_TARGET}x); {entity_ratio:.2f}x it with the message's entities; "
        f"{bare_ratio:.2f}x a bare view resolving a future",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
