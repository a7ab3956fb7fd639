"""/{page-id}/subscribed_apps and what it does to webhook delivery (reference §6.2)."""

from __future__ import annotations

import json

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, SECRET, TOKEN, Graph, Receiver


async def subscribe(graph: Graph, **kwargs: object) -> dict:
    reply = await graph.request("POST", f"/{PAGE_ID}/subscribed_apps", **kwargs)  # type: ignore[arg-type]
    return reply.body


async def test_subscribe_read_and_delete(graph: Graph, sim: Simulator) -> None:
    assert (await graph.request("GET", f"/v25.0/{PAGE_ID}/subscribed_apps")).body == {"data": []}
    query = {"subscribed_fields": "messages,messaging_postbacks"}
    assert (await subscribe(graph, params=query)) == {"success": True}
    listed = (await graph.request("GET", f"/{PAGE_ID}/subscribed_apps")).body["data"]
    assert listed[0]["id"] == "1517776481860111"
    assert listed[0]["subscribed_fields"] == ["messages", "messaging_postbacks"]
    assert {"category", "link", "name"} <= set(listed[0])
    as_list = {"subscribed_fields": ["message_reads"]}
    assert (await subscribe(graph, json=as_list)) == {"success": True}
    assert sim.pages[PAGE_ID].subscribed_fields == ["message_reads"]
    form = {"subscribed_fields": "message_reactions"}
    assert (await subscribe(graph, data=form)) == {"success": True}
    deleted = await graph.request("DELETE", f"/{PAGE_ID}/subscribed_apps")
    assert deleted.body == {"success": True} and sim.pages[PAGE_ID].subscribed_fields == []


async def test_subscribe_errors(graph: Graph, sim: Simulator) -> None:
    missing = (await subscribe(graph))["error"]
    assert missing["message"] == "(#100) The parameter subscribed_fields is required"
    unknown = (await subscribe(graph, params={"subscribed_fields": "messages,bogus"}))["error"]
    assert unknown["code"] == 100 and "messaging_postbacks" in unknown["message"]
    assert "bogus" in unknown["message"]
    sim.add_admin("100000000000001", "Dana", [PAGE_ID])
    user = sim.issue_user_token("100000000000001")
    refused = await graph.request("GET", f"/{PAGE_ID}/subscribed_apps", token=user)
    assert refused.error["code"] == 210
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET, scopes=["pages_messaging"])
    needs = await graph.request("GET", f"/{PAGE_ID}/subscribed_apps")
    assert needs.error["code"] == 200 and "pages_manage_metadata" in needs.error["message"]
    sim.inject_error(2, paths="subscribed_apps")
    assert (await graph.request("GET", f"/{PAGE_ID}/subscribed_apps")).error["code"] == 2


async def test_only_subscribed_fields_are_delivered(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    await sim.user_taps_button(ALICE, "Go", "GO")  # never managed: everything is delivered
    assert len(receiver.posts) == 1
    await subscribe(graph, params={"subscribed_fields": "messages"})
    assert (await sim.user_says(ALICE, "hi"))[0] == 200
    status, text = await sim.user_taps_button(ALICE, "Go", "GO")
    assert status == 0 and "not subscribed to messaging_postbacks" in text
    assert (await sim.post_webhook(sim.read_event(ALICE)))[0][0] == 0
    assert len(receiver.posts) == 2
    assert [e.get("message", {}).get("text") for e in receiver.events()][-1] == "hi"
    assert sim.webhook_posts[-1].skipped
    async with graph.session.get(sim.url + "/_sim/webhooks") as response:
        posts = (await response.json())["data"]
    assert posts[-1]["skipped"] is True and "message_reads" in posts[-1]["text"]
    assert json.loads(posts[-1]["body"])["entry"][0]["messaging"][0]["read"]
