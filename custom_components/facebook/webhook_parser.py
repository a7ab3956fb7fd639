"""Parse a Messenger webhook body into typed events.

Pure and total: no Home Assistant imports, and no input makes it raise. Anything that is not
the shape Meta documents (reference §6.3, §6.4) is skipped and counted, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Literal

type EventKind = Literal[
    "message", "quick_reply", "postback", "delivery", "read", "reaction", "echo"
]

# Longest string kept from a webhook (Meta's own limits are far lower; this bounds memory).
MAX_TEXT = 20_000
MAX_ID = 128
MAX_ATTACHMENTS = 50


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment a person sent: its type and, when there is one, its URL."""

    type: str
    url: str | None


@dataclass(slots=True)
class MessagingEvent:
    """One entry of `entry[].messaging[]`."""

    kind: EventKind
    page_id: str  # the entry's id: the page the event belongs to
    sender_id: str
    timestamp: int  # epoch milliseconds
    mid: str | None = None
    text: str | None = None  # message text, or postback title
    payload: str | None = None  # quick-reply or postback payload
    attachments: tuple[Attachment, ...] = ()
    watermark: int | None = None  # delivery and read
    mids: tuple[str, ...] = ()  # delivery
    reaction: str | None = None
    emoji: str | None = None
    action: str | None = None  # react | unreact

    @property
    def is_user_action(self) -> bool:
        """Actions that open the 24-hour window (message, quick reply, postback, reaction)."""
        return self.kind in ("message", "quick_reply", "postback", "reaction")

    def dedup_key(self) -> str:
        """What makes a redelivered event recognisable as the same one."""
        if self.mid is not None and self.kind in ("message", "quick_reply", "postback", "echo"):
            return f"{self.page_id}|m|{self.mid}"
        if self.kind in ("delivery", "read"):
            return f"{self.page_id}|{self.kind}|{self.sender_id}|{self.watermark}"
        return (
            f"{self.page_id}|{self.kind}|{self.sender_id}|{self.timestamp}|{self.mid}|"
            f"{self.action}|{self.reaction}|{self.payload}|{self.text}"
        )


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """The events of one webhook body, plus how much was skipped."""

    object_type: str | None
    events: list[MessagingEvent]
    skipped: int


def parse_body(body: object) -> ParsedBody:
    """Parse a decoded webhook JSON body. Never raises."""
    if not isinstance(body, dict):
        return ParsedBody(None, [], 1)
    object_type = body.get("object")
    object_type = object_type if isinstance(object_type, str) else None
    if object_type != "page":
        return ParsedBody(object_type, [], 0)
    entries = body.get("entry")
    if not isinstance(entries, list):
        return ParsedBody(object_type, [], 1)
    events: list[MessagingEvent] = []
    skipped = 0
    for entry in entries:
        if not isinstance(entry, dict):
            skipped += 1
            continue
        page_id = _id(entry.get("id"))
        messaging = entry.get("messaging")
        if page_id is None or not isinstance(messaging, list):
            skipped += 1
            continue
        entry_time = _int(entry.get("time")) or 0
        for item in messaging:
            event = parse_event(item, page_id, entry_time)
            if event is None:
                skipped += 1
            else:
                events.append(event)
    return ParsedBody(object_type, events, skipped)


def parse_event(item: object, page_id: str, entry_time: int = 0) -> MessagingEvent | None:
    """Parse one messaging event, or None when it is malformed or of an unknown kind."""
    if not isinstance(item, dict):
        return None
    sender = item.get("sender")
    sender_id = _id(sender.get("id")) if isinstance(sender, dict) else None
    if sender_id is None:
        return None
    timestamp = _int(item.get("timestamp"))
    if timestamp is None:
        timestamp = entry_time
    message = item.get("message")
    if isinstance(message, dict):
        return _message(message, page_id, sender_id, timestamp)
    postback = item.get("postback")
    if isinstance(postback, dict):
        return MessagingEvent(
            "postback",
            page_id,
            sender_id,
            timestamp,
            mid=_id(postback.get("mid")),
            text=_text(postback.get("title")) or "",
            payload=_text(postback.get("payload")),
        )
    delivery = item.get("delivery")
    if isinstance(delivery, dict):
        mids = delivery.get("mids")
        return MessagingEvent(
            "delivery",
            page_id,
            sender_id,
            timestamp,
            watermark=_int(delivery.get("watermark")),
            mids=tuple(m for m in map(_id, mids[:MAX_ATTACHMENTS]) if m)
            if isinstance(mids, list)
            else (),
        )
    read = item.get("read")
    if isinstance(read, dict):
        return MessagingEvent(
            "read", page_id, sender_id, timestamp, watermark=_int(read.get("watermark"))
        )
    reaction = item.get("reaction")
    if isinstance(reaction, dict):
        action = _text(reaction.get("action"))
        return MessagingEvent(
            "reaction",
            page_id,
            sender_id,
            timestamp,
            mid=_id(reaction.get("mid")),
            reaction=_text(reaction.get("reaction")),
            emoji=_text(reaction.get("emoji")),
            action=action if action in ("react", "unreact") else None,
        )
    return None


def _message(
    message: dict[str, object], page_id: str, sender_id: str, timestamp: int
) -> MessagingEvent:
    mid = _id(message.get("mid"))
    text = _text(message.get("text"))
    attachments = _attachments(message.get("attachments"))
    if message.get("is_echo") is True:
        return MessagingEvent("echo", page_id, sender_id, timestamp, mid=mid, text=text)
    quick_reply = message.get("quick_reply")
    payload = _text(quick_reply.get("payload")) if isinstance(quick_reply, dict) else None
    return MessagingEvent(
        "quick_reply" if payload is not None else "message",
        page_id,
        sender_id,
        timestamp,
        mid=mid,
        text=text,
        payload=payload,
        attachments=attachments,
    )


def _attachments(value: object) -> tuple[Attachment, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict):
            continue
        kind = _text(item.get("type"))
        if not kind:
            continue
        payload = item.get("payload")
        url = _text(payload.get("url")) if isinstance(payload, dict) else None
        found.append(Attachment(kind[:MAX_ID], url))
    return tuple(found)


def _id(value: object) -> str | None:
    """An id: a non-empty string of reasonable length, or an int (Meta sends both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text or len(text) > MAX_ID or not text.isprintable():
        return None
    return text


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e18:
        return int(value)
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return None
