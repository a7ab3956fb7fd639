"""Inbound never dies quietly: the webhook is checked at start and every 6 hours, what Meta
dropped is subscribed again, and what people wrote while Home Assistant was deaf fires once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import (
    DOMAIN,
    EVENT_MESSAGE,
    EVENT_WEBHOOK_RESUBSCRIBED,
    WEBHOOK_PATH,
)
from simulator import Simulator

from .conftest import (
    ALICE,
    APP_ID,
    BOB,
    PAGE_ID,
    SetupEntry,
    SetupFacebook,
    page_config,
    post_events,
    restarted,
    wait_until,
)

SIX_HOURS = timedelta(hours=6, seconds=1)
ClientMaker = Callable[[Any], Awaitable[TestClient]]


def sensor(hass: HomeAssistant) -> str:
    state = hass.states.get("binary_sensor.home_webhook")
    assert state is not None
    return state.state


async def test_the_check_finds_the_page_subscribed_and_says_so(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    simulator.pages[PAGE_ID].subscribed_fields = [
        "messages",
        "messaging_postbacks",
        "message_deliveries",
        "message_reads",
        "message_reactions",
    ]
    resubscribed = async_capture_events(hass, EVENT_WEBHOOK_RESUBSCRIBED)
    await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sensor(hass) == "on"
    assert resubscribed == []  # nothing was missing
    reads = [r for r in simulator.requests if r.path.endswith(f"/{PAGE_ID}/subscribed_apps")]
    assert [r.method for r in reads] == ["GET"]


async def test_the_6_hour_check_heals_a_subscription_dropped_while_running(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.drop_subscription()
    assert simulator.subscription()["subscribed"] is False
    resubscribed = async_capture_events(hass, EVENT_WEBHOOK_RESUBSCRIBED)
    async_fire_time_changed(hass, dt_util.utcnow() + SIX_HOURS)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(e.data["page_id"], e.data["what"]) for e in resubscribed] == [(PAGE_ID, "page")]
    assert simulator.subscription()["subscribed"] is True
    assert set(simulator.pages[PAGE_ID].subscribed_fields) >= {"messages", "message_reactions"}
    assert sensor(hass) == "on"


async def test_a_refused_resubscription_is_a_repair_issue_and_the_sensor_goes_off(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    simulator.drop_subscription()
    simulator.inject_error(
        200,
        message="(#200) The subscribed_apps edge requires pages_manage_metadata permission",
        paths="subscribed_apps",
        count=None,
    )
    async_fire_time_changed(hass, dt_util.utcnow() + SIX_HOURS)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sensor(hass) == "off"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_unsubscribed_{entry.entry_id}")
    assert issue is not None
    assert "pages_manage_metadata" in issue.translation_placeholders["error"]
    simulator.clear_faults()  # Meta takes it again at the next check: the issue goes
    async_fire_time_changed(hass, dt_util.utcnow() + 2 * SIX_HOURS)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sensor(hass) == "on"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def test_the_app_s_webhook_is_set_again_at_this_callback_url(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry, reachable: str
) -> None:
    resubscribed = async_capture_events(hass, EVENT_WEBHOOK_RESUBSCRIBED)
    await setup_entry()
    await hass.async_block_till_done(wait_background_tasks=True)
    hook = simulator.app_subscriptions[(APP_ID, "page")]
    assert hook.callback_url == f"{reachable}{WEBHOOK_PATH}"
    assert hook.active is True
    assert ("app" in [e.data["what"] for e in resubscribed]) is True
    (check,) = simulator.verifications
    assert check["ok"] is True  # Meta's check of the callback was answered
    simulator.set_app_subscription_active(APP_ID, False)
    resubscribed.clear()
    async_fire_time_changed(hass, dt_util.utcnow() + SIX_HOURS)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["what"] for e in resubscribed] == ["app"]
    assert simulator.app_subscriptions[(APP_ID, "page")].active is True


async def test_a_send_only_page_is_not_checked(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook(verify_token=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not [r for r in simulator.requests if r.path.endswith("/subscribed_apps")]
    assert hass.states.get("binary_sensor.home_webhook") is None


async def test_what_was_written_while_home_assistant_was_down_fires_once_in_order(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    aiohttp_client: ClientMaker,
) -> None:
    """Home Assistant stopped while Alice wrote; Meta dropped the subscription after an hour of
    failed deliveries. At the next start the page subscribes again, and the two messages fire
    once each, in order, marked `catch_up` (and never again after another restart)."""
    await setup_facebook()
    await hass.async_block_till_done(wait_background_tasks=True)
    config = page_config(simulator)
    async with restarted(hass) as down:
        simulator.webhook_url = "http://127.0.0.1:9/api/facebook_webhooks"  # nobody answers
        await simulator.user_says(ALICE, "the door is open")
        await simulator.user_says(ALICE, "never mind, closed it")
        simulator.advance(3700)  # an hour of failed deliveries: Meta drops the page
        assert simulator.subscription()["subscribed"] is False
        caught = await start_again(down, config, simulator)
        assert [(e.data["message"], e.data.get("catch_up")) for e in caught] == [
            ("the door is open", True),
            ("never mind, closed it", True),
        ]
        assert simulator.subscription()["subscribed"] is True
        client = await aiohttp_client(down.http.app)
        await post_events(client, simulator, [simulator.message_event(ALICE, "back")])
        assert [e.data["message"] for e in caught][-1] == "back"
        assert "catch_up" not in caught[-1].data
        async with restarted(down) as again:
            assert await start_again(again, config, simulator) == []  # once, never again


async def start_again(
    hass: HomeAssistant, config: dict[str, Any], simulator: Simulator
) -> list[Any]:
    """Start Home Assistant with the page; the `facebook_message` events of its first check."""
    hass.set_state(CoreState.not_running)  # as at a real start: entries first, then started
    events = async_capture_events(hass, EVENT_MESSAGE)
    resubscribed = async_capture_events(hass, EVENT_WEBHOOK_RESUBSCRIBED)
    assert await async_setup_component(hass, "notify", {"notify": [config]})
    await hass.async_block_till_done()
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_until(lambda: simulator.subscription()["subscribed"] is True or not resubscribed)
    return events


async def test_an_event_heard_during_the_start_hides_nothing_written_while_down(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    aiohttp_client: ClientMaker,
) -> None:
    """After a short outage Meta delivers as soon as Home Assistant answers, before the start's
    check: what was written while it was down is still read back from when it stopped."""
    await setup_facebook()
    await hass.async_block_till_done(wait_background_tasks=True)
    async with restarted(hass) as down:
        simulator.webhook_url = "http://127.0.0.1:9/api/facebook_webhooks"
        await simulator.user_says(ALICE, "the door is open")  # 10 minutes down: no drop
        simulator.advance(600)
        down.set_state(CoreState.not_running)
        events = async_capture_events(down, EVENT_MESSAGE)
        assert await async_setup_component(down, "notify", {"notify": [page_config(simulator)]})
        await down.async_block_till_done()
        client = await aiohttp_client(down.http.app)
        await post_events(client, simulator, [simulator.message_event(BOB, "hello")])
        down.set_state(CoreState.running)
        down.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
        await down.async_block_till_done(wait_background_tasks=True)
        assert [(e.data["message"], e.data.get("catch_up")) for e in events] == [
            ("hello", None),
            ("the door is open", True),
        ]
