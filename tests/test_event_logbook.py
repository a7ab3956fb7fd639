"""The words of a person's message reach their Messages entity's logbook.

Home Assistant's more-info dialog shows an event entity's type ("Message") and its logbook, never
its attributes: the logbook line is where a household sees what was written.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import WEBHOOK_PATH
from simulator import Simulator

from .conftest import ALICE, ClientFactory, SetupEntry

MESSAGES = "event.alice_messages"


@pytest.fixture
async def webhook(setup_entry: SetupEntry, hass_client_no_auth: ClientFactory) -> TestClient:
    await setup_entry()
    return await hass_client_no_auth()


async def post(client: TestClient, sim: Simulator, event: dict[str, Any]) -> None:
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda s: s.message_event(ALICE, "Is the back door locked?"), "Is the back door locked?"),
        (lambda s: s.message_event(ALICE, "Red", quick_reply_payload="FOO"), "Red"),
        (lambda s: s.postback_event(ALICE, "Close it", "CLOSE"), "Close it"),
        (lambda s: s.reaction_event(ALICE, "m_1", "love", "\u2764\ufe0f"), "\u2764\ufe0f"),
    ],
)
async def test_the_logbook_gets_the_words_on_the_messages_entity(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient, build: Any, words: str
) -> None:
    # The logbook is loaded, as with default_config (setting it up here would need a recorder).
    hass.config.components.add("logbook")
    logbook = async_capture_events(hass, "logbook_entry")
    await post(webhook, simulator, build(simulator))
    await hass.async_block_till_done()
    assert [event.data for event in logbook] == [
        {
            "name": "Alice",
            "message": f"\u201c{words}\u201d",
            "domain": "facebook",
            "entity_id": MESSAGES,
        }
    ]
    assert hass.states.get(MESSAGES).attributes["sender_name"] == "Alice"


async def test_no_logbook_no_line(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    logbook = async_capture_events(hass, "logbook_entry")
    await post(webhook, simulator, simulator.message_event(ALICE, "hello"))
    await hass.async_block_till_done()
    assert hass.states.get(MESSAGES).attributes["message"] == "hello"
    assert logbook == []
