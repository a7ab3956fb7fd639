"""Helpers for the UI-setup tests: Home Assistant's websocket API, config flow steps over REST,
and the simulator's request log read as Graph calls.

`HassWebsocket` is a synchronous face on an aiohttp websocket (its own event loop in a thread),
so the tests stay synchronous like `harness.py` and Playwright's sync API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import queue
import threading
import time
from typing import Any

import aiohttp

from tests.e2e.harness import HassUser, Stack

GARDEN_ID = "2000000000000002"
GARDEN_NAME = "Garden club"
GRACE = "3141592653589793"
HENRY = "2718281828459045"


class HassWebsocket:
    """One authenticated connection to `/api/websocket`: commands and subscribed events."""

    def __init__(self, url: str, access_token: str) -> None:
        """Connect and authenticate (raises if Home Assistant refuses the token)."""
        self._ws_url = url.replace("http://", "ws://", 1) + "/api/websocket"
        self._token = access_token
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._next_id = 1
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._run(self._connect())

    def _run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self._ws_url)
        hello = await self._ws.receive_json()
        assert hello["type"] == "auth_required", hello
        await self._ws.send_json({"type": "auth", "access_token": self._token})
        answer = await self._ws.receive_json()
        assert answer["type"] == "auth_ok", answer
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = message.json()
            if data.get("type") == "event":
                self.events.put(data["event"])
            elif data.get("type") == "result":
                future = self._results.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)

    async def _command(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert self._ws is not None
        message_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        self._results[message_id] = future
        await self._ws.send_json({**payload, "id": message_id})
        return await asyncio.wait_for(future, 30)

    def command(self, type_: str, **fields: Any) -> Any:
        """A command (`frontend/set_user_data`, ...); its `result`, or an AssertionError."""
        answer = self._run(self._command({"type": type_, **fields}))
        assert answer.get("success"), answer
        return answer.get("result")

    def subscribe_events(self, event_type: str) -> None:
        """Events of `event_type` go to `events` from now on."""
        self.command("subscribe_events", event_type=event_type)

    def wait_event(
        self, match: Callable[[dict[str, Any]], bool], what: str, timeout: float = 20.0
    ) -> dict[str, Any]:
        """The first subscribed event `match` accepts (others are dropped)."""
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if match(event):
                return event
            seen.append(event)
        raise AssertionError(f"timed out waiting for {what}; other events: {seen}")

    def close(self) -> None:
        """Close the connection and stop its loop."""

        async def _close() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader
            if self._session is not None:
                await self._session.close()

        with contextlib.suppress(Exception):
            self._run(_close(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> HassWebsocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_flow(user: HassUser) -> dict[str, Any]:
    """`POST /api/config/config_entries/flow` for the facebook handler."""
    status, answer = user.call("POST", "/api/config/config_entries/flow", {"handler": "facebook"})
    assert status == 200, (status, answer)
    return dict(answer)


def flow_step(user: HassUser, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/config/config_entries/flow/<flow_id>` with one step's input."""
    status, answer = user.call("POST", f"/api/config/config_entries/flow/{flow_id}", data)
    assert status == 200, (status, answer)
    return dict(answer)


def select_options(result: dict[str, Any], field_name: str) -> dict[str, str]:
    """The options (value: label) of a select field of a form step."""
    for item in result["data_schema"]:
        if item["name"] == field_name:
            options = item["selector"]["select"]["options"]
            return {o["value"]: o["label"] for o in options}
    raise AssertionError(f"no field {field_name} in {result['data_schema']}")


def request_count(stack: Stack) -> int:
    """How many Graph requests the simulator has recorded (the `since` of the next step)."""
    return int(stack.sim("GET", "/_sim/requests?since=1000000000")["next"])


def graph_calls(stack: Stack, since: int) -> list[str]:
    """The Graph requests after `since`, as `METHOD /path -> status` (tokens never shown)."""
    return [
        f"{r['method']} {r['path']} -> {r['status']}"
        for r in stack.sim("GET", f"/_sim/requests?since={since}")["data"]
    ]


def sim_page(stack: Stack, page_id: str) -> dict[str, Any]:
    """The simulator's view of one page (`subscribed_fields`, ...)."""
    pages = stack.sim("GET", "/_sim/state")["pages"]
    return next(p for p in pages if p["page_id"] == page_id)


def notify_entity_of(user: HassUser, name: str) -> str:
    """The facebook notify entity whose friendly name mentions `name` (a person's)."""
    status, states = user.call("GET", "/api/states")
    assert status == 200, states
    found = [
        s["entity_id"]
        for s in states
        if s["entity_id"].startswith("notify.")
        and name.lower() in str(s["attributes"].get("friendly_name", "")).lower()
    ]
    assert len(found) == 1, (name, [s["entity_id"] for s in states])
    return str(found[0])
