"""GET /{page}/conversations with participants and cursor paging (reference §5.3)."""

from __future__ import annotations

import json
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


async def conversation_of(graph: Graph, sim: Simulator, psid: str) -> str:
    reply = await graph.request("GET", "/v25.0/me/conversations", params={"user_id": psid})
    sim.advance(1)
    return reply.body["data"][0]["id"]


async def test_messages_newest_first_with_the_webhook_mids(graph: Graph, sim: Simulator) -> None:
    """Messages written while nobody received the webhook are there, under the same mids."""
    sim.webhook_url = "http://127.0.0.1:9/webhook"  # nobody listens
    for text in ("one", "two"):
        sim.advance(1)
        assert (await sim.user_says(ALICE, text))[0] == 0
    mids = [json_mid(post.body) for post in sim.webhook_posts]
    reply = await graph.send(text_message(ALICE, "answer"))
    cid = await conversation_of(graph, sim, ALICE)
    listed = await graph.request("GET", f"/v25.0/{cid}/messages")
    ids = [m["id"] for m in listed.body["data"]]
    assert ids == [reply.body["message_id"], *reversed(mids)]
    assert set(listed.body["data"][0]) == {"id", "created_time"}
    sim.advance(1)
    node = await graph.request("GET", f"/v25.0/{cid}", params={"fields": "messages"})
    assert [m["id"] for m in node.body["messages"]["data"]] == ids
    sim.advance(1)
    detail = await graph.request(
        "GET", f"/v25.0/{mids[0]}", params={"fields": "id,created_time,from,to,message"}
    )
    assert detail.body["message"] == "one"
    assert detail.body["from"]["id"] == ALICE
    assert detail.body["to"]["data"][0]["id"] == PAGE_ID
    assert detail.body["created_time"].endswith("+0000")


def json_mid(body: bytes) -> str:
    return json.loads(body)["entry"][0]["messaging"][0]["message"]["mid"]


async def test_details_only_for_the_20_most_recent(graph: Graph, sim: Simulator) -> None:
    events = []
    for n in range(21):  # a second between messages
        events.append(sim.message_event(ALICE, f"message {n}"))
        sim.advance(1)
    oldest, newest = events[0]["message"]["mid"], events[-1]["message"]["mid"]
    sim.advance(1)
    gone = await graph.request("GET", f"/v25.0/{oldest}", params={"fields": "message"})
    assert (gone.error["code"], gone.error["error_subcode"]) == (100, 33)
    sim.advance(1)
    kept = await graph.request("GET", f"/v25.0/{newest}", params={"fields": "message,from"})
    assert kept.body["message"] == "message 20"
    cid = await conversation_of(graph, sim, ALICE)
    listed = await graph.request(
        "GET", f"/v25.0/{cid}/messages", params={"fields": "id,message", "limit": "25"}
    )
    assert "message" in listed.body["data"][19] and "message" not in listed.body["data"][20]


async def test_two_calls_per_second(graph: Graph, sim: Simulator) -> None:
    path = "/v25.0/me/conversations"
    assert (await graph.request("GET", path)).status == 200
    assert (await graph.request("GET", path)).status == 200
    third = await graph.request("GET", path)
    assert (third.status, third.error["code"]) == (403, 613)
    sim.advance(1)
    assert (await graph.request("GET", path)).status == 200
    sim.config.conversations_rate_cap = None
    for _ in range(3):
        assert (await graph.request("GET", path)).status == 200


async def test_since_and_until_are_ignored(graph: Graph) -> None:
    """Time-based paging is not available on the conversations edge (FIDELITY.md F-22)."""
    reply = await graph.request(
        "GET", "/v25.0/me/conversations", params={"since": "1", "until": "2"}
    )
    assert len(reply.body["data"]) == 2
