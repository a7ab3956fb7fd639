"""``python -m simulator`` starts, answers Graph and control calls, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
from pathlib import Path
import re
import signal

import aiohttp
import pytest

from tests.simulator.helpers import simulator_process


@contextlib.asynccontextmanager
async def running(*args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Start the simulator on a free port; yield the process and its URL; SIGTERM it."""
    async with simulator_process(*args) as process:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        match = re.search(rb"listening on (http://\S+)", line)
        assert match, line
        yield process, match.group(1).decode()


async def test_demo_process(socket_enabled: None) -> None:
    async with running() as (process, url), aiohttp.ClientSession() as http:
        async with http.get(
            url + "/v25.0/me", params={"fields": "id,name", "access_token": "sim-page-token"}
        ) as response:
            assert response.status == 200
            assert await response.json() == {"id": "1000000000000001", "name": "Home"}
        async with http.get(url + "/_sim/state") as response:
            state = await response.json()
        names = {u["name"]: u for u in state["users"]}
        assert names["Alice"]["psid"] == "6543210987654321"
        assert names["Bob"]["psid"] == "1234567890123456"
        assert all(u["window_open"] for u in state["users"])
        assert state["pages"][0]["has_app_secret"] is True
        body = {
            "recipient": {"id": "6543210987654321"},
            "messaging_type": "UPDATE",
            "message": {"text": "hello from the test"},
        }
        async with http.post(
            url + "/v25.0/me/messages",
            json=body,
            headers={"Authorization": "Bearer sim-page-token"},
        ) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
        assert process.stdout is not None
        rest = await process.stdout.read()
        assert b"stopped" in rest


async def test_config_file_and_options(socket_enabled: None, tmp_path: Path) -> None:
    config = {
        "pages": [{"page_id": "3000000000000003", "name": "Shop", "token": "shop-token"}],
        "users": [
            {"psid": "1010101010101010", "name": "Eve", "page_id": "3000000000000003"},
            {"psid": "2020202020202020", "name": "Mallory", "blocked": True},
        ],
    }
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    hook = "http://127.0.0.1:9/webhook"
    args = ("--config", str(path), "--rate-cap", "7", "--latency", "0.01", "--webhook-url", hook)
    async with running(*args) as (_, url), aiohttp.ClientSession() as http:
        async with http.get(url + "/_sim/state") as response:
            state = await response.json()
        assert [p["name"] for p in state["pages"]] == ["Shop"]
        assert state["config"]["rate_cap"] == 7
        assert state["config"]["latency"] == 0.01
        assert state["config"]["webhook_url"] == hook
        body = {
            "recipient": {"id": "2020202020202020"},
            "messaging_type": "UPDATE",
            "message": {"text": "hi"},
            "access_token": "shop-token",
        }
        async with http.post(url + "/me/messages", json=body) as response:
            assert response.status == 400
            assert (await response.json())["error"]["code"] == 551


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_stops_cleanly(socket_enabled: None, sig: signal.Signals) -> None:
    async with running() as (process, _):
        process.send_signal(sig)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
        assert process.stderr is not None
        assert b"Traceback" not in await process.stderr.read()


async def test_demo_offers_a_ui_setup(socket_enabled: None) -> None:
    from simulator.__main__ import DEMO_USER_TOKEN

    async with running() as (process, url), aiohttp.ClientSession() as http:
        assert process.stdout is not None
        lines = [await asyncio.wait_for(process.stdout.readline(), timeout=10) for _ in range(5)]
        setup = next(line for line in lines if line.startswith(b"UI setup"))
        assert setup.decode().strip() == (
            f"UI setup: user token {DEMO_USER_TOKEN} "
            "(app id 1517776481860111, app secret sim-app-secret)"
        )
        async with http.get(url + "/_sim/state") as response:
            state = await response.json()
        assert state["ui_setup"]["user_token"] == DEMO_USER_TOKEN
        # Dana administers the YAML sandbox's page and the one left for the UI setup.
        home, garden = "1000000000000001", "2000000000000002"
        assert state["admins"] == [
            {"user_id": "100000000000001", "name": "Dana", "pages": [home, garden]}
        ]
        garden_people = {u["name"] for u in state["users"] if u["page_id"] == garden}
        assert garden_people == {"Grace", "Henry"}
        params = {"access_token": DEMO_USER_TOKEN, "fields": "id,name,access_token"}
        async with http.get(url + "/v25.0/me/accounts", params=params) as response:
            pages = (await response.json())["data"]
        assert [(p["id"], p["name"]) for p in pages] == [(home, "Home"), (garden, "Garden club")]
        assert all(p["access_token"].startswith("EAA") for p in pages)


async def test_config_lists_admins(socket_enabled: None, tmp_path: Path) -> None:
    config = {
        "pages": [{"page_id": "3000000000000003", "name": "Shop", "token": "shop-token"}],
        "admins": [{"user_id": "100000000000009", "name": "Sam", "pages": ["3000000000000003"]}],
        "ui_user_token": "EAAshopdocs",
    }
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    params = {"access_token": "EAAshopdocs"}
    async with (
        running("--config", str(path)) as (_, url),
        aiohttp.ClientSession() as http,
        http.get(url + "/v25.0/me", params=params) as response,
    ):
        assert await response.json() == {"name": "Sam", "id": "100000000000009"}
