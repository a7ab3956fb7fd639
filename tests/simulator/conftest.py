"""Fixtures for the simulator tests: a started Simulator, an HTTP client and a webhook receiver.

Every fixture that opens a socket requests ``socket_enabled`` (the Home Assistant test plugin
blocks sockets otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
import pytest

from simulator import Simulator
from tests.simulator.helpers import VERIFY_TOKEN, Graph, Receiver, make_sim


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A started simulator on 127.0.0.1 with a free port."""
    simulator = make_sim(seed=1234)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def graph(http: aiohttp.ClientSession, sim: Simulator) -> Graph:
    """A Graph API client for ``sim``."""
    return Graph(http, sim)


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
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
