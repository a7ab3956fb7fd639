"""The /api/facebook_webhooks view through Home Assistant's real HTTP app, with bodies built
and signed by the simulator exactly as Meta sends them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import (
    EVENT_DELIVERY,
    EVENT_MESSAGE,
    EVENT_REACTION,
    EVENT_READ,
    WEBHOOK_MAX_BODY,
    WEBHOOK_PATH,
)
from custom_components.facebook.redelivery import SEEN_SAVE_DELAY
from simulator import Simulator

from .conftest import (
    ALICE,
    APP_SECRET,
    BOB,
    CAROL,
    PAGE_ID,
    TOKEN,
    VERIFY_TOKEN,
    ClientFactory,
    SetupFacebook,
    page_config,
    post_events as post,
    restarted,
    router_of,
    runtime_of,
    sign,
    wait_until,
)


def capture(hass: HomeAssistant) -> dict[str, list[Event]]:
    return {
        name: async_capture_events(hass, name)
        for name in (EVENT_MESSAGE, EVENT_DELIVERY, EVENT_READ, EVENT_REACTION)
    }


# ---------------------------------------------------------------------------------------------
# Handshake


async def test_handshake_echoes_the_challenge(client: TestClient) -> None:
    response = await client.get(
        WEBHOOK_PATH,
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status == 200
    assert await response.text() == "1158201444"
    assert response.content_type == "text/plain"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "9" * 300},
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
        {},
    ],
)
async def test_handshake_refuses_everything_else(
    client: TestClient, params: dict[str, str]
) -> None:
    response = await client.get(WEBHOOK_PATH, params=params)
    assert response.status == 403
    assert "1" not in await response.text()


async def test_verify_token_defaults_to_the_page_token(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(verify_token=None)
    client = await hass_client_no_auth()
    response = await client.get(
        WEBHOOK_PATH,
        params={"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "42"},
    )
    assert (response.status, await response.text()) == (200, "42")


async def test_simulator_handshake_against_the_view(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    url = str(client.make_url(WEBHOOK_PATH))
    status, body = await simulator.verify_webhook(url, VERIFY_TOKEN)
    assert status == 200 and body.isdigit()
    status, _ = await simulator.verify_webhook(url, "not-it")
    assert status == 403


# ---------------------------------------------------------------------------------------------
# Signatures


async def test_signed_message_fires_facebook_message_with_every_field(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    event = simulator.message_event(ALICE, text="Hello home")
    status, text = await post(client, simulator, [event])
    assert (status, text) == (200, "EVENT_RECEIVED")
    (fired,) = events[EVENT_MESSAGE]
    assert fired.data == {
        "sender_id": ALICE,
        "sender_name": "alice",
        "message": "Hello home",
        "payload": None,
        "page_id": PAGE_ID,
        "mid": event["message"]["mid"],
        "timestamp": event["timestamp"],
        "type": "message",
        "attachments": [],
        "entity_id": "notify.alice",  # the person's notify entity, to answer them with
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha256=nothex"},
        {"X-Hub-Signature-256": "md5=abc"},
        {"X-Hub-Signature-256": ""},
    ],
)
async def test_bad_or_missing_signature_is_403_and_fires_nothing(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, headers: dict[str, str]
) -> None:
    events = capture(hass)
    body, signed = simulator.build_webhook(
        [simulator.message_event(ALICE, text="forged")], sign=False
    )
    response = await client.post(
        WEBHOOK_PATH, data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status == 403
    await hass.async_block_till_done()
    assert events[EVENT_MESSAGE] == []
    assert "X-Hub-Signature-256" not in signed


async def test_legacy_sha1_alone_or_another_secret_is_refused(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    message = simulator.message_event(ALICE, text="x")
    body, headers = simulator.build_webhook([message])
    response = await client.post(
        WEBHOOK_PATH, data=body, headers={"X-Hub-Signature": headers["X-Hub-Signature"]}
    )
    assert response.status == 403
    body, headers = simulator.build_webhook([message], secret="some-other-app-secret")
    response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status == 403
    assert events[EVENT_MESSAGE] == []


async def test_signature_covers_the_exact_bytes_non_ascii_escaped(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    text = "Grüße äöå 😀 — ok"
    body, headers = simulator.build_webhook([simulator.message_event(ALICE, text=text)])
    assert b"\\u00e4\\u00f6\\u00e5" in body
    assert text.encode() not in body
    response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
    assert response.status == 200
    assert events[EVENT_MESSAGE][0].data["message"] == text
    # Re-serialising would change the bytes: the same JSON with raw UTF-8 fails the check.
    raw = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()
    response = await client.post(WEBHOOK_PATH, data=raw, headers=headers)
    assert response.status == 403


async def test_without_any_app_secret_unsigned_bodies_are_accepted(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(app_secret=None)
    client = await hass_client_no_auth()
    events = capture(hass)
    status, _ = await post(
        client, simulator, [simulator.message_event(ALICE, text="open")], sign=False
    )
    assert status == 200
    assert len(events[EVENT_MESSAGE]) == 1


async def test_bad_json_is_400_and_other_objects_are_ignored(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    for body in (b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000):
        headers = sign(body)
        response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
        assert response.status == 400
    body = json.dumps({"object": "instagram", "entry": []}).encode()
    response = await client.post(WEBHOOK_PATH, data=body, headers=sign(body))
    assert (response.status, await response.text()) == (200, "EVENT_RECEIVED")
    assert events[EVENT_MESSAGE] == []


async def test_body_over_the_limit_is_refused(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    body = b'{"object":"page","entry":[],"pad":"' + b"x" * WEBHOOK_MAX_BODY + b'"}'
    response = await client.post(WEBHOOK_PATH, data=body, headers=sign(body))
    assert response.status == 413


# ---------------------------------------------------------------------------------------------
# Event kinds


async def test_quick_reply_postback_attachment_delivery_read_reaction(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    quick = simulator.message_event(BOB, text="Red", quick_reply_payload="FOO")
    postback = simulator.postback_event(BOB, "Close", "CLOSE_GARAGE")
    # A URL that refuses at once: the picture's event fires after the download gave up.
    picture = simulator.message_event(BOB, attachments=[("image", "http://127.0.0.1:9/p.jpg")])
    delivery = simulator.delivery_event(BOB, ["m_1", "m_2"], 1_700_000_000_000)
    read = simulator.read_event(BOB, 1_700_000_000_500)
    reaction = simulator.reaction_event(BOB, "m_1", reaction="love", emoji="\u2764\ufe0f")
    status, _ = await post(client, simulator, [quick, postback, picture, delivery, read, reaction])
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    messages = events[EVENT_MESSAGE]
    assert [(e.data["type"], e.data["message"], e.data["payload"]) for e in messages] == [
        ("quick_reply", "Red", "FOO"),
        ("postback", "Close", "CLOSE_GARAGE"),
        ("message", "", None),
    ]
    assert messages[1].data["mid"] == postback["postback"]["mid"]
    assert messages[2].data["attachments"] == [{"type": "image", "url": "http://127.0.0.1:9/p.jpg"}]
    assert all(e.data["sender_name"] == "bob" for e in messages)
    (delivered,) = events[EVENT_DELIVERY]
    assert delivered.data | {"timestamp": 0} == {
        "sender_id": BOB,
        "sender_name": "bob",
        "page_id": PAGE_ID,
        "timestamp": 0,
        "mids": ["m_1", "m_2"],
        "watermark": 1_700_000_000_000,
    }
    assert events[EVENT_READ][0].data["watermark"] == 1_700_000_000_500
    reacted = events[EVENT_REACTION][0].data
    assert (reacted["mid"], reacted["reaction"], reacted["emoji"], reacted["action"]) == (
        "m_1",
        "love",
        "\u2764\ufe0f",
        "react",
    )


async def test_strangers_echoes_and_unknown_kinds_fire_nothing(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    optin = {
        "sender": {"id": ALICE},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1,
        "optin": {"ref": "x"},
    }
    status, _ = await post(
        client,
        simulator,
        [simulator.message_event(CAROL, text="hi"), simulator.echo_event(ALICE, "echo"), optin],
    )
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert all(not fired for fired in events.values())
    assert simulator.sent == []


async def test_events_fire_in_timestamp_order(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    base = int(time.time() * 1000)
    batch = [
        simulator.message_event(ALICE, text="third", timestamp=base + 3),
        simulator.message_event(ALICE, text="first", timestamp=base + 1),
        simulator.message_event(BOB, text="second", timestamp=base + 2),
    ]
    status, _ = await post(client, simulator, batch)
    assert status == 200
    assert [e.data["message"] for e in events[EVENT_MESSAGE]] == ["first", "second", "third"]


async def test_shuffled_batch_from_the_simulator_is_reordered(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    base = int(time.time() * 1000)
    batch = [simulator.message_event(ALICE, text=str(i), timestamp=base + i) for i in range(50)]
    status, _ = await post(client, simulator, batch, shuffle=True)
    assert status == 200
    assert [e.data["message"] for e in events[EVENT_MESSAGE]] == [str(i) for i in range(50)]


async def test_redelivered_events_fire_once(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    batch = [simulator.message_event(ALICE, text="once"), simulator.read_event(ALICE, 123)]
    assert (await post(client, simulator, batch, duplicate=True))[0] == 200
    assert (await post(client, simulator, batch))[0] == 200
    assert len(events[EVENT_MESSAGE]) == 1
    assert len(events[EVENT_READ]) == 1


async def test_redelivery_after_a_restart_fires_once(
    hass: HomeAssistant,
    simulator: Simulator,
    client: TestClient,
    hass_storage: dict[str, Any],
    aiohttp_client: Callable[[Any], Awaitable[TestClient]],
) -> None:
    """Meta redelivers what it thinks we missed, also across our restart: it fires once."""
    events = capture(hass)
    batch = [simulator.message_event(ALICE, text="once")]
    assert (await post(client, simulator, batch))[0] == 200
    assert len(events[EVENT_MESSAGE]) == 1
    async with restarted(hass) as new_hass:  # a graceful stop writes the memory
        assert "facebook.webhook_seen" in hass_storage
        assert await async_setup_component(new_hass, "notify", {"notify": [page_config(simulator)]})
        await new_hass.async_block_till_done()
        new_events = capture(new_hass)
        new_client = await aiohttp_client(new_hass.http.app)
        assert (await post(new_client, simulator, batch))[0] == 200
        assert new_events[EVENT_MESSAGE] == []
        fresh = [simulator.message_event(ALICE, text="new")]
        assert (await post(new_client, simulator, fresh))[0] == 200
        assert [e.data["message"] for e in new_events[EVENT_MESSAGE]] == ["new"]


async def test_redelivery_memory_is_saved_within_seconds(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, hass_storage: dict[str, Any]
) -> None:
    """Saved a few seconds behind at most: a kill loses only the last moments' memory."""
    assert (await post(client, simulator, [simulator.message_event(ALICE, text="x")]))[0] == 200
    assert "facebook.webhook_seen" not in hass_storage  # batched, not one write per event
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SEEN_SAVE_DELAY + 1))
    await hass.async_block_till_done()
    assert len(hass_storage["facebook.webhook_seen"]["data"]["seen"]) == 1


async def test_thousand_event_batch_is_answered_fast_and_fires_everything(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    batch = [simulator.message_event(ALICE if i % 2 else BOB, text=f"n{i}") for i in range(1000)]
    body, headers = simulator.build_webhook(batch)
    started = time.perf_counter()
    response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status == 200
    assert len(events[EVENT_MESSAGE]) == 1000
    print(f"\n1000-event batch ({len(body)} bytes) answered in {elapsed * 1000:.1f} ms")


# ---------------------------------------------------------------------------------------------
# get my id


async def test_get_my_id_answers_anyone_in_the_background_once_a_minute(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    simulator.inject_delay(2.0)  # Meta is slow to answer the reply
    # The webhook answers at once: it does not wait for the reply's round trip.
    status, _ = await asyncio.wait_for(
        post(client, simulator, [simulator.message_event(CAROL, text="  Get My ID ")]), 1.0
    )
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    (reply,) = simulator.sent
    assert reply.recipient_id == CAROL
    assert reply.message == {"text": f"Your ID is {CAROL}"}
    assert reply.messaging_type == "RESPONSE"
    await post(client, simulator, [simulator.message_event(CAROL, text="get my id")])
    tapped = simulator.message_event(ALICE, text="Get my ID", quick_reply_payload="WHO_AM_I")
    await post(client, simulator, [tapped])  # a quick-reply chip titled "get my id" counts
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m.recipient_id for m in simulator.sent] == [CAROL, ALICE]
    assert events[EVENT_MESSAGE] == []


async def test_get_my_id_reply_failure_is_logged_not_raised(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.users[CAROL].blocked = True
    status, _ = await post(client, simulator, [simulator.message_event(CAROL, text="get my id")])
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not answer 'get my id'" in caplog.text


# ---------------------------------------------------------------------------------------------
# Routing


async def test_two_pages_two_secrets_routed_by_entry_id(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    club_id, dana = "2000000000000002", "7777777777777777"
    simulator.add_page(page_id=club_id, name="Club", token="club-token", app_secret="club-secret")
    simulator.add_user(dana, name="Dana", page=club_id)
    await setup_facebook(
        page_config(simulator),
        page_config(
            simulator,
            name="club",
            page_access_token="club-token",
            app_secret="club-secret",
            verify_token="club-verify",
            allowed_chat_ids={"dana": dana},
        ),
    )
    client = await hass_client_no_auth()
    events = capture(hass)
    assert (await post(client, simulator, [simulator.message_event(dana, text="club news")]))[
        0
    ] == 200
    assert (await post(client, simulator, [simulator.message_event(ALICE, text="home news")]))[
        0
    ] == 200
    assert [
        (e.data["page_id"], e.data["sender_name"], e.data["message"]) for e in events[EVENT_MESSAGE]
    ] == [
        (club_id, "dana", "club news"),
        (PAGE_ID, "alice", "home news"),
    ]
    # An entry for the club page signed with the home page's secret is not the club's.
    status, _ = await post(
        client, simulator, [simulator.message_event(dana, text="forged")], secret=APP_SECRET
    )
    assert status == 200
    assert len(events[EVENT_MESSAGE]) == 2
    # Both verify tokens pass the handshake.
    for token in (VERIFY_TOKEN, "club-verify"):
        response = await client.get(
            WEBHOOK_PATH,
            params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "7"},
        )
        assert response.status == 200


async def test_a_page_takes_entries_once_meta_said_its_id(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: ClientFactory
) -> None:
    """A YAML page imported while Meta was out of reach does not know its id yet: entries are
    routed by id, so it takes them once Meta said it (the setup asks again in the background)."""
    simulator.inject_error(2, count=1000, paths="all")
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done()
    assert runtime_of(hass).page.id is None
    client = await hass_client_no_auth()
    events = capture(hass)
    status, _ = await post(client, simulator, [simulator.message_event(ALICE, text="early")])
    assert status == 200  # answered (Meta must not retry), but not routed: no page has that id
    assert events[EVENT_MESSAGE] == []
    simulator.faults.clear()
    await wait_until(lambda: PAGE_ID in router_of(hass).pages)
    status, _ = await post(client, simulator, [simulator.message_event(ALICE, text="later")])
    assert [e.data["message"] for e in events[EVENT_MESSAGE]] == ["later"]
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_entries_for_unknown_pages_are_ignored(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    simulator.add_page(
        page_id="3000000000000003", name="Other", token="other", app_secret=APP_SECRET
    )
    simulator.add_user("8888", name="Eve", page="3000000000000003")
    status, _ = await post(client, simulator, [simulator.message_event("8888", text="hi")])
    assert status == 200
    assert events[EVENT_MESSAGE] == []


# ---------------------------------------------------------------------------------------------
# Malformed input


MALFORMED: list[Any] = [
    None,
    [],
    "page",
    42,
    {"object": "page"},
    {"object": "page", "entry": None},
    {"object": "page", "entry": "x"},
    {"object": "page", "entry": [None, 1, "x", []]},
    {"object": "page", "entry": [{"id": PAGE_ID}]},
    {"object": "page", "entry": [{"id": PAGE_ID, "messaging": {"sender": {}}}]},
    {"object": "page", "entry": [{"id": {"nested": True}, "messaging": []}]},
    {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [None, 1, [], "x"]}]},
    {
        "object": "page",
        "entry": [{"id": PAGE_ID, "messaging": [{"message": {"text": "no sender"}}]}],
    },
    {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [{"sender": ALICE, "message": {}}]}]},
    {
        "object": "page",
        "entry": [{"id": PAGE_ID, "messaging": [{"sender": {"id": None}, "message": {}}]}],
    },
    {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "messaging": [{"sender": {"id": ["x"]}, "message": {"text": "x"}}]}
        ],
    },
    {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "messaging": [{"sender": {"id": True}, "message": {"text": "x"}}]}
        ],
    },
    {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "messaging": [{"sender": {"id": "x" * 10_000}, "message": {"text": "x"}}],
            }
        ],
    },
    {
        "object": "page",
        "entry": [{"id": PAGE_ID, "messaging": [{"sender": {"id": ALICE}, "message": "text"}]}],
    },
    {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "messaging": [{"sender": {"id": ALICE}, "timestamp": "soon", "postback": []}],
            }
        ],
    },
    {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "messaging": [{"sender": {"id": ALICE}, "delivery": "x", "read": 5}]}
        ],
    },
    {"object": ["page"], "entry": []},
    {"object": "page", "entry": [{"id": float("1e308"), "messaging": []}]},
]


@pytest.mark.parametrize("payload", MALFORMED)
async def test_malformed_shapes_never_500_and_fire_nothing_wrong(
    hass: HomeAssistant, simulator: Simulator, client: TestClient, payload: Any
) -> None:
    events = capture(hass)
    body = json.dumps(payload).encode()
    response = await client.post(WEBHOOK_PATH, data=body, headers=sign(body))
    assert response.status in (200, 400)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert all(not fired for fired in events.values())


async def test_wrong_types_inside_good_events_are_tolerated(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    events = capture(hass)
    to_page = {"recipient": {"id": PAGE_ID}}
    batch = [
        {
            **to_page,
            "sender": {"id": int(ALICE)},
            "timestamp": "17",
            "message": {"mid": 5, "text": ["x"], "attachments": "none"},
        },
        {
            **to_page,
            "sender": {"id": ALICE},
            "timestamp": 18,
            "message": {"mid": "m_ok", "text": "x" * 1_000_000, "quick_reply": "FOO"},
        },
        {
            **to_page,
            "sender": {"id": ALICE},
            "timestamp": 19,
            "message": {
                "mid": "m_att",
                "attachments": [
                    1,
                    {"type": 5},
                    {"type": "fallback"},
                    {"type": "image", "payload": {"url": 7}},
                ],
            },
        },
    ]
    status, _ = await post(client, simulator, batch)
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    fired = events[EVENT_MESSAGE]
    assert [e.data["sender_id"] for e in fired] == [ALICE, ALICE, ALICE]
    assert fired[0].data["message"] == "" and fired[0].data["mid"] == "5"
    assert len(fired[1].data["message"]) == 20_000
    assert fired[1].data["payload"] is None
    assert fired[2].data["attachments"] == [
        {"type": "fallback", "url": None},
        {"type": "image", "url": None},
    ]


# ---------------------------------------------------------------------------------------------
# The seed automation, end to end


async def test_seed_automation_quick_reply_foo_replies_received_red(
    hass: HomeAssistant, simulator: Simulator, client: TestClient
) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "Quick reply FOO",
                "triggers": {
                    "trigger": "event",
                    "event_type": "facebook_message",
                    "event_data": {"payload": "FOO"},
                },
                "actions": {
                    "action": "notify.facebook",
                    "data": {
                        "message": "Received red",
                        "target": ["{{ trigger.event.data.sender_id }}"],
                    },
                },
            }
        },
    )
    await hass.services.async_call(
        "notify",
        "facebook",
        {
            "message": "Pick a colour",
            "target": ["alice"],
            "data": {
                "quick_replies": [
                    {"title": "Red", "payload": "FOO"},
                    {"title": "Blue", "payload": "BAR"},
                ]
            },
        },
        blocking=True,
    )
    chips = simulator.messages_to(ALICE)[-1].message["quick_replies"]
    tapped = next(chip for chip in chips if chip["payload"] == "FOO")
    status, _ = await post(
        client,
        simulator,
        [
            simulator.message_event(
                ALICE, text=tapped["title"], quick_reply_payload=tapped["payload"]
            )
        ],
    )
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.messages_to(ALICE)[-1].message == {"text": "Received red"}
    await post(
        client, simulator, [simulator.message_event(ALICE, text="Blue", quick_reply_payload="BAR")]
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m.message.get("text") for m in simulator.messages_to(ALICE)] == [
        "Pick a colour",
        "Received red",
    ]
