"""Fixtures for the simulator tests: a started Simulator, an HTTP client and a webhook receiver.

Every fixture that opens a socket requests ``socket_enabled`` (the Home Assistant test plugin
blocks sockets otherwise).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import Graph, Receiver, make_sim, receiving


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
    async with receiving() as state:
        yield state
