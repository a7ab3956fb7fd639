"""Webhook ingest: signed batches through Home Assistant's real HTTP stack, beside a bare handler.

Home Assistant runs with ``http`` bound to 127.0.0.1 and the integration loaded (one page, ten
allowed people, an app secret). A client process (``bench.webhook_client``) posts signed
batches of 1 and of 1,000 message events, each after the previous answer, and measures the time
to each 200; this process notes when the last ``facebook_message`` event fired. In the same
process and event loop, a bare aiohttp handler that only checks the HMAC and parses the JSON
(with the same JSON parser as Home Assistant) takes the same posts: the floor. A third receiver
shows what Home Assistant itself costs: a view on its HTTP stack that checks the HMAC, parses the
JSON and fires one bus event per messaging item, with none of the integration's work.

    .venv/bin/python -m bench.webhook_ingest [--quick] [--singles 1000] [--batches 30]
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
import hashlib
import hmac
import json
import os
from pathlib import Path
import sys
import time
from typing import Any

if __package__ in (None, ""):  # `python bench/webhook_ingest.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from bench import common
from bench.common import APP_SECRET, PAGE_ID, SimProcess

ALLOWED = common.psids(10, start=6_000_000_000_000_000)
ALLOWED_IDS = {f"person{i}": psid for i, psid in enumerate(ALLOWED)}  # notify targets
BIG = 1000
SINGLES, QUICK_SINGLES = 1000, 20
BATCHES, QUICK_BATCHES = 30, 2
ANSWER_TARGET = 0.5  # seconds for a 1,000-event batch
RATIO_TARGET = 2.0


async def run_client(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``bench.webhook_client`` with ``job``; its JSON result."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.webhook_client",
        json.dumps(job),
        cwd=common.ROOT,
        env={**os.environ, "PYTHONPATH": str(common.ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"webhook client failed:\n{err.decode(errors='replace')}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


_next_stamp_ms = int(time.time() * 1000) - 15 * 60 * 1000


def client_job(url: str, batch: int, posts: int, warmup: int) -> dict[str, Any]:
    """What the client posts; event timestamps go on from where the last job's ended."""
    global _next_stamp_ms  # one clock for all the jobs of this process
    start = _next_stamp_ms
    _next_stamp_ms += (posts + warmup) * batch
    if _next_stamp_ms > time.time() * 1000:
        raise RuntimeError("more events than milliseconds since the start of the clock")
    return {
        "start_ms": start,
        "url": url,
        "secret": APP_SECRET,
        "page_id": PAGE_ID,
        "senders": ALLOWED,
        "batch": batch,
        "posts": posts,
        "warmup": warmup,
    }


def signed(request: web.Request, body: bytes) -> bool:
    """Both floors check ``X-Hub-Signature-256`` like the integration: constant-time."""
    given = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)


class BareWebhook:
    """The floor: read the body, check the HMAC, parse the JSON, answer 200."""

    def __init__(self) -> None:
        """Nothing runs until ``start``."""
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Check and parse only."""
        from homeassistant.util.json import json_loads

        body = await request.read()
        if not signed(request, body):
            return web.Response(status=403, text="Invalid signature")
        json_loads(body)
        return web.Response(text="EVENT_RECEIVED")

    async def start(self) -> None:
        """Serve on a free port."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = common.free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/webhook"

    async def stop(self) -> None:
        """Stop serving."""
        if self.runner is not None:
            await self.runner.cleanup()


VIEW_TARGET = 1.5  # the glue's own cost over Home Assistant's floor view
FLOOR_PATH = "/api/bench_webhook_floor"
FLOOR_EVENT = "bench_webhook_floor_message"
# The second floor also triggers each item's sender's event entity: what every page (YAML ones
# too, now imported) does for a person's Messages entity.
ENTITY_FLOOR_PATH = "/api/bench_webhook_entity_floor"


def register_signed_view(
    hass: Any, path: str, name: str, on_item: Callable[[dict[str, Any]], None]
) -> None:
    """A bare Home Assistant view at `path`: its HTTP stack, the HMAC, the JSON, and `on_item`
    for each messaging item (the floors of this benchmark and of ``bench.assist``)."""
    from homeassistant.helpers.http import HomeAssistantView
    from homeassistant.util.json import json_loads

    class SignedView(HomeAssistantView):
        url = path
        requires_auth = False

        async def post(self, request: web.Request) -> web.Response:
            body = await request.read()
            if not signed(request, body):
                return web.Response(status=403, text="Invalid signature")
            for entry in json_loads(body)["entry"]:  # type: ignore[index]
                for item in entry["messaging"]:
                    on_item(item)
            return web.Response(text="EVENT_RECEIVED")

    SignedView.name = name
    hass.http.register_view(SignedView())


async def register_floor_views(hass: Any) -> None:
    """Home Assistant's floors: its HTTP stack, the HMAC, the JSON and one bus event per item;
    and the same with each item also triggering the sender's event entity (a real
    `EventEntity`, as every page's person has one)."""
    from homeassistant.components.event import EventEntity
    from homeassistant.helpers.entity_component import DATA_INSTANCES

    class FloorEvent(EventEntity):
        _attr_event_types = ["message"]  # noqa: RUF012
        _attr_should_poll = False

        def __init__(self, psid: str) -> None:
            self._attr_unique_id = f"bench_floor_{psid}"
            self._attr_name = f"Bench floor {psid[-6:]}"

    entities = {psid: FloorEvent(psid) for psid in ALLOWED}
    await hass.data[DATA_INSTANCES]["event"].async_add_entities(list(entities.values()))

    def fire(item: dict[str, Any]) -> dict[str, Any]:
        """The bus event, with the fields `facebook_message` carries (the same work to copy)."""
        message = item["message"]
        data = {
            "sender_id": item["sender"]["id"],
            "sender_name": None,
            "page_id": item["recipient"]["id"],
            "timestamp": item["timestamp"],
            "message": message.get("text"),
            "payload": None,
            "mid": message.get("mid"),
            "type": "message",
            "attachments": [],
        }
        hass.bus.async_fire(FLOOR_EVENT, data)
        return data

    def fire_and_trigger(item: dict[str, Any]) -> None:
        data = fire(item)
        entity = entities[data["sender_id"]]
        entity._trigger_event("message", data)  # what an EventEntity does
        entity.async_write_ha_state()

    register_signed_view(hass, FLOOR_PATH, "api:bench_webhook_floor", fire)
    register_signed_view(
        hass, ENTITY_FLOOR_PATH, "api:bench_webhook_entity_floor", fire_and_trigger
    )


class Fired:
    """Counts ``facebook_message`` events and remembers when the last one fired."""

    def __init__(self) -> None:
        """Start at zero."""
        self.count = 0
        self.last = 0.0

    def __call__(self, _event: Any) -> None:
        """One event fired."""
        self.count += 1
        self.last = time.monotonic()


async def measure(
    label: str,
    url: str,
    batch: int,
    posts: int,
    warmup: int,
    fired: Fired | None,
) -> dict[str, Any]:
    """One series of posts; for Home Assistant, until every event fired."""
    before = fired.count if fired is not None else 0
    result = await run_client(client_job(url, batch, posts, warmup))
    if result["statuses"] != {"200": posts}:
        raise RuntimeError(f"{label}: unexpected answers {result['statuses']}")
    end = result["finished"]
    if fired is not None:
        expected = (posts + warmup) * batch
        deadline = time.monotonic() + 30
        while fired.count - before < expected:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: {fired.count - before} of {expected} events fired")
            await asyncio.sleep(0.01)
        end = fired.last
    latencies = result["latencies"]
    events = posts * batch
    return {
        "what": label,
        "batch": batch,
        "posts": posts,
        "median_ms": common.median(latencies) * 1000,
        "p99_ms": common.percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "events_per_s": events / (end - result["started"]),
    }


@contextlib.asynccontextmanager
async def ingest_hass(
    sim: SimProcess, log_level: str = "WARNING"
) -> AsyncIterator[tuple[common.RunningHass, Fired]]:
    """Home Assistant with the page of the ``ALLOWED`` people (``notify.facebook``), and the
    count of the ``facebook_message`` events it fires (this benchmark's and ``bench.memory``'s)."""
    from homeassistant.core import callback

    from custom_components.facebook.const import EVENT_MESSAGE

    hass = common.hass_with_page(sim, allowed_chat_ids=ALLOWED_IDS, log_level=log_level)
    async with hass as running:
        fired = Fired()
        running.hass.bus.async_listen(EVENT_MESSAGE, callback(fired))
        yield running, fired


async def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    from homeassistant.core import callback

    from custom_components.facebook.const import WEBHOOK_PATH

    parse = common.parser(__doc__)
    parse.add_argument("--singles", type=int, help="posts of 1 event (default 1000)")
    parse.add_argument("--batches", type=int, help="posts of 1,000 events (default 30)")
    args = parse.parse_args(argv)
    singles, batches = common.sizes(
        args, singles=(SINGLES, QUICK_SINGLES), batches=(BATCHES, QUICK_BATCHES)
    )
    print(f"Webhook ingest benchmark; {common.machine_line()}", flush=True)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    bare = BareWebhook()
    with SimProcess(ALLOWED) as sim:
        try:
            async with ingest_hass(sim) as (running, fired):
                floor_fired = Fired()
                running.hass.bus.async_listen(FLOOR_EVENT, callback(floor_fired))
                await register_floor_views(running.hass)
                await bare.start()
                ha_url = running.url + WEBHOOK_PATH
                plan = [
                    (1, singles, max(2, singles // 20)),
                    (BIG, batches, max(1, batches // 10)),
                ]
                for batch, posts, warmup in plan:
                    for key, target, url, counter in (
                        ("bare", "bare aiohttp handler (floor)", bare.url, None),
                        (
                            "view",
                            "Home Assistant view: HMAC, JSON, 1 event per item",
                            running.url + FLOOR_PATH,
                            floor_fired,
                        ),
                        (
                            "entity",
                            "Home Assistant view: the same, and an event entity's state per item",
                            running.url + ENTITY_FLOOR_PATH,
                            floor_fired,
                        ),
                        ("ours", "Home Assistant + integration", ha_url, fired),
                    ):
                        label = f"{target}, {batch:,}-event batches"
                        with common.profiled(args.profile and key == "ours", f"webhook-{batch}"):
                            row = await measure(label, url, batch, posts, warmup, counter)
                        results[(key, batch)] = row
                        print(
                            f"  {label}: median {row['median_ms']:.2f} ms, "
                            f"{row['events_per_s']:,.0f} events/s",
                            flush=True,
                        )
        finally:
            await bare.stop()
            await sim.close()
    rows = []
    for batch in (1, BIG):
        floor = results[("bare", batch)]
        rows.extend(
            [
                row["what"],
                row["posts"],
                row["median_ms"],
                row["p99_ms"],
                row["events_per_s"],
                f"{row['median_ms'] / floor['median_ms']:.2f}x",
                f"{floor['events_per_s'] / row['events_per_s']:.2f}x",
            ]
            for row in (
                floor,
                results[("view", batch)],
                results[("entity", batch)],
                results[("ours", batch)],
            )
        )
    print()
    print(
        common.table(
            "Webhook ingest: signed batches posted one after another (time to the 200 answer; "
            "events/s until every facebook_message event fired)",
            [
                "receiver, batch size",
                "posts",
                "median ms",
                "p99 ms",
                "events/s",
                "median vs floor",
                "time per event vs floor",
            ],
            rows,
        )
    )
    big_floor, big = results[("bare", BIG)], results[("ours", BIG)]
    small_floor, small = results[("bare", 1)], results[("ours", 1)]
    ingest_ratio = big_floor["events_per_s"] / big["events_per_s"]
    view_ratio = big["median_ms"] / results[("view", BIG)]["median_ms"]
    entity_ratio = big["median_ms"] / results[("entity", BIG)]["median_ms"]
    single_ratio = small["median_ms"] / small_floor["median_ms"]
    targets = [
        (
            f"1,000-event batch answered in under {ANSWER_TARGET} s (p99)",
            big["p99_ms"] < ANSWER_TARGET * 1000,
        ),
        (
            f"ingest within {RATIO_TARGET:g}x of the bare handler (1,000-event batches)",
            ingest_ratio <= RATIO_TARGET,
        ),
        (
            f"single events within {RATIO_TARGET:g}x of the bare handler (median)",
            single_ratio <= RATIO_TARGET,
        ),
        (
            f"1,000-event batch within {VIEW_TARGET:g}x of the bus-event view (median)",
            view_ratio <= VIEW_TARGET,
        ),
        (
            f"1,000-event batch within {VIEW_TARGET:g}x of the view that also writes the entity",
            entity_ratio <= VIEW_TARGET,
        ),
    ]
    print()
    print(
        common.table(
            "Targets", ["target", "result"], [[t, common.verdict(ok)] for t, ok in targets]
        )
    )
    print()
    common.report(
        "webhook_ingest",
        args,
        {"rows": [dict(row) for row in results.values()]},
        f"1,000-event batch answered in {big['median_ms']:.0f} ms median / {big['p99_ms']:.0f} ms "
        f"p99, {big['events_per_s']:,.0f} events/s = {ingest_ratio:.2f}x the bare handler's time; "
        f"single event {small['median_ms']:.2f} ms median = {single_ratio:.2f}x the bare handler; "
        f"batch {view_ratio:.2f}x the bus-event view, {entity_ratio:.2f}x the view that also "
        "writes the entity",
    )
    return 0


if __name__ == "__main__":
    sys.exit(common.run(main))
