"""POST/GET/DELETE /{app-id}/subscriptions with the app token, and Meta's verification GET
(FIDELITY.md F-03, F-04, F-19, F-20)."""

from __future__ import annotations

from typing import Any

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, SECRET, TOKEN, VERIFY_TOKEN, Graph, Receiver

APP_ID = "1517776481860111"
APP_TOKEN = f"{APP_ID}|{SECRET}"
FIELDS = "messages,messaging_postbacks,message_deliveries,message_reads,message_reactions"


def form(url: str, verify_token: str = VERIFY_TOKEN, **extra: Any) -> dict[str, Any]:
    return {
        "object": "page",
        "callback_url": url,
        "verify_token": verify_token,
        "fields": FIELDS,
        "include_values": "true",
        "access_token": APP_TOKEN,
    } | extra


async def post(graph: Graph, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    reply = await graph.request(
        "POST", f"/v25.0/{APP_ID}/subscriptions", token=None, data=data, **kwargs
    )
    return reply.body


async def test_subscribe_verifies_the_callback(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    assert await post(graph, form(receiver.url)) == {"success": True}
    [verification] = sim.verifications
    assert verification["url"] == receiver.url
    assert verification["verify_token"] == VERIFY_TOKEN
    assert verification["ok"] and verification["body"] == verification["challenge"]
    listed = await graph.request(
        "GET",
        f"/v25.0/{APP_ID}/subscriptions",
        token=None,
        headers={"Authorization": f"OAuth {APP_TOKEN}"},
    )
    [page] = listed.body["data"]
    assert page["object"] == "page" and page["callback_url"] == receiver.url
    assert page["active"] is True
    assert page["fields"][0] == {"name": "messages", "version": "v25.0"}
    assert "access_token" not in str(sim.requests[-1].query)  # the token never was in the URL


async def test_events_go_to_the_app_callback(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    assert sim.webhook_url is None
    await post(graph, form(receiver.url))
    assert (await sim.user_says(ALICE, "hello"))[0] == 200
    assert receiver.events()[-1]["message"]["text"] == "hello"
    sim.set_app_subscription_active(APP_ID, False)
    listed = await graph.request(
        "GET",
        f"/{APP_ID}/subscriptions",
        token=None,
        headers={"Authorization": f"Bearer {APP_TOKEN}"},
    )
    assert listed.body["data"][0]["active"] is False


async def test_a_callback_that_does_not_echo_fails(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    refused = await post(graph, form(receiver.url, verify_token="wrong"))
    assert refused["error"]["code"] == 2200
    assert "403" in refused["error"]["message"]
    assert sim.verifications[-1]["ok"] is False and sim.verifications[-1]["status"] == 403
    assert sim.app_subscriptions == {}
    gone = await post(graph, form("http://127.0.0.1:9/webhook"))
    assert gone["error"]["code"] == 2200


async def test_app_token_only(graph: Graph, sim: Simulator, receiver: Receiver) -> None:
    page_token = await post(graph, form(receiver.url, access_token=TOKEN))
    assert page_token["error"]["code"] == 15
    bad_secret = await post(graph, form(receiver.url, access_token=f"{APP_ID}|nope"))
    assert bad_secret["error"]["code"] == 190
    assert sim.verifications == []  # refused calls are never verified


async def test_https_or_localhost(graph: Graph, sim: Simulator, receiver: Receiver) -> None:
    plain = await post(graph, form("http://ha.example.org/api/facebook_webhooks"))
    assert plain["error"]["code"] == 100 and "https" in plain["error"]["message"]
    assert await post(graph, form(receiver.url)) == {"success": True}  # http://127.0.0.1
    missing = await post(graph, {"object": "page", "access_token": APP_TOKEN})
    assert missing["error"]["code"] == 100


async def test_delete(graph: Graph, sim: Simulator, receiver: Receiver) -> None:
    await post(graph, form(receiver.url))
    path = f"/v25.0/{APP_ID}/subscriptions"
    some = await graph.request(
        "DELETE",
        path,
        token=None,
        data={"object": "page", "fields": "messages", "access_token": APP_TOKEN},
    )
    assert some.body == {"success": True}
    assert "messages" not in sim.app_subscriptions[(APP_ID, "page")].fields
    everything = await graph.request(
        "DELETE", path, token=None, data={"object": "page", "access_token": APP_TOKEN}
    )
    assert everything.body == {"success": True} and sim.app_subscriptions == {}


async def test_control_api_shows_and_switches(
    graph: Graph, sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    await post(graph, form(receiver.url))
    async with http.get(f"{sim.url}/_sim/subscriptions") as response:
        state = await response.json()
    assert state["apps"][0]["callback_url"] == receiver.url
    assert state["verifications"][0]["ok"] is True
    url = f"{sim.url}/_sim/apps/{APP_ID}/subscription"
    async with http.post(url, json={"active": False}) as response:
        assert (await response.json())["active"] is False
    async with http.post(f"{sim.url}/_sim/apps/42/subscription", json={"active": True}) as response:
        assert response.status == 400


async def test_only_fields_of_both_levels_are_delivered(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    """Graph reference page/subscribed_apps: fields subscribed at the page and the app level."""
    await post(graph, form(receiver.url, fields="messages"))
    page_fields = {"subscribed_fields": "messages,messaging_postbacks"}
    await graph.request(
        "POST",
        f"/v25.0/{PAGE_ID}/subscribed_apps",
        params=page_fields,
    )
    assert (await sim.user_says(ALICE, "hi"))[0] == 200
    status, text = await sim.user_taps_button(ALICE, "Go", "GO")
    assert status == 0 and f"app {APP_ID} is not subscribed to messaging_postbacks" in text
