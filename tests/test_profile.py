"""The Messenger Profile from Home Assistant: applied once, changed, removed, within Meta's
budget, refused with a clear error; its taps come back as events."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import DOMAIN, EVENT_MESSAGE, WEBHOOK_PATH
from custom_components.facebook.messenger.errors import MessageError
from custom_components.facebook.messenger.profile import CallBudget, build_profile
from simulator import Simulator

from .conftest import (
    ALICE,
    PAGE_ID,
    ClientFactory,
    SetupEntry,
    SetupFacebook,
    page_config,
    restarted,
)

MENU = [
    {"title": "Lights", "payload": "LIGHTS"},
    {"title": "Cameras", "payload": "CAMERAS"},
    {"title": "Help", "url": "https://www.home-assistant.io/"},
]
ICE = [{"question": "What can I ask?", "payload": "HELP"}]
COMMANDS = [{"name": "status", "description": "How the house is"}]


def profile_calls(sim: Simulator) -> list[tuple[str, Any]]:
    """The profile calls, with their bodies (the appsecret_proof every call carries left out)."""
    return [
        (r.method, {k: v for k, v in r.body.items() if k != "appsecret_proof"})
        for r in sim.requests
        if r.path.endswith("/messenger_profile")
    ]


async def test_applied_once_and_not_again_after_a_restart(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook(menu=MENU, ice_breakers=ICE, commands=COMMANDS)
    await hass.async_block_till_done(wait_background_tasks=True)
    (call,) = profile_calls(simulator)
    assert call[0] == "POST"
    profile = simulator.profile(PAGE_ID)
    assert profile["get_started"] == {"payload": "GET_STARTED"}  # set along with the menu
    items = profile["persistent_menu"][0]["call_to_actions"]
    assert [(i["type"], i["title"]) for i in items] == [
        ("postback", "Lights"),
        ("postback", "Cameras"),
        ("web_url", "Help"),
    ]
    assert profile["ice_breakers"][0]["call_to_actions"] == [
        {"question": "What can I ask?", "payload": "HELP"}
    ]
    assert profile["commands"][0]["commands"] == COMMANDS
    config = page_config(simulator, menu=MENU, ice_breakers=ICE, commands=COMMANDS)
    async with restarted(hass) as new_hass:
        assert await async_setup_component(new_hass, "notify", {"notify": [config]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        assert len(profile_calls(simulator)) == 1  # the same profile: no call at all


async def test_a_change_posts_and_a_drop_deletes(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook(menu=MENU, commands=COMMANDS)
    await hass.async_block_till_done(wait_background_tasks=True)
    config = page_config(simulator, menu=MENU[:2])  # the commands and one item dropped
    async with restarted(hass) as new_hass:
        assert await async_setup_component(new_hass, "notify", {"notify": [config]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
    calls = profile_calls(simulator)
    assert [m for m, _ in calls] == ["POST", "POST", "DELETE"]
    assert calls[2][1] == {"fields": ["commands"]}
    assert "commands" not in simulator.profile(PAGE_ID)
    assert len(simulator.profile(PAGE_ID)["persistent_menu"][0]["call_to_actions"]) == 2


async def test_an_invalid_profile_is_refused_at_start_naming_the_item(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    menu = [{"title": "x" * 31, "payload": "P"}]
    assert await async_setup_component(
        hass, "notify", {"notify": [page_config(simulator, menu=menu)]}
    )
    await hass.async_block_till_done()
    assert not hass.services.has_service("notify", "facebook")
    assert "menu[0].title" in caplog.text and "the limit is 30" in caplog.text
    assert profile_calls(simulator) == []


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"menu": [{"title": "a", "payload": "A"}] * 21}, "menu has 21 items"),
        ({"menu": [{"title": "Go"}]}, "menu[0] needs either a payload"),
        ({"menu": [{"title": "Go", "url": "ftp://x"}]}, "menu[0].url must be an http(s) URL"),
        ({"ice_breakers": [{"question": "q"}] * 5}, "ice_breakers has 5 items"),
        ({"commands": [{"name": "/status", "description": "d"}]}, "without a leading /"),
        ({"commands": [{"name": "s", "description": "d" * 65}]}, "the limit is 64"),
        ({"commands": [{"name": "s"}]}, "commands[0].description is empty"),
        ({"menu": "Lights"}, "menu must be a list"),
    ],
)
def test_meta_s_limits_name_the_item(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(MessageError, match=re.escape(problem)):
        build_profile(**kwargs)


def test_the_budget_is_ten_calls_in_ten_minutes() -> None:
    budget = CallBudget([1000.0 + i for i in range(9)])
    assert budget.wait(1010.0) == 0.0
    assert budget.wait(1010.0, calls=2) == pytest.approx(590.0)  # the oldest leaves at 1600
    budget.note(1010.0)
    assert budget.wait(1010.0) == pytest.approx(590.0)
    assert budget.wait(1010.0, calls=2) == pytest.approx(591.0)  # and the next at 1601
    assert budget.wait(2000.0) == 0.0


async def test_over_the_budget_the_change_waits(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = time.time()
    hass_storage["facebook.profile.facebook"] = {
        "version": 1,
        "data": {"applied": {"fingerprint": "old", "fields": [], "calls": [now - 1] * 10}},
    }
    config = page_config(simulator, menu=MENU)
    assert await async_setup_component(hass, "notify", {"notify": [config]})
    await hass.async_block_till_done()  # not the background work: it waits ten minutes
    assert "waits 59" in caplog.text and "10 profile calls per 10 minutes" in caplog.text
    assert profile_calls(simulator) == []  # not spent: it waits for room


async def test_meta_s_refusal_is_a_repair_issue(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.inject_error(100, message="(#100) Invalid button type", paths="messenger_profile")
    await setup_facebook(menu=MENU)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "profile_refused_facebook")
    assert issue is not None
    assert "Invalid button type" in issue.translation_placeholders["error"]


async def test_the_options_flow_takes_the_profile_as_lines(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    bad = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"menu": "Lights | LIGHTS\n" + "x" * 40 + " | P"}
    )
    assert bad["errors"] == {"base": "invalid_profile"}
    assert "menu[1].title" in bad["description_placeholders"]["error"]
    done = await hass.config_entries.options.async_configure(
        bad["flow_id"],
        {
            "menu": "Lights | LIGHTS\nHelp | https://www.home-assistant.io/",
            "ice_breakers": "What can I ask? | HELP",
            "commands": "status | How the house is",
        },
    )
    assert done["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options["menu"] == [
        {"title": "Lights", "payload": "LIGHTS"},
        {"title": "Help", "url": "https://www.home-assistant.io/"},
    ]
    profile = simulator.profile(PAGE_ID)
    assert [i["title"] for i in profile["persistent_menu"][0]["call_to_actions"]] == [
        "Lights",
        "Help",
    ]
    again = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = {
        str(key): key.description["suggested_value"]
        for key in again["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested["menu"] == "Lights | LIGHTS\nHelp | https://www.home-assistant.io/"


async def test_taps_come_back_as_postbacks_and_commands_as_messages(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(menu=MENU, ice_breakers=ICE, commands=COMMANDS)
    await hass.async_block_till_done(wait_background_tasks=True)
    client: TestClient = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    simulator.webhook_url = None
    menu_tap = simulator.postback_event(ALICE, "Lights", "LIGHTS")
    get_started = simulator.postback_event(ALICE, "Get Started", "GET_STARTED")
    ice = simulator.postback_event(ALICE, "What can I ask?", "HELP")
    command = simulator.message_event(ALICE, "/status", commands=["status"])
    for event in (menu_tap, get_started, ice, command):
        body, headers = simulator.build_webhook(event)
        assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    assert [(e.data["type"], e.data["payload"]) for e in events[:3]] == [
        ("postback", "LIGHTS"),
        ("postback", "GET_STARTED"),
        ("postback", "HELP"),
    ]
    assert events[3].data["message"] == "/status"
    assert events[3].data["commands"] == ["status"]
