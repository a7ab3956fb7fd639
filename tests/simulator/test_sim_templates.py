"""Utility templates over HTTP: creation rules, review, listing, deletion, UTILITY sends and the
status webhook (messenger-2026-extra §1.4, §1.6, §1.7, §1.8)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, SECRET, TOKEN, Graph, Receiver

DAY = 24 * 3600
PATH = f"/v25.0/{PAGE_ID}/message_templates"
BODY = "Home alert from {{1}}: the {{2}} reported trouble. Open Home Assistant."


def template(name: str = "home_alert", **extra: Any) -> dict[str, Any]:
    body = {"type": "BODY", "text": BODY, "example": {"body_text": [["Home", "smoke alarm"]]}}
    return {
        "name": name,
        "language": "en_US",
        "category": "UTILITY",
        "components": [body],
    } | extra


async def create(graph: Graph, **extra: Any) -> dict[str, Any]:
    return (await graph.request("POST", PATH, json=template(**extra))).body


def utility(name: str = "home_alert", params: list[str] | None = None, **message: Any) -> dict:
    values = ["Home", "smoke alarm"] if params is None else params
    parameters = [{"type": "text", "text": value} for value in values]
    return {
        "recipient": {"id": ALICE},
        "messaging_type": "UTILITY",
        "message": {
            "template": {
                "name": name,
                "language": {"code": "en_US"},
                "components": [{"type": "body", "parameters": parameters}],
            }
        }
        | message,
    }


async def test_create_is_approved_at_once(graph: Graph, sim: Simulator) -> None:
    body = await create(graph)
    assert body["status"] == "APPROVED" and body["category"] == "UTILITY" and body["id"].isdigit()
    form = {
        "name": "form_made",
        "language": "de_DE",
        "category": "UTILITY",
        "components": json.dumps([{"type": "BODY", "text": "Hallo, alles gut."}]),
    }
    assert (await graph.request("POST", PATH, data=form)).body["status"] == "APPROVED"


async def error_of(graph: Graph, **extra: Any) -> dict[str, Any]:
    return (await create(graph, **extra))["error"]


async def test_creation_errors(graph: Graph) -> None:
    assert "512" in (await error_of(graph, name="Home Alert"))["message"]
    assert (await error_of(graph, language="xx_XX"))["code"] == 100
    assert "UTILITY" in (await error_of(graph, category="MARKETING"))["message"]
    two = [{"type": "BODY", "text": "a b"}, {"type": "BODY", "text": "c d"}]
    assert "exactly one BODY" in (await error_of(graph, components=two))["message"]
    long = [{"type": "BODY", "text": "x" * 1025}]
    assert "1024" in (await error_of(graph, components=long))["message"]
    dangling = [{"type": "BODY", "text": "{{1}} is done", "example": {"body_text": [["x"]]}}]
    assert "dangling" in (await error_of(graph, components=dangling))["message"]
    header = {"type": "HEADER", "format": "TEXT", "text": "{{1}} and {{2}} news"}
    bad_header = [header, {"type": "BODY", "text": "All fine here."}]
    assert "at most 1 parameter" in (await error_of(graph, components=bad_header))["message"]
    long_header = [{"type": "HEADER", "format": "TEXT", "text": "h" * 61}, two[0]]
    assert "60" in (await error_of(graph, components=long_header))["message"]


async def test_buttons(graph: Graph) -> None:
    def with_buttons(*buttons: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"type": "BODY", "text": "Door open."},
            {"type": "BUTTONS", "buttons": list(buttons)},
        ]

    quick = {"type": "QUICK_REPLY", "text": "OK"}
    error = await error_of(graph, components=with_buttons(quick))
    assert (error["message"], error["error_subcode"]) == ("Fatal", 2018416)
    assert error["error_user_title"] == "Message Template Creation Failed"
    postback = {"type": "POSTBACK", "text": "Close it", "payload": "CLOSE"}
    four = with_buttons(postback, postback, postback, postback)
    assert (await error_of(graph, components=four))["code"] == 100
    fine = with_buttons(
        postback,
        {"type": "URL", "text": "Open", "url": "https://ha.example.org/door"},
        {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550100"},
    )
    assert (await create(graph, name="door", components=fine))["status"] == "APPROVED"


async def test_duplicates_and_permission(graph: Graph, sim: Simulator) -> None:
    await create(graph)
    again = await error_of(graph)
    assert again["code"] == 100 and "already exists" in again["message"]
    assert (await create(graph, language="de_DE"))["status"] == "APPROVED"  # another language
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET, scopes=["pages_messaging"])
    denied = await error_of(graph, name="other")
    assert (
        denied["code"] == 200 and "requires pages_utility_messaging permission" in denied["message"]
    )
    listed = await graph.request("GET", PATH)
    assert listed.error["code"] == 200
    sim.inject_error(2, paths="message_templates")
    assert (await graph.request("GET", PATH)).error["code"] == 2


async def test_formatting_problems_are_rejected(graph: Graph, sim: Simulator) -> None:
    gaps = [
        {"type": "BODY", "text": "Hi {{1}} and {{3}} ok", "example": {"body_text": [["a", "b"]]}}
    ]
    assert (await create(graph, name="gaps", components=gaps))["status"] == "REJECTED"
    odd = [{"type": "BODY", "text": "Hi {{#1}} ok", "example": {"body_text": [["a"]]}}]
    assert (await create(graph, name="odd", components=odd))["status"] == "REJECTED"
    no_example = [{"type": "BODY", "text": "Hi {{1}} ok"}]
    assert (await create(graph, name="bare", components=no_example))["status"] == "REJECTED"
    assert sim.find_template("bare").specific_rejection_reasons == [
        "TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES"
    ]
    assert sim.find_template("gaps").rejected_reason == "INCORRECT_PARAMS"


async def test_named_parameters(graph: Graph, sim: Simulator) -> None:
    named = [
        {
            "type": "BODY",
            "text": "Good news, {{name}}: the {{device}} is fine.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "name", "example": "Dana"},
                    {"param_name": "device", "example": "washer"},
                ]
            },
        }
    ]
    body = await create(graph, name="named", parameter_format="NAMED", components=named)
    assert body["status"] == "APPROVED"
    send = utility("named")
    send["message"]["template"]["components"][0]["parameters"] = [
        {"type": "text", "parameter_name": "name", "text": "Alice"},
        {"type": "text", "parameter_name": "device", "text": "dryer"},
    ]
    assert (await graph.send(send)).status == 200
    assert sim.messages_to(ALICE)[-1].text == "Good news, Alice: the dryer is fine."


async def test_review_modes_and_listing(graph: Graph, sim: Simulator) -> None:
    sim.config.template_review = "pending"
    assert (await create(graph))["status"] == "PENDING"
    sim.config.template_review = "reject"
    assert (await create(graph, name="rejected"))["status"] == "REJECTED"
    default = (await graph.request("GET", PATH)).body["data"]
    assert {t["name"] for t in default} == {"home_alert", "rejected"}
    assert "status" not in default[0] and set(default[0]) == {
        "name",
        "language",
        "category",
        "components",
        "id",
    }
    fields = {"fields": "name,language,status,rejected_reason,components,id", "status": "REJECTED"}
    (rejected,) = (await graph.request("GET", PATH, params=fields)).body["data"]
    assert rejected["rejected_reason"] == "TAG_SHOULD_BE_MARKETING"
    page = await graph.request("GET", PATH, params={"limit": "1"})
    assert len(page.body["data"]) == 1 and "next" in page.body["paging"]
    bad = await graph.request("GET", PATH, params={"fields": "bogus"})
    assert bad.error["code"] == 100


async def test_delayed_review(graph: Graph, sim: Simulator) -> None:
    sim.config.template_review_delay = 0.05
    assert (await create(graph))["status"] == "PENDING"
    for _ in range(200):
        if sim.find_template("home_alert").status != "PENDING":
            break
        await asyncio.sleep(0.01)
    assert sim.find_template("home_alert").status == "APPROVED"


async def test_delete(graph: Graph, sim: Simulator) -> None:
    await create(graph)
    await create(graph, language="de_DE")
    kept = await create(graph, name="kept")
    assert (await graph.request("DELETE", PATH, params={"name": "home_alert"})).body == {
        "success": True
    }
    assert [t.name for t in sim.templates.values()] == ["kept"]
    by_id = await graph.request("DELETE", PATH, params={"template_id": kept["id"]})
    assert by_id.body == {"success": True} and not sim.templates
    assert (await graph.request("DELETE", PATH)).error["code"] == 100


async def test_utility_send_outside_the_window(graph: Graph, sim: Simulator) -> None:
    await create(graph)
    sim.advance(3 * DAY)
    reply = await graph.send(utility())
    assert reply.status == 200 and reply.body["message_id"].startswith("m_")
    sent = sim.messages_to(ALICE)[-1]
    assert (
        sent.text == "Home alert from Home: the smoke alarm reported trouble. Open Home Assistant."
    )
    assert sent.rendered is not None and sent.rendered["name"] == "home_alert"
    plain = await graph.send(
        {"recipient": {"id": ALICE}, "messaging_type": "UPDATE", "message": {"text": "hi"}}
    )
    assert plain.error["error_subcode"] == 2018278  # everything else keeps the window


async def test_utility_send_errors(graph: Graph, sim: Simulator) -> None:
    missing = (await graph.send(utility("nope"))).error
    assert missing["code"] == 100 and "template cannot be found" in missing["message"]
    await create(graph)
    assert (
        "takes 2 parameters, 1 given" in (await graph.send(utility(params=["x"]))).error["message"]
    )
    long = (await graph.send(utility(params=["x" * 1025, "y"]))).error
    assert "1024" in long["message"]
    not_utility = utility()
    not_utility["messaging_type"] = "UPDATE"
    assert "UTILITY" in (await graph.send(not_utility)).error["message"]
    sim.set_template_status("home_alert", "PAUSED")
    paused = (await graph.send(utility())).error
    assert paused["code"] == 100 and "PAUSED" in paused["message"]
    sim.set_template_status("home_alert", "APPROVED")
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET, scopes=["pages_messaging"])
    assert (await graph.send(utility())).error["code"] == 200
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET)
    sim.inject_error(613)
    assert (await graph.send(utility())).error["code"] == 613  # faults reach UTILITY sends


async def test_status_webhook(graph: Graph, sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    created = await create(graph)
    sim.set_template_status("home_alert", "PAUSED", reason="LOW_QUALITY")
    await sim.settle()
    changes = [json.loads(raw)["entry"][0] for _, raw in receiver.posts]
    assert [c["changes"][0]["value"]["event"] for c in changes] == ["APPROVED", "PAUSED"]
    entry = changes[-1]
    assert entry["id"] == PAGE_ID and isinstance(entry["time"], int)
    assert entry["changes"][0] == {
        "field": "messenger_template_status_update",
        "value": {
            "event": "PAUSED",
            "message_template_id": int(created["id"]),
            "message_template_name": "home_alert",
            "message_template_language": "en_US",
            "reason": "LOW_QUALITY",
        },
    }
    assert receiver.posts[-1][0]["X-Hub-Signature-256"].startswith("sha256=")
    sim.config.template_status_field = "message_template_status_update"
    event = sim.template_status_event("home_alert", "DISABLED")
    body, _ = sim.build_webhook(event)
    assert json.loads(body)["entry"][0]["changes"][0]["field"] == "message_template_status_update"
    assert (await sim.post_webhook(event))[0][0] == 200
