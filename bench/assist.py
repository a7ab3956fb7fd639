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
costs by itself. The difference is the integration's whole share: the webhook view, signature
check, parsing and routing, the typing indicator, building and sending the answer, and the
events.

    .venv/bin/python -m bench.assist [--quick] [--calls 200]
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

ALICE = common.psids(1, start=6_200_000_000_000_000)[0]
CALLS, QUICK_CALLS = 200, 10
WARMUP = 10
RATIO_TARGET = 1.2
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
    parse = common.parser(__doc__)
    parse.add_argument("--calls", type=int, help="questions of each kind (default 200)")
    args = parse.parse_args(argv)
    calls = args.calls or (QUICK_CALLS if args.quick else CALLS)
    warmup = min(WARMUP, max(2, calls // 4))
    print(f"Assist benchmark; {common.machine_line()}", flush=True)
    with SimProcess([ALICE]) as sim, common.temporary_dir("fb-bench-ha-") as config_dir:
        entry = common.notify_entry(
            sim, "facebook", allowed_chat_ids={"alice": ALICE}, conversation_agent=AGENT
        )
        try:
            async with common.home_assistant(config_dir, [entry]) as running:
                measured = await _measure(running, sim, calls, warmup, args.profile)
        finally:
            await sim.close()
    return _report(args, calls, *measured)


async def _measure(
    running: common.RunningHass, sim: SimProcess, calls: int, warmup: int, profile: bool
) -> tuple[dict[str, list[float]], list[str]]:
    """Both ways, taking turns at going first; the delays in seconds, and the answers."""
    from homeassistant.components import conversation

    hass = running.hass
    await _set_up_assist(hass)
    await sim.control("POST", "config", {"webhook_url": running.url + "/api/facebook_webhooks"})
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
        result = await conversation.async_converse(
            hass=hass,
            text=text,
            conversation_id=f"bench_{PAGE_ID}_{ALICE}",
            context=None,
            language=hass.config.language,
            agent_id=AGENT,
        )
        took = time.monotonic() - begun
        answers.append(result.response.speech["plain"]["speech"])
        return took

    kinds = {"messenger": via_messenger, "direct": direct}
    delays: dict[str, list[float]] = {"messenger": [], "direct": []}
    since = 0
    for number in range(warmup + calls):
        if number == warmup:
            since = len((await sim.control("GET", "webhooks"))["data"])
        order = list(kinds) if number % 2 == 0 else list(reversed(kinds))
        for kind in order:
            # Each way switches the light to the other state in turn: always a real change.
            state = "on" if (number + (kind == "direct")) % 2 == 0 else "off"
            with common.profiled(profile and number == warmup, "assist"):
                took = await kinds[kind](f"turn {state} the hall light")
            if number >= warmup and kind == "direct":
                delays["direct"].append(took)
    delays["messenger"] = await _answer_delays(sim, since)
    if len(delays["messenger"]) != calls:
        raise RuntimeError(f"{len(delays['messenger'])} of {calls} questions were answered")
    return delays, answers


async def _answer_delays(sim: SimProcess, since: int) -> list[float]:
    """From each timed question's webhook POST to its answer's arrival (the answer quotes the
    question, so its ``reply_to`` names the question's ``mid``)."""
    began: dict[str, float] = {}
    for post in (await sim.control("GET", f"webhooks?since={since}"))["data"]:
        for entry in json.loads(post["body"])["entry"]:
            for event in entry.get("messaging", []):
                began[event["message"]["mid"]] = post["started_at"]
    return [
        sent["received_at"] - began[sent["reply_to"]]
        for sent in await sim.sent()
        if sent["reply_to"] in began
    ]


def _report(args: Any, calls: int, delays: dict[str, list[float]], answers: list[str]) -> int:
    stats = common.quantiles_ms(delays)
    ratio = stats["messenger"]["median"] / stats["direct"]["median"]
    added_ms = stats["messenger"]["median"] - stats["direct"]["median"]
    print()
    print(
        common.table(
            f"A question over Messenger, {calls} of each way, alternating (ms)",
            ["way", "median", "p10", "p90", "p99", "vs the agent alone (median)"],
            [
                [
                    "signed webhook POST → the answer at the simulator",
                    *stats["messenger"].values(),
                    f"{ratio:.2f}x",
                ],
                ["conversation.async_converse, same agent", *stats["direct"].values(), "1x"],
            ],
        )
    )
    print(f"\nThe agent's answers: {sorted(set(answers))}")
    print(f"Added by the integration (medians): {added_ms:.2f} ms")
    ok = ratio <= RATIO_TARGET
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [[f"within {RATIO_TARGET}x of the agent alone (median)", common.verdict(ok)]],
        )
    )
    print()
    if not args.no_save:
        path = common.save_results("assist", {"calls": calls, "ms": stats, "ratio": ratio})
        print(f"(results: {path.relative_to(common.ROOT)})")
    common.summary(
        "assist",
        f"{stats['messenger']['median']:.2f} ms median from the webhook POST to the answer at "
        f"the simulator vs {stats['direct']['median']:.2f} ms for the agent alone = "
        f"{ratio:.2f}x ({added_ms:.2f} ms added)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
