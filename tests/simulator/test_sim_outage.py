"""Meta's one-hour rule: a page whose deliveries fail for an hour loses its subscription
(FIDELITY.md F-01), driven from Python and from the control API."""

from __future__ import annotations

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, Graph, Receiver

HOUR = 3600


async def subscribed_apps(graph: Graph) -> list[dict]:
    return (await graph.request("GET", f"/v25.0/{PAGE_ID}/subscribed_apps")).body["data"]


async def test_an_hour_of_failures_drops_the_subscription(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    fields = {"subscribed_fields": "messages,messaging_postbacks"}
    await graph.request("POST", f"/v25.0/{PAGE_ID}/subscribed_apps", params=fields)
    receiver.status = 500  # Home Assistant is down
    assert (await sim.user_says(ALICE, "first"))[0] == 500
    failing = sim.subscription(PAGE_ID)["failing_since"]
    assert failing is not None
    sim.advance(HOUR - 60)
    assert (await sim.user_says(ALICE, "second"))[0] == 500
    assert sim.subscription(PAGE_ID)["failing_since"] == failing  # still the first failure
    assert len(await subscribed_apps(graph)) == 1
    sim.advance(60)
    assert await subscribed_apps(graph) == []
    state = sim.subscription(PAGE_ID)
    assert not state["subscribed"] and state["unsubscribed_at"] is not None
    receiver.status = 200  # back up, but nobody subscribed again
    status, text = await sim.user_says(ALICE, "third")
    assert status == 0 and "unsubscribed" in text
    assert len(receiver.posts) == 2  # the two failed posts; "third" was never sent
    # What the person wrote is still there, under the mids the webhook carried.
    assert [m.text for m in sim.conversation(ALICE)] == ["first", "second", "third"]
    await graph.request("POST", f"/v25.0/{PAGE_ID}/subscribed_apps", params=fields)
    assert (await sim.user_says(ALICE, "fourth"))[0] == 200
    assert sim.subscription(PAGE_ID)["failing_since"] is None


async def test_a_success_restarts_the_hour(sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    receiver.status = 503
    await sim.user_says(ALICE, "down")
    sim.advance(HOUR - 1)
    receiver.status = 200
    await sim.user_says(ALICE, "up")
    assert sim.subscription()["failing_since"] is None
    receiver.status = 503
    await sim.user_says(ALICE, "down again")
    sim.advance(HOUR - 1)
    assert sim.subscription()["subscribed"]


async def test_unreachable_webhooks_count_too(sim: Simulator) -> None:
    """Connection refused: no answer at all is a failed delivery (never managed: dropped too)."""
    sim.webhook_url = "http://127.0.0.1:9/webhook"
    assert (await sim.user_says(ALICE, "anyone?"))[0] == 0
    sim.clock_offset += HOUR
    assert sim.subscription()["subscribed_fields"] == []


async def test_control_api_moves_the_clock_and_drops(
    sim: Simulator, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    receiver.status = 500
    async with http.post(f"{sim.url}/_sim/users/{ALICE}/say", json={"text": "hi"}) as response:
        assert (await response.json())["status"] == 500
    async with http.post(f"{sim.url}/_sim/clock", json={"advance": HOUR}) as response:
        assert response.status == 200
    async with http.get(f"{sim.url}/_sim/subscriptions") as response:
        pages = {p["page_id"]: p for p in (await response.json())["pages"]}
    assert pages[PAGE_ID]["unsubscribed_at"] is not None
    assert pages[PAGE_ID]["subscribed"] is False
    other = next(page_id for page_id in pages if page_id != PAGE_ID)
    async with http.post(f"{sim.url}/_sim/pages/{other}/unsubscribe") as response:
        assert (await response.json())["subscribed"] is False
    async with http.post(f"{sim.url}/_sim/pages/42/unsubscribe") as response:
        assert response.status == 400
