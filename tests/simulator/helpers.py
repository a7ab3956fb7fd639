"""Shared helpers for the simulator tests: ids, a small Graph client, a webhook receiver, and
`python -m simulator` as a process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
import signal
import sys
from typing import Any

import aiohttp
from aiohttp import web

from simulator import Simulator

PAGE_ID = "1000000000000001"
OTHER_PAGE_ID = "2000000000000002"
TOKEN = "test-page-token"
OTHER_TOKEN = "other-page-token"
SECRET = "test-app-secret"
ALICE = "6543210987654321"
BOB = "1234567890123456"
CAROL = "5555555555555555"  # a user of the other page
VERIFY_TOKEN = "let-me-in"
ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def simulator_process(
    *args: str, stderr: int = asyncio.subprocess.PIPE
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m simulator --port 0 ARGS`` (stdout piped); SIGTERM (then kill) afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--port",
        "0",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=10)
        if process.returncode is None:
            process.kill()
            await process.wait()


@dataclass
class Reply:
    """A Graph answer: status, parsed JSON body (or {"text": ...}) and headers."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]

    @property
    def error(self) -> dict[str, Any]:
        """The error object (empty when the call succeeded)."""
        return self.body.get("error", {})


class Graph:
    """A thin client for the simulator's Graph API."""

    def __init__(self, session: aiohttp.ClientSession, sim: Simulator) -> None:
        self.session = session
        self.sim = sim

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN,
        params: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Call ``path``; the token goes in the query unless ``token`` is None."""
        query = dict(params or {})
        if token is not None:
            query.setdefault("access_token", token)
        url = self.sim.url + path
        async with self.session.request(method, url, params=query, **kwargs) as response:
            text = await response.text()
            if response.content_type == "application/json":
                body = json.loads(text)
            else:
                body = {"text": text}
            return Reply(response.status, body, response.headers)

    async def send(self, body: dict[str, Any], **kwargs: Any) -> Reply:
        """POST a JSON body to /v25.0/me/messages."""
        return await self.request("POST", "/v25.0/me/messages", json=body, **kwargs)


def text_message(psid: str = ALICE, text: str = "hello", **extra: Any) -> dict[str, Any]:
    """A valid Send API body."""
    body: dict[str, Any] = {
        "recipient": {"id": psid},
        "messaging_type": "UPDATE",
        "message": {"text": text},
    }
    body.update(extra)
    return body


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the loop run until `condition` holds (the limit only stops a hang)."""
    for _ in range(int(seconds / 0.001)):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not reached in time")


class HeldAnswers:
    """The simulator's latency and injected delays, held until the test lets them go (its
    `graph.sleep` seam): what is waiting at once shows what was in flight at once, and what each
    answer was to wait says the delay was applied, without measuring any time."""

    def __init__(self, sim: Simulator) -> None:
        self.delays: list[float] = []  # each held answer's delay, in arrival order
        self.waiting = 0
        self._go = asyncio.Event()
        sim.graph.sleep = self._hold

    async def _hold(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.waiting += 1
        try:
            await self._go.wait()
        finally:
            self.waiting -= 1

    def release(self) -> None:
        """Let every held answer go, and every later one straight through."""
        self._go.set()


class SimClock:
    """The simulator's arrival clock (its `graph.clock` seam), moved by the test."""

    def __init__(self, sim: Simulator, now: float = 1000.0) -> None:
        self.now = now
        sim.graph.clock = lambda: self.now


def make_sim(**kwargs: Any) -> Simulator:
    """A simulator with the test page (signed), another page, Alice, Bob and Carol."""
    sim = Simulator(**kwargs)
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET)
    sim.add_page(OTHER_PAGE_ID, "Cabin", OTHER_TOKEN)
    sim.add_user(ALICE, "Alice")
    sim.add_user(BOB, "Bob")
    sim.add_user(CAROL, "Carol", page=OTHER_PAGE_ID)
    return sim


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and answers like a simple bot would."""

    url: str = ""
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200

    def events(self) -> list[dict[str, Any]]:
        """Every messaging event received, in order."""
        out: list[dict[str, Any]] = []
        for _, raw in self.posts:
            for entry in json.loads(raw)["entry"]:
                out.extend(entry["messaging"])
        return out


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (GET: the handshake; POST: record and answer 200)."""
    state = Receiver()

    async def on_get(request: web.Request) -> web.Response:
        query = request.query
        if query.get("hub.mode") == "subscribe" and query.get("hub.verify_token") == VERIFY_TOKEN:
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="forbidden")

    async def on_post(request: web.Request) -> web.Response:
        state.posts.append((dict(request.headers), await request.read()))
        return web.Response(status=state.status, text="EVENT_RECEIVED")

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/webhook", on_get)
    app.router.add_post("/webhook", on_post)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook"
    try:
        yield state
    finally:
        await runner.cleanup()
