"""Webhook events, the signed envelope, batching, duplicates, shuffling and the handshake."""

from __future__ import annotations

from collections import Counter
import hashlib
import hmac
import json
import re
import time

import pytest

from simulator import Simulator
from tests.simulator.helpers import (
    ALICE,
    BOB,
    CAROL,
    OTHER_PAGE_ID,
    PAGE_ID,
    SECRET,
    VERIFY_TOKEN,
    Graph,
    Receiver,
    make_sim,
    text_message,
)


def verify_sha256(body: bytes, header: str, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


# ----------------------------------------------------------------------------- event shapes


def test_message_event_shape() -> None:
    sim = make_sim()
    before = int(sim.now() * 1000)
    event = sim.message_event(ALICE, "hello", attachments=[("image", "https://e.com/a.jpg")])
    assert event["sender"] == {"id": ALICE}
    assert event["recipient"] == {"id": PAGE_ID}
    assert before <= event["timestamp"] <= int(sim.now() * 1000)
    message = event["message"]
    assert message["mid"].startswith("m_")
    assert message["text"] == "hello"
    assert message["attachments"] == [{"type": "image", "payload": {"url": "https://e.com/a.jpg"}}]
    assert "quick_reply" not in message


def test_message_event_options() -> None:
    sim = make_sim()
    event = sim.message_event(
        BOB,
        "Yes",
        quick_reply_payload="YES",
        attachments=[{"type": "file", "url": "https://e.com/f.pdf"}, {"type": "fallback"}],
        mid="m_fixed",
        timestamp=1458692752478,
    )
    assert event["timestamp"] == 1458692752478
    assert event["message"] == {
        "mid": "m_fixed",
        "text": "Yes",
        "quick_reply": {"payload": "YES"},
        "attachments": [
            {"type": "file", "payload": {"url": "https://e.com/f.pdf"}},
            {"type": "fallback"},
        ],
    }


def test_event_for_other_page_user() -> None:
    sim = make_sim()
    assert sim.message_event(CAROL, "hi")["recipient"] == {"id": OTHER_PAGE_ID}
    stranger = sim.message_event("4444444444444444", "hi")
    assert stranger["recipient"] == {"id": PAGE_ID}  # unknown senders go to the first page


def test_postback_delivery_read_reaction_echo() -> None:
    sim = make_sim()
    postback = sim.postback_event(ALICE, "Turn off", "LIGHTS_OFF")["postback"]
    assert postback["title"] == "Turn off"
    assert postback["payload"] == "LIGHTS_OFF"
    assert postback["mid"].startswith("m_")
    delivery = sim.delivery_event(ALICE, ["m_1", "m_2"], 1458668856253)
    assert delivery["delivery"] == {"mids": ["m_1", "m_2"], "watermark": 1458668856253}
    assert sim.read_event(ALICE, 1458668856253)["read"] == {"watermark": 1458668856253}
    reaction = sim.reaction_event(ALICE, "m_1")
    assert reaction["reaction"] == {
        "reaction": "love",
        "emoji": "\u2764\ufe0f",
        "action": "react",
        "mid": "m_1",
    }
    echo = sim.echo_event(ALICE, "sent by the page", app_id="1517776481860111")
    assert echo["sender"] == {"id": PAGE_ID}
    assert echo["recipient"] == {"id": ALICE}
    assert echo["message"]["is_echo"] is True
    assert echo["message"]["app_id"] == 1517776481860111
    assert echo["message"]["text"] == "sent by the page"


async def test_event_time_sets_last_inbound(graph: Graph, sim: Simulator) -> None:
    """An event built with an old timestamp stands for a user who wrote back then."""
    long_ago = int((sim.now() - 25 * 3600) * 1000)
    sim.message_event(ALICE, "old", timestamp=long_ago)
    assert sim.users[ALICE].last_inbound == long_ago / 1000
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278
    sim.postback_event(ALICE, "Yes", "YES")
    assert (await graph.send(text_message())).status == 200


# ----------------------------------------------------------------------------- envelope and signing


def test_envelope_and_signature() -> None:
    sim = make_sim()
    events = [sim.message_event(ALICE, "one"), sim.message_event(BOB, "two")]
    body, headers = sim.build_webhook(events)
    document = json.loads(body)
    assert document["object"] == "page"
    (entry,) = document["entry"]
    assert entry["id"] == PAGE_ID
    assert abs(entry["time"] - sim.now() * 1000) < 5000
    assert entry["messaging"] == events
    assert headers["Content-Type"] == "application/json"
    assert verify_sha256(body, headers["X-Hub-Signature-256"])
    sha1 = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == f"sha1={sha1}"
    assert b" " not in body.replace(b"one", b"").replace(b"two", b"")  # compact separators


def test_non_ascii_is_escaped_lowercase() -> None:
    sim = make_sim()
    body, headers = sim.build_webhook([sim.message_event(ALICE, "äöå ❤️ 😀")])
    assert body.isascii()
    assert b"\\u00e4\\u00f6\\u00e5" in body
    assert b"\\ud83d\\ude00" in body  # an astral emoji as a lowercase surrogate pair
    assert not re.search(rb"\\u[0-9a-f]*[A-F]", body)
    assert json.loads(body)["entry"][0]["messaging"][0]["message"]["text"] == "äöå ❤️ 😀"
    # The signature is over these exact bytes, not over a re-serialisation.
    assert verify_sha256(body, headers["X-Hub-Signature-256"])
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert not verify_sha256(reserialised, headers["X-Hub-Signature-256"])


def test_escape_slashes_option() -> None:
    sim = make_sim()
    event = sim.message_event(ALICE, attachments=[("image", "https://e.com/a.jpg")])
    body, headers = sim.build_webhook([event], escape_slashes=True)
    assert b"https:\\/\\/e.com\\/a.jpg" in body
    assert verify_sha256(body, headers["X-Hub-Signature-256"])
    assert json.loads(body)["entry"][0]["messaging"][0] == event


def test_no_signature_without_secret_or_when_asked() -> None:
    sim = make_sim()
    unsigned_page = sim.build_webhook([sim.message_event(CAROL, "hi")])[1]  # no app secret
    assert "X-Hub-Signature-256" not in unsigned_page
    assert "X-Hub-Signature" not in unsigned_page
    unsigned = sim.build_webhook([sim.message_event(ALICE, "hi")], sign=False)[1]
    assert "X-Hub-Signature-256" not in unsigned


def test_secret_override() -> None:
    sim = make_sim()
    body, headers = sim.build_webhook([sim.message_event(ALICE, "hi")], secret="forged")
    assert not verify_sha256(body, headers["X-Hub-Signature-256"])
    assert verify_sha256(body, headers["X-Hub-Signature-256"], secret="forged")


def test_events_grouped_by_page() -> None:
    sim = make_sim()
    events = [
        sim.message_event(ALICE, "a"),
        sim.message_event(CAROL, "c"),
        sim.message_event(BOB, "b"),
        sim.echo_event(CAROL, "echo"),
    ]
    entries = json.loads(sim.build_webhook(events)[0])["entry"]
    assert [e["id"] for e in entries] == [PAGE_ID, OTHER_PAGE_ID]
    assert [m.get("message", {}).get("text") for m in entries[0]["messaging"]] == ["a", "b"]
    assert [m["message"]["text"] for m in entries[1]["messaging"]] == ["c", "echo"]
    forced = json.loads(sim.build_webhook(events, page_id=PAGE_ID)[0])["entry"]
    assert len(forced) == 1
    assert len(forced[0]["messaging"]) == 4


def test_duplicate_and_shuffle() -> None:
    sim = make_sim(seed=7)
    events = [sim.message_event(ALICE, str(i)) for i in range(30)]
    doubled = json.loads(sim.build_webhook(events, duplicate=True)[0])["entry"][0]["messaging"]
    assert len(doubled) == 60
    assert Counter(e["message"]["mid"] for e in doubled) == Counter(
        {e["message"]["mid"]: 2 for e in events}
    )
    shuffled = json.loads(sim.build_webhook(events, shuffle=True)[0])["entry"][0]["messaging"]
    assert sorted(e["message"]["mid"] for e in shuffled) == sorted(
        e["message"]["mid"] for e in events
    )
    assert [e["message"]["text"] for e in shuffled] != [str(i) for i in range(30)]


# ----------------------------------------------------------------------------- posting


async def test_post_webhook(sim: Simulator, receiver: Receiver) -> None:
    events = [sim.message_event(ALICE, "ping")]
    before = time.monotonic()
    results = await sim.post_webhook(events, url=receiver.url)
    after = time.monotonic()
    assert results == [(200, "EVENT_RECEIVED")]
    headers, raw = receiver.posts[0]
    assert verify_sha256(raw, headers["X-Hub-Signature-256"])
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "facebookexternalua"
    assert receiver.events() == events
    (post,) = sim.webhook_posts
    assert (post.url, post.body, post.events, post.status) == (receiver.url, raw, 1, 200)
    assert before <= post.started_at <= after  # the monotonic instant the POST began


async def test_batches_of_at_most_1000(sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    events = [sim.message_event(ALICE, str(i)) for i in range(2500)]
    results = await sim.post_webhook(events, batch_size=5000)
    assert results == [(200, "EVENT_RECEIVED")] * 3
    sizes = [len(json.loads(raw)["entry"][0]["messaging"]) for _, raw in receiver.posts]
    assert sizes == [1000, 1000, 500]
    assert [e["message"]["text"] for e in receiver.events()] == [str(i) for i in range(2500)]
    for headers, raw in receiver.posts:
        assert verify_sha256(raw, headers["X-Hub-Signature-256"])


async def test_small_batches_with_duplicates(sim: Simulator, receiver: Receiver) -> None:
    events = [sim.message_event(BOB, str(i)) for i in range(10)]
    results = await sim.post_webhook(events, url=receiver.url, batch_size=4, duplicate=True)
    assert len(results) == 5  # 20 events in batches of 4
    received = receiver.events()
    assert len(received) == 20
    assert {e["message"]["mid"] for e in received} == {e["message"]["mid"] for e in events}


async def test_post_failure_status(sim: Simulator, receiver: Receiver) -> None:
    receiver.status = 403
    assert await sim.post_webhook([sim.message_event(ALICE, "x")], url=receiver.url) == [
        (403, "EVENT_RECEIVED")
    ]
    closed = receiver.url.replace("/webhook", "/nowhere")
    assert (await sim.post_webhook([sim.message_event(ALICE, "x")], url=closed))[0][0] == 404
    dead = "http://127.0.0.1:9/webhook"  # the discard port: nothing listens there
    status, text = (await sim.post_webhook([sim.message_event(ALICE, "x")], url=dead))[0]
    assert status == 0
    assert text


async def test_post_needs_a_url(sim: Simulator) -> None:
    with pytest.raises(RuntimeError, match="webhook"):
        await sim.post_webhook([sim.message_event(ALICE, "x")])


async def test_user_conveniences(sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    assert await sim.user_says(ALICE, "get my id") == (200, "EVENT_RECEIVED")
    assert await sim.user_taps_quick_reply(ALICE, "Yes", "YES") == (200, "EVENT_RECEIVED")
    assert await sim.user_taps_button(BOB, "Lights off", "LIGHTS_OFF") == (200, "EVENT_RECEIVED")
    assert await sim.user_reacts(BOB, "m_page_msg", "\U0001f44d") == (200, "EVENT_RECEIVED")
    said, tapped, button, reacted = receiver.events()
    assert said["message"]["text"] == "get my id"
    assert said["sender"] == {"id": ALICE}
    assert tapped["message"]["text"] == "Yes"
    assert tapped["message"]["quick_reply"] == {"payload": "YES"}
    assert button["postback"]["payload"] == "LIGHTS_OFF"
    assert button["postback"]["title"] == "Lights off"
    assert reacted["reaction"] == {
        "reaction": "like",
        "emoji": "\U0001f44d",
        "action": "react",
        "mid": "m_page_msg",
    }
    for headers, raw in receiver.posts:
        assert verify_sha256(raw, headers["X-Hub-Signature-256"])


async def test_user_says_opens_window(sim: Simulator, receiver: Receiver, graph: Graph) -> None:
    sim.webhook_url = receiver.url
    sim.advance(2 * 24 * 3600)
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278
    await sim.user_says(ALICE, "hello again")
    assert (await graph.send(text_message())).status == 200


# ----------------------------------------------------------------------------- handshake


async def test_verify_webhook(sim: Simulator, receiver: Receiver) -> None:
    status, body = await sim.verify_webhook(receiver.url, VERIFY_TOKEN, challenge=1158201444)
    assert (status, body) == (200, "1158201444")
    status, body = await sim.verify_webhook(receiver.url, "wrong-token")
    assert status == 403
    status, body = await sim.verify_webhook(receiver.url, VERIFY_TOKEN)
    assert status == 200
    assert body.isdigit()
