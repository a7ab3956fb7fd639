"""Diagnostics: the page's settings and state, and not one secret or PSID in them."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.facebook.const import WEBHOOK_PATH
from simulator import Simulator

from .conftest import (
    ALICE,
    APP_SECRET,
    BOB,
    CAROL,
    PAGE_ID,
    TOKEN,
    VERIFY_TOKEN,
    ClientFactory,
    SetupEntry,
)


async def test_diagnostics_redact_every_secret_and_psid(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client: ClientFactory,
    hass_client_no_auth: ClientFactory,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    entry = await setup_entry()
    webhook: TestClient = await hass_client_no_auth()
    body, headers = simulator.build_webhook(simulator.message_event(CAROL, "hello"))
    assert (await webhook.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    simulator.inject_http_status(503, count=None)
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.alice", "message": "kept"}, blocking=True
    )
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result)
    for secret in (TOKEN, APP_SECRET, VERIFY_TOKEN, ALICE, BOB, CAROL):
        assert secret not in text, secret
    assert result["page"] == {"id": PAGE_ID, "name": "Home"}
    assert result["people_count"] == 2
    assert result["audience_size"] == 1
    assert result["outbox"]["messages"] == 1
    assert result["entry"]["data"]["page_access_token"] == "**REDACTED**"
    assert result["entry"]["people"] == [
        {"psid": "**REDACTED**", "name": "Alice"},
        {"psid": "**REDACTED**", "name": "Bob"},
    ]
    assert result["pacing"]["cap"] == 300
    assert result["last_error"] is None or result["last_error"].startswith("HTTP")
