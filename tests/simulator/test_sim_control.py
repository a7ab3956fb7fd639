"""The /_sim/ control API that other processes use to drive the simulator."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import (
    ALICE,
    BOB,
    PAGE_ID,
    SECRET,
    TOKEN,
    VERIFY_TOKEN,
    Graph,
    Receiver,
    text_message,
)


async def call(
    http: aiohttp.ClientSession, sim: Simulator, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, sim.url + path, json=body) as response:
        return response.status, await response.json()


async def test_state_hides_secrets(http: aiohttp.ClientSession, sim: Simulator) -> None:
    status, state = await call(http, sim, "GET", "/_sim/state")
    assert status == 200
    home = next(p for p in state["pages"] if p["page_id"] == PAGE_ID)
    assert home["name"] == "Home"
    assert home["has_app_secret"] is True
    assert "token" not in home
    assert "app_secret" not in home
    text = json.dumps(state)
    assert TOKEN not in text
    assert SECRET not in text
    users = {u["psid"]: u for u in state["users"]}
    assert users[ALICE]["name"] == "Alice"
    assert users[ALICE]["window_open"] is True
    assert users[ALICE]["page_id"] == PAGE_ID


async def test_add_user(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    status, user = await call(
        http, sim, "POST", "/_sim/users", {"psid": "3333333333333333", "name": "Dora"}
    )
    assert status == 201
    assert user["page_id"] == PAGE_ID
    assert sim.users["3333333333333333"].name == "Dora"
    assert (await graph.send(text_message("3333333333333333"))).status == 200
    status, error = await call(http, sim, "POST", "/_sim/users", {"name": "nobody"})
    assert status == 400
    assert "psid" in error["error"]
    status, _ = await call(http, sim, "POST", "/_sim/users", {"psid": "1", "page_id": "999"})
    assert status == 400


async def test_update_page(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    status, page = await call(
        http, sim, "POST", "/_sim/pages", {"page_id": PAGE_ID, "token_state": "expired"}
    )
    assert status == 201
    assert page["token_state"] == "expired"
    assert sim.pages[PAGE_ID].token == TOKEN  # other fields kept
    assert (await graph.request("GET", "/v25.0/me")).error["error_subcode"] == 463


async def test_say_quick_reply_postback_react(
    http: aiohttp.ClientSession, sim: Simulator, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    ok = {"status": 200, "body": "EVENT_RECEIVED"}
    assert await call(http, sim, "POST", f"/_sim/users/{ALICE}/say", {"text": "hi"}) == (200, ok)
    assert await call(
        http, sim, "POST", f"/_sim/users/{ALICE}/quick_reply", {"title": "Yes", "payload": "Y"}
    ) == (200, ok)
    assert await call(
        http, sim, "POST", f"/_sim/users/{BOB}/postback", {"title": "Off", "payload": "OFF"}
    ) == (200, ok)
    assert await call(
        http, sim, "POST", f"/_sim/users/{BOB}/react", {"mid": "m_1", "emoji": "\u2764\ufe0f"}
    ) == (200, ok)
    said, tapped, postback, reaction = receiver.events()
    assert said["message"]["text"] == "hi"
    assert tapped["message"]["quick_reply"] == {"payload": "Y"}
    assert postback["postback"] == {**postback["postback"], "title": "Off", "payload": "OFF"}
    assert reaction["reaction"]["reaction"] == "love"
    status, posts = await call(http, sim, "GET", "/_sim/webhooks")
    assert status == 200
    assert len(posts["data"]) == 4
    assert json.loads(posts["data"][0]["body"])["entry"][0]["messaging"][0] == said


async def test_say_errors(http: aiohttp.ClientSession, sim: Simulator) -> None:
    status, body = await call(http, sim, "POST", "/_sim/users/42/say", {"text": "hi"})
    assert status == 404
    status, body = await call(http, sim, "POST", f"/_sim/users/{ALICE}/say", {})
    assert status == 400
    assert "text" in body["error"]
    status, body = await call(http, sim, "POST", f"/_sim/users/{ALICE}/say", {"text": "hi"})
    assert status == 409  # no webhook URL yet
    assert "webhook" in body["error"]


async def test_sent_and_requests(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    await graph.send(text_message(ALICE, "to alice"))
    await graph.send(text_message(BOB, "to bob"), headers={"Authorization": f"Bearer {TOKEN}"})
    await graph.send(text_message("1111111111111111"))
    status, sent = await call(http, sim, "GET", "/_sim/sent")
    assert status == 200
    assert [s["message"]["text"] for s in sent["data"]] == ["to alice", "to bob"]
    assert sent["next"] == 2
    assert sent["data"][0]["message_id"] == sim.sent[0].message_id
    _, only_bob = await call(http, sim, "GET", f"/_sim/sent?psid={BOB}")
    assert [s["recipient_id"] for s in only_bob["data"]] == [BOB]
    _, since = await call(http, sim, "GET", "/_sim/sent?since=1")
    assert [s["index"] for s in since["data"]] == [1]
    status, requests = await call(http, sim, "GET", "/_sim/requests")
    assert status == 200
    assert [r["status"] for r in requests["data"]] == [200, 200, 400]
    assert requests["data"][2]["response"]["error"]["code"] == 100
    assert requests["data"][1]["token_source"] == "query"
    assert TOKEN not in json.dumps(requests)


async def test_requests_hide_tokens_everywhere(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    await graph.send(text_message(access_token=TOKEN), token=None)
    await graph.send(text_message(), token=None, headers={"Authorization": f"OAuth {TOKEN}"})
    _, requests = await call(http, sim, "GET", "/_sim/requests")
    assert len(requests["data"]) == 2
    assert TOKEN not in json.dumps(requests)


async def test_faults(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    status, fault = await call(
        http, sim, "POST", "/_sim/faults", {"kind": "error", "code": 613, "count": 2}
    )
    assert status == 201
    assert fault["count"] == 2
    assert [(await graph.send(text_message())).status for _ in range(3)] == [403, 403, 200]
    await call(http, sim, "POST", "/_sim/faults", {"kind": "http", "status": 502})
    assert (await graph.send(text_message())).status == 502
    await call(http, sim, "POST", "/_sim/faults", {"kind": "delay", "seconds": 0.01})
    await call(http, sim, "POST", "/_sim/faults", {"kind": "disconnect", "after_accept": True})
    assert len(sim.faults.pending) == 2
    _, state = await call(http, sim, "GET", "/_sim/state")
    assert [f["kind"] for f in state["faults"]] == ["delay", "disconnect"]
    status, _ = await call(http, sim, "DELETE", "/_sim/faults")
    assert status == 200
    assert sim.faults.pending == []
    status, error = await call(http, sim, "POST", "/_sim/faults", {"kind": "meteor"})
    assert status == 400
    status, error = await call(http, sim, "POST", "/_sim/faults", {"kind": "error"})
    assert status == 400
    assert "code" in error["error"]


async def test_config_and_clock(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    status, config = await call(
        http,
        sim,
        "POST",
        "/_sim/config",
        {"latency": 0.01, "rate_cap": 300, "webhook_url": "http://127.0.0.1:1/hook"},
    )
    assert status == 200
    assert (sim.latency, sim.rate_cap, sim.webhook_url) == (0.01, 300, "http://127.0.0.1:1/hook")
    assert config["rate_cap"] == 300
    status, _ = await call(http, sim, "POST", "/_sim/config", {"speed": 9})
    assert status == 400
    status, clock = await call(http, sim, "POST", "/_sim/clock", {"advance": 2 * 24 * 3600})
    assert status == 200
    assert clock["clock_offset"] == 2 * 24 * 3600
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278


async def test_verify(http: aiohttp.ClientSession, sim: Simulator, receiver: Receiver) -> None:
    status, result = await call(
        http, sim, "POST", "/_sim/verify", {"url": receiver.url, "verify_token": VERIFY_TOKEN}
    )
    assert status == 200
    assert result["ok"] is True
    assert result["body"] == result["challenge"]
    _, bad = await call(
        http, sim, "POST", "/_sim/verify", {"url": receiver.url, "verify_token": "nope"}
    )
    assert bad["ok"] is False
    assert bad["status"] == 403


async def test_reset(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    await graph.send(text_message())
    sim.inject_error(2)
    status, _ = await call(http, sim, "POST", "/_sim/reset")
    assert status == 200
    assert sim.sent == []
    assert sim.requests == []
    assert sim.faults.pending == []
    assert (await graph.send(text_message())).status == 200


async def test_control_calls_are_not_graph_calls(
    http: aiohttp.ClientSession, sim: Simulator
) -> None:
    status, body = await call(http, sim, "GET", "/_sim/nothing-here")
    assert status == 404
    assert "error" in body
    await call(http, sim, "GET", "/_sim/state")
    assert sim.requests == []
    status, body = await call(http, sim, "POST", "/_sim/users", None)
    assert status == 400


async def test_a_person_s_messages_with_their_mids(
    http: aiohttp.ClientSession, sim: Simulator
) -> None:
    """What a person wrote, with the mids the webhook carried (or would have: here nobody
    listens, as while Home Assistant is down)."""
    sim.drop_subscription()
    await sim.user_says(ALICE, "written while nobody listened")
    status, answer = await call(http, sim, "GET", f"/_sim/messages/{ALICE}")
    assert status == 200
    (message,) = answer["data"]
    assert message["text"] == "written while nobody listened"
    assert message["mid"].startswith("m_")
