"""End to end: the UI setup of a second page, through Home Assistant's REST API, on a real `hass`.

The sandbox (`running_stack`: the simulator's demo and `hass` on a copy of `config/`) already has
"Home" in YAML; "Garden club" is the simulator's page left for the UI setup. A user onboarded
through the REST API drives the config flow as the frontend does (`graph_url`, in the folded
Advanced section, pointed at the simulator) with the simulator's demo user token and the
app's id and secret: `user`, `page` (Garden club), `webhook` (defaults, subscribe), `people`
(Grace and Henry), then the entry. Grace's message then fires `facebook_message` (seen on the
websocket API) and `facebook.send_message` to her notify entity reaches the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import time

import pytest

from tests.e2e.harness import Stack, onboard, running_stack, texts
from tests.e2e.ui_helpers import (
    GARDEN_ID,
    GARDEN_NAME,
    GRACE,
    HENRY,
    HassWebsocket,
    flow_step,
    graph_calls,
    notify_entity_of,
    request_count,
    select_options,
    sim_page,
    start_flow,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[Stack]:
    """The simulator and Home Assistant, up and verified; stopped afterwards."""
    with running_stack(tmp_path) as running:
        yield running


def test_ui_setup_of_a_second_page_over_rest(stack: Stack) -> None:
    user = onboard(stack.ha_url)
    user.wait_running()
    setup = stack.sim("GET", "/_sim/state")["ui_setup"]
    calls: dict[str, list[str]] = {}
    started = time.monotonic()

    mark = request_count(stack)
    result = start_flow(user)
    assert (result["type"], result["step_id"]) == ("form", "user"), result
    advanced = next(field for field in result["data_schema"] if field["name"] == "advanced")
    assert "graph_url" in [field["name"] for field in advanced["schema"]]
    calls["init"] = graph_calls(stack, mark)

    mark = request_count(stack)
    result = flow_step(
        user,
        result["flow_id"],
        {
            "page_access_token": setup["user_token"],
            "app_id": setup["app_id"],
            "app_secret": setup["app_secret"],
            "advanced": {"graph_url": stack.sim_url},
        },
    )
    assert (result["type"], result["step_id"]) == ("form", "page"), result
    pages = select_options(result, "page_id")
    assert pages[GARDEN_ID] == f"{GARDEN_NAME} ({GARDEN_ID})", pages
    calls["user"] = graph_calls(stack, mark)

    mark = request_count(stack)
    result = flow_step(user, result["flow_id"], {"page_id": GARDEN_ID})
    assert (result["type"], result["step_id"]) == ("form", "webhook"), result
    placeholders = result["description_placeholders"]
    assert placeholders["webhook_url"].endswith("/api/facebook_webhooks"), placeholders
    defaults = {field["name"]: field.get("default") for field in result["data_schema"]}
    assert defaults["subscribe"] is True
    assert defaults["verify_token"] == placeholders["verify_token"]
    calls["page"] = graph_calls(stack, mark)

    mark = request_count(stack)
    result = flow_step(
        user, result["flow_id"], {"verify_token": defaults["verify_token"], "subscribe": True}
    )
    assert (result["type"], result["step_id"]) == ("form", "people"), result
    people = select_options(result, "people")
    assert people.get(GRACE) == "Grace", people
    chosen = [GRACE] + ([HENRY] if HENRY in people else [])
    calls["webhook"] = graph_calls(stack, mark)

    mark = request_count(stack)
    result = flow_step(user, result["flow_id"], {"people": chosen})
    assert result["type"] == "create_entry", result
    assert result["title"] == GARDEN_NAME
    elapsed = time.monotonic() - started
    calls["people"] = graph_calls(stack, mark)

    # Meta's side: the page is subscribed to the app's webhook fields.
    assert "messages" in (sim_page(stack, GARDEN_ID)["subscribed_fields"] or [])
    status, entries = user.call("GET", "/api/config/config_entries/entry?domain=facebook")
    assert status == 200, entries
    (entry,) = [e for e in entries if e["title"] == GARDEN_NAME]
    assert entry["state"] == "loaded", entry

    # Grace writes: the simulator posts it signed to Home Assistant's webhook.
    state = stack.sim("GET", "/_sim/state")
    assert state["config"]["webhook_url"] == stack.webhook_url
    with HassWebsocket(stack.ha_url, user.access_token) as ws:
        ws.subscribe_events("facebook_message")
        assert stack.user(GRACE, "say", text="hello from the garden")["status"] == 200
        event = ws.wait_event(
            lambda e: e["data"].get("sender_id") == GRACE, "Grace's facebook_message"
        )
    assert event["data"]["message"] == "hello from the garden", event
    print(f"\nfacebook_message from Grace: {event['data']}")

    # A send to Grace's notify entity reaches the simulator, from Garden club.
    entity_id = notify_entity_of(user, "Grace")
    since = stack.count_sent()
    status, answer = user.call(
        "POST",
        "/api/services/facebook/send_message",
        {"entity_id": entity_id, "message": "The roses need water"},
    )
    assert status == 200, answer
    sent = stack.wait_sent(since, lambda s: "The roses need water" in texts(s), "the send to Grace")
    (message,) = [s for s in sent if (s.get("message") or {}).get("text")]
    assert message["recipient_id"] == GRACE, message
    assert message["page_id"] == GARDEN_ID, message

    print(f"UI setup over REST: {elapsed:.2f} s from the first POST to create_entry")
    for step_id, step_calls in calls.items():
        print(f"  {step_id}: {step_calls or 'no Graph call'}")
    print(f"  Grace's notify entity: {entity_id}")
