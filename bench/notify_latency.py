"""One notification: from the service call to the simulator receiving the request.

Home Assistant (in this process) sends to one person, 500 times per way, each after the previous
call returned, every way the integration offers: ``notify.facebook`` (a YAML page), and, on a
page set up as a config entry, ``notify.send_message`` on the person's entity and
``facebook.send_message`` on it. Interleaved with them, taking turns at going first, the same
process and event loop send the same body (same JSON bytes, ``Authorization`` header and
``appsecret_proof``) as a raw aiohttp POST, and through Home Assistant's own paths doing that raw
POST: a bare service (notify's schema), a bare legacy notify service (what a YAML ``notify:``
platform registers: the floor of ``notify.facebook``) and a bare notify entity (the floor of the
entity paths). What each way adds over its floor is the integration's own share. The clock
starts just before the call and stops at the simulator's ``received_at`` (CLOCK_MONOTONIC is one
clock for both processes), so the simulator's injected latency, slept after receiving, does not
count.

    .venv/bin/python -m bench.notify_latency [--quick] [--calls 500]
"""

from __future__ import annotations

from pathlib import Path
import sys
import time

if __package__ in (None, ""):  # `python bench/notify_latency.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bench import common
from bench.common import SimProcess

ALICE = common.psids(1, start=6_000_000_000_000_000)[0]
CAROL = common.psids(1, start=6_100_000_000_000_000)[0]  # a person of the config entry's page
CALLS, QUICK_CALLS = 500, 20
WARMUP = 20
RATIO_TARGET = 1.3
FLOOR_TARGET = 1.1  # each way against Home Assistant's own path of the same kind
BARE_ENTITY = "notify.bench_raw_post"
BARE_LEGACY = "bench_legacy_raw_post"  # notify.<this>: a bare legacy notify service


Sender = Callable[[str], Awaitable[float]]  # sends one text; returns when the call started


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    args, calls, latency = common.calls_and_latency(argv, __doc__, CALLS, QUICK_CALLS, "calls")
    print(f"One-notification latency benchmark; {common.machine_line()}", flush=True)
    recorded, started, template = await _run(args, calls, latency)
    stats = common.quantiles_ms(_delays(recorded, started, template, calls))
    _report(args, calls, stats)
    return 0


async def _run(
    args: Any, calls: int, latency: float
) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, Any]]:
    """Every way of sending, interleaved; the simulator's recordings and each call's start."""
    warmup = min(WARMUP, max(2, calls // 4))
    with SimProcess([ALICE], latency=latency, entry_users=[CAROL]) as sim:
        session = aiohttp.ClientSession()
        try:
            async with common.hass_with_page(sim, allowed_chat_ids={"alice": ALICE}) as running:
                await common.add_entry_page(running.hass, sim, {"Carol": CAROL})
                kinds, template = await _senders(running.hass, sim, session)
                for number in range(warmup):
                    for kind, send in kinds.items():
                        await send(f"warm-up {kind} {number}")
                since = await sim.request_count()
                with common.profiled(args.profile, "notify"):
                    started = await _interleaved(kinds, calls)
                return await sim.requests(since), started, template
        finally:
            await session.close()
            await sim.close()


async def _interleaved(kinds: dict[str, Sender], calls: int) -> dict[str, float]:
    """`calls` rounds; each kind goes first, second, third... in turn."""
    names = list(kinds)
    started: dict[str, float] = {}
    for number in range(calls):
        shift = number % len(names)
        for kind in names[shift:] + names[:shift]:
            text = f"{kind} {number}"
            started[text] = await kinds[kind](text)
    return started


def _service_sender(hass: Any, domain: str, service: str, data: dict[str, Any]) -> Sender:
    """A sender that calls `domain.service` with `data` and the text as `message`."""

    async def send(text: str) -> float:
        started = time.monotonic()
        await hass.services.async_call(domain, service, {**data, "message": text}, blocking=True)
        return started

    return send


async def _senders(
    hass: Any, sim: SimProcess, session: aiohttp.ClientSession
) -> tuple[dict[str, Sender], dict[str, Any]]:
    """Every way of sending, and the exact body Home Assistant sends (the raw POST's)."""
    from homeassistant.components.notify.const import NOTIFY_SERVICE_SCHEMA

    legacy = _service_sender(hass, "notify", "facebook", {"target": ["alice"]})
    await legacy("learn")  # the body, learned from the simulator's recording
    sends = [r for r in await sim.requests() if r["path"].endswith("/me/messages")]
    template = sends[-1]["body"]

    async def post(text: str) -> None:
        await common.raw_send(session, sim, {**template, "message": {"text": text}})

    async def raw_post(text: str) -> float:
        started = time.monotonic()
        await post(text)
        return started

    async def bare_service(call: Any) -> None:
        await post(call.data["message"])

    # Home Assistant's own share: a bare service with notify's schema, and a bare notify
    # entity, each doing the raw POST, called exactly like ours.
    hass.services.async_register("bench", "raw_post", bare_service, schema=NOTIFY_SERVICE_SCHEMA)
    await _add_bare_entity(hass, post)
    await _add_bare_legacy(hass, post)
    carol = {"entity_id": "notify.carol"}
    kinds = {
        "ha": legacy,
        "entity": _service_sender(hass, "notify", "send_message", carol),
        "action": _service_sender(hass, "facebook", "send_message", carol),
        "svc": _service_sender(hass, "bench", "raw_post", {"target": ["alice"]}),
        "legacy": _service_sender(hass, "notify", BARE_LEGACY, {"target": ["alice"]}),
        "bare": _service_sender(hass, "notify", "send_message", {"entity_id": BARE_ENTITY}),
        "raw": raw_post,
    }
    return kinds, template


def _delays(
    recorded: list[dict[str, Any]], started: dict[str, float], template: dict[str, Any], calls: int
) -> dict[str, list[float]]:
    """Each kind's delays, call to the simulator receiving it; checks every call came once."""
    delays: dict[str, list[float]] = {kind: [] for kind in _ROWS}
    same_body = True
    seen: set[str] = set()
    for request in recorded:
        body = request["body"]
        text = body["message"]["text"]
        if text in seen:  # a retry (there should be none)
            continue
        seen.add(text)
        kind = text.split()[0]
        delays[kind].append(request["received_at"] - started[text])
        same_body &= list(body) == list(template) or kind in ("entity", "action")
    if any(len(values) != calls for values in delays.values()) or not same_body:
        raise RuntimeError("the simulator did not receive every call once with the same body")
    return delays


def _report(args: Any, calls: int, stats: dict[str, dict[str, float]]) -> None:
    """The table, the shares, the targets, the saved results and the SUMMARY line."""
    raw = stats["raw"]
    ratios = {kind: stats[kind]["median"] / raw["median"] for kind in stats}
    ratio = max(ratios[kind] for kind in ("ha", "entity", "action"))
    # The integration's own share on each path: against Home Assistant's floor for that path
    # (a bare legacy notify service for notify.facebook, the bare notify entity for the others).
    over_floor = {
        kind: stats[kind]["median"] / stats[floor]["median"]
        for kind, floor in (("ha", "legacy"), ("entity", "bare"), ("action", "bare"))
    }
    worst_floor = max(over_floor.values())
    over_bare = over_floor["entity"]
    print()
    print(
        common.table(
            f"One notification: call to the simulator receiving it, {calls} calls each, "
            "alternating (ms)",
            ["sender", "median", "p10", "p90", "p99", "vs raw POST (median)"],
            [[label, *stats[k].values(), f"{ratios[k]:.2f}x"] for k, label in _ROWS.items()],
        )
    )
    added = {kind: (stats[kind]["median"] - raw["median"]) * 1000 for kind in stats}
    print(
        f"\nAdded to the raw POST (medians): notify.facebook {added['ha']:.0f} us, of which "
        f"{added['legacy']:.0f} us is Home Assistant's legacy notify service itself and "
        f"{added['ha'] - added['legacy']:.0f} us the integration; notify.send_message "
        f"{added['entity']:.0f} us, of which {added['bare']:.0f} us is Home Assistant's entity "
        f"service and state write and {added['entity'] - added['bare']:.0f} us the integration."
    )
    targets = [
        [
            f"every way of sending within {RATIO_TARGET}x of the raw POST (median)",
            f"{common.verdict(ratio <= RATIO_TARGET)} (worst {ratio:.2f}x; Home Assistant's "
            f"bare notify entity alone is {ratios['bare']:.2f}x)",
        ],
        [
            f"every way within {FLOOR_TARGET}x of its Home Assistant floor (median)",
            f"{common.verdict(worst_floor <= FLOOR_TARGET)} (worst {worst_floor:.2f}x)",
        ],
        ["notify.facebook vs a bare legacy notify service", f"{over_floor['ha']:.2f}x"],
        [
            "notify.send_message on our entity vs on a bare notify entity (median)",
            f"{over_bare:.2f}x",
        ],
        ["facebook.send_message vs a bare notify entity (median)", f"{over_floor['action']:.2f}x"],
    ]
    print("\n" + common.table("Targets", ["target", "result"], targets) + "\n")
    results = {"calls": calls, "ms": stats, "ratios": ratios, "worst_ratio": ratio}
    common.report(
        "notify_latency",
        args,
        {**results, "over_floor": over_floor},
        f"{stats['ha']['median']:.2f} ms median from the service call to the simulator vs "
        f"{raw['median']:.2f} ms for a raw POST = {ratios['ha']:.2f}x ({added['ha']:.0f} us "
        f"added, {added['legacy']:.0f} us of it Home Assistant's notify service; "
        f"{over_floor['ha']:.2f}x a bare one); entity "
        f"{ratios['entity']:.2f}x ({over_bare:.2f}x a bare notify entity), "
        f"facebook.send_message {ratios['action']:.2f}x; worst {ratio:.2f}x",
    )


async def _add_bare_entity(hass: Any, post: Any) -> None:
    """Home Assistant's own entity path: a notify entity whose send is the raw POST."""
    from homeassistant.components.notify import DATA_COMPONENT, NotifyEntity

    class BareEntity(NotifyEntity):
        _attr_name = "bench raw post"
        _attr_unique_id = "bench_raw_post"

        async def async_send_message(self, message: str, title: str | None = None) -> None:
            await post(message)

    await hass.data[DATA_COMPONENT].async_add_entities([BareEntity()])
    if hass.states.get(BARE_ENTITY) is None:
        raise RuntimeError("the bare notify entity was not added")


async def _add_bare_legacy(hass: Any, post: Any) -> None:
    """Home Assistant's own path for notify.facebook: a legacy notify service (the same
    `BaseNotificationService` a YAML `notify:` platform gives) whose send is the raw POST."""
    from homeassistant.components.notify import BaseNotificationService

    class BareLegacy(BaseNotificationService):
        async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
            await post(message)

    service = BareLegacy()
    await service.async_setup(hass, BARE_LEGACY, BARE_LEGACY)
    await service.async_register_services()
    if not hass.services.has_service("notify", BARE_LEGACY):
        raise RuntimeError("the bare legacy notify service was not registered")


_ROWS = {
    "ha": "notify.facebook (YAML page)",
    "entity": "notify.send_message on the person's entity (config entry)",
    "action": "facebook.send_message on the person's entity",
    "svc": "bare Home Assistant service doing the raw POST",
    "legacy": "bare legacy notify service doing the raw POST (notify.<name>)",
    "bare": "bare notify entity doing the raw POST (notify.send_message)",
    "raw": "raw aiohttp POST, same body",
}


if __name__ == "__main__":
    sys.exit(common.run(main))
