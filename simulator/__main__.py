"""Run the simulator as a process: ``python -m simulator --port 8765``.

Without ``--config`` it plays one demo page ("Home") with two people (Alice and Bob) whose
24-hour windows are open, which is what ``scripts/develop`` and end-to-end tests need. A JSON
config lists pages and users with the same fields as ``Simulator.add_page`` / ``add_user``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
from typing import Any

from .core import Simulator

DEMO_PAGE = {
    "page_id": "1000000000000001",
    "name": "Home",
    "token": "sim-page-token",
    "app_secret": "sim-app-secret",
}
DEMO_USERS = [
    {"psid": "6543210987654321", "name": "Alice"},
    {"psid": "1234567890123456", "name": "Bob"},
]
SETTINGS = ("webhook_url", "latency", "rate_cap", "media_rate_cap", "usage_budget_per_minute")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--config", type=Path, help="JSON file with pages, users and settings")
    parser.add_argument("--webhook-url", help="where webhook events are posted")
    parser.add_argument("--latency", type=float, help="seconds added to each send or upload")
    parser.add_argument("--rate-cap", type=int, help="accepted sends per page per second")
    parser.add_argument("--graph-version", default=None, help="version for unversioned paths")
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> Simulator:
    """A simulator configured from the config file (or the demo) and the options."""
    config: dict[str, Any] = {"pages": [DEMO_PAGE], "users": DEMO_USERS}
    if args.config is not None:
        config = json.loads(args.config.read_text(encoding="utf-8"))
    sim = Simulator(args.graph_version or config.get("default_version", "v25.0"))
    for page in config.get("pages", []):
        sim.add_page(**page)
    for user in config.get("users", []):
        fields = dict(user)
        if "page_id" in fields:
            fields["page"] = fields.pop("page_id")
        sim.add_user(**fields)
    for name in SETTINGS:
        if name in config:
            setattr(sim, name, config[name])
    if args.webhook_url is not None:
        sim.webhook_url = args.webhook_url
    if args.latency is not None:
        sim.latency = args.latency
    if args.rate_cap is not None:
        sim.rate_cap = args.rate_cap
    return sim


async def serve(sim: Simulator, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sim.start(host, port)
    print(f"Messenger simulator listening on {sim.url}", flush=True)
    for page in sim.pages.values():
        users = ", ".join(
            f"{u.name} {u.psid}" for u in sim.users.values() if u.page_id == page.page_id
        )
        print(f"  page {page.page_id} {page.name!r}: {users or 'no users'}", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
    print("Messenger simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    asyncio.run(serve(build(args), args.host, args.port))


if __name__ == "__main__":
    main()
