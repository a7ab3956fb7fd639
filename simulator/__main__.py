"""Run the simulator as a process: ``python -m simulator --port 8765``.

Without ``--config`` it plays two demo pages of one app: "Home" (Alice, Bob and Charlie), which
``config/`` sets up in YAML, and "Garden club" (Grace and Henry), left for the UI setup; everyone's
24-hour window is open. Dana administers both pages: her user token (printed at start, and in
``/_sim/state``) is what a UI setup asks for, with the app id and secret. A JSON config lists
pages, users and admins with the same fields as ``Simulator.add_page`` / ``add_user`` /
``add_admin``, and optionally ``ui_user_token`` (the value of the admin's printed token).

Point it at any Home Assistant to rehearse automations before they meet Meta:
``--webhook-url http://HOST:8123/api/facebook_webhooks --verify-token TOKEN`` verifies the
webhook like Meta's dashboard does (again and again until Home Assistant answers), and the chat
page at ``/chat/`` lets you write as the simulated people. It prints a line for every message
each way unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import signal
from typing import Any

from .core import Simulator
from .transcript import transcript

DEMO_PAGE = {
    "page_id": "1000000000000001",
    "name": "Home",
    "token": "sim-page-token",
    "app_secret": "sim-app-secret",
}
# The page for trying the UI setup in scripts/develop (the YAML sandbox has "Home" already):
# the same app, so its webhook events are signed with the same app secret.
GARDEN_PAGE = {
    "page_id": "2000000000000002",
    "name": "Garden club",
    "token": "sim-garden-page-token",
    "app_secret": "sim-app-secret",
}
DEMO_PAGES = [DEMO_PAGE, GARDEN_PAGE]
DEMO_USERS = [
    {"psid": "6543210987654321", "name": "Alice"},
    {"psid": "1234567890123456", "name": "Bob"},
    # In the sandbox's allowed_chat_ids but not greeted at start: his conversation is empty, so
    # the chat page shows him the page's Get Started button and ice breakers.
    {"psid": "7777000011112222", "name": "Charlie"},
    {"psid": "3141592653589793", "name": "Grace", "page_id": "2000000000000002"},
    {"psid": "2718281828459045", "name": "Henry", "page_id": "2000000000000002"},
]
DEMO_ADMINS = [
    {
        "user_id": "100000000000001",
        "name": "Dana",
        "pages": ["1000000000000001", "2000000000000002"],
    }
]
# Dana's user token: a fixed value so documentation can name it, valid for a century of
# simulated time (a made-up value, not a secret).
DEMO_USER_TOKEN = "EAASimulatorDemoUserTokenOfDanaWhoManagesBothDemoPages"
DEMO_TOKEN_SECONDS = 100 * 365 * 24 * 3600
SETTINGS = (
    "webhook_url",
    "latency",
    "rate_cap",
    "media_rate_cap",
    "usage_budget_per_minute",
    "template_review",
    "template_review_delay",
    "template_status_field",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: reachable from others)"
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--config", type=Path, help="JSON file with pages, users and settings")
    parser.add_argument("--webhook-url", help="where webhook events are posted")
    parser.add_argument("--latency", type=float, help="seconds added to each send or upload")
    parser.add_argument("--rate-cap", type=int, help="accepted sends per page per second")
    parser.add_argument("--graph-version", default=None, help="version for unversioned paths")
    parser.add_argument(
        "--verify-token",
        help="verify the webhook with this token at start (retried until it succeeds)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="don't print each message and webhook event"
    )
    return parser.parse_args(argv)


def ui_setup(sim: Simulator, token: str) -> None:
    """Issue the first admin's user token and remember what a UI setup needs."""
    admin = next(iter(sim.admins.values()), None)
    if admin is None:
        return
    value = sim.issue_user_token(
        admin.user_id, long_lived=True, token=token, lifetime=DEMO_TOKEN_SECONDS
    )
    app_id = sim.tokens[value].app_id
    sim.ui_setup = {
        "user_token": value,
        "user_id": admin.user_id,
        "app_id": app_id,
        "app_secret": sim.state.app_secret(app_id) or "",
    }


def populate(sim: Simulator, config: dict[str, Any]) -> None:
    """Pages, users and admins from the config."""
    for page in config.get("pages", []):
        sim.add_page(**page)
    for user in config.get("users", []):
        fields = dict(user)
        if "page_id" in fields:
            fields["page"] = fields.pop("page_id")
        sim.add_user(**fields)
    for admin in config.get("admins", []):
        sim.add_admin(**admin)
    ui_setup(sim, str(config.get("ui_user_token") or DEMO_USER_TOKEN))


def build(args: argparse.Namespace) -> Simulator:
    """A simulator configured from the config file (or the demo) and the options."""
    config: dict[str, Any] = {"pages": DEMO_PAGES, "users": DEMO_USERS, "admins": DEMO_ADMINS}
    if args.config is not None:
        config = json.loads(args.config.read_text(encoding="utf-8"))
    sim = Simulator(args.graph_version or config.get("default_version", "v25.0"))
    populate(sim, config)
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


async def keep_verifying(sim: Simulator, verify_token: str, stop: asyncio.Event) -> None:
    """Meta's "Verify and save", repeated until the webhook answers the challenge."""
    said = None
    while not stop.is_set():
        url = sim.webhook_url
        if url:
            await sim.verify_webhook(url, verify_token)
            check = sim.verification or {}
            if check.get("ok"):
                print(f"Webhook verified: {url} answered the challenge", flush=True)
                return
            status = check.get("status")
            reason = f"HTTP {status}" if status else str(check.get("body", "no answer"))
            if reason != said:
                hint = " (is verify_token the same on both sides?)" if status == 403 else ""
                print(f"Webhook not verified yet: {reason}{hint}; retrying", flush=True)
                said = reason
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def serve(
    sim: Simulator,
    host: str,
    port: int,
    *,
    verify_token: str | None = None,
    quiet: bool = False,
) -> None:
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
    shown = sim.url.replace("://0.0.0.0:", "://127.0.0.1:")
    print(f"  chat page: {shown}/chat/", flush=True)
    if sim.ui_setup:
        setup = sim.ui_setup
        print(
            f"UI setup: user token {setup['user_token']} (app id {setup['app_id']}, "
            f"app secret {setup['app_secret'] or 'none'})",
            flush=True,
        )
        admin = sim.admins.get(setup["user_id"])
        if admin is not None:
            managed = ", ".join(f"{sim.pages[p].name!r} {p}" for p in admin.pages if p in sim.pages)
            print(f"  {admin.name}'s pages: {managed}", flush=True)
    if sim.webhook_url:
        print(f"  webhook: {sim.webhook_url}", flush=True)
    if not quiet:
        sim.recorder.listeners.append(transcript(sim.users))
    verifier = None
    if verify_token:
        verifier = asyncio.create_task(keep_verifying(sim, verify_token, stop))
    try:
        await stop.wait()
    finally:
        if verifier is not None:
            verifier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await verifier
        await sim.stop()
    print("Messenger simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    sim = build(args)
    asyncio.run(serve(sim, args.host, args.port, verify_token=args.verify_token, quiet=args.quiet))


if __name__ == "__main__":
    main()
