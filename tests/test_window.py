"""The 24-hour window: `facebook_window_closing` at the right time, once, across restarts."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import EVENT_WINDOW_CLOSING
from simulator import Simulator

from .conftest import (
    ALICE,
    BOB,
    CAROL,
    PAGE_ID,
    ClientFactory,
    SetupFacebook,
    page_config,
    post_events,
    restarted,
)


async def say(client: TestClient, sim: Simulator, psid: str, text: str = "hello") -> None:
    ms = int(dt_util.utcnow().timestamp() * 1000)
    status, _ = await post_events(client, sim, [sim.message_event(psid, text=text, timestamp=ms)])
    assert status == 200


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done()


async def test_warning_fires_once_an_hour_before_the_window_closes(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    events = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    wrote_at = dt_util.utcnow().replace(microsecond=0)
    freezer.move_to(wrote_at)
    await say(client, simulator, ALICE)
    await advance(hass, freezer, timedelta(hours=22, minutes=59))
    assert events == []
    await advance(hass, freezer, timedelta(minutes=1, seconds=1))
    assert len(events) == 1
    assert events[0].data == {
        "page_id": PAGE_ID,
        "sender_id": ALICE,
        "sender_name": "alice",
        "closes_at": (wrote_at + timedelta(hours=24)).isoformat(),
        "entity_id": "notify.alice",
    }
    await advance(hass, freezer, timedelta(hours=2))
    assert len(events) == 1  # once per window


async def test_a_new_message_moves_the_warning(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    events = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    await say(client, simulator, BOB)
    await advance(hass, freezer, timedelta(hours=20))
    await say(client, simulator, BOB, "still here")  # reopens the window
    await advance(hass, freezer, timedelta(hours=4))
    assert events == []
    await advance(hass, freezer, timedelta(hours=19, seconds=1))
    assert [e.data["sender_id"] for e in events] == [BOB]


async def test_strangers_get_no_timer_and_no_event(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    events = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    await say(client, simulator, CAROL)
    await advance(hass, freezer, timedelta(hours=23, seconds=1))
    assert events == []


async def test_configurable_warning_time(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_facebook(window_warning={"minutes": 10})
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    await say(client, simulator, ALICE)
    await advance(hass, freezer, timedelta(hours=23, minutes=49))
    assert events == []
    await advance(hass, freezer, timedelta(minutes=1, seconds=1))
    assert len(events) == 1


async def test_timers_are_rescheduled_after_a_restart(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    await say(client, simulator, ALICE)
    await say(client, simulator, BOB)
    await advance(hass, freezer, timedelta(hours=1))
    async with restarted(hass) as new_hass:
        assert await async_setup_component(new_hass, "notify", {"notify": [page_config(simulator)]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        events = async_capture_events(new_hass, EVENT_WINDOW_CLOSING)
        freezer.tick(timedelta(hours=21, minutes=59))
        async_fire_time_changed(new_hass, dt_util.utcnow())
        await new_hass.async_block_till_done()
        assert events == []
        freezer.tick(timedelta(minutes=1, seconds=1))
        async_fire_time_changed(new_hass, dt_util.utcnow())
        await new_hass.async_block_till_done()
        assert sorted(e.data["sender_id"] for e in events) == sorted([ALICE, BOB])


async def test_restart_inside_the_warning_period_warns_at_once_but_only_once(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    first = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    await say(client, simulator, ALICE)
    await advance(hass, freezer, timedelta(minutes=1))
    await say(client, simulator, BOB)
    await advance(hass, freezer, timedelta(hours=22, minutes=59, seconds=30))
    assert [e.data["sender_id"] for e in first] == [ALICE]  # Bob's warning is 30 s away
    async with restarted(hass) as new_hass:
        events = async_capture_events(new_hass, EVENT_WINDOW_CLOSING)
        freezer.tick(timedelta(minutes=2))  # Bob's warning time passes while Home Assistant is down
        assert await async_setup_component(new_hass, "notify", {"notify": [page_config(simulator)]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        assert [e.data["sender_id"] for e in events] == [BOB]  # at once; Alice was warned before
        freezer.tick(timedelta(minutes=30))
        async_fire_time_changed(new_hass, dt_util.utcnow())
        await new_hass.async_block_till_done()
        assert [e.data["sender_id"] for e in events] == [BOB]


async def test_closed_window_hint_says_when_it_closed(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, freezer: FrozenDateTimeFactory
) -> None:
    await say(client, simulator, ALICE)
    wrote_at = dt_util.utcnow()
    await advance(hass, freezer, timedelta(hours=25))
    simulator.users[ALICE].last_inbound = wrote_at.timestamp()
    simulator.clock_offset = 0
    simulator.advance(25 * 3600 - (simulator.now() - wrote_at.timestamp()))
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "notify", "facebook", {"message": "late", "target": ["alice"]}, blocking=True
        )
    closed = (wrote_at + timedelta(hours=24)).isoformat(timespec="minutes")
    assert f"their window closed at {closed}" in str(err.value)
    assert len([r for r in simulator.requests if r.path.endswith("/messages")]) == 1  # Meta asked
