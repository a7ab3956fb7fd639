"""A config entry's life: setup, retry, reauthentication, reload, unload, and YAML beside it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import (
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_WINDOW_CLOSING,
    WEBHOOK_PATH,
)
from simulator import Simulator

from .conftest import (
    ALICE,
    PAGE_ID,
    ClientFactory,
    SetupEntry,
    page_config,
    router_of,
    wait_until,
)


async def test_setup_checks_the_page_and_joins_the_webhook(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    assert (runtime.page.id, runtime.page.name) == (PAGE_ID, "Home")
    assert router_of(hass).pages == {PAGE_ID: runtime}
    assert [r.query["fields"] for r in simulator.requests if r.path.endswith("/me")] == ["id,name"]


async def test_a_rejected_token_at_setup_asks_for_a_new_one(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry(page_access_token="EAAG-revoked-token")
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    assert router_of(hass).pages == {}  # nothing left behind


async def test_network_down_at_setup_starts_the_page_anyway_and_delivers_later(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    """Meta out of reach at start costs nothing: the page starts (Home Assistant's start never
    waits for Meta), a notification waits in the outbox, and goes once Meta answers again."""
    simulator.inject_disconnect(count=None, paths="all")
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.LOADED
    assert router_of(hass).pages == {PAGE_ID: entry.runtime_data}
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.alice", "message": "later"}, blocking=True
    )
    assert len(entry.runtime_data.outbox) == 1  # kept, not lost
    simulator.faults.clear()
    await wait_until(lambda: [m.text for m in simulator.messages_to(ALICE)] == ["later"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.runtime_data.page.name == "Home"  # the check in the background got through


async def test_a_rejected_token_on_a_send_starts_reauthentication(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    simulator.inject_error(190, subcode=460, message="The session has been invalidated")
    with pytest.raises(HomeAssistantError, match="page access token is invalid or expired"):
        await hass.services.async_call(
            "notify", "send_message", {"entity_id": "notify.alice", "message": "x"}, blocking=True
        )
    await hass.async_block_till_done()
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]
    assert hass.states.get("notify.alice").state == "unavailable"
    assert entry.state is ConfigEntryState.LOADED


def _tasks() -> int:
    return len(asyncio.all_tasks())


async def test_reloading_twenty_times_leaves_nothing_behind(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    entry = await setup_entry()
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)

    async def reload_once() -> None:
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    await reload_once()  # the first reload settles what only exists once
    tasks, listeners = _tasks(), sum(hass.bus.async_listeners().values())
    for _ in range(20):
        await reload_once()
    after = _tasks(), sum(hass.bus.async_listeners().values())
    print(f"\n20 reloads: tasks {tasks} -> {after[0]}, bus listeners {listeners} -> {after[1]}")
    # Not one more (a store's one-off final-write listener may come and go: never more).
    assert after[0] <= tasks
    assert after[1] <= listeners
    assert len(router_of(hass).pages) == 1
    body, headers = simulator.build_webhook(simulator.message_event(ALICE, "after reloads"))
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    assert [e.data["message"] for e in events] == ["after reloads"]  # fired once, not 21 times
    closing = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert router_of(hass).pages == {}
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=24))  # Alice's warning time
    await hass.async_block_till_done()
    assert closing == []  # the unloaded page's timers went with it


async def test_a_webhook_serves_entries_and_yaml_pages_alike(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    simulator.add_page(
        page_id="2000000000000002", name="Club", token="club-token-1234", app_secret="club-secret-1"
    )
    club_member = "2222333344445555"
    simulator.add_user(club_member, name="Zoe", page="2000000000000002")
    yaml = page_config(
        simulator,
        name="club",
        page_access_token="club-token-1234",
        verify_token="club-verify",
        app_secret="club-secret-1",
        allowed_chat_ids={"zoe": club_member},
    )
    assert await async_setup_component(hass, "notify", {"notify": [yaml]})
    await hass.async_block_till_done(wait_background_tasks=True)
    await setup_entry()
    client: TestClient = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    for sender, page in ((ALICE, PAGE_ID), (club_member, "2000000000000002")):
        body, headers = simulator.build_webhook(simulator.message_event(sender, "hi", page_id=page))
        assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    assert [(e.data["page_id"], e.data["sender_name"]) for e in events] == [
        (PAGE_ID, "Alice"),
        ("2000000000000002", "zoe"),
    ]


async def test_the_same_page_in_yaml_and_as_an_entry_the_entry_is_refused(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = await setup_entry()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "set up twice, as notify.facebook and as Home" in caplog.text


async def test_the_same_page_as_an_entry_first_then_yaml_the_yaml_is_refused(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As at a real start: the YAML page looks itself up in the background, and the entry's
    # setup is done by the time Meta answers that look-up.
    simulator.inject_delay(0.3, count=1, paths="node")
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "set up twice, as Home and as notify.facebook" in caplog.text
    with pytest.raises(
        HomeAssistantError, match=r"is set up twice, as Home and as notify\.facebook"
    ):
        await hass.services.async_call(
            "notify", "facebook", {"message": "x", "target": ["alice"]}, blocking=True
        )
    assert len(router_of(hass).pages) == 1


async def test_stopping_home_assistant_stops_yaml_pages(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: ClientFactory
) -> None:
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done(wait_background_tasks=True)
    client = await hass_client_no_auth()
    body, headers = simulator.build_webhook(simulator.message_event(ALICE, "hi"))
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    closing = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=24))
    await hass.async_block_till_done()
    assert closing == []
