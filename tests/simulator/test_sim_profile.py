"""The Messenger Profile API over HTTP and the taps it offers (messenger-2026-extra §3)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, Graph, Receiver

PATH = "/v25.0/me/messenger_profile"
MENU = [
    {
        "locale": "default",
        "composer_input_disabled": False,
        "call_to_actions": [
            {"type": "postback", "title": "Status", "payload": "STATUS"},
            {"type": "web_url", "title": "Open HA", "url": "https://ha.example.org"},
        ],
    }
]


async def post(graph: Graph, body: dict[str, Any]) -> dict[str, Any]:
    graph.sim.advance(600)  # a fresh budget of 10 calls per 10 minutes for each check
    return (await graph.request("POST", PATH, json=body)).body


async def error(graph: Graph, body: dict[str, Any]) -> str:
    return str((await post(graph, body))["error"]["message"])


async def test_set_read_delete(graph: Graph, sim: Simulator) -> None:
    fields = {"fields": "get_started,persistent_menu,greeting"}
    assert (await graph.request("GET", PATH, params=fields)).body == {"data": []}
    body = {"get_started": {"payload": "START"}, "persistent_menu": MENU}
    assert (await post(graph, body)) == {"result": "success"}
    read = await graph.request("GET", f"/{PAGE_ID}/messenger_profile", params=fields)
    assert read.body == {"data": [body]}
    assert sim.profile() == body
    deleted = await graph.request("DELETE", PATH, json={"fields": ["persistent_menu"]})
    assert deleted.body == {"result": "success"} and "persistent_menu" not in sim.profile()
    assert (await graph.request("GET", PATH)).error["code"] == 100  # fields missing
    assert (await graph.request("DELETE", PATH, json={"fields": []})).error["code"] == 100


async def test_menu_rules(graph: Graph) -> None:
    no_start = await error(graph, {"persistent_menu": MENU})
    assert no_start == (
        "(#100) You must set a Get Started button if you also wish to use persistent menu."
    )
    assert (await post(graph, {"get_started": {"payload": "START"}})) == {"result": "success"}

    def menu(*items: dict[str, Any], **locale: Any) -> dict[str, Any]:
        return {"persistent_menu": [{"locale": "default", "call_to_actions": list(items)} | locale]}

    item = {"type": "postback", "title": "Status", "payload": "STATUS"}
    assert (await post(graph, menu(item))) == {"result": "success"}  # get_started set before
    assert "too many" in await error(graph, menu(*[item] * 21))
    assert "30" in await error(graph, menu(item | {"title": "t" * 31}))
    assert "1000" in await error(graph, menu(item | {"payload": "p" * 1001}))
    assert await error(graph, menu({"type": "nested", "title": "More"})) == (
        "(#100) Invalid button type"
    )
    assert "Web url" in await error(graph, menu({"type": "web_url", "title": "Open"}))
    disabled = {"persistent_menu": [{"locale": "default", "composer_input_disabled": True}]}
    assert "call_to_actions" in await error(graph, disabled)
    other = {"persistent_menu": [{"locale": "fr_FR", "call_to_actions": [item]}]}
    assert "default locale" in await error(graph, other)
    graph.sim.advance(600)
    # No Meta page forbids deleting Get Started while a menu stays (FIDELITY.md F-17).
    deleted = await graph.request("DELETE", PATH, json={"fields": ["get_started"]})
    assert deleted.body == {"result": "success"}
    assert "persistent_menu" in graph.sim.profile() and "get_started" not in graph.sim.profile()


async def test_other_properties(graph: Graph) -> None:
    five = [{"question": f"Q{n}?", "payload": f"Q{n}"} for n in range(5)]
    assert "too many" in await error(graph, {"ice_breakers": five})
    mixed = [five[0], {"locale": "default", "call_to_actions": five[:1]}]
    assert "mix" in await error(graph, {"ice_breakers": mixed})
    assert (await post(graph, {"ice_breakers": five[:4]})) == {"result": "success"}
    localized = [{"locale": "default", "call_to_actions": five[:2]}]
    assert (await post(graph, {"ice_breakers": localized})) == {"result": "success"}

    def commands(*items: dict[str, Any]) -> dict[str, Any]:
        return {"commands": [{"locale": "default", "commands": list(items)}]}

    assert "too few" in await error(graph, commands())
    assert '"/"' in await error(graph, commands({"name": "/status", "description": "Status"}))
    assert "32" in await error(graph, commands({"name": "s" * 33, "description": "Status"}))
    assert "64" in await error(graph, commands({"name": "status", "description": "d" * 65}))
    ok = commands({"name": "status", "description": "The house"})
    assert (await post(graph, ok)) == {"result": "success"}
    assert "160" in await error(graph, {"greeting": [{"locale": "default", "text": "g" * 161}]})
    assert "default" in await error(graph, {"greeting": [{"locale": "en_US", "text": "Hi"}]})
    for domain in ("http://ha.example.org", "https://127.0.0.1", "https://localhost"):
        assert "whitelisted_domains[0]" in await error(graph, {"whitelisted_domains": [domain]})
    many = [f"https://d{n}.example.org" for n in range(51)]
    assert "too many" in await error(graph, {"whitelisted_domains": many})
    assert "Unknown Messenger Profile property: home_url" in await error(graph, {"home_url": "x"})


async def test_ten_calls_per_ten_minutes(graph: Graph, sim: Simulator) -> None:
    fields = {"fields": "greeting"}
    unauthenticated = await graph.request("GET", PATH, params=fields, token="garbage")
    assert unauthenticated.error["code"] == 190  # not counted
    for _ in range(10):
        assert (await graph.request("GET", PATH, params=fields)).status == 200
    over = await graph.request("POST", PATH, json={"get_started": {"payload": "X"}})
    assert over.error["message"] == "(#613) Calls to this api have exceeded the rate limit."
    sim.advance(600)
    assert (await graph.request("GET", PATH, params=fields)).status == 200


async def test_profile_faults(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(2, paths="messenger_profile")
    assert (await graph.request("GET", PATH, params={"fields": "greeting"})).error["code"] == 2


async def test_taps(graph: Graph, sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    await post(graph, {"get_started": {"payload": "START"}, "persistent_menu": MENU})
    questions = [{"question": "Is the door shut?", "payload": "DOOR"}]
    await post(graph, {"ice_breakers": [{"locale": "default", "call_to_actions": questions}]})
    commands = [{"name": "status", "description": "The house"}]
    await post(graph, {"commands": [{"locale": "default", "commands": commands}]})
    assert (await sim.user_taps_get_started(ALICE))[0] == 200
    assert (await sim.user_taps_menu(ALICE, "Status"))[0] == 200
    assert await sim.user_taps_menu(ALICE, "Open HA") == (0, "web_url: no webhook")
    assert (await sim.user_taps_ice_breaker(ALICE, "Is the door shut?"))[0] == 200
    assert (await sim.user_sends_command(ALICE, "status"))[0] == 200
    events = receiver.events()
    assert [(e["postback"]["title"], e["postback"]["payload"]) for e in events[:3]] == [
        ("Get Started", "START"),
        ("Status", "STATUS"),
        ("Is the door shut?", "DOOR"),
    ]
    assert all(e["postback"]["mid"].startswith("m_") for e in events[:3])
    command = events[3]["message"]
    assert command["text"] == "/status" and command["commands"] == [{"name": "status"}]
    with pytest.raises(ValueError, match="no item"):
        await sim.user_taps_menu(ALICE, "Nope")
    async with graph.session.post(
        sim.url + f"/_sim/users/{ALICE}/menu", json={"title": "Nope"}
    ) as response:
        assert response.status == 400
    for path, body in (
        ("get_started", {}),
        ("menu", {"title": "Status"}),
        ("ice_breaker", {"question": "Is the door shut?"}),
        ("command", {"name": "status"}),
    ):
        async with graph.session.post(sim.url + f"/_sim/users/{ALICE}/{path}", json=body) as r:
            assert (await r.json())["status"] == 200
    async with graph.session.get(sim.url + "/_sim/profile") as response:
        assert "persistent_menu" in await response.json()
