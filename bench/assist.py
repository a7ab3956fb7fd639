"""Assist over Messenger: from the signed webhook POST to the answer reaching the simulator.

A person writes "turn on the hall light" (then "turn off ...", in turn) to a page whose
``conversation_agent`` is Home Assistant's built-in agent with its real intents, switching a real
``input_boolean``. The simulator writes it as Meta does (``/_sim/users/<psid>/say``: a signed
webhook POST to Home Assistant's ``/api/facebook_webhooks``, which also lets the answer quote
the question). The clock starts as that POST begins (the simulator's ``started_at``) and stops
at the simulator's ``received_at`` of the answer (the typing indicator before it does not count;
CLOCK_MONOTONIC is one clock for both processes).
Interleaved with it, taking turns at going first, the same agent is called directly with
``conversation.async_converse`` (same text, the same kind of conversation id): what the agent
costs by itself. A third way is the floor any Home Assistant integration stands on: a bare
Home Assistant view (its HTTP stack, the HMAC, the JSON) that asks the same agent in the
background and answers with a raw aiohttp POST of the same body: the two HTTP hops and the agent,
nothing else. Between the floor and the Messenger way lies the integration's own share: parsing
and routing, the events, building and sending the answer. The simulator answers every Graph call
after ``--latency`` (0.1 s, about Meta's): a typing indicator the answer had to wait for would
show here.

    .venv/bin/python -m bench.assist [--quick] [--calls 200] [--latency 0.1]
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys
import time

if __package__ in (None, ""):  # `python bench/assist.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

from bench import common
from bench.common import PAGE_ID, SimProcess
from bench.webhook_ingest import register_signed_view

ALICE = common.psids(1, start=6_200_000_000_000_000)[0]
CALLS, QUICK_CALLS = 200, 10
WARMUP = 10
RATIO_TARGET = 1.2
FLOOR_PATH = "/api/bench_assist_floor"
AGENT = "conversation.home_assistant"
LIGHT = "input_boolean.hall_light"


async def _set_up_assist(hass: Any) -> None:
    """The built-in agent and a hall light it may switch."""
    from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    lights = {"input_boolean": {"hall_light": {"name": "Hall light"}}}
    assert await async_setup_component(hass, "input_boolean", lights)
    async_expose_entity(hass, "conversation", LIGHT, True)
    await hass.async_block_till_done()


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    args, calls, latency = common.calls_and_latency(argv, __doc__, CALLS, QUICK_CALLS, "questions")
    warmup = min(WARMUP, max(2, calls // 4))
    print(f"Assist benchmark; {common.machine_line()}", flush=True)
    with SimProcess([ALICE], latency=latency) as sim:
        hass = common.hass_with_page(
            sim, allowed_chat_ids={"alice": ALICE}, conversation_agent=AGENT
        )
        try:
            async with hass as running:
                measured = await _measure(running, sim, calls, warmup, args.profile)
        finally:
            await sim.close()
    return _report(args, calls, latency, *measured)


async def _measure(
    running: common.RunningHass, sim: SimProcess, calls: int, warmup: int, profile: bool
) -> tuple[dict[str, list[float]], list[str]]:
    """The three ways, taking turns at going first; the delays in seconds, and the answers."""

    hass = running.hass
    await _set_up_assist(hass)
    integration_url = running.url + "/api/facebook_webhooks"
    await sim.control("POST", "config", {"webhook_url": integration_url})
    answered: asyncio.Queue[str] = asyncio.Queue()
    hass.bus.async_listen(
        "facebook_message_sent", lambda event: answered.put_nowait(event.data["message_id"])
    )
    answers: list[str] = []

    async def via_messenger(text: str) -> float:
        await sim.control("POST", f"users/{ALICE}/say", {"text": text})
        await asyncio.wait_for(answered.get(), 60)
        return 0.0  # measured from the simulator's records afterwards

    async def direct(text: str) -> float:
        begun = time.monotonic()
        speech = await _converse(hass, text, f"bench_{PAGE_ID}_{ALICE}", None)
        took = time.monotonic() - begun
        answers.append(speech)
        return took

    kinds = {"messenger": via_messenger, "direct": direct}
    for number in range(2):  # the integration's answer: the body the floor sends
        await via_messenger(f"turn {('on', 'off')[number]} the hall light")
    sends = [r for r in await sim.requests() if r["path"].endswith("/me/messages")]
    floor = _Floor(hass, sim, sends[-1]["body"])
    floor.register()

    async def via_floor(text: str) -> float:
        await sim.control("POST", "config", {"webhook_url": running.url + FLOOR_PATH})
        await sim.control("POST", f"users/{ALICE}/say", {"text": text})
        await asyncio.wait_for(floor.answered.get(), 60)
        await sim.control("POST", "config", {"webhook_url": integration_url})
        return 0.0

    kinds["floor"] = via_floor
    delays: dict[str, list[float]] = {kind: [] for kind in kinds}
    since = 0
    for number in range(warmup + calls):
        if number == warmup:
            since = len((await sim.control("GET", "webhooks"))["data"])
            floor.mids.clear()
        names = list(kinds)
        shift = number % len(names)
        for position, kind in enumerate(names[shift:] + names[:shift]):
            # Each question switches the light to the other state: always a real change.
            state = ("on", "off")[(number * len(names) + position) % 2]
            with common.profiled(profile and number == warmup, f"assist-{kind}"):
                took = await kinds[kind](f"turn {state} the hall light")
            if number >= warmup and kind == "direct":
                delays["direct"].append(took)
    by_way = await _answer_delays(sim, since, floor.mids)
    delays.update(by_way)
    if any(len(delays[kind]) != calls for kind in by_way):
        raise RuntimeError(
            f"not every question was answered: { ({k: len(v) for k, v in by_way.items()}) }"
        )
    return delays, answers


class _Floor:
    """A bare Home Assistant view: HMAC, JSON, the same agent, a raw POST of the same body."""

    def __init__(self, hass: Any, sim: SimProcess, template: dict[str, Any]) -> None:
        self.hass = hass
        self.sim = sim
        self.template = template
        self.answered: asyncio.Queue[str] = asyncio.Queue()
        self.mids: set[str] = set()

    def register(self) -> None:
        """Serve at FLOOR_PATH: each message is answered in the background."""

        def ask(item: dict[str, Any]) -> None:
            self.hass.async_create_background_task(
                self.answer(item["sender"]["id"], item["message"]), "bench floor"
            )

        register_signed_view(self.hass, FLOOR_PATH, "api:bench_assist_floor", ask)

    async def answer(self, psid: str, message: dict[str, Any]) -> None:
        """Ask the agent, POST its speech as a reply quoting the question."""
        from homeassistant.core import Context
        from homeassistant.helpers.aiohttp_client import async_get_clientsession

        speech = await _converse(self.hass, message["text"], f"bench_floor_{psid}", Context())
        body = {**self.template, "message": {"text": speech}, "reply_to": {"mid": message["mid"]}}
        self.mids.add(message["mid"])
        await common.raw_send(async_get_clientsession(self.hass), self.sim, body)
        self.answered.put_nowait(message["mid"])


async def _converse(hass: Any, text: str, conversation_id: str, context: Any) -> str:
    """The built-in agent's plain speech for `text`, asked as Assist over Messenger asks it."""
    from homeassistant.components import conversation

    result = await conversation.async_converse(
        hass=hass,
        text=text,
        conversation_id=conversation_id,
        context=context,
        language=hass.config.language,
        agent_id=AGENT,
    )
    return str(result.response.speech["plain"]["speech"])


async def _answer_delays(
    sim: SimProcess, since: int, floor_mids: set[str]
) -> dict[str, list[float]]:
    """From each timed question's webhook POST to its answer's arrival, by way (the answer
    quotes the question, so its ``reply_to`` names the question's ``mid``)."""
    began: dict[str, float] = {}
    for post in (await sim.control("GET", f"webhooks?since={since}"))["data"]:
        for entry in json.loads(post["body"])["entry"]:
            for event in entry.get("messaging", []):
                began[event["message"]["mid"]] = post["started_at"]
    delays: dict[str, list[float]] = {"messenger": [], "floor": []}
    for sent in await sim.sent():
        if (mid := sent["reply_to"]) in began:
            way = "floor" if mid in floor_mids else "messenger"
            delays[way].append(sent["received_at"] - began[mid])
    return delays


def _report(
    args: Any, calls: int, latency: float, delays: dict[str, list[float]], answers: list[str]
) -> int:
    stats = common.quantiles_ms(delays)
    agent = stats["direct"]["median"]
    ratios = {kind: stats[kind]["median"] / agent for kind in stats}
    ratio, floor_ratio = ratios["messenger"], ratios["floor"]
    over_floor = stats["messenger"]["median"] / stats["floor"]["median"]
    added = {kind: stats[kind]["median"] - agent for kind in stats}
    rows = {
        "messenger": "signed webhook POST → the answer at the simulator",
        "floor": "floor: bare Home Assistant view, same agent, raw POST",
        "direct": "conversation.async_converse, same agent",
    }
    print()
    print(
        common.table(
            f"A question over Messenger, {calls} of each way, alternating, simulator latency "
            f"{latency * 1000:.0f} ms (ms)",
            ["way", "median", "p10", "p90", "p99", "vs the agent alone (median)"],
            [[label, *stats[k].values(), f"{ratios[k]:.2f}x"] for k, label in rows.items()],
        )
    )
    print(f"\nThe agent's answers: {sorted(set(answers))}")
    print(
        f"Added to the agent alone (medians): {added['messenger']:.2f} ms, of which "
        f"{added['floor']:.2f} ms is the floor (two HTTP hops through Home Assistant) and "
        f"{added['messenger'] - added['floor']:.2f} ms the integration"
    )
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [
                [
                    f"within {RATIO_TARGET}x of the agent alone (median)",
                    f"{common.verdict(ratio <= RATIO_TARGET)} ({ratio:.2f}x; the floor is "
                    f"{floor_ratio:.2f}x)",
                ],
                ["the Messenger way vs the floor (median)", f"{over_floor:.2f}x"],
            ],
        )
    )
    print()
    results = {"calls": calls, "latency": latency, "ms": stats, "ratios": ratios}
    common.report(
        "assist",
        args,
        {**results, "over_floor": over_floor},
        f"{stats['messenger']['median']:.2f} ms median from the webhook POST to the answer at "
        f"the simulator vs {agent:.2f} ms for the agent alone = {ratio:.2f}x "
        f"({added['messenger']:.2f} ms added; the floor of two HTTP hops is {floor_ratio:.2f}x, "
        f"the integration {over_floor:.2f}x the floor)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
