"""BROADCAST throughput against Meta's cap, beside the classic one-request-after-another loop.

The simulator (its own process) adds 100 ms to every Send API call and answers 613 above 300
accepted calls in any sliding second. Home Assistant broadcasts to audiences of 1,000 and 5,000
people (seeded in its audience store); the simulator's recordings give the peak per second and the
613 answers. In the same run, the classic approach, one synchronous ``requests.post`` after another
with the token as a query parameter (what Home Assistant's old built-in ``facebook`` integration
did), sends to a subset sized to take about 30 s, against the same simulator.

``--lag`` also measures, for every call, the time from the pacing slot the integration gave it to
the simulator receiving it (by wrapping two methods from outside), the margin the pacing relies on.

    .venv/bin/python -m bench.broadcast [--quick] [--sizes 1000 5000] [--classic 300] [--lag]
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys
import time
from typing import Any

if __package__ in (None, ""):  # `python bench/broadcast.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import CAP, GRAPH_VERSION, TOKEN, SimProcess
from simulator.recording import peak_in_window  # the simulator's own count

LATENCY = 0.1
SIZES = (1000, 5000)
QUICK_SIZES = (20, 60)
CLASSIC = 300  # about 32 s at ~9.5 messages per second
QUICK_CLASSIC = 5
TEXT = "Storm warning: close the windows"


def classic_loop(url: str, recipients: list[str]) -> tuple[int, float, list[str]]:
    """The old built-in integration's loop: one blocking ``requests.post`` per person.

    Same request as the old code (body as a JSON string, ``access_token`` as a query parameter,
    no session, so no connection reuse), except ``messaging_type: UPDATE`` instead of its
    ``MESSAGE_TAG``/``ACCOUNT_UPDATE``, which Meta retired (error 100). Returns (accepted,
    seconds, errors).
    """
    import requests

    ok = 0
    errors: list[str] = []
    started = time.monotonic()
    for psid in recipients:
        body = {
            "recipient": {"id": psid},
            "message": {"text": TEXT},
            "messaging_type": "UPDATE",
        }
        answer = requests.post(
            f"{url}/{GRAPH_VERSION}/me/messages",
            data=json.dumps(body),
            params={"access_token": TOKEN},
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        if answer.status_code == 200:
            ok += 1
        else:
            errors.append(answer.text[:200])
    return ok, time.monotonic() - started, errors


class LagProbe:
    """``--lag``: when each call took its pacing slot, to compare with when Meta received it.

    Wraps the integration's ``PageRateLimiter.acquire`` and ``GraphClient.send`` from outside
    (the integration is not changed): the slot time is kept per task, then per recipient. The
    limiter paces by slot time; Meta counts by arrival, so a lag above the limiter's
    ``WINDOW_MARGIN`` can put more than the cap into one of Meta's seconds.
    """

    def __init__(self) -> None:
        """Not installed yet."""
        self.slots: dict[str, float] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        """Wrap the two methods."""
        from custom_components.facebook.messenger import client as graph, pacing as ratelimit

        by_task: dict[int, float] = {}
        slots = self.slots
        acquire = ratelimit.PageRateLimiter.acquire
        send = graph.GraphClient.send

        async def timed_acquire(limiter: Any, *, media: bool = False) -> None:
            await acquire(limiter, media=media)
            by_task[id(asyncio.current_task())] = time.monotonic()

        async def timed_send(client: Any, body: Any, upload: Any = None, **kwargs: Any) -> Any:
            try:
                return await send(client, body, upload, **kwargs)
            finally:
                moment = by_task.pop(id(asyncio.current_task()), None)
                if moment is not None:
                    slots[body["recipient"].get("id")] = moment

        self._undo = [
            (ratelimit.PageRateLimiter, "acquire", acquire),
            (graph.GraphClient, "send", send),
        ]
        ratelimit.PageRateLimiter.acquire = timed_acquire  # type: ignore[method-assign]
        graph.GraphClient.send = timed_send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Put the methods back."""
        for owner, name, original in self._undo:
            setattr(owner, name, original)

    def lags(self, requests: list[dict[str, Any]]) -> list[float]:
        """Arrival minus slot time of every Send API request (the last slot per person)."""
        out = []
        for request in requests:
            psid = ((request.get("body") or {}).get("recipient") or {}).get("id")
            if psid in self.slots:
                out.append(request["received_at"] - self.slots[psid])
        self.slots.clear()
        return out


async def measure_broadcast(
    running: common.RunningHass,
    sim: SimProcess,
    service: str,
    size: int,
    profile: bool,
    probe: LagProbe | None = None,
) -> dict[str, Any]:
    """One BROADCAST through ``notify.<service>``, with the simulator's view of it."""
    from homeassistant.core import callback

    from custom_components.facebook.const import EVENT_BROADCAST_FINISHED

    hass = running.hass
    finished: list[dict[str, Any]] = []
    unsub = hass.bus.async_listen(
        EVENT_BROADCAST_FINISHED, callback(lambda event: finished.append(dict(event.data)))
    )
    await sim.reset()
    with common.profiled(profile, f"broadcast-{size}"):
        started = time.monotonic()
        await hass.services.async_call(
            "notify", service, {"message": TEXT, "target": ["BROADCAST"]}, blocking=True
        )
        elapsed = time.monotonic() - started
    await hass.async_block_till_done()
    unsub()
    sent = await sim.sent()
    requests = await sim.requests()
    arrivals = sorted(s["received_at"] for s in sent)
    throttled = sum(1 for r in requests if common.error_code(r) == 613)
    rate = len(sent) / elapsed
    lags = probe.lags(requests) if probe is not None else []
    return {
        "what": f"BROADCAST to {size:,}",
        "max_lag_ms": max(lags) * 1000 if lags else float("nan"),
        "p99_lag_ms": common.percentile(lags, 0.99) * 1000 if lags else float("nan"),
        "people": size,
        "sent": len(sent),
        "seconds": elapsed,
        "rate": rate,
        "of_cap": rate / CAP,
        "peak": peak_in_window(arrivals),
        "e613": throttled,
        "first_ms": (arrivals[0] - started) * 1000 if arrivals else float("nan"),
        "finished": finished[0] if finished else None,
    }


async def measure_classic(sim: SimProcess, recipients: list[str]) -> dict[str, Any]:
    """The classic loop in a worker thread (the event loop stays free)."""
    await sim.reset()
    ok, elapsed, errors = await asyncio.get_running_loop().run_in_executor(
        None, classic_loop, sim.url, recipients
    )
    if errors:
        print(f"classic loop: {len(errors)} errors, first: {errors[0]}")
    sent = await sim.sent()
    requests = await sim.requests()
    rate = ok / elapsed
    return {
        "what": f"classic loop, {len(recipients):,} people (subset)",
        "people": len(recipients),
        "sent": len(sent),
        "seconds": elapsed,
        "rate": rate,
        "of_cap": rate / CAP,
        "peak": peak_in_window(s["received_at"] for s in sent),
        "e613": sum(1 for r in requests if common.error_code(r) == 613),
        "first_ms": float("nan"),
        "finished": None,
    }


async def measure_size(
    sim: SimProcess, people: list[str], size: int, profile: bool, probe: LagProbe | None
) -> dict[str, Any]:
    """A BROADCAST to `size` people who all wrote to the page, on a Home Assistant of its own."""
    service = f"audience_{size}"
    async with common.hass_with_page(sim, service, audience=people[:size]) as running:
        return await measure_broadcast(running, sim, service, size, profile, probe)


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every message went out."""
    parse = common.parser(__doc__)
    parse.add_argument("--sizes", type=int, nargs="+", help="audience sizes (default 1000 5000)")
    parse.add_argument("--classic", type=int, help="people the classic loop sends to (300)")
    parse.add_argument("--latency", type=float, default=LATENCY, help="seconds per Send API call")
    parse.add_argument(
        "--lag",
        action="store_true",
        help="also measure each call's lag from its pacing slot to the simulator's arrival",
    )
    args = parse.parse_args(argv)
    chosen, classic_count = common.sizes(
        args, sizes=(SIZES, QUICK_SIZES), classic=(CLASSIC, QUICK_CLASSIC)
    )
    sizes = tuple(chosen)
    people = common.psids(max([*sizes, classic_count]))
    print(f"BROADCAST benchmark; {common.machine_line()}", flush=True)
    rows: list[dict[str, Any]] = []
    with SimProcess(people, latency=args.latency, rate_cap=CAP) as sim:
        try:
            probe = LagProbe() if args.lag else None
            if probe is not None:
                probe.install()
            for size in sizes:  # one page, so one Home Assistant per audience size
                rows.append(await measure_size(sim, people, size, args.profile, probe))
                print(
                    f"  {rows[-1]['what']}: {rows[-1]['rate']:.0f} msg/s, "
                    f"peak {rows[-1]['peak']}/s",
                    flush=True,
                )
            if probe is not None:
                probe.uninstall()
            classic = await measure_classic(sim, people[:classic_count])
            print(f"  {classic['what']}: {classic['rate']:.1f} msg/s", flush=True)
        finally:
            await sim.close()
    largest = max(rows, key=lambda row: row["people"])
    speedup = largest["rate"] / classic["rate"]
    print()
    print(
        common.table(
            f"BROADCAST, {args.latency * 1000:.0f} ms injected latency per Send API call, "
            f"simulator cap {CAP} calls/s",
            [
                "run",
                "messages",
                "seconds",
                "msg/s",
                "of cap (300/s)",
                "peak in any 1 s",
                "613 answers",
                "speed-up vs classic",
            ],
            [
                [
                    row["what"],
                    row["sent"],
                    row["seconds"],
                    row["rate"],
                    row["of_cap"],
                    row["peak"],
                    row["e613"],
                    f"{row['rate'] / classic['rate']:.1f}x",
                ]
                for row in rows
            ]
            + [
                [
                    classic["what"],
                    classic["sent"],
                    classic["seconds"],
                    classic["rate"],
                    classic["of_cap"],
                    classic["peak"],
                    classic["e613"],
                    "1x",
                ]
            ],
        )
    )
    if args.lag:
        from custom_components.facebook.messenger.pacing import WINDOW_MARGIN

        print()
        print(
            common.table(
                f"--lag: pacing slot to simulator arrival (the limiter allows for "
                f"{WINDOW_MARGIN * 1000:.0f} ms)",
                ["run", "p99 lag ms", "max lag ms", "613 answers"],
                [[r["what"], r["p99_lag_ms"], r["max_lag_ms"], r["e613"]] for r in rows],
            )
        )
    print()
    all_sent = all(row["sent"] == row["people"] for row in rows)
    sustained = [r for r in rows if r["people"] >= 3 * CAP]  # smaller ones end in a burst
    targets = [
        (
            ">= 270 msg/s (0.9 of the cap) with 100 ms latency",
            bool(sustained) and all(r["rate"] >= 0.9 * CAP for r in sustained),
        ),
        ("never above 300 in any second", all(r["peak"] <= CAP for r in rows)),
        ("zero 613 answers", all(r["e613"] == 0 for r in rows)),
        ("every person reached once", all_sent),
    ]
    verdicts = [[t, common.verdict(ok)] for t, ok in targets]
    if not sustained:
        verdicts[0][1] = f"n/a (audiences under {3 * CAP})"
    print(common.table("Targets", ["target", "result"], verdicts))
    print()
    common.report(
        "broadcast",
        args,
        {"latency": args.latency, "cap": CAP, "rows": rows, "classic": classic},
        f"{largest['rate']:.0f} msg/s = {largest['of_cap']:.2f} of cap to {largest['people']:,} "
        f"people, peak {max(r['peak'] for r in rows)}/s, {sum(r['e613'] for r in rows)} x 613, "
        f"{speedup:.0f}x the classic loop ({classic['rate']:.1f} msg/s)",
    )
    return 0 if all_sent else 1


if __name__ == "__main__":
    sys.exit(common.run(main))
