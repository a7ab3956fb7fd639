"""One notification: from the ``notify`` service call to the simulator receiving the request.

Home Assistant (in this process) calls ``notify.facebook`` for one person, 500 times, each after
the previous call returned. Interleaved with it, taking turns at going first, the same process
and event loop send the same body (same JSON bytes, ``Authorization`` header and
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
        SimProcess([ALICE], latency=latency) as sim,
        common.temporary_dir("fb-bench-ha-") as config_dir,
    ):
        entry = common.notify_entry(sim, "facebook", allowed_chat_ids={"alice": ALICE})
        session = aiohttp.ClientSession()
        try:
            async with common.home_assistant(config_dir, [entry]) as running:
                hass = running.hass

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

                kinds = {"ha": via_home_assistant, "svc": via_bare_service, "raw": raw_post}
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
    delays: dict[str, list[float]] = {kind: [] for kind in ("ha", "svc", "raw")}
    same_body = True
    seen: set[str] = set()
    for request in recorded_all:
        body = request["body"]
        text = body["message"]["text"]
        if text in seen:  # a retry (there should be none)
            continue
        seen.add(text)
        delays[text.split()[0]].append(request["received_at"] - started[text])
        same_body &= list(body) == list(template)
    if any(len(values) != calls for values in delays.values()) or not same_body:
        raise RuntimeError("the simulator did not receive every call once with the same body")
    svc = {name: common.percentile(delays["svc"], q) * 1000 for name, q in _QUANTILES}
    ha = {name: common.percentile(delays["ha"], q) * 1000 for name, q in _QUANTILES}
    raw = {name: common.percentile(delays["raw"], q) * 1000 for name, q in _QUANTILES}
    ratio = ha["median"] / raw["median"]
    print()
    print(
        common.table(
            f"One notification: call to the simulator receiving it, {calls} calls each, "
            "alternating (ms)",
            ["sender", "median", "p10", "p90", "p99", "vs raw POST (median)"],
            [
                ["notify.facebook service call", *ha.values(), f"{ratio:.2f}x"],
                [
                    "bare Home Assistant service doing the raw POST",
                    *svc.values(),
                    f"{svc['median'] / raw['median']:.2f}x",
                ],
                ["raw aiohttp POST, same body", *raw.values(), "1x"],
            ],
        )
    )
    overhead_us = (ha["median"] - raw["median"]) * 1000
    core_us = (svc["median"] - raw["median"]) * 1000
    print(
        f"\nAdded to the raw POST (medians): {overhead_us:.0f} us in all, of which "
        f"{core_us:.0f} us is Home Assistant's service call itself and "
        f"{overhead_us - core_us:.0f} us the integration."
    )
    ok = ratio <= RATIO_TARGET
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [[f"within {RATIO_TARGET}x of the raw POST (median)", common.verdict(ok)]],
        )
    )
    print()
    if not args.no_save:
        path = common.save_results(
            "notify_latency", {"calls": calls, "ha_ms": ha, "raw_ms": raw, "ratio": ratio}
        )
        print(f"(results: {path.relative_to(common.ROOT)})")
    common.summary(
        "notify_latency",
        f"{ha['median']:.2f} ms median from the service call to the simulator vs "
        f"{raw['median']:.2f} ms for a raw POST = {ratio:.2f}x ({overhead_us:.0f} us added, "
        f"{core_us:.0f} us of it Home Assistant's service call)",
    )
    return 0


_QUANTILES: tuple[tuple[str, float], ...] = (
    ("median", 0.5),
    ("p10", 0.1),
    ("p90", 0.9),
    ("p99", 0.99),
)


if __name__ == "__main__":
    sys.exit(common.run(main))
