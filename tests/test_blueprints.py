"""The blueprints in `blueprints/`: each loads and validates in a real Home Assistant, and each
runs against the simulator as a household would use it (a tap on the chat's quick replies).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item as validate_automation,
)
from homeassistant.components.blueprint import BLUEPRINT_SCHEMA, Blueprint
from homeassistant.components.script.config import async_validate_config_item as validate_script
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
import pytest

from custom_components.facebook.const import EVENT_WINDOW_CLOSING, WEBHOOK_PATH
from simulator import Simulator
from simulator.recording import SentMessage

from .conftest import ALICE, BOB, PAGE_ID, ClientFactory, SetupEntry, async_add_camera, wait_until

ROOT = Path(__file__).resolve().parents[1]
AUTHOR = "ha-facebook-messenger"
ASK = f"{AUTHOR}/ask_before_acting.yaml"
SNAPSHOT = f"{AUTHOR}/camera_snapshot_on_motion.yaml"
WINDOW = f"{AUTHOR}/window_about_to_close.yaml"
BLUEPRINTS = {ASK: "script", SNAPSHOT: "automation", WINDOW: "automation"}
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64 + b"\xff\xd9"

# Inputs each blueprint is validated with (the least a user gives).
INPUTS: dict[str, dict[str, Any]] = {
    ASK: {"people": ["notify.alice"], "question": "Close the garage?"},
    SNAPSHOT: {
        "trigger_entity": "binary_sensor.hall_motion",
        "camera": "camera.front_door",
        "people": ["notify.alice"],
    },
    WINDOW: {},
}


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Home Assistant's configuration folder with the repository's blueprints installed, as
    the "Import blueprint" button installs them (blueprints/<domain>/<author>/<name>.yaml)."""
    hass.config.config_dir = str(tmp_path)
    for name, domain in BLUEPRINTS.items():
        target = tmp_path / "blueprints" / domain / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "blueprints" / domain / name, target)
    return tmp_path


@pytest.mark.parametrize("name", list(BLUEPRINTS))
async def test_each_blueprint_loads_and_validates(
    hass: HomeAssistant, config_dir: Path, name: str
) -> None:
    domain = BLUEPRINTS[name]
    path = ROOT / "blueprints" / domain / name
    schema = AUTOMATION_BLUEPRINT_SCHEMA if domain == "automation" else BLUEPRINT_SCHEMA
    blueprint = Blueprint(
        yaml_util.load_yaml_dict(path), expected_domain=domain, path=str(path), schema=schema
    )
    assert blueprint.validate() is None  # its min_version
    assert blueprint.metadata["source_url"].endswith(f"/blueprints/{domain}/{name}")
    assert await async_setup_component(hass, domain, {})
    config = {"use_blueprint": {"path": name, "input": INPUTS[name]}}
    if domain == "automation":
        assert await validate_automation(hass, "test", {"id": "test", **config}) is not None
    else:
        assert await validate_script(hass, "test", config) is not None


async def test_a_missing_input_is_refused(hass: HomeAssistant, config_dir: Path) -> None:
    assert await async_setup_component(hass, "script", {})
    with pytest.raises(HomeAssistantError, match="Missing input people, question"):
        await validate_script(hass, "test", {"use_blueprint": {"path": ASK, "input": {}}})


# ------------------------------------------------------------------------------- end to end


@pytest.fixture
async def webhook(
    hass: HomeAssistant,
    config_dir: Path,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> TestClient:
    await setup_entry()
    return await hass_client_no_auth()


async def questions_to(sim: Simulator, psid: str, count: int = 1) -> list[SentMessage]:
    def asked() -> list[SentMessage]:
        return [m for m in sim.messages_to(psid) if "quick_replies" in (m.message or {})]

    await wait_until(lambda: len(asked()) >= count)
    return asked()


async def tap(
    client: TestClient, sim: Simulator, psid: str, question: SentMessage, title: str
) -> None:
    payload = next(q["payload"] for q in question.message["quick_replies"] if q["title"] == title)
    event = sim.message_event(psid, title, quick_reply_payload=payload)
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


def _turn(state: str) -> list[dict[str, Any]]:
    return [
        {"action": f"input_boolean.turn_{state}", "target": {"entity_id": "input_boolean.garage"}}
    ]


async def test_ask_before_acting_runs_the_answers_action(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    garage = {"garage": {"initial": True}, "nobody": {"initial": False}}
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": garage})
    inputs = {
        "people": ["notify.alice", "notify.bob"],
        "question": "The garage has been open for 30 minutes. Close it?",
        "answer_1": "Close it",
        "action_1": _turn("off"),
        "answer_2": "Leave it",
        "action_2": _turn("on"),
        "timeout": {"seconds": 1},
        "timeout_action": [
            {"action": "input_boolean.turn_on", "target": {"entity_id": "input_boolean.nobody"}}
        ],
    }
    script = {"garage": {"use_blueprint": {"path": ASK, "input": inputs}}}
    assert await async_setup_component(hass, "script", {"script": script})
    await hass.services.async_call("script", "turn_on", {"entity_id": "script.garage"})
    (question,) = await questions_to(simulator, BOB)
    assert [q["title"] for q in question.message["quick_replies"]] == ["Close it", "Leave it"]
    await tap(webhook, simulator, BOB, question, "Close it")
    await wait_until(lambda: hass.states.get("input_boolean.garage").state == "off")
    # Alice is told who answered; nobody timed out.
    await wait_until(
        lambda: any("Answered by" in (m.text or "") for m in simulator.messages_to(ALICE))
    )
    assert hass.states.get("input_boolean.nobody").state == "off"

    # Nobody answers: the timeout action runs.
    await hass.services.async_call("script", "turn_on", {"entity_id": "script.garage"})
    await questions_to(simulator, BOB, 2)
    await wait_until(lambda: hass.states.get("input_boolean.nobody").state == "on")
    assert hass.states.get("input_boolean.garage").state == "off"


@pytest.fixture
async def camera(hass: HomeAssistant, tmp_path: Path) -> str:
    return await async_add_camera(hass, tmp_path / "front_door.jpg", "front_door", JPEG)


async def test_camera_snapshot_on_motion_with_a_cooldown(
    hass: HomeAssistant, simulator: Simulator, camera: str, webhook: TestClient
) -> None:
    hass.states.async_set("binary_sensor.hall_motion", "off", {"friendly_name": "Hall motion"})
    inputs = {
        "trigger_entity": "binary_sensor.hall_motion",
        "camera": camera,
        "people": ["notify.alice"],
        "live_view_url": "https://ha.example.com/dashboard-cameras",
        "cooldown": {"minutes": 5},
        "timeout": {"seconds": 30},
    }
    automation = {"id": "snapshot", "use_blueprint": {"path": SNAPSHOT, "input": inputs}}
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    hass.states.async_set("binary_sensor.hall_motion", "on", {"friendly_name": "Hall motion"})
    (question,) = await questions_to(simulator, ALICE)
    text, picture = simulator.messages_to(ALICE)
    assert text.message == {"text": "Motion - Hall motion"}
    assert picture is question  # the snapshot carries the quick replies
    assert picture.files["filedata"].data == JPEG
    titles = [q["title"] for q in question.message["quick_replies"]]
    assert titles == ["Open live view", "Ignore"]

    # Motion again within the cooldown: nothing more is sent.
    hass.states.async_set("binary_sensor.hall_motion", "off", {"friendly_name": "Hall motion"})
    hass.states.async_set("binary_sensor.hall_motion", "on", {"friendly_name": "Hall motion"})
    # (Not `async_block_till_done`: it would wait for the question's answer.)

    # "Open live view": a new snapshot with the link, to whoever tapped.
    await tap(webhook, simulator, ALICE, question, "Open live view")
    await wait_until(lambda: len(simulator.messages_to(ALICE)) == 4)
    card, snapshot = simulator.messages_to(ALICE)[2:]
    buttons = card.message["attachment"]["payload"]["buttons"]
    assert buttons == [
        {
            "type": "web_url",
            "title": "Open live view",
            "url": "https://ha.example.com/dashboard-cameras",
        }
    ]
    assert snapshot.files["filedata"].data == JPEG
    assert len(await questions_to(simulator, ALICE)) == 1  # the second motion sent nothing


async def test_window_about_to_close_keeps_notifications_on(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    automation = {
        "id": "keep",
        "use_blueprint": {"path": WINDOW, "input": {"people": ["notify.bob"]}},
    }
    assert await async_setup_component(hass, "automation", {"automation": [automation]})
    closes_at = (dt_util.utcnow() + timedelta(hours=1)).isoformat()
    for psid, entity_id in ((ALICE, "notify.alice"), (BOB, "notify.bob")):
        hass.bus.async_fire(
            EVENT_WINDOW_CLOSING,
            {
                "page_id": PAGE_ID,
                "sender_id": psid,
                "sender_name": None,
                "closes_at": closes_at,
                "entity_id": entity_id,
            },
        )
    (question,) = await questions_to(simulator, BOB)
    assert question.message["text"] == "Tap to keep getting notifications from home."
    await tap(webhook, simulator, BOB, question, "Keep them on")
    await wait_until(
        lambda: simulator.messages_to(BOB)[-1].text == "Thanks! Notifications stay on."
    )
    assert simulator.messages_to(ALICE) == []  # not one of the people chosen
