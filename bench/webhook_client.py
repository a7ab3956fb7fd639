"""Meta's side of a webhook benchmark, in a process of its own: signed batches, posted one by one.

Started by ``bench.webhook_ingest`` and ``bench.memory`` with a JSON job as its only argument;
it builds every body (unique ``mid``s, timestamps increasing across runs, senders in turn) and
signs it with the app secret before the clock starts, posts the warm-up batches, then the timed
ones, each after the previous answer, over one keep-alive connection, and prints one JSON line:
the moment the first timed post left (``time.monotonic()``, one clock for every process), the
moment the last answer came back, each post's time to its answer, and the answers' statuses.

Keeping this out of the process that runs Home Assistant means building and signing bodies costs
Home Assistant neither CPU nor memory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import json
from pathlib import Path
import sys
import time
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from simulator import webhook


def build_bodies(job: dict[str, Any]) -> list[tuple[bytes, dict[str, str]]]:
    """Every batch of the job, encoded and signed exactly as Meta sends it."""
    batches = job["warmup"] + job["posts"]
    batch = job["batch"]
    senders = job["senders"]
    now_ms = int(time.time() * 1000)
    # One millisecond apart, in the past, and after every event of the runs before this one
    # (the caller hands out the start), so every event moves its sender's 24-hour window.
    stamp = job.get("start_ms", now_ms - batches * batch - 1000)
    bodies = []
    index = 0
    for _ in range(batches):
        events = []
        for _ in range(batch):
            events.append(
                webhook.message_event(
                    job["page_id"], senders[index % len(senders)], stamp + index, f"ping {index}"
                )
            )
            index += 1
        body = webhook.encode(webhook.envelope(events, now_ms=now_ms))
        bodies.append((body, webhook.signature_headers(body, job["secret"])))
    return bodies


async def post_all(job: dict[str, Any]) -> dict[str, Any]:
    """Post the warm-up, then the timed batches; the answer times of the timed ones."""
    bodies = build_bodies(job)
    warmup = job["warmup"]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = 0.0
        for number, (body, headers) in enumerate(bodies):
            if number == warmup:
                started = time.monotonic()
            sent = time.monotonic()
            async with session.post(job["url"], data=body, headers=headers) as answer:
                await answer.read()
                status = answer.status
            if number >= warmup:
                latencies.append(time.monotonic() - sent)
                statuses[status] += 1
        finished = time.monotonic()
    return {
        "started": started,
        "finished": finished,
        "latencies": latencies,
        "statuses": {str(k): v for k, v in statuses.items()},
        "events": job["posts"] * job["batch"],
    }


def main() -> None:
    """``python -m bench.webhook_client '<job JSON>'``."""
    job = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(post_all(job))), flush=True)


if __name__ == "__main__":
    main()
