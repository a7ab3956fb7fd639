"""YAML imported into config entries: created, updated every start, removed with its YAML; what
it kept before the import is kept; Meta out of reach at the first import costs nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_IMPORT, SOURCE_RECONFIGURE, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import DOMAIN
from custom_components.facebook.messenger import OutboxQueue, OutgoingMessage, SendOptions, Target
from simulator import Simulator

from .conftest import (
    ALICE,
    BOB,
    CAROL,
    PAGE_ID,
    PAGE_NAME,
    ClientFactory,
    SetupFacebook,
    imported_entry,
    page_config,
    post_events,
    restarted,
    runtime_of,
    wait_until,
)


def people_of(entry: Any) -> dict[str, tuple[str, str | None]]:
    return {
        str(sub.unique_id): (sub.title, sub.data.get("name")) for sub in entry.subentries.values()
    }


async def test_import_makes_the_entry_and_its_people(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    entry = imported_entry(hass)
    assert entry.source == SOURCE_IMPORT
    assert (entry.unique_id, entry.title, entry.state) == (
        PAGE_ID,
        PAGE_NAME,
        ConfigEntryState.LOADED,
    )
    assert entry.data["name"] == "facebook"
    assert entry.data["storage_key"] == "facebook"  # the files it always had
    assert people_of(entry) == {ALICE: ("alice", "alice"), BOB: ("bob", "bob")}
    # YAML people get devices and entities too, and notify.facebook is still there.
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert sorted(d.name for d in devices if d.name) == ["Home", "alice", "bob"]
    assert hass.states.get("notify.alice") is not None
    assert hass.states.get("event.alice_messages") is not None
    assert hass.services.has_service("notify", "facebook")
    assert hass.services.has_service("notify", "facebook_alice")


async def test_a_yaml_change_updates_the_entry_at_the_next_start(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    entry_id = imported_entry(hass).entry_id
    changed = page_config(
        simulator, allowed_chat_ids={"alice": ALICE, "carol": CAROL}, messaging_type="RESPONSE"
    )
    async with restarted(hass) as new_hass:
        assert await async_setup_component(new_hass, "notify", {"notify": [changed]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        entry = imported_entry(new_hass)
        assert entry.entry_id == entry_id  # the same entry, updated
        assert entry.options["messaging_type"] == "RESPONSE"
        assert people_of(entry) == {ALICE: ("alice", "alice"), CAROL: ("carol", "carol")}
        await new_hass.services.async_call(
            "notify", "facebook", {"message": "hi", "target": ["carol"]}, blocking=True
        )
        assert simulator.messages_to(CAROL)[-1].messaging_type == "RESPONSE"


async def test_removing_the_yaml_removes_the_entry_and_its_files(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    page = await setup_facebook()
    page.async_record_user_action(ALICE, dt_util.utcnow().timestamp())  # an audience file
    async with restarted(hass) as new_hass:
        assert "facebook.audience.facebook" in hass_storage
        assert await async_setup_component(new_hass, DOMAIN, {})  # no facebook notify entry
        await new_hass.async_block_till_done()
        assert new_hass.config_entries.async_entries(DOMAIN) == []
        assert not [key for key in hass_storage if key.startswith("facebook.audience.")]


async def test_a_message_kept_before_the_import_is_delivered_after_it(
    hass: HomeAssistant, simulator: Simulator, hass_storage: dict[str, Any]
) -> None:
    """The outbox a YAML page left on disk (before this version) is the imported page's."""
    queue = OutboxQueue(timedelta(hours=1))
    target = Target("alice", {"id": ALICE}, psid=ALICE, name="alice")
    message = OutgoingMessage(message={"text": "kept before the upgrade"})
    queue.add(target, [message], SendOptions("UPDATE"), "HTTP 503", dt_util.utcnow())
    hass_storage["facebook.outbox.facebook"] = {
        "version": 1,
        "minor_version": 1,
        "key": "facebook.outbox.facebook",
        "data": queue.to_json(),
    }
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done()
    await wait_until(lambda: bool(simulator.messages_to(ALICE)))
    assert [m.text for m in simulator.messages_to(ALICE)] == ["kept before the upgrade"]


async def test_meta_out_of_reach_at_the_first_import_still_keeps_and_delivers(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """As before the import: a call made while Meta can't be reached waits in the outbox, and
    goes once Meta answers (the page learns its id then)."""
    simulator.inject_disconnect(count=None, paths="all")
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done()
    entry = imported_entry(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id is None  # Meta has not said which page this is yet
    await hass.services.async_call(
        "notify", "facebook", {"message": "while Meta is away", "target": ["alice"]}, blocking=True
    )
    assert len(runtime_of(hass).outbox) == 1
    simulator.faults.clear()
    await wait_until(lambda: bool(simulator.messages_to(ALICE)))
    assert [m.text for m in simulator.messages_to(ALICE)] == ["while Meta is away"]
    await wait_until(lambda: imported_entry(hass).unique_id == PAGE_ID)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert imported_entry(hass).title == PAGE_NAME
    assert hass.states.get("notify.alice") is not None  # entities, now that the id is known


async def test_two_yaml_entries_of_one_page_the_second_is_refused_naming_both(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entries = [page_config(simulator), page_config(simulator, name="family")]
    assert await async_setup_component(hass, "notify", {"notify": entries})
    await hass.async_block_till_done(wait_background_tasks=True)
    states = {e.data["name"]: e.state for e in hass.config_entries.async_entries(DOMAIN)}
    assert sorted(states.values(), key=str) == sorted(
        [ConfigEntryState.LOADED, ConfigEntryState.SETUP_ERROR], key=str
    )
    refused = next(name for name, state in states.items() if state is ConfigEntryState.SETUP_ERROR)
    kept = next(name for name in states if name != refused)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "notify", refused, {"message": "x", "target": ["alice"]}, blocking=True
        )
    assert f"is set up twice, as notify.{kept} and as notify.{refused}" in str(err.value)


async def test_an_imported_page_is_changed_in_yaml_not_in_the_ui(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    entry = imported_entry(hass)
    options = await hass.config_entries.options.async_init(entry.entry_id)
    assert (options["type"], options["reason"]) == ("abort", "managed_in_yaml")
    person = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "person"), context={"source": "user"}
    )
    assert (person["type"], person["reason"]) == ("abort", "managed_in_yaml")
    reconfigure = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert (reconfigure["type"], reconfigure["reason"]) == ("abort", "managed_in_yaml")


async def test_entries_as_written_in_yaml_are_imported_too(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """At a real start the integration may be set up before the notify integration validated
    the YAML: the entries then come as written (`alice: "6543..."`), and are imported alike."""
    assert await async_setup_component(hass, DOMAIN, {"notify": [page_config(simulator)]})
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = imported_entry(hass)
    assert people_of(entry) == {ALICE: ("alice", "alice"), BOB: ("bob", "bob")}
    assert entry.state is ConfigEntryState.LOADED


async def test_people_listed_by_psid_get_meta_s_name_for_their_device(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(allowed_chat_ids=[ALICE])
    await wait_until(lambda: people_of(imported_entry(hass)) == {ALICE: ("Alice", None)})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("notify.alice") is not None  # the device is called Alice now
    events = async_capture_events(hass, "facebook_message")
    client = await hass_client_no_auth()
    assert (await post_events(client, simulator, [simulator.message_event(ALICE, "hi")]))[0] == 200
    assert events[0].data["sender_name"] is None  # as the YAML has it, as always
