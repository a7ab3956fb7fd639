"""The /_sim/ routes for admins, user tokens, templates, settings and the new user actions."""

from __future__ import annotations

import json

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, TOKEN, Graph, Receiver
from tests.simulator.test_sim_control import call

DANA = "100000000000001"


async def test_admins_and_tokens(http: aiohttp.ClientSession, sim: Simulator) -> None:
    status, admin = await call(
        http, sim, "POST", "/_sim/admins", {"user_id": DANA, "name": "Dana", "pages": [PAGE_ID]}
    )
    assert status == 201 and admin == {"user_id": DANA, "name": "Dana", "pages": [PAGE_ID]}
    status, issued = await call(
        http, sim, "POST", "/_sim/tokens", {"user_id": DANA, "long_lived": True}
    )
    assert status == 201 and issued["access_token"].startswith("EAA")
    assert issued["expires_at"] - sim.now() > 5_000_000
    assert (await call(http, sim, "POST", "/_sim/tokens", {"user_id": "9"}))[0] == 400
    assert (await call(http, sim, "POST", "/_sim/admins", {"pages": ["42"]}))[0] == 400
    _, state = await call(http, sim, "GET", "/_sim/state")
    text = json.dumps(state)
    assert issued["access_token"] not in text and TOKEN not in text  # values stay hidden
    kinds = {(t["kind"], t["owner"], t["status"]) for t in state["tokens"]}
    assert ("USER", DANA, "valid") in kinds and ("PAGE", PAGE_ID, "valid") in kinds
    assert state["admins"][0]["name"] == "Dana" and state["ui_setup"] is None


async def test_template_status_route(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    body = {
        "name": "door",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "The door is open."}],
    }
    await graph.request("POST", f"/{PAGE_ID}/message_templates", json=body)
    sim.webhook_url = receiver.url
    change = {"name": "door", "status": "disabled", "reason": "POLICY"}
    status, template = await call(http, sim, "POST", "/_sim/templates/status", change)
    assert status == 200 and template["status"] == "DISABLED"
    await sim.settle()
    value = json.loads(receiver.posts[-1][1])["entry"][0]["changes"][0]["value"]
    assert (value["event"], value["reason"]) == ("DISABLED", "POLICY")
    missing = {"name": "nope", "status": "APPROVED"}
    assert (await call(http, sim, "POST", "/_sim/templates/status", missing))[0] == 400
    _, state = await call(http, sim, "GET", "/_sim/state")
    assert state["templates"][0]["status"] == "DISABLED"


async def test_template_settings(http: aiohttp.ClientSession, sim: Simulator) -> None:
    status, config = await call(
        http, sim, "POST", "/_sim/config", {"template_review": "reject", "template_review_delay": 1}
    )
    assert status == 200 and config["template_review"] == "reject"
    assert sim.config.template_review_delay == 1
    bad = await call(http, sim, "POST", "/_sim/config", {"template_review": "maybe"})
    assert bad[0] == 400 and sim.config.template_review == "reject"


async def test_reply_route(http: aiohttp.ClientSession, sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    mid = sim.message_event(ALICE, "first")["message"]["mid"]
    status, answer = await call(
        http, sim, "POST", f"/_sim/users/{ALICE}/reply", {"mid": mid, "text": "again"}
    )
    assert status == 200 and answer["status"] == 200
    assert receiver.events()[-1]["message"]["reply_to"]["mid"] == mid
