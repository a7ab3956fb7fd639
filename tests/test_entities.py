"""People as devices: notify, event, window sensor and binary sensor, and `facebook.send_message`.

Everything goes through the real webhook view and the simulator over HTTP.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import DOMAIN, EVENT_BROADCAST_FINISHED, WEBHOOK_PATH
from simulator import Simulator

from .conftest import ALICE, BOB, CAROL, PAGE_ID, TOKEN, ClientFactory, SetupEntry

ALICE_ENTITIES = {
    "notify.alice": f"{PAGE_ID}_{ALICE}_person",
    "event.alice_messages": f"{PAGE_ID}_{ALICE}_messages",
    "sensor.alice_messaging_window_closes": f"{PAGE_ID}_{ALICE}_window_closes",
    "binary_sensor.alice_messaging_window": f"{PAGE_ID}_{ALICE}_window",
}


@pytest.fixture
async def entry(setup_entry: SetupEntry) -> MockConfigEntry:
    return await setup_entry()


@pytest.fixture
async def webhook(entry: MockConfigEntry, hass_client_no_auth: ClientFactory) -> TestClient:
    return await hass_client_no_auth()


async def post(client: TestClient, sim: Simulator, event: dict[str, Any]) -> None:
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


def device_with(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """The device with this identifier (2026 deprecates looking one up by identifiers alone)."""
    registry = dr.async_get(hass)
    devices = (
        device
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
    )
    return next((d for d in devices if (DOMAIN, identifier) in d.identifiers), None)


async def test_a_device_per_page_and_per_person(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    page = device_with(hass, PAGE_ID)
    alice = device_with(hass, f"{PAGE_ID}_{ALICE}")
    assert page is not None and alice is not None
    assert (page.name, page.manufacturer, page.entry_type) == (
        "Home",
        "Meta",
        dr.DeviceEntryType.SERVICE,
    )
    assert alice.name == "Alice"
    entities = er.async_get(hass)
    for entity_id, unique_id in ALICE_ENTITIES.items():
        registered = entities.async_get(entity_id)
        assert registered is not None, entity_id
        assert (registered.unique_id, registered.device_id) == (unique_id, alice.id)
        assert registered.config_subentry_id is not None
    everyone = entities.async_get("notify.home_everyone")
    assert everyone is not None and everyone.device_id == page.id
    assert (
        hass.states.get("sensor.alice_messaging_window_closes").attributes["device_class"]
        == "timestamp"
    )
    assert hass.states.get("event.alice_messages").attributes["event_types"] == [
        "message",
        "quick_reply",
        "postback",
        "reaction",
    ]


async def test_a_message_moves_the_event_and_both_window_entities(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    assert hass.states.get("binary_sensor.alice_messaging_window").state == "off"
    assert hass.states.get("sensor.alice_messaging_window_closes").state == "unknown"
    stamp = int(dt_util.utcnow().timestamp() * 1000)
    await post(webhook, simulator, simulator.message_event(ALICE, "hi there", timestamp=stamp))
    state = hass.states.get("event.alice_messages")
    assert state.attributes["event_type"] == "message"
    assert state.attributes["message"] == "hi there"
    assert state.attributes["sender_name"] == "Alice"
    assert state.attributes["page_id"] == PAGE_ID
    closes = dt_util.parse_datetime(hass.states.get("sensor.alice_messaging_window_closes").state)
    wrote = dt_util.utc_from_timestamp(stamp / 1000).replace(microsecond=0)
    assert closes == wrote + timedelta(hours=24)
    assert hass.states.get("binary_sensor.alice_messaging_window").state == "on"
    assert hass.states.get("event.bob_messages").state == "unknown"  # Bob's are his own


@pytest.mark.parametrize(
    ("build", "event_type", "field", "value"),
    [
        (
            lambda s: s.message_event(ALICE, "Red", quick_reply_payload="FOO"),
            "quick_reply",
            "payload",
            "FOO",
        ),
        (lambda s: s.postback_event(ALICE, "Close it", "CLOSE"), "postback", "payload", "CLOSE"),
        (
            lambda s: s.reaction_event(ALICE, "m_1", "love", "\u2764\ufe0f"),
            "reaction",
            "emoji",
            "\u2764\ufe0f",
        ),
    ],
)
async def test_every_kind_of_event(
    hass: HomeAssistant,
    simulator: Simulator,
    webhook: TestClient,
    build: Any,
    event_type: str,
    field: str,
    value: str,
) -> None:
    await post(webhook, simulator, build(simulator))
    state = hass.states.get("event.alice_messages")
    assert (state.attributes["event_type"], state.attributes[field]) == (event_type, value)


async def test_a_stranger_and_a_read_change_no_entity(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    await post(webhook, simulator, simulator.message_event(CAROL, "who am I"))
    await post(webhook, simulator, simulator.read_event(ALICE, 123))
    assert hass.states.get("event.alice_messages").state == "unknown"


async def test_the_window_turns_off_at_the_closing_time(
    hass: HomeAssistant,
    simulator: Simulator,
    webhook: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    wrote = dt_util.utcnow().replace(microsecond=0)
    freezer.move_to(wrote)
    await post(
        webhook,
        simulator,
        simulator.message_event(ALICE, "hi", timestamp=int(wrote.timestamp() * 1000)),
    )
    assert hass.states.get("binary_sensor.alice_messaging_window").state == "on"
    freezer.tick(timedelta(hours=23, minutes=59))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.alice_messaging_window").state == "on"
    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.alice_messaging_window").state == "off"


async def test_writing_again_keeps_the_window_on_until_the_new_closing_time(
    hass: HomeAssistant,
    simulator: Simulator,
    webhook: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    first = dt_util.utcnow().replace(microsecond=0)
    freezer.move_to(first)
    stamp = int(first.timestamp() * 1000)
    await post(webhook, simulator, simulator.message_event(ALICE, "hi", timestamp=stamp))
    freezer.tick(timedelta(hours=12))
    again = stamp + 12 * 3600 * 1000
    await post(webhook, simulator, simulator.message_event(ALICE, "again", timestamp=again))
    window = "binary_sensor.alice_messaging_window"
    changes = async_capture_events(hass, "state_changed")
    freezer.tick(timedelta(hours=12, seconds=1))  # the first window's closing time passes
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert hass.states.get(window).state == "on"
    assert [e for e in changes if e.data["entity_id"] == window] == []  # not even a blip
    freezer.tick(timedelta(hours=12))  # the second one's
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()
    assert hass.states.get(window).state == "off"


async def test_notify_send_message_is_one_send_api_call(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "title": "Garage", "message": "The door is open"},
        blocking=True,
    )
    assert len(simulator.sent) == 1
    sent = simulator.sent[0]
    assert (sent.recipient_id, sent.message) == (ALICE, {"text": "Garage\nThe door is open"})
    assert hass.states.get("notify.alice").state not in ("unknown", "unavailable")  # recorded


def _png(tmp_path: Path) -> Path:
    picture = tmp_path / "door.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    return picture


DATA_CASES: list[tuple[str, dict[str, Any], Any]] = [
    (
        "quick_replies",
        {"quick_replies": ["Yes", "No"]},
        lambda m: [q["title"] for q in m[-1].message["quick_replies"]] == ["Yes", "No"],
    ),
    (
        "buttons",
        {"buttons": [{"title": "Close", "payload": "CLOSE"}]},
        lambda m: m[-1].message["attachment"]["payload"]["template_type"] == "button",
    ),
    (
        "image by URL",
        {"image": "https://example.com/door.jpg"},
        lambda m: m[-1].message["attachment"]["payload"]["url"] == "https://example.com/door.jpg",
    ),
    (
        "messaging options",
        {"messaging_type": "RESPONSE", "notification_type": "SILENT_PUSH"},
        lambda m: (m[-1].messaging_type, m[-1].notification_type) == ("RESPONSE", "SILENT_PUSH"),
    ),
    (
        "tag",
        {"tag": "HUMAN_AGENT"},
        lambda m: (m[-1].messaging_type, m[-1].tag) == ("MESSAGE_TAG", "HUMAN_AGENT"),
    ),
    ("metadata", {"metadata": "door-1"}, lambda m: m[-1].message["metadata"] == "door-1"),
    (
        "sticker",
        {"sticker_id": 369239263222822},
        lambda m: m[-1].message == {"sticker_id": 369239263222822},
    ),
    (
        "attachment passthrough",
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "generic",
                    "elements": [{"title": "Door", "subtitle": "Opened"}],
                },
            }
        },
        lambda m: m[-1].message["attachment"]["payload"]["template_type"] == "generic",
    ),
    ("sender action", {"sender_action": "typing_on"}, lambda m: m[0].sender_action == "typing_on"),
]


@pytest.mark.parametrize(("name", "data", "check"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
async def test_facebook_send_message_takes_every_data_key(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    name: str,
    data: dict[str, Any],
    check: Any,
) -> None:
    simulator.approve_human_agent()  # an app Meta approved for Human Agent (FIDELITY F-09)
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.alice", "message": "Door", "data": data},
        blocking=True,
    )
    sent = [s for s in simulator.sent if s.recipient_id == ALICE]
    assert sent and check(sent), [(s.message, s.sender_action) for s in sent]


async def test_facebook_send_message_uploads_a_local_file(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry, tmp_path: Path
) -> None:
    picture = _png(tmp_path)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "entity_id": ["notify.alice", "notify.bob"],
            "message": "",
            "data": {"image": str(picture)},
        },
        blocking=True,
    )
    assert {s.recipient_id for s in simulator.sent} == {ALICE, BOB}
    assert all(s.files["filedata"].data == picture.read_bytes() for s in simulator.sent)
    assert hass.states.get("notify.alice").state not in ("unknown", "unavailable")


async def test_bad_data_sends_nothing_and_says_why(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="quick_replies has 14 items"):
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {
                "entity_id": "notify.alice",
                "message": "x",
                "data": {"quick_replies": list("abcdefghijklmn")},
            },
            blocking=True,
        )
    assert simulator.sent == []


async def test_everyone_reaches_the_audience(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    await post(webhook, simulator, simulator.message_event(CAROL, "hello"))  # a stranger wrote
    finished = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.home_everyone", "message": "Power is back"},
        blocking=True,
    )
    assert sorted(s.recipient_id for s in simulator.sent) == sorted([ALICE, BOB, CAROL])
    assert finished[0].data["sent"] == 3


async def test_removing_a_person_removes_their_device_and_entities(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    alice = next(s for s in entry.subentries.values() if s.unique_id == ALICE)
    assert hass.config_entries.async_remove_subentry(entry, alice.subentry_id)
    await hass.async_block_till_done()
    entities = er.async_get(hass)
    assert all(entities.async_get(entity_id) is None for entity_id in ALICE_ENTITIES)
    assert device_with(hass, f"{PAGE_ID}_{ALICE}") is None
    assert entities.async_get("notify.bob") is not None
    assert hass.states.get("notify.bob").state != "unavailable"  # the page was built again


async def test_a_reload_keeps_the_entities(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    before = {
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = {
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    assert before == after and len(after) == 12  # Everyone, Webhook + 5 for each of 2 people
    assert all(hass.states.get(e).state != "unavailable" for e in after)


async def test_unavailable_while_the_token_is_rejected_back_after_reauth(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    simulator.inject_error(190, subcode=460, message="The session has been invalidated")
    with pytest.raises(HomeAssistantError, match="invalid or expired"):
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": "notify.bob", "message": "x"}, blocking=True
        )
    assert hass.states.get("event.alice_messages").state == "unavailable"
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"page_access_token": TOKEN}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert hass.states.get("event.alice_messages").state != "unavailable"
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.bob", "message": "y"}, blocking=True
    )
    assert [s.message["text"] for s in simulator.messages_to(BOB)] == ["y"]
