"""GET /{page}/conversations with participants and cursor paging (reference §5.3)."""

from __future__ import annotations

from typing import Any

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, PAGE_ID, TOKEN, Graph, text_message


def add_people(sim: Simulator, count: int) -> list[str]:
    psids = [f"90000000000000{i:02d}" for i in range(count)]
    for psid in psids:
        sim.add_user(psid, f"Person {psid[-2:]}")
    return psids


async def test_participants(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request(
        "GET",
        f"/v25.0/{PAGE_ID}/conversations",
        params={"platform": "messenger", "fields": "participants"},
    )
    assert reply.status == 200
    found: dict[str, dict[str, Any]] = {}
    for conversation in reply.body["data"]:
        assert conversation["id"].startswith("t_")
        people = conversation["participants"]["data"]
        assert len(people) == 2
        assert people[1] == {
            "id": PAGE_ID,
            "name": "Home",
            "email": f"{PAGE_ID}@facebook.com",
        }
        found[people[0]["id"]] = people[0]
    assert set(found) == {ALICE, BOB}  # Carol belongs to the other page
    assert found[ALICE]["name"] == "Alice"
    assert "next" not in reply.body["paging"]


async def test_default_fields(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me/conversations", params={"platform": "messenger"})
    assert len(reply.body["data"]) == 2
    for conversation in reply.body["data"]:
        assert set(conversation) == {"id", "updated_time"}
        assert conversation["updated_time"].endswith("+0000")


async def test_cursor_paging(graph: Graph, http: aiohttp.ClientSession, sim: Simulator) -> None:
    add_people(sim, 5)  # 7 people on the page in all
    params = {"platform": "messenger", "fields": "participants", "limit": "3"}
    reply = await graph.request("GET", "/v25.0/me/conversations", params=params)
    pages = [reply.body]
    while "next" in pages[-1]["paging"]:
        sim.advance(1)  # Meta allows 2 calls per second per page
        async with http.get(pages[-1]["paging"]["next"]) as response:
            assert response.status == 200
            pages.append(await response.json())
    assert [len(p["data"]) for p in pages] == [3, 3, 1]
    ids = [c["participants"]["data"][0]["id"] for p in pages for c in p["data"]]
    assert len(ids) == len(set(ids)) == 7
    for page in pages:
        cursors = page["paging"]["cursors"]
        assert cursors["before"]
        assert cursors["after"]
    assert "next" not in pages[-1]["paging"]
    assert TOKEN in pages[0]["paging"]["next"]  # the token came in the query, so it stays there


async def test_after_cursor(graph: Graph, sim: Simulator) -> None:
    add_people(sim, 2)
    first = await graph.request("GET", "/v25.0/me/conversations", params={"limit": "2"})
    after = first.body["paging"]["cursors"]["after"]
    rest = await graph.request(
        "GET", "/v25.0/me/conversations", params={"limit": "10", "after": after}
    )
    first_ids = {c["id"] for c in first.body["data"]}
    rest_ids = {c["id"] for c in rest.body["data"]}
    assert len(rest_ids) == 2
    assert not first_ids & rest_ids
    assert "next" not in rest.body["paging"]


async def test_header_token_keeps_next_link_clean(graph: Graph, sim: Simulator) -> None:
    add_people(sim, 3)
    reply = await graph.request(
        "GET",
        "/v25.0/me/conversations",
        params={"limit": "1"},
        token=None,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert "access_token" not in reply.body["paging"]["next"]
    assert "after=" in reply.body["paging"]["next"]


async def test_recent_conversations_first(graph: Graph, sim: Simulator) -> None:
    sim.users[ALICE].last_inbound -= 3600
    sim.users[BOB].last_inbound -= 7200
    await graph.send(text_message(BOB))
    reply = await graph.request("GET", "/v25.0/me/conversations", params={"fields": "participants"})
    order = [c["participants"]["data"][0]["id"] for c in reply.body["data"]]
    assert order == [BOB, ALICE]


async def test_user_id_filter(graph: Graph) -> None:
    reply = await graph.request(
        "GET", "/v25.0/me/conversations", params={"platform": "messenger", "user_id": BOB}
    )
    assert len(reply.body["data"]) == 1
    nobody = await graph.request("GET", "/v25.0/me/conversations", params={"user_id": "42"})
    assert nobody.body == {"data": []}


async def test_instagram_platform_is_empty(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me/conversations", params={"platform": "instagram"})
    assert reply.body == {"data": []}


async def test_bad_platform_and_field(graph: Graph, sim: Simulator) -> None:
    platform = await graph.request("GET", "/v25.0/me/conversations", params={"platform": "sms"})
    assert platform.error["code"] == 100
    field = await graph.request("GET", "/v25.0/me/conversations", params={"fields": "secrets"})
    sim.advance(1)
    assert field.error["message"] == (
        "(#100) Tried accessing nonexisting field (secrets) on node type (Conversation)"
    )
    limit = await graph.request("GET", "/v25.0/me/conversations", params={"limit": "many"})
    assert limit.error["code"] == 100
