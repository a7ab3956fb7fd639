"""The webhook library: the parser (total on any JSON, faithful on Meta's shapes), the
handshake and signature checks, and the redelivery memory."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.facebook.messenger.models import (
    MessagingEvent,
    ParsedBody,
    WebhookAttachment as Attachment,
)
from custom_components.facebook.messenger.webhook import (
    Deduplicator,
    matching_secrets,
    parse_body,
    parse_event,
    verify_handshake,
)
from tests.webhook_bodies import FUZZ_SEED, HostileDraws, random_bodies

PAGE = "1000000000000001"
PARSER_EXAMPLES = 300


@settings(max_examples=PARSER_EXAMPLES, deadline=None)
@given(st.randoms(use_true_random=False))
def test_parser_never_raises_and_only_yields_well_typed_events(rng: random.Random) -> None:
    assert_well_typed(parse_body(HostileDraws(rng).value()))


def test_parser_takes_ten_thousand_seeded_hostile_bodies() -> None:
    """The same shapes drawn 10,000 times from a seed (hypothesis, above, shrinks what it finds;
    this draws many more for the time)."""
    parsed_bodies = 0
    for raw in random_bodies(10_000, FUZZ_SEED):
        try:
            body = json.loads(raw)
        except ValueError:
            continue  # bytes that are not JSON never reach the parser
        assert_well_typed(parse_body(body))
        parsed_bodies += 1
    assert parsed_bodies > 8000


def assert_well_typed(parsed: ParsedBody) -> None:
    for event in parsed.events:
        assert isinstance(event.sender_id, str) and event.sender_id
        assert isinstance(event.page_id, str) and event.page_id
        assert isinstance(event.timestamp, int)
        assert event.text is None or isinstance(event.text, str)
        assert event.payload is None or isinstance(event.payload, str)
        assert all(isinstance(a, Attachment) for a in event.attachments)
        assert isinstance(event.dedup_key(), str)


@settings(max_examples=500, deadline=None)
@given(
    psid=st.from_regex(r"\A[0-9]{5,20}\Z"),
    text=st.text(max_size=300),
    payload=st.one_of(st.none(), st.text(min_size=0, max_size=50)),
    timestamp=st.integers(min_value=0, max_value=2**53),
    mid=st.from_regex(r"\Am_[A-Za-z0-9_-]{1,40}\Z"),
)
def test_well_formed_messages_round_trip(
    psid: str, text: str, payload: str | None, timestamp: int, mid: str
) -> None:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if payload is not None:
        message["quick_reply"] = {"payload": payload}
    body = {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": timestamp,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": PAGE},
                        "timestamp": timestamp,
                        "message": message,
                    }
                ],
            }
        ],
    }
    (event,) = parse_body(body).events
    assert event == MessagingEvent(
        "quick_reply" if payload is not None else "message",
        PAGE,
        psid,
        timestamp,
        mid=mid,
        text=text,
        payload=payload,
    )


def test_each_kind() -> None:
    base = {"sender": {"id": "42"}, "timestamp": 5}
    assert parse_event(
        {**base, "postback": {"title": "T", "payload": "P", "mid": "m"}}, PAGE
    ) == MessagingEvent("postback", PAGE, "42", 5, mid="m", text="T", payload="P")
    assert parse_event(
        {**base, "delivery": {"mids": ["a", 3, None], "watermark": 9}}, PAGE
    ) == MessagingEvent("delivery", PAGE, "42", 5, watermark=9, mids=("a", "3"))
    assert parse_event({**base, "read": {"watermark": "10"}}, PAGE) == MessagingEvent(
        "read", PAGE, "42", 5, watermark=10
    )
    reaction = parse_event(
        {**base, "reaction": {"mid": "m", "reaction": "love", "emoji": "x", "action": "shout"}},
        PAGE,
    )
    assert reaction is not None and reaction.action is None and reaction.reaction == "love"
    echo = parse_event({**base, "message": {"is_echo": True, "text": "e", "mid": "m2"}}, PAGE)
    assert echo is not None and echo.kind == "echo"
    assert parse_event({**base, "optin": {"ref": "x"}}, PAGE) is None
    missing_time = parse_event(
        {"sender": {"id": "42"}, "read": {"watermark": 1}}, PAGE, entry_time=77
    )
    assert missing_time is not None and missing_time.timestamp == 77


def test_dedup_keys() -> None:
    a = parse_event(
        {"sender": {"id": "1"}, "timestamp": 1, "message": {"mid": "m", "text": "x"}}, PAGE
    )
    b = parse_event(
        {"sender": {"id": "1"}, "timestamp": 2, "message": {"mid": "m", "text": "y"}}, PAGE
    )
    c = parse_event({"sender": {"id": "1"}, "timestamp": 1, "message": {"text": "x"}}, PAGE)
    d = parse_event({"sender": {"id": "1"}, "timestamp": 1, "message": {"text": "z"}}, PAGE)
    assert a and b and c and d
    assert a.dedup_key() == b.dedup_key()
    assert c.dedup_key() != d.dedup_key()


def test_object_and_entry_shapes() -> None:
    assert parse_body({"object": "instagram"}).object_type == "instagram"
    assert parse_body([]).skipped == 1
    assert parse_body({"object": "page", "entry": {}}).skipped == 1
    parsed = parse_body({"object": "page", "entry": [1, {"id": PAGE, "messaging": [1]}]})
    assert (parsed.events, parsed.skipped) == ([], 2)


def test_redelivery_memory_restores_only_what_it_wrote() -> None:
    seen = Deduplicator(3)
    for key in ("a", "b", "c", "d"):
        seen.add(key)
    stored = seen.dump()
    again = Deduplicator(3)
    again.restore([*stored, "not a digest", 42, None])
    again.restore("garbage")
    assert again.dump() == stored
    assert not again.add("d")
    assert again.add("a")


def test_redelivery_memory_is_bounded() -> None:
    seen = Deduplicator(10_000)
    for i in range(10_000 * 2):
        assert seen.add(f"m_{i}")
    assert len(seen) == 10_000
    assert not seen.add(f"m_{10_000 * 2 - 1}")
    assert seen.add("m_0")  # forgotten long ago


def test_a_redelivered_event_is_recognised_by_its_key() -> None:
    seen = Deduplicator(10)
    event = MessagingEvent("message", PAGE, "6543210987654321", 1, mid="m_1", text="hi")
    again = MessagingEvent("message", PAGE, "6543210987654321", 2, mid="m_1", text="hi")
    assert seen.first_time(event)
    assert not seen.first_time(again)  # same mid, whatever the timestamp
    assert seen.first_time(MessagingEvent("message", "2", "6543210987654321", 1, mid="m_1"))
    # Keys of any length (a reaction's key carries its text) take the same fixed room.
    huge = MessagingEvent("reaction", PAGE, "1", 3, reaction="x" * 100_000)
    assert seen.first_time(huge)
    assert {len(digest) for digest in seen.dump()} == {32}


def test_handshake_echoes_only_for_a_known_token() -> None:
    tokens = [b"first-token", b"second-token"]
    query = {"hub.mode": "subscribe", "hub.verify_token": "second-token", "hub.challenge": "42"}
    assert verify_handshake(query, tokens) == "42"
    assert verify_handshake({**query, "hub.verify_token": "nope"}, tokens) is None
    assert verify_handshake({**query, "hub.mode": "unsubscribe"}, tokens) is None
    assert verify_handshake({**query, "hub.challenge": "9" * 257}, tokens) is None
    assert verify_handshake({**query, "hub.challenge": ""}, tokens) is None
    assert verify_handshake({"hub.mode": "subscribe", "hub.challenge": "1"}, tokens) is None
    assert verify_handshake(query, []) is None


def test_signatures_name_the_secrets_that_signed() -> None:
    body = b'{"object":"page"}'
    signed = "sha256=" + hmac.new(b"s2", body, hashlib.sha256).hexdigest()
    assert matching_secrets(body, signed, [b"s1", b"s2"]) == [b"s2"]
    assert matching_secrets(body + b" ", signed, [b"s2"]) == []
    assert matching_secrets(body, signed.replace("sha256=", "sha1="), [b"s2"]) == []
    assert matching_secrets(body, "sha256=zz", [b"s2"]) == []
    assert matching_secrets(body, None, [b"s2"]) == []
