"""Replies and reactions, both ways: `reply_to` and `reaction` out, `reply_to` and reactions in."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import EVENT_MESSAGE, EVENT_REACTION, WEBHOOK_PATH
from simulator import Simulator

from .conftest import ALICE, ClientFactory, SetupFacebook


async def notify(hass: HomeAssistant, message: str, **data: Any) -> None:
    call = {"message": message, "target": ["alice"], "data": data}
    await hass.services.async_call("notify", "facebook", call, blocking=True)


@pytest.fixture
async def client(
    hass: HomeAssistant, setup_facebook: SetupFacebook, hass_client_no_auth: ClientFactory
) -> TestClient:
    await setup_facebook()
    return await hass_client_no_auth()


async def alice_writes(client: TestClient, sim: Simulator, text: str, **kwargs: Any) -> str:
    event = sim.message_event(ALICE, text, **kwargs)
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    return str(event["message"]["mid"])


async def test_a_reply_quotes_the_person_s_message(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    mid = await alice_writes(client, simulator, "Is the door locked?")
    await notify(hass, "Yes, since 22:00", reply_to=mid)
    (sent,) = simulator.messages_to(ALICE)
    assert sent.reply_to == mid
    request = [r for r in simulator.requests if r.path.endswith("/messages")][-1]
    assert request.body["reply_to"] == {"mid": mid}  # Meta's shape: top level, {mid}


async def test_a_long_reply_quotes_once(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    mid = await alice_writes(client, simulator, "Tell me everything")
    await notify(hass, " ".join(["word"] * 500), reply_to=mid)
    assert [m.reply_to for m in simulator.messages_to(ALICE)] == [mid, None]


async def test_a_reaction_with_no_text_and_its_removal(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    mid = await alice_writes(client, simulator, "I'm home")
    await notify(hass, "", reaction="\u2764\ufe0f", message_id=mid)
    await notify(hass, "", reaction=None, message_id=mid)
    actions = [(s.sender_action, s.payload) for s in simulator.sent]
    assert actions == [
        ("react", {"message_id": mid, "reaction": "\u2764\ufe0f"}),
        ("unreact", {"message_id": mid}),
    ]
    assert simulator.messages_to(ALICE) == []  # sender actions, no message


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"reaction": "👍"}, "reaction needs message_id"),
        ({"message_id": "m_1"}, "message_id goes with reaction"),
        ({"reaction": 5, "message_id": "m_1"}, "reaction must be an emoji"),
        ({"reply_to": ""}, "reply_to must be the mid"),
    ],
)
async def test_bad_replies_and_reactions_send_nothing(
    hass: HomeAssistant,
    simulator: Simulator,
    client: TestClient,
    data: dict[str, Any],
    problem: str,
) -> None:
    with pytest.raises(ServiceValidationError, match=problem):
        await notify(hass, "x", **data)
    assert simulator.sent == []


async def test_incoming_replies_and_reactions_carry_their_fields(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    messages = async_capture_events(hass, EVENT_MESSAGE)
    reactions = async_capture_events(hass, EVENT_REACTION)
    await notify(hass, "The washer is done")
    page_mid = simulator.messages_to(ALICE)[0].message_id
    await alice_writes(client, simulator, "thanks", reply_to=page_mid)
    await alice_writes(client, simulator, "no reply")
    assert messages[0].data["reply_to"] == page_mid
    assert "reply_to" not in messages[1].data  # only when there is one
    event = simulator.reaction_event(ALICE, page_mid, "like", "\U0001f44d")
    body, headers = simulator.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    assert reactions[0].data == {
        "sender_id": ALICE,
        "sender_name": "alice",
        "page_id": reactions[0].data["page_id"],
        "timestamp": reactions[0].data["timestamp"],
        "mid": page_mid,
        "reaction": "like",
        "emoji": "\U0001f44d",
        "action": "react",
    }
