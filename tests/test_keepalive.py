"""Keep notifications on: the keep-alive message before a window closes, once per window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import EVENT_MESSAGE, EVENT_WINDOW_CLOSING
from custom_components.facebook.keepalive import KEEP_ALIVE_PAYLOAD
from simulator import Simulator

from .conftest import (
    ALICE,
    BOB,
    ClientFactory,
    SetupEntry,
    SetupFacebook,
    page_config,
    person,
    post_events,
    restarted,
)


def keep_alives(sim: Simulator, psid: str) -> list[dict[str, Any]]:
    return [
        m.message
        for m in sim.messages_to(psid)
        if any(q.get("payload") == KEEP_ALIVE_PAYLOAD for q in m.message.get("quick_replies", []))
    ]


async def say(client: TestClient, sim: Simulator, psid: str, **kwargs: Any) -> None:
    stamp = int(dt_util.utcnow().timestamp() * 1000)
    events = [sim.message_event(psid, kwargs.pop("text", "hello"), timestamp=stamp, **kwargs)]
    assert (await post_events(client, sim, events))[0] == 200


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_sent_once_per_window_at_the_warning_time(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_facebook(keep_alive=True, keep_alive_message="Tap to keep the alerts coming")
    client = await hass_client_no_auth()
    freezer.move_to(dt_util.utcnow().replace(microsecond=0))
    await say(client, simulator, ALICE)
    await advance(hass, freezer, timedelta(hours=22, minutes=59))
    assert keep_alives(simulator, ALICE) == []
    await advance(hass, freezer, timedelta(minutes=1, seconds=1))  # window_warning: 1 hour
    (sent,) = keep_alives(simulator, ALICE)
    assert sent == {
        "text": "Tap to keep the alerts coming",
        "quick_replies": [
            {
                "content_type": "text",
                "title": "Keep notifications on",
                "payload": KEEP_ALIVE_PAYLOAD,
            }
        ],
    }
    await advance(hass, freezer, timedelta(minutes=59))
    assert len(keep_alives(simulator, ALICE)) == 1  # once per window
    assert keep_alives(simulator, BOB) == []  # Bob never wrote: no window, nothing to keep


async def test_the_tap_reopens_the_window_and_fires_like_any_tap(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    freezer: FrozenDateTimeFactory,
) -> None:
    await setup_facebook(keep_alive=True)
    client = await hass_client_no_auth()
    closing = async_capture_events(hass, EVENT_WINDOW_CLOSING)
    messages = async_capture_events(hass, EVENT_MESSAGE)
    freezer.move_to(dt_util.utcnow().replace(microsecond=0))
    await say(client, simulator, ALICE)
    await advance(hass, freezer, timedelta(hours=23, seconds=1))
    assert len(keep_alives(simulator, ALICE)) == 1
    await say(
        client,
        simulator,
        ALICE,
        text="Keep notifications on",
        quick_reply_payload=KEEP_ALIVE_PAYLOAD,
    )
    assert messages[-1].data["payload"] == KEEP_ALIVE_PAYLOAD
    assert messages[-1].data["type"] == "quick_reply"
    await advance(hass, freezer, timedelta(hours=2))  # the old window would have closed
    assert len(keep_alives(simulator, ALICE)) == 1
    await advance(hass, freezer, timedelta(hours=21))  # the new window's warning time
    assert len(keep_alives(simulator, ALICE)) == 2
    assert len(closing) == 2


async def test_nothing_for_a_window_already_closed(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(keep_alive=True)
    client = await hass_client_no_auth()
    stale = int((dt_util.utcnow() - timedelta(hours=25)).timestamp() * 1000)
    assert (
        await post_events(
            client, simulator, [simulator.message_event(ALICE, "old", timestamp=stale)]
        )
    )[0] == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert keep_alives(simulator, ALICE) == []


async def test_not_sent_again_after_a_restart(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Inside the warning time already: sent at once, remembered on disk at once, and a
    restart in the same window sends nothing."""
    await setup_facebook(keep_alive=True)
    client = await hass_client_no_auth()
    late = int((dt_util.utcnow() - timedelta(hours=23, minutes=30)).timestamp() * 1000)
    events = [simulator.message_event(ALICE, "an evening ago", timestamp=late)]
    assert (await post_events(client, simulator, events))[0] == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(keep_alives(simulator, ALICE)) == 1
    config = page_config(simulator, keep_alive=True)
    async with restarted(hass) as new_hass:
        stored = hass_storage["facebook.audience.facebook"]["data"]["people"][ALICE]
        assert stored["warned"] == stored["last"]
        assert await async_setup_component(new_hass, "notify", {"notify": [config]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        assert len(keep_alives(simulator, ALICE)) == 1


async def test_a_person_may_turn_it_off(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    alice = person(ALICE, "Alice")
    alice["data"] = {**alice["data"], "keep_alive": False}
    entry = await setup_entry(people=[alice, person(BOB, "Bob")])
    hass.config_entries.async_update_entry(entry, options={"keep_alive": True})
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    late = int((dt_util.utcnow() - timedelta(hours=23, minutes=30)).timestamp() * 1000)
    events = [simulator.message_event(p, "hi", timestamp=late) for p in (ALICE, BOB)]
    assert (await post_events(client, simulator, events))[0] == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert keep_alives(simulator, ALICE) == []
    assert len(keep_alives(simulator, BOB)) == 1
    flows = hass.config_entries.subentries
    bob = next(s for s in entry.subentries.values() if s.unique_id == BOB)
    result = await flows.async_init(
        (entry.entry_id, "person"),
        context={"source": "reconfigure", "subentry_id": bob.subentry_id},
    )
    result = await flows.async_configure(result["flow_id"], {"name": "Robert", "keep_alive": False})
    assert result["type"] == "abort"
    assert entry.subentries[bob.subentry_id].data["keep_alive"] is False
    assert entry.subentries[bob.subentry_id].title == "Robert"
