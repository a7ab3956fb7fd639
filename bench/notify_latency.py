"""One notification: from the service call to the simulator receiving the request.

Home Assistant (in this process) sends to one person, 500 times per way, each after the previous
call returned, every way the integration offers: ``notify.facebook`` (a YAML page), and, on a
page set up as a config entry, ``notify.send_message`` on the person's entity and
``facebook.send_message`` on it. Interleaved with them, taking turns at going first, the same
process and event loop send the same body (same JSON bytes, ``Authorization`` header and
``appsecret_proof``) as a raw aiohttp POST, and through a bare Home Assistant service (notify's
schema, a handler that does the raw POST): Home Assistant's own share of the overhead. The clock
starts just before the call and stops at the simulator's ``received_at`` (CLOCK_MONOTONIC is one
clock for both processes), so the simulator's injected latency, slept after receiving, does not
count.

    .venv/bin/python -m bench.notify_latency [--quick] [--calls 500]
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
import time

if __package__ in (None, ""):  # `python bench/notify_latency.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

import aiohttp

from bench import common
from bench.common import GRAPH_VERSION, TOKEN, SimProcess

ALICE = common.psids(1, start=6_000_000_000_000_000)[0]
CAROL = common.psids(1, start=6_100_000_000_000_000)[0]  # a person of the config entry's page
CALLS, QUICK_CALLS = 500, 20
WARMUP = 20
LATENCY = 0.1
RATIO_TARGET = 1.3


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parse = common.parser(__doc__)
    parse.add_argument("--calls", type=int, help="calls of each kind (default 500)")
    parse.add_argument("--latency", type=float, help="simulator latency, s (0.1; --quick 0.01)")
    args = parse.parse_args(argv)
    calls = args.calls or (QUICK_CALLS if args.quick else CALLS)
    warmup = min(WARMUP, max(2, calls // 4))
    latency = args.latency if args.latency is not None else (0.01 if args.quick else LATENCY)
    from homeassistant.components.notify.const import NOTIFY_SERVICE_SCHEMA

    print(f"One-notification latency benchmark; {common.machine_line()}", flush=True)
    with (
        SimProcess([ALICE], latency=latency, entry_users=[CAROL]) as sim,
        common.temporary_dir("fb-bench-ha-") as config_dir,
    ):
        entry = common.notify_entry(sim, "facebook", allowed_chat_ids={"alice": ALICE})
        session = aiohttp.ClientSession()
        try:
            async with common.home_assistant(config_dir, [entry]) as running:
                hass = running.hass
                await common.add_entry_page(hass, sim, {"Carol": CAROL})

                async def via_home_assistant(text: str) -> float:
                    started = time.monotonic()
                    await hass.services.async_call(
                        "notify", "facebook", {"message": text, "target": ["alice"]}, blocking=True
                    )
                    return started

                # The exact body Home Assistant sends, learned from the simulator's recording.
                await via_home_assistant("learn")
                recorded = (await sim.requests())[-1]
                template = recorded["body"]
                url = f"{sim.url}/{GRAPH_VERSION}/me/messages"
                headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

                async def post(text: str) -> None:
                    body = {**template, "message": {"text": text}}
                    data = json.dumps(body, separators=(",", ":")).encode()
                    async with session.post(url, data=data, headers=headers) as answer:
                        await answer.read()
                        if answer.status != 200:
                            raise RuntimeError(f"raw POST answered {answer.status}")

                async def raw_post(text: str) -> float:
                    started = time.monotonic()
                    await post(text)
                    return started

                # Home Assistant's own share: a bare service with notify's schema that does the
                # raw POST, called exactly like notify.facebook.
                async def bare_service(call: Any) -> None:
                    await post(call.data["message"])

                hass.services.async_register(
                    "bench", "raw_post", bare_service, schema=NOTIFY_SERVICE_SCHEMA
                )

                async def via_bare_service(text: str) -> float:
                    started = time.monotonic()
                    await hass.services.async_call(
                        "bench", "raw_post", {"message": text, "target": ["alice"]}, blocking=True
                    )
                    return started

                await _add_bare_entity(hass, post)

                async def via_bare_entity(text: str) -> float:
                    started = time.monotonic()
                    await hass.services.async_call(
                        "notify",
                        "send_message",
                        {"entity_id": "notify.bench_raw_post", "message": text},
                        blocking=True,
                    )
                    return started

                async def via_entity(text: str) -> float:
                    started = time.monotonic()
                    await hass.services.async_call(
                        "notify",
                        "send_message",
                        {"entity_id": "notify.carol", "message": text},
                        blocking=True,
                    )
                    return started

                async def via_action(text: str) -> float:
                    started = time.monotonic()
                    await hass.services.async_call(
                        "facebook",
                        "send_message",
                        {"entity_id": "notify.carol", "message": text},
                        blocking=True,
                    )
                    return started

                kinds = {
                    "ha": via_home_assistant,
                    "entity": via_entity,
                    "action": via_action,
                    "svc": via_bare_service,
                    "bare": via_bare_entity,
                    "raw": raw_post,
                }
                names = list(kinds)
                for number in range(warmup):
                    for kind, call in kinds.items():
                        await call(f"warm-up {kind} {number}")
                since = await sim.request_count()
                started: dict[str, float] = {}
                with common.profiled(args.profile, "notify"):
                    for number in range(calls):
                        shift = number % len(names)  # each kind goes first, second, third in turn
                        for kind in names[shift:] + names[:shift]:
                            text = f"{kind} {number}"
                            started[text] = await kinds[kind](text)
                recorded_all = await sim.requests(since)
        finally:
            await session.close()
            await sim.close()
    delays: dict[str, list[float]] = {kind: [] for kind in _ROWS}
    same_body = True
    seen: set[str] = set()
    for request in recorded_all:
        body = request["body"]
        text = body["message"]["text"]
        if text in seen:  # a retry (there should be none)
            continue
        seen.add(text)
        delays[text.split()[0]].append(request["received_at"] - started[text])
        same_body &= list(body) == list(template) or text.split()[0] in ("entity", "action")
    if any(len(values) != calls for values in delays.values()) or not same_body:
        raise RuntimeError("the simulator did not receive every call once with the same body")
    stats = {
        kind: {name: common.percentile(values, q) * 1000 for name, q in _QUANTILES}
        for kind, values in delays.items()
    }
    raw, ha, svc = stats["raw"], stats["ha"], stats["svc"]
    ratios = {kind: stats[kind]["median"] / raw["median"] for kind in stats}
    ratio = max(ratios[kind] for kind in ("ha", "entity", "action"))
    # The integration's own share on the entity path: measured against HA's bare entity.
    over_bare = stats["entity"]["median"] / stats["bare"]["median"]
    print()
    print(
        common.table(
            f"One notification: call to the simulator receiving it, {calls} calls each, "
            "alternating (ms)",
            ["sender", "median", "p10", "p90", "p99", "vs raw POST (median)"],
            [
                [label, *stats[kind].values(), f"{ratios[kind]:.2f}x"]
                for kind, label in _ROWS.items()
            ],
        )
    )
    overhead_us = (ha["median"] - raw["median"]) * 1000
    core_us = (svc["median"] - raw["median"]) * 1000
    entity_us = (stats["entity"]["median"] - raw["median"]) * 1000
    bare_us = (stats["bare"]["median"] - raw["median"]) * 1000
    print(
        f"\nAdded to the raw POST (medians): notify.facebook {overhead_us:.0f} us, of which "
        f"{core_us:.0f} us is Home Assistant's service call itself and "
        f"{overhead_us - core_us:.0f} us the integration; notify.send_message {entity_us:.0f} us, "
        f"of which {bare_us:.0f} us is Home Assistant's entity service and state write and "
        f"{entity_us - bare_us:.0f} us the integration."
    )
    ok = ratio <= RATIO_TARGET
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [
                [
                    f"every way of sending within {RATIO_TARGET}x of the raw POST (median)",
                    common.verdict(ok),
                ],
                [
                    "notify.send_message on our entity vs on a bare notify entity (median)",
                    f"{over_bare:.2f}x",
                ],
            ],
        )
    )
    print()
    if not args.no_save:
        path = common.save_results(
            "notify_latency",
            {
                "calls": calls,
                "ms": stats,
                "ratios": ratios,
                "worst_ratio": ratio,
                "entity_over_bare": over_bare,
            },
        )
        print(f"(results: {path.relative_to(common.ROOT)})")
    common.summary(
        "notify_latency",
        f"{ha['median']:.2f} ms median from the service call to the simulator vs "
        f"{raw['median']:.2f} ms for a raw POST = {ratios['ha']:.2f}x ({overhead_us:.0f} us added, "
        f"{core_us:.0f} us of it Home Assistant's service call); entity "
        f"{ratios['entity']:.2f}x ({over_bare:.2f}x a bare notify entity), "
        f"facebook.send_message {ratios['action']:.2f}x; worst {ratio:.2f}x",
    )
    return 0


async def _add_bare_entity(hass: Any, post: Any) -> None:
    """Home Assistant's own entity path: a notify entity whose send is the raw POST."""
    from homeassistant.components.notify import DATA_COMPONENT, NotifyEntity

    class BareEntity(NotifyEntity):
        _attr_name = "bench raw post"
        _attr_unique_id = "bench_raw_post"

        async def async_send_message(self, message: str, title: str | None = None) -> None:
            await post(message)

    await hass.data[DATA_COMPONENT].async_add_entities([BareEntity()])
    if hass.states.get("notify.bench_raw_post") is None:
        raise RuntimeError("the bare notify entity was not added")


_ROWS = {
    "ha": "notify.facebook (YAML page)",
    "entity": "notify.send_message on the person's entity (config entry)",
    "action": "facebook.send_message on the person's entity",
    "svc": "bare Home Assistant service doing the raw POST",
    "bare": "bare notify entity doing the raw POST (notify.send_message)",
    "raw": "raw aiohttp POST, same body",
}
_QUANTILES: tuple[tuple[str, float], ...] = (
    ("median", 0.5),
    ("p10", 0.1),
    ("p90", 0.9),
    ("p99", 0.99),
)


if __name__ == "__main__":
    sys.exit(common.run(main))
