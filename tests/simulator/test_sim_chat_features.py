"""The chat page's view of utility messages, quotes, the page's reactions and the profile."""

from __future__ import annotations

from typing import Any

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, Graph, Receiver, text_message


async def conversation(http: aiohttp.ClientSession, sim: Simulator) -> dict[str, Any]:
    async with http.get(f"{sim.url}/_sim/conversations/{ALICE}") as response:
        return dict(await response.json())


async def test_utility_card(http: aiohttp.ClientSession, graph: Graph, sim: Simulator) -> None:
    components = [
        {"type": "HEADER", "format": "TEXT", "text": "Door"},
        {"type": "BODY", "text": "The {{1}} is open.", "example": {"body_text": [["door"]]}},
        {
            "type": "BUTTONS",
            "buttons": [{"type": "URL", "text": "Open HA", "url": "https://ha.example.org"}],
        },
    ]
    body = {"name": "door", "language": "en_US", "category": "UTILITY", "components": components}
    await graph.request("POST", f"/{PAGE_ID}/message_templates", json=body)
    send = {
        "recipient": {"id": ALICE},
        "messaging_type": "UTILITY",
        "message": {
            "template": {
                "name": "door",
                "language": {"code": "en_US"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "gate"}]}],
            }
        },
    }
    assert (await graph.send(send)).status == 200
    (item,) = (await conversation(http, sim))["items"]
    assert item["kind"] == "utility" and item["text"] == "The gate is open."
    assert item["header"] == "Door" and item["template"] == "door"
    assert item["buttons"] == [
        {"type": "web_url", "title": "Open HA", "url": "https://ha.example.org"}
    ]


async def test_quotes_and_page_reactions(
    http: aiohttp.ClientSession, graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    await sim.user_says(ALICE, "is the door shut?")
    question = receiver.events()[-1]["message"]["mid"]
    await graph.send(text_message(text="yes", reply_to={"mid": question}))
    reaction = {"message_id": question, "reaction": "\U0001f44d"}
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "react", "payload": reaction})
    answer = sim.sent[0].message_id
    await sim.user_replies(ALICE, str(answer), "thanks")
    items = (await conversation(http, sim))["items"]
    asked, replied, thanked = items
    assert asked["reaction"] == "\U0001f44d"
    assert replied["quote"] == {"mid": question, "from": "user", "text": "is the door shut?"}
    assert thanked["quote"] == {"mid": answer, "from": "page", "text": "yes"}
    unreact = {"recipient": {"id": ALICE}, "sender_action": "unreact", "payload": reaction}
    await graph.send(unreact)
    assert (await conversation(http, sim))["items"][0]["reaction"] is None


async def test_profile_and_window(
    http: aiohttp.ClientSession, graph: Graph, sim: Simulator
) -> None:
    menu = [
        {
            "locale": "default",
            "call_to_actions": [{"type": "postback", "title": "Status", "payload": "S"}],
        }
    ]
    profile = {
        "get_started": {"payload": "GO"},
        "persistent_menu": menu,
        "ice_breakers": [{"question": "Door?", "payload": "DOOR"}],
        "commands": [{"locale": "default", "commands": [{"name": "lights", "description": "On"}]}],
    }
    await graph.request("POST", "/me/messenger_profile", json=profile)
    snap = await conversation(http, sim)
    assert snap["profile"] == {
        "get_started": True,
        "menu": [{"type": "postback", "title": "Status", "payload": "S"}],
        "ice_breakers": ["Door?"],
        "commands": [{"name": "lights", "description": "On"}],
    }
    me = next(u for u in snap["users"] if u["psid"] == ALICE)
    assert me["window_open"] and me["window_closes_at"] > sim.now()
    sim.age_user(ALICE, 2 * 24 * 3600)
    assert (await conversation(http, sim))["user"]["window_open"] is False
