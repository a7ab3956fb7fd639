"""Reliability: the fault matrix, the durable outbox, restarts, TTL and window expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import EVENT_MESSAGE_SENT, EVENT_SEND_FAILED
from simulator import Simulator
from tests.simulator.helpers import HeldAnswers

from .conftest import (
    ALICE,
    BOB,
    PAGE_ID,
    ClientFactory,
    SetTiming,
    SetupFacebook,
    page_config,
    post_events,
    restarted,
    runtime_of,
    wait_until,
)

# (name, how to inject it, whether Meta had accepted the message before the fault)
FAULTS: list[tuple[str, Callable[..., Any], bool]] = [
    ("HTTP 500", lambda sim, n: sim.inject_http_status(500, count=n), False),
    ("HTTP 503", lambda sim, n: sim.inject_http_status(503, count=n), False),
    ("connection reset", lambda sim, n: sim.inject_disconnect(count=n), False),
    (
        "answer lost (reset after accept)",
        lambda sim, n: sim.inject_disconnect(count=n, after_accept=True),
        True,
    ),
    ("timeout (slow answer)", lambda sim, n: sim.inject_delay(1.5, count=n), True),
    *[
        (
            f"code {code}",
            lambda sim, n, code=code: sim.inject_error(code, count=n, is_transient=True),
            False,
        )
        for code in (1, 2, 4, 17, 32, 613, 80006, 1200)
    ],
]


async def notify(hass: HomeAssistant, message: str, target: str = "alice") -> None:
    await hass.services.async_call(
        "notify", "facebook", {"message": message, "target": [target]}, blocking=True
    )


def texts_to(sim: Simulator, psid: str) -> list[str]:
    return [m.message["text"] for m in sim.messages_to(psid)]


def report(fault: str, length: str, happened: str, delivered: list[str], expected: int) -> None:
    """A row of the fault matrix (shown with `pytest -s`)."""
    duplicates = len(delivered) - expected
    print(f"\nFAULT-MATRIX | {fault} | {length} | {happened} | {len(delivered)} | {duplicates}")


def without_repeats(texts: list[str]) -> list[str]:
    out: list[str] = []
    for text in texts:
        if not out or out[-1] != text:
            out.append(text)
    return out


@pytest.mark.parametrize(("name", "inject", "accepted"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_one_failed_call_is_retried_in_call(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    set_timing: SetTiming,
    name: str,
    inject: Callable[..., Any],
    accepted: bool,
) -> None:
    set_timing(request_timeout=0.5)
    page = await setup_facebook()
    inject(simulator, 1)
    await notify(hass, "one")
    delivered = texts_to(simulator, ALICE)
    assert len(page.outbox) == 0
    if accepted:
        assert delivered in (["one"], ["one", "one"])  # at least once: the answer was lost
    else:
        assert delivered == ["one"]  # exactly once
    report(name, "1 call", "retried in the call", delivered, 1)


@pytest.mark.parametrize(("name", "inject", "accepted"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_long_outage_goes_to_the_outbox_and_is_delivered_in_order(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    caplog: pytest.LogCaptureFixture,
    set_timing: SetTiming,
    name: str,
    inject: Callable[..., Any],
    accepted: bool,
) -> None:
    set_timing(request_timeout=0.5)
    page = await setup_facebook()
    inject(simulator, None)  # until further notice
    for text in ("first", "second", "third"):
        await notify(hass, text)  # succeeds: the message is kept
    assert "waits in the outbox" in caplog.text
    assert len(page.outbox) == 3
    simulator.faults.clear()  # Meta is back
    await wait_until(lambda: len(page.outbox) == 0)
    delivered = texts_to(simulator, ALICE)
    assert without_repeats(delivered) == ["first", "second", "third"]
    if not accepted:
        assert delivered == ["first", "second", "third"]  # exactly once
    report(name, "long outage", "kept in the outbox, delivered in order", delivered, 3)


async def test_outbox_fires_message_sent_when_it_delivers(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook()
    sent = async_capture_events(hass, EVENT_MESSAGE_SENT)
    simulator.inject_http_status(503, count=None)
    await notify(hass, "later")
    assert sent == []
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    await hass.async_block_till_done()
    assert [(e.data["target"], e.data["recipient_id"], e.data["page_id"]) for e in sent] == [
        ("alice", ALICE, PAGE_ID)
    ]


async def test_other_people_are_not_held_up(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook()
    simulator.inject_http_status(503, count=4)  # exactly Alice's in-call attempts
    await notify(hass, "for alice")
    await notify(hass, "for bob", "bob")
    assert texts_to(simulator, BOB) == ["for bob"]
    await wait_until(lambda: len(page.outbox) == 0)
    assert texts_to(simulator, ALICE) == ["for alice"]


async def test_outage_across_a_restart(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    await setup_facebook()
    simulator.inject_http_status(503, count=None)
    await notify(hass, "before restart 1")
    await notify(hass, "before restart 2", "bob")
    async with restarted(hass) as new_hass:
        stored = hass_storage["facebook.outbox.facebook"]["data"]["entries"]
        assert [e["parts"][0]["message"]["text"] for e in stored] == [
            "before restart 1",
            "before restart 2",
        ]
        simulator.faults.clear()
        assert await async_setup_component(new_hass, "notify", {"notify": [page_config(simulator)]})
        await new_hass.async_block_till_done()
        page = runtime_of(new_hass)
        await wait_until(lambda: len(page.outbox) == 0)
        assert texts_to(simulator, ALICE) == ["before restart 1"]
        assert texts_to(simulator, BOB) == ["before restart 2"]
        await wait_until(lambda: not hass_storage["facebook.outbox.facebook"]["data"]["entries"])
        assert hass_storage["facebook.outbox.facebook"]["data"]["entries"] == []


async def test_time_to_live_ends_with_send_failed(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook(outbox_ttl={"seconds": 1})
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    simulator.inject_http_status(503, count=None)
    await notify(hass, "too late")
    await wait_until(lambda: bool(failed), seconds=5)
    assert failed[0].data["target"] == "alice"
    assert failed[0].data["reason"] == "expired"
    assert failed[0].data["page_id"] == PAGE_ID
    assert "(HTTP 503)" in failed[0].data["last_error"]
    assert len(page.outbox) == 0
    assert simulator.sent == []


async def test_window_closing_ends_with_send_failed(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    page = await setup_facebook()
    client = await hass_client_no_auth()
    almost_a_day = 24 * 3600 * 1000 - 1000
    event = simulator.message_event(
        ALICE, text="hi", timestamp=int(time.time() * 1000) - almost_a_day
    )
    assert (await post_events(client, simulator, [event]))[0] == 200
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    simulator.inject_http_status(503, count=None)
    await notify(hass, "window closes")
    await wait_until(lambda: bool(failed), seconds=5)
    assert failed[0].data["reason"] == "window_closed"
    assert len(page.outbox) == 0


async def test_tagged_messages_outlive_the_24_hour_window(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.approve_human_agent()  # an app Meta approved for Human Agent (FIDELITY F-09)
    page = await setup_facebook(tag="HUMAN_AGENT")
    page.audience.record(ALICE, (dt_util.utcnow() - timedelta(days=2)).timestamp())  # closed
    simulator.inject_http_status(503, count=4)
    await notify(hass, "tagged")
    await wait_until(lambda: len(page.outbox) == 0)
    assert texts_to(simulator, ALICE) == ["tagged"]


async def test_permanent_error_on_retry_gives_up(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook()
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    simulator.inject_http_status(503, count=4)
    simulator.users[ALICE].blocked = True
    await notify(hass, "blocked later")
    await wait_until(lambda: bool(failed))
    assert "(#551)" in failed[0].data["reason"]
    assert len(page.outbox) == 0


async def test_permanent_errors_are_never_queued(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook()
    simulator.inject_error(
        100, subcode=2018001, message="(#100) No matching user found", count=None
    )
    with pytest.raises(HomeAssistantError):
        await notify(hass, "never kept")
    assert len(page.outbox) == 0


async def test_outbox_is_bounded_with_a_clear_error(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    """A call whose rest would not fit (1,001 messages: a long text) fails, saying why."""
    page = await setup_facebook()
    simulator.inject_http_status(503, count=None)
    block = "x" * 1999  # the most one message holds: a long text of 1,001 of them is split so
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, " ".join([block] * 1001))
    assert "not kept for later: the outbox holds 0 messages (the cap is 1000)" in str(err.value)
    assert len(page.outbox) == 0


async def test_a_kept_file_is_delivered_with_its_bytes(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, tmp_path: Any
) -> None:
    picture = tmp_path / "p.png"
    picture.write_bytes(b"\x89PNG" + b"1" * 100)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    page = await setup_facebook()
    simulator.inject_http_status(503, count=None)
    await hass.services.async_call(
        "notify",
        "facebook",
        {"message": "", "target": ["alice"], "data": {"image": str(picture)}},
        blocking=True,
    )
    assert len(page.outbox) == 1
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    (sent,) = simulator.messages_to(ALICE)
    assert sent.files["filedata"].data == picture.read_bytes()


async def test_damaged_storage_is_tolerated(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_storage: dict[str, Any],
    setup_facebook: SetupFacebook,
) -> None:
    good = {
        "id": 7,
        "target": {"label": "alice", "recipient": {"id": ALICE}, "psid": ALICE, "name": "alice"},
        "options": {"messaging_type": "UPDATE"},
        "parts": [{"message": {"text": "kept"}}],
        "created": dt_util.utcnow().isoformat(),
    }
    hass_storage["facebook.outbox.facebook"] = {
        "version": 1,
        "data": {"entries": [{"id": 1}, "junk", {"id": 2, "target": {}, "created": "x"}, good]},
    }
    page = await setup_facebook()
    await wait_until(lambda: len(page.outbox) == 0)
    assert texts_to(simulator, ALICE) == ["kept"]  # the good one survived its damaged company


async def test_a_queued_message_is_on_disk_before_the_call_returns(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    """A power cut right after the call returned loses nothing: no delayed write to wait for."""
    await setup_facebook()
    simulator.inject_http_status(500, count=None)
    await notify(hass, "kept")
    # No time passes and no background work runs between the call's return and this look.
    stored = hass_storage["facebook.outbox.facebook"]["data"]["entries"]
    assert [e["parts"][0]["message"]["text"] for e in stored] == ["kept"]


async def test_a_delivered_message_leaves_the_disk_at_once(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    """Once Meta accepted a kept message, the stored outbox forgets it before the next send (a
    kill then does not send it twice)."""
    page = await setup_facebook()
    simulator.inject_http_status(500, count=None)
    await notify(hass, "first")
    await notify(hass, "second")
    on_disk_when_accepted: dict[str, list[str]] = {}

    def on_accept(kind: str, item: Any) -> None:
        if kind == "sent":
            stored = hass_storage["facebook.outbox.facebook"]["data"]["entries"]
            texts = [e["parts"][0]["message"]["text"] for e in stored]
            on_disk_when_accepted[item.message["text"]] = texts

    simulator.recorder.listeners.append(on_accept)
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    assert texts_to(simulator, ALICE) == ["first", "second"]
    # When Meta accepted "second", "first" (accepted before it) was already gone from the disk.
    assert on_disk_when_accepted == {"first": ["first", "second"], "second": ["second"]}
    assert hass_storage["facebook.outbox.facebook"]["data"]["entries"] == []


async def test_each_part_of_a_kept_message_leaves_the_disk_once_accepted(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_storage: dict[str, Any],
) -> None:
    """A long text kept in the outbox goes out in parts: when Meta accepts a part, the parts
    before it are already gone from the disk (a kill between two parts does not resend them)."""
    page = await setup_facebook()
    simulator.inject_http_status(500, count=None)
    words = [f"w{i:04d}" for i in range(700)]  # three parts
    await notify(hass, " ".join(words))
    on_disk_when_accepted: list[list[str]] = []

    def on_accept(kind: str, item: Any) -> None:
        if kind == "sent":
            (entry,) = hass_storage["facebook.outbox.facebook"]["data"]["entries"]
            on_disk_when_accepted.append([p["message"]["text"] for p in entry["parts"]])

    simulator.recorder.listeners.append(on_accept)
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    parts = texts_to(simulator, ALICE)
    assert len(parts) == 3 and " ".join(parts).split(" ") == words
    assert on_disk_when_accepted == [parts, parts[1:], parts[2:]]
    assert hass_storage["facebook.outbox.facebook"]["data"]["entries"] == []


async def test_people_s_kept_messages_are_retried_at_once_not_one_after_another(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    """Under a steady load the outbox must drain faster than it fills: people are retried
    together (each person's messages still in order), not the whole page one at a time."""
    people = [str(7_000_000_000_000_000 + i) for i in range(10)]
    for psid in people:
        simulator.add_user(psid, name=f"P{psid[-1]}")
    page = await setup_facebook(allowed_chat_ids={f"p{i}": p for i, p in enumerate(people)})
    simulator.inject_http_status(503, count=None)
    for i in range(len(people)):
        await notify(hass, f"kept {i}", f"p{i}")
    assert len(page.outbox) == 10
    held = HeldAnswers(simulator)
    simulator.latency = 1.0
    simulator.faults.clear()
    # Every answer waits until all ten are on their way: one after another would never get here.
    await wait_until(lambda: held.waiting == 10)
    held.release()
    await wait_until(lambda: len(page.outbox) == 0)
    assert sorted(m.recipient_id for m in simulator.sent) == people
