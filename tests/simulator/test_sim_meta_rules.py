"""Smaller rules of Meta's the simulator plays: Graph versions (F-05, F-06), sender actions
alone (F-12), restricted pages (F-13), the window's subcode (F-14), image URLs (F-15), the token
exchange's method (F-16) and the User Profile API (F-18)."""

from __future__ import annotations

import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, CAROL, PAGE_ID, Graph, text_message

DAY = 24 * 3600


async def test_live_versions_answer_as_themselves(graph: Graph) -> None:
    for version in ("v21.0", "v25.0", "v27.0"):
        reply = await graph.request("GET", f"/{version}/me")
        assert reply.status == 200
        assert reply.headers["facebook-api-version"] == version


async def test_expired_versions_answer_as_the_oldest_live_one(graph: Graph) -> None:
    for version in ("v2.8", "v12.0", "v20.0"):
        reply = await graph.request("GET", f"/{version}/me")
        assert reply.status == 200
        assert reply.headers["facebook-api-version"] == "v21.0"


@pytest.mark.parametrize("version", ["v99.0", "v25.5", "v1.0"])
async def test_unknown_versions_are_unknown_paths(graph: Graph, version: str) -> None:
    reply = await graph.request("GET", f"/{version}/me")
    assert reply.status == 400
    assert reply.error["code"] == 2500
    assert reply.error["message"] == "Unknown path components: /me"


def test_the_default_version_must_be_live() -> None:
    with pytest.raises(ValueError, match="default_version"):
        Simulator("v19.0")


@pytest.mark.parametrize(
    "extra",
    [
        {"messaging_type": "RESPONSE"},
        {"tag": "HUMAN_AGENT"},
        {"notification_type": "NO_PUSH"},
        {"reply_to": {"mid": "m_1"}},
        {"payload": {"message_id": "m_1"}},
    ],
)
async def test_sender_actions_go_alone(graph: Graph, sim: Simulator, extra: dict) -> None:
    body = {"recipient": {"id": ALICE}, "sender_action": "typing_on"} | extra
    reply = await graph.send(body)
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018014)
    assert sim.sent == []


async def test_a_reaction_keeps_its_payload(graph: Graph, sim: Simulator) -> None:
    event = sim.message_event(ALICE, "hi")
    mid = event["message"]["mid"]
    body = {
        "recipient": {"id": ALICE},
        "sender_action": "react",
        "payload": {"message_id": mid, "reaction": "\u2764\ufe0f"},
    }
    assert (await graph.send(body)).body == {"recipient_id": ALICE}
    with_type = body | {"messaging_type": "RESPONSE"}
    assert (await graph.send(with_type)).error["error_subcode"] == 2018014


async def test_restricted_pages_cannot_send(graph: Graph, sim: Simulator) -> None:
    sim.restrict_page(PAGE_ID)
    reply = await graph.send(text_message())
    assert (reply.error["code"], reply.error["error_subcode"]) == (10, 1893063)
    assert reply.error["is_transient"] is False
    sim.restrict_page(PAGE_ID, False)
    assert (await graph.send(text_message())).status == 200
    sim.inject_error(10, 1893063)
    injected = await graph.send(text_message())
    assert injected.error["message"] == "(#10) Pages temporarily restricted from sending messages"


async def test_window_subcode_can_be_1545041(graph: Graph, sim: Simulator) -> None:
    sim.advance(2 * DAY)
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278
    sim.config.window_error = "1545041"
    reply = await graph.send(text_message())
    assert (reply.error["code"], reply.error["error_subcode"]) == (10, 1545041)


async def test_image_urls_up_to_8_mb(graph: Graph, sim: Simulator) -> None:
    url = "https://ha.example.org/local/snapshot.jpg"

    def image(kind: str = "image") -> dict:
        attachment = {"type": kind, "payload": {"url": url}}
        return text_message(message={"attachment": attachment})

    sim.set_remote_size(url, 8 * 1024 * 1024)
    assert (await graph.send(image())).status == 200
    sim.set_remote_size(url, 8 * 1024 * 1024 + 1)
    reply = await graph.send(image())
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018109)
    assert (await graph.send(image("file"))).status == 200  # other files: 25 MB


async def test_token_exchange_is_a_get(graph: Graph, sim: Simulator) -> None:
    sim.add_admin("100000000000001", "Dana")
    short = sim.issue_user_token("100000000000001")
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": sim.pages[PAGE_ID].app_id,
        "client_secret": sim.pages[PAGE_ID].app_secret or "",
        "fb_exchange_token": short,
    }
    got = await graph.request("GET", "/v25.0/oauth/access_token", token=None, params=params)
    assert got.status == 200 and got.body["token_type"] == "bearer"
    posted = await graph.request("POST", "/v25.0/oauth/access_token", token=None, data=params)
    assert posted.error["code"] == 100
    assert posted.error["message"].startswith("Unsupported post request")


async def test_user_profile(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request(
        "GET", f"/v25.0/{ALICE}", params={"fields": "first_name,last_name,profile_pic"}
    )
    assert reply.status == 200
    assert reply.body["first_name"] == "Alice" and reply.body["id"] == ALICE
    assert reply.body["profile_pic"].startswith("https://")
    gated = await graph.request("GET", f"/v25.0/{ALICE}", params={"fields": "name,locale"})
    assert gated.body == {"name": "Alice", "id": ALICE}  # no pages_user_locale: left out
    unknown = await graph.request("GET", f"/v25.0/{ALICE}", params={"fields": "email"})
    assert unknown.error["message"] == (
        "(#100) Tried accessing nonexisting field (email) on node type (User)"
    )
    other_page = await graph.request("GET", f"/v25.0/{CAROL}")
    assert (other_page.error["code"], other_page.error["error_subcode"]) == (100, 33)
