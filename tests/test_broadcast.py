"""BROADCAST: the remembered audience, Meta's 300/s cap, closed windows, 613 back-off."""

from __future__ import annotations

import asyncio
from collections import Counter
import itertools
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import EVENT_BROADCAST_FINISHED
from simulator import Simulator
from tests.clocks import StallingClock, most_in_any, starts_of

from .conftest import (
    ALICE,
    BOB,
    PAGE_ID,
    SetupFacebook,
    page_config,
    post_events,
    restarted,
    runtime_of,
)

DAY_MS = 24 * 3600 * 1000
# Meta's Send API caps per page: calls a second, and audio or video sends a second (§4.1).
META_CAP = 300
META_MEDIA_CAP = 10


def people(count: int, start: int = 5_000_000_000) -> list[str]:
    return [str(start + i) for i in range(count)]


async def broadcast(hass: HomeAssistant, message: str = "Storm warning", **data: Any) -> None:
    call: dict[str, Any] = {"message": message, "target": ["BROADCAST"]}
    if data:
        call["data"] = data
    await hass.services.async_call("notify", "facebook", call, blocking=True)


async def write_in(
    client: TestClient, sim: Simulator, psids: list[str], *, age_ms: int = 0, text: str = "hi"
) -> None:
    """People write to the page (their windows open `age_ms` ago), through the webhook."""
    now = int(time.time() * 1000)
    for psid in psids:
        if psid not in sim.users:
            sim.add_user(psid, name=f"User {psid}")
    events = [sim.message_event(psid, text=text, timestamp=now - age_ms) for psid in psids]
    for start in range(0, len(events), 1000):
        status, _ = await post_events(client, sim, events[start : start + 1000])
        assert status == 200


async def test_audience_is_built_from_webhook_traffic(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    strangers = people(3)
    await write_in(client, simulator, strangers)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass)
    await hass.async_block_till_done()
    assert sorted(m.recipient_id for m in simulator.sent) == sorted([ALICE, BOB, *strangers])
    assert events[0].data == {"page_id": PAGE_ID, "sent": 5, "skipped": 0, "failed": 0, "queued": 0}


async def test_several_hundred_at_the_rate_cap_with_closed_windows_skipped(
    hass: HomeAssistant, pace_clock: StallingClock, simulator: Simulator, client: TestClient
) -> None:
    open_people = people(400)
    closed_people = people(40, start=6_000_000_000)
    await write_in(client, simulator, open_people)
    await write_in(client, simulator, closed_people, age_ms=2 * DAY_MS)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass)
    await hass.async_block_till_done()
    reached = Counter(m.recipient_id for m in simulator.sent)
    assert set(reached) == {ALICE, BOB, *open_people}
    assert set(reached.values()) == {1}  # everyone reached once
    assert events[0].data == {
        "page_id": PAGE_ID,
        "sent": 402,
        "skipped": 40,
        "failed": 0,
        "queued": 0,
    }
    starts = starts_of(runtime_of(hass).limiter.calls)
    assert len(starts) == 402
    assert most_in_any(starts, 1.0) <= META_CAP
    # At the cap, not below it: the calls go out side by side, not one at a time.
    assert (len(starts) - 1) / (starts[-1] - starts[0]) >= 0.95 * META_CAP / 1.05


async def test_event_loop_stalls_never_push_meta_over_its_cap(
    hass: HomeAssistant, pace_clock: StallingClock, simulator: Simulator, client: TestClient
) -> None:
    """The loop stalls for 50 to 200 ms at random moments during a broadcast (as a slow
    callback would make it): the slots that passed meanwhile must not start at once."""
    audience = people(400)
    await write_in(client, simulator, audience)
    pace_clock.stall_chance = 0.01  # a stall every fifty calls or so
    await broadcast(hass)
    reached = Counter(m.recipient_id for m in simulator.sent)
    assert set(reached) == {ALICE, BOB, *audience}
    assert set(reached.values()) == {1}
    assert pace_clock.stalls >= 3
    pacer = runtime_of(hass).limiter.calls
    starts = starts_of(pacer)
    assert len(starts) == 402
    assert most_in_any(starts, 1.0) <= META_CAP
    # No burst after a stall: consecutive starts keep at least half a slot apart.
    assert min(b - a for a, b in itertools.pairwise(starts)) >= pacer.interval / 2 - 1e-9


async def test_audio_and_video_are_paced_at_meta_s_media_cap(
    hass: HomeAssistant, pace_clock: StallingClock, simulator: Simulator, client: TestClient
) -> None:
    """Meta takes at most 10 audio or video sends a second from a page; text is not held to it."""
    await write_in(client, simulator, people(40))
    await broadcast(hass, "Listen", audio="https://example.com/bell.mp3")
    page = runtime_of(hass)
    media, calls = starts_of(page.limiter.media), starts_of(page.limiter.calls)
    assert len(media) == 42  # each person's audio took a media slot; the texts did not
    assert len(calls) == 84
    assert most_in_any(media, 1.0) <= META_MEDIA_CAP
    assert most_in_any(calls, 1.0) > META_MEDIA_CAP  # the texts went at the full pace
    kinds = Counter(
        "audio" if "attachment" in m.message else "text" for m in simulator.sent if m.message
    )
    assert kinds == {"audio": 42, "text": 42}


async def test_broadcast_to_an_empty_audience_raises_and_reports(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook(allowed_chat_ids=None)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    with pytest.raises(HomeAssistantError, match="no one has written to the page") as err:
        await broadcast(hass)
    assert "allowed_chat_ids is empty" in str(err.value)
    assert simulator.sent == []
    assert events[0].data == {"page_id": PAGE_ID, "sent": 0, "skipped": 0, "failed": 0, "queued": 0}


async def test_broadcast_with_every_window_closed_raises_and_reports(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    await write_in(client, simulator, [ALICE, BOB], age_ms=2 * DAY_MS)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    with pytest.raises(HomeAssistantError, match="all 2 people it could reach have a closed"):
        await broadcast(hass)
    assert simulator.sent == []
    assert events[0].data == {"page_id": PAGE_ID, "sent": 0, "skipped": 2, "failed": 0, "queued": 0}


async def test_injected_613_mid_run_backs_off_and_completes(
    hass: HomeAssistant, pace_clock: StallingClock, simulator: Simulator, client: TestClient
) -> None:
    audience = people(300)
    await write_in(client, simulator, audience)

    def on_accept(kind: str, _item: Any) -> None:
        if kind == "sent" and len(simulator.sent) == 60:  # mid-run: Meta starts refusing
            simulator.inject_error(613, count=25)

    simulator.recorder.listeners.append(on_accept)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass)
    await hass.async_block_till_done()
    reached = Counter(m.recipient_id for m in simulator.sent)
    assert simulator.count_errors(613) == 25
    assert set(reached) == {ALICE, BOB, *audience}
    assert set(reached.values()) == {1}
    assert events[0].data["failed"] == 0
    assert events[0].data["sent"] == 302


async def test_tagged_broadcast_reaches_closed_windows(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    simulator.approve_human_agent()  # an app Meta approved for Human Agent (FIDELITY F-09)
    closed = people(5)
    await write_in(client, simulator, closed, age_ms=2 * DAY_MS)
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass, tag="HUMAN_AGENT")
    await hass.async_block_till_done()
    assert {m.recipient_id for m in simulator.sent} == {ALICE, BOB, *closed}
    assert all(m.tag == "HUMAN_AGENT" for m in simulator.sent)
    assert events[0].data == {"page_id": PAGE_ID, "sent": 7, "skipped": 0, "failed": 0, "queued": 0}


async def test_one_failure_never_stops_the_rest(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    audience = people(10)
    await write_in(client, simulator, audience)
    simulator.users[audience[3]].blocked = True
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass)
    await hass.async_block_till_done()
    assert events[0].data == {
        "page_id": PAGE_ID,
        "sent": 11,
        "skipped": 0,
        "failed": 1,
        "queued": 0,
    }
    assert f"BROADCAST to {audience[3]} failed: (#551)" in caplog.text


async def test_broadcast_that_reaches_nobody_raises(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    simulator.users[ALICE].blocked = True
    simulator.users[BOB].blocked = True
    with pytest.raises(HomeAssistantError, match="BROADCAST reached nobody"):
        await broadcast(hass)


async def test_a_second_broadcast_waits_for_the_first(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    await write_in(client, simulator, people(30))
    simulator.latency = 0.01
    await asyncio.gather(broadcast(hass, "first"), broadcast(hass, "second"))
    order = [m.message["text"] for m in simulator.sent]
    assert order == ["first"] * 32 + ["second"] * 32


async def test_broadcast_with_media_uploads_once(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, tmp_path: Any
) -> None:
    picture = tmp_path / "storm.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await broadcast(hass, "Storm", image=str(picture))
    uploads = [r for r in simulator.requests if r.path.endswith("/message_attachments")]
    assert len(uploads) == 1
    assert len(simulator.sent) == 4  # text + image for Alice and Bob


async def test_audience_survives_a_restart(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, hass_storage: dict[str, Any]
) -> None:
    audience = people(4)
    await write_in(client, simulator, audience)
    await write_in(client, simulator, people(2, start=7_000_000_000), age_ms=3 * DAY_MS)
    async with restarted(hass) as new_hass:
        stored = hass_storage["facebook.audience.facebook"]["data"]["people"]
        assert set(stored) == {*audience, *people(2, start=7_000_000_000)}
        assert await async_setup_component(new_hass, "notify", {"notify": [page_config(simulator)]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
        simulator.clear()
        events = async_capture_events(new_hass, EVENT_BROADCAST_FINISHED)
        await new_hass.services.async_call(
            "notify",
            "facebook",
            {"message": "after restart", "target": ["broadcast"]},
            blocking=True,
        )
        await new_hass.async_block_till_done()
        assert {m.recipient_id for m in simulator.sent} == {ALICE, BOB, *audience}
        assert events[0].data == {
            "page_id": PAGE_ID,
            "sent": 6,
            "skipped": 2,
            "failed": 0,
            "queued": 0,
        }


async def test_damaged_audience_storage_is_tolerated(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    now = time.time()
    hass_storage["facebook.audience.facebook"] = {
        "version": 1,
        "data": {
            "people": {
                ALICE: {"last": now - 2 * DAY_MS / 1000, "warned": 10.0},  # closed window
                "2": "bad",
                3: {"last": 1},
                "4": {"last": "x"},
            }
        },
    }
    await setup_facebook()
    events = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await broadcast(hass)
    assert [m.recipient_id for m in simulator.sent] == [BOB]  # Alice's closed window was read
    assert events[0].data["skipped"] == 1
