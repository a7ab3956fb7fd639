"""The outbox queue on its own: order, caps, give-up rules, the stored form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.facebook.messenger.models import (
    OutgoingMessage,
    SendOptions,
    Target,
    Upload,
)
from custom_components.facebook.messenger.outbox import (
    REASON_EXPIRED,
    REASON_WINDOW,
    OutboxEntry,
    OutboxFull,
    OutboxQueue,
    person_key,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE = Target("alice", {"id": "6543210987654321"}, psid="6543210987654321", name="alice")
BOB = Target("bob", {"id": "1234567890123456"}, psid="1234567890123456", name="bob")
PHONE = Target("+34643123212", {"phone_number": "+34643123212"})
UPDATE = SendOptions("UPDATE")


def text(value: str) -> OutgoingMessage:
    return OutgoingMessage(message={"text": value})


def never_closed(_psid: str, _tag: str | None) -> bool:
    return False


def test_entries_keep_their_order_and_their_person() -> None:
    queue = OutboxQueue(timedelta(hours=1))
    first = queue.add(ALICE, [text("1"), text("2")], UPDATE, "HTTP 503", NOW)
    queue.add(BOB, [text("3")], UPDATE, "HTTP 503", NOW)
    assert len(queue) == 3
    second = queue.add(ALICE, [text("4")], UPDATE, "HTTP 503", NOW)
    assert queue.heads()[0] is first  # one head per person, oldest first
    assert [e.target.label for e in queue.heads()] == ["alice", "bob"]
    assert queue.has_pending(ALICE) and not queue.has_pending(PHONE)
    queue.remove(first)
    assert queue.heads()[1] is second  # Alice's next entry waits behind Bob's older one
    assert [e.target.label for e in queue.heads()] == ["bob", "alice"]
    queue.remove(second)
    assert not queue.has_pending(ALICE)
    assert queue.head_of(person_key(BOB)) is not None


def test_the_caps_are_the_queue_s_own() -> None:
    queue = OutboxQueue(timedelta(hours=1), max_messages=2, max_file_bytes=150)
    queue.add(ALICE, [text("1"), text("2")], UPDATE, "x", NOW)
    with pytest.raises(OutboxFull, match=r"holds 2 messages \(the cap is 2\)"):
        queue.add(BOB, [text("3")], UPDATE, "x", NOW)
    files = OutboxQueue(timedelta(hours=1), max_file_bytes=150)
    picture = OutgoingMessage(message={}, upload=Upload(b"1" * 100, "p.png", "image/png"))
    files.add(ALICE, [picture], UPDATE, "x", NOW)
    with pytest.raises(OutboxFull, match="MB of files already"):
        files.add(BOB, [picture], UPDATE, "x", NOW)
    assert len(files) == 1


def test_give_up_when_too_old_or_the_window_closed() -> None:
    queue = OutboxQueue(timedelta(minutes=30))
    entry = queue.add(ALICE, [text("1")], UPDATE, "x", NOW)
    assert queue.give_up_reason(entry, NOW + timedelta(minutes=29), never_closed) is None
    assert queue.give_up_reason(entry, NOW + timedelta(minutes=30), never_closed) == REASON_EXPIRED
    asked: list[tuple[str, str | None]] = []

    def closed(psid: str, tag: str | None) -> bool:
        asked.append((psid, tag))
        return True

    assert queue.give_up_reason(entry, NOW, closed) == REASON_WINDOW
    assert asked == [(ALICE.psid, None)]
    by_phone = queue.add(PHONE, [text("2")], UPDATE, "x", NOW)
    assert queue.give_up_reason(by_phone, NOW, closed) is None  # no PSID: no known window


def test_the_stored_form_round_trips_files_and_all() -> None:
    queue = OutboxQueue(timedelta(hours=1))
    picture = Upload(b"\x89PNG\x00\xff", "p.png", "image/png")
    messages = [
        OutgoingMessage(sender_action="typing_on"),
        OutgoingMessage(
            message={"attachment": {"type": "image"}}, upload=picture, media_kind="image"
        ),
    ]
    entry = queue.add(
        ALICE, messages, SendOptions("MESSAGE_TAG", "HUMAN_AGENT", "NO_PUSH"), "x", NOW
    )
    entry.attempts, entry.last_error = 3, "HTTP 503"
    again = OutboxQueue(timedelta(hours=1))
    assert again.load(queue.to_json()["entries"]) == 0
    (copy,) = again.entries
    assert copy == entry
    assert copy.messages[1].upload == picture
    assert again.add(BOB, [text("next")], UPDATE, "x", NOW).id == entry.id + 1  # ids go on


@pytest.mark.parametrize(
    "damaged",
    [
        {"id": 1},
        "junk",
        {"id": 2, "target": {}, "created": "x"},
        {"id": 3, "created": "2026-01-01"},
    ],
)
def test_damaged_entries_are_dropped_and_counted(damaged: object) -> None:
    good = OutboxEntry(9, ALICE, UPDATE, [text("kept")], NOW).to_json()
    queue = OutboxQueue(timedelta(hours=1))
    assert queue.load([damaged, good]) == 1
    assert [e.messages[0].message for e in queue.entries] == [{"text": "kept"}]
    assert OutboxQueue(timedelta(hours=1)).load("not a list") == 0
