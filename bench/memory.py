"""Memory: resident memory of the process running Home Assistant, before and after heavy use.

Home Assistant runs in this process (so VmRSS here is Home Assistant's), with ``http`` on
127.0.0.1, the integration loaded (one page, ten allowed people, an app secret) and the simulator
in its own process. After a warm-up (2,000 webhook events, 100 outbox round trips) the baseline
is taken; then a client process posts 100,000 webhook events with unique ``mid``s (100 signed
batches of 1,000 from the allowed people, every one firing ``facebook_message``); then 10,000
outbox round trips: each a ``notify.facebook`` call whose Send API call the simulator fails with
a transient error (code 1200), so the message goes to the durable outbox, which delivers it in
the background. Resident memory is read after a full garbage collection at each step.

The in-call retries are set to one attempt for this benchmark (``page.client.retry``), so every
failed call goes to the outbox at once instead of sleeping through its backoff first; the outbox
itself runs as shipped.

    .venv/bin/python -m bench.memory [--quick] [--events 100000] [--trips 10000]
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys
import time
from typing import Any

if __package__ in (None, ""):  # `python bench/memory.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import SimProcess
from bench.webhook_ingest import ALLOWED, Fired, client_job, ingest_hass, run_client

EVENTS, QUICK_EVENTS = 100_000, 300
TRIPS, QUICK_TRIPS = 10_000, 20
WARMUP_EVENTS, WARMUP_TRIPS = 2_000, 100
GROWTH_TARGET_MB = 10.0
MB = 1_000_000 / 1024 / 1024  # MiB per MB


async def post_events(running: common.RunningHass, fired: Fired, events: int) -> None:
    """Post ``events`` message events in batches of up to 1,000; wait until all fired."""
    from custom_components.facebook.const import WEBHOOK_PATH

    batch = min(1000, events)
    posts = events // batch
    before = fired.count
    result = await run_client(client_job(running.url + WEBHOOK_PATH, batch, posts, 0))
    if result["statuses"] != {"200": posts}:
        raise RuntimeError(f"webhook answers: {result['statuses']}")
    deadline = time.monotonic() + 60
    while fired.count - before < posts * batch:
        if time.monotonic() > deadline:
            raise RuntimeError("not every webhook event fired")
        await asyncio.sleep(0.01)


async def outbox_trips(running: common.RunningHass, sim: SimProcess, trips: int) -> float:
    """``trips`` messages that each fail once, wait in the outbox and are delivered from it."""
    from homeassistant.core import callback

    from custom_components.facebook.const import EVENT_MESSAGE_SENT

    hass = running.hass
    page = running.page("facebook")
    delivered = asyncio.Event()
    unsub = hass.bus.async_listen(EVENT_MESSAGE_SENT, callback(lambda _event: delivered.set()))
    fault = {"kind": "error", "code": 1200, "is_transient": True, "count": 1}
    started = time.monotonic()
    try:
        for number in range(trips):
            await sim.control("POST", "faults", fault)
            delivered.clear()
            await hass.services.async_call(
                "notify",
                "facebook",
                {"message": f"kept {number}", "target": [f"person{number % len(ALLOWED)}"]},
                blocking=True,
            )
            # With one attempt per call the fault always reaches the outbox, which may have
            # delivered it already (it starts at once).
            if not len(page.outbox) and not delivered.is_set():
                raise RuntimeError("the failed message did not go to the outbox")
            await asyncio.wait_for(delivered.wait(), 30)
            if len(page.outbox):  # delivered, then taken out of the outbox in the same step
                raise RuntimeError("the delivered message is still in the outbox")
    finally:
        unsub()
    return time.monotonic() - started


def counts(running: common.RunningHass) -> dict[str, int]:
    """What the integration holds: remembered event keys, audience, waiting messages."""
    from custom_components.facebook.router import DATA_ROUTER

    page = running.page("facebook")
    return {
        "seen_keys": len(running.hass.data[DATA_ROUTER].redeliveries),
        "audience": len(page.audience),
        "outbox": len(page.outbox),
    }


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    from custom_components.facebook.messenger.client import RetryPolicy

    parse = common.parser(__doc__)
    parse.add_argument("--events", type=int, help="webhook events (default 100000)")
    parse.add_argument("--trips", type=int, help="outbox round trips (default 10000)")
    args = parse.parse_args(argv)
    events, trips = common.sizes(args, events=(EVENTS, QUICK_EVENTS), trips=(TRIPS, QUICK_TRIPS))
    warm_events = min(WARMUP_EVENTS, events)
    warm_trips = min(WARMUP_TRIPS, trips)
    print(f"Memory benchmark; {common.machine_line()}", flush=True)
    steps: list[dict[str, Any]] = []
    with SimProcess(ALLOWED, rate_cap=common.CAP) as sim:
        try:
            # Each kept message logs a warning by design; 10,000 of them are not the point here.
            async with ingest_hass(sim, log_level="ERROR") as (running, fired):
                running.page("facebook").client.retry = RetryPolicy(attempts=1)

                def step(name: str, seconds: float | None = None) -> None:
                    steps.append(
                        {
                            "step": name,
                            "rss_mb": common.settled_rss_mib() / MB,
                            "seconds": seconds,
                            **counts(running),
                        }
                    )
                    print(f"  {name}: {steps[-1]['rss_mb']:.1f} MB", flush=True)

                step("Home Assistant set up (cold)")
                await post_events(running, fired, warm_events)
                await outbox_trips(running, sim, warm_trips)
                step(f"after warm-up ({warm_events:,} events, {warm_trips} round trips): baseline")
                with common.profiled(args.profile, "memory-webhook"):
                    started = time.monotonic()
                    await post_events(running, fired, events)
                    step(f"after {events:,} webhook events", time.monotonic() - started)
                with common.profiled(args.profile, "memory-outbox"):
                    seconds = await outbox_trips(running, sim, trips)
                step(f"after {trips:,} outbox round trips", seconds)
        finally:
            await sim.close()
    base = steps[1]["rss_mb"]
    print()
    print(
        common.table(
            "Resident memory (VmRSS) of the process running Home Assistant, after gc.collect()",
            [
                "step",
                "RSS MB",
                "growth vs baseline MB",
                "seconds",
                "event keys kept",
                "audience",
                "outbox",
            ],
            [
                [
                    s["step"],
                    f"{s['rss_mb']:.1f}",
                    f"{s['rss_mb'] - base:+.1f}" if index else "-",
                    f"{s['seconds']:.1f}" if s["seconds"] is not None else "-",
                    s["seen_keys"],
                    s["audience"],
                    s["outbox"],
                ]
                for index, s in enumerate(steps)
            ],
        )
    )
    growth = steps[-1]["rss_mb"] - base
    ok = growth < GROWTH_TARGET_MB
    print()
    print(
        common.table(
            "Targets",
            ["target", "result"],
            [[f"growth under {GROWTH_TARGET_MB:g} MB", common.verdict(ok)]],
        )
    )
    print()
    common.report(
        "memory",
        args,
        {"events": events, "trips": trips, "steps": steps},
        f"{growth:+.1f} MB after {events:,} webhook events ({steps[2]['rss_mb'] - base:+.1f}) "
        f"and {trips:,} outbox round trips ({steps[3]['rss_mb'] - steps[2]['rss_mb']:+.1f}); "
        f"baseline {base:.0f} MB",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
