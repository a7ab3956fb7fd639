"""Meta's webhook: the handshake, the signature, the body as typed events, redeliveries.

Webhook input is hostile until its signature says otherwise. Parsing is total: no input makes it
raise; anything that is not the shape Meta documents is skipped and counted, never guessed at.
Strings are bounded, so memory stays bounded too.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
import hashlib
import hmac
from typing import Any, Final

from .bounded import BoundedMap
from .coerce import as_id, as_int, as_text
from .models import MessagingEvent, ParsedBody, TemplateStatusChange, WebhookAttachment

SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
SIGNATURE_PREFIX: Final = "sha256="
CHALLENGE_MAX: Final = 256
# Longest string kept from a webhook (Meta's own limits are far lower; this bounds memory).
MAX_TEXT: Final = 20_000
MAX_ATTACHMENTS: Final = 50
DIGEST_HEX_LENGTH: Final = 32
# The page field of template reviews, in both spellings Meta's pages use: the Webhook Events
# Reference's and the utility guide's (which one Meta sends is UNCONFIRMED).
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/utility-messages
TEMPLATE_STATUS_FIELDS: Final = (
    "messenger_template_status_update",
    "message_template_status_update",
)


def verify_handshake(query: Mapping[str, str], verify_tokens: Iterable[bytes]) -> str | None:
    """The challenge to echo when the query is Meta's subscribe handshake with a known token.

    Every token is compared (in constant time), so the answer's timing tells nothing.
    """
    challenge, token = query.get("hub.challenge"), query.get("hub.verify_token")
    if query.get("hub.mode") != "subscribe" or token is None or challenge is None:
        return None
    if not 0 < len(challenge) <= CHALLENGE_MAX:
        return None
    candidate = token.encode()
    matches = [hmac.compare_digest(candidate, expected) for expected in verify_tokens]
    return challenge if any(matches) else None


def matching_secrets(body: bytes, header: str | None, secrets: Iterable[bytes]) -> list[bytes]:
    """The app secrets whose HMAC-SHA256 of `body` equals the signature header."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return []
    try:
        given = bytes.fromhex(header[len(SIGNATURE_PREFIX) :].strip())
    except ValueError:
        return []
    return [
        secret
        for secret in secrets
        if hmac.compare_digest(hmac.new(secret, body, hashlib.sha256).digest(), given)
    ]


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
    changes: list[TemplateStatusChange] = []
    skipped = 0
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("changes"), list):
            changes.extend(_template_changes(entry))
            continue
        found, bad = _parse_entry(entry)
        events.extend(found)
        skipped += bad
    return ParsedBody(object_type, events, skipped, changes)


def _template_changes(entry: dict[str, Any]) -> list[TemplateStatusChange]:
    """The template reviews of one entry (other `changes` fields are not ours: ignored)."""
    page_id = as_id(entry.get("id"))
    found = []
    for change in entry["changes"]:
        if not isinstance(change, dict) or change.get("field") not in TEMPLATE_STATUS_FIELDS:
            continue
        value = change.get("value")
        if not isinstance(value, dict) or page_id is None:
            continue
        name = as_text(value.get("message_template_name"), 512)
        status = as_text(value.get("event") or value.get("message_template_status"), 32)
        if name and status:
            found.append(
                TemplateStatusChange(
                    page_id,
                    name,
                    as_text(value.get("message_template_language"), 16),
                    status.upper(),
                    as_text(value.get("reason"), 200),
                )
            )
    return found


def _parse_entry(entry: object) -> tuple[list[MessagingEvent], int]:
    """One `entry[]` item: its messaging events, and how many of its items were skipped."""
    if not isinstance(entry, dict):
        return [], 1
    page_id = as_id(entry.get("id"))
    messaging = entry.get("messaging")
    if page_id is None or not isinstance(messaging, list):
        return [], 1
    entry_time = as_int(entry.get("time")) or 0
    events = [parse_event(item, page_id, entry_time) for item in messaging]
    found = [event for event in events if event is not None]
    return found, len(events) - len(found)


def parse_event(item: object, page_id: str, entry_time: int = 0) -> MessagingEvent | None:
    """Parse one messaging event, or None when it is malformed or of an unknown kind."""
    if not isinstance(item, dict):
        return None
    sender = item.get("sender")
    sender_id = as_id(sender.get("id")) if isinstance(sender, dict) else None
    if sender_id is None:
        return None
    timestamp = as_int(item.get("timestamp"))
    base = MessagingEvent(
        "message", page_id, sender_id, entry_time if timestamp is None else timestamp
    )
    for field, parse in _PARSERS:
        value = item.get(field)
        if isinstance(value, dict):
            return parse(base, value)
    return None


def _message(base: MessagingEvent, message: dict[str, Any]) -> MessagingEvent:
    base.mid = as_id(message.get("mid"))
    base.text = as_text(message.get("text"), MAX_TEXT)
    if message.get("is_echo") is True:
        base.kind = "echo"
        return base
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict):
        base.payload = as_text(quick_reply.get("payload"), MAX_TEXT)
    base.kind = "quick_reply" if base.payload is not None else "message"
    base.attachments = _attachments(message.get("attachments"))
    reply_to = message.get("reply_to")
    if isinstance(reply_to, dict):
        base.reply_to = as_id(reply_to.get("mid"))
    commands = message.get("commands")
    if isinstance(commands, list):
        names = (c.get("name") for c in commands[:MAX_ATTACHMENTS] if isinstance(c, dict))
        base.commands = tuple(n for n in (as_text(name, 64) for name in names) if n)
    return base


def _postback(base: MessagingEvent, postback: dict[str, Any]) -> MessagingEvent:
    base.kind = "postback"
    base.mid = as_id(postback.get("mid"))
    base.text = as_text(postback.get("title"), MAX_TEXT) or ""
    base.payload = as_text(postback.get("payload"), MAX_TEXT)
    return base


def _delivery(base: MessagingEvent, delivery: dict[str, Any]) -> MessagingEvent:
    base.kind = "delivery"
    base.watermark = as_int(delivery.get("watermark"))
    mids = delivery.get("mids")
    if isinstance(mids, list):
        base.mids = tuple(m for m in map(as_id, mids[:MAX_ATTACHMENTS]) if m)
    return base


def _read(base: MessagingEvent, read: dict[str, Any]) -> MessagingEvent:
    base.kind = "read"
    base.watermark = as_int(read.get("watermark"))
    return base


def _reaction(base: MessagingEvent, reaction: dict[str, Any]) -> MessagingEvent:
    base.kind = "reaction"
    base.mid = as_id(reaction.get("mid"))
    base.reaction = as_text(reaction.get("reaction"), MAX_TEXT)
    base.emoji = as_text(reaction.get("emoji"), MAX_TEXT)
    action = as_text(reaction.get("action"), MAX_TEXT)
    base.action = action if action in ("react", "unreact") else None
    return base


# Which field of a messaging event says what it is, in the order Meta's shapes are tried.
_PARSERS: Final[
    tuple[tuple[str, Callable[[MessagingEvent, dict[str, Any]], MessagingEvent]], ...]
] = (
    ("message", _message),
    ("postback", _postback),
    ("delivery", _delivery),
    ("read", _read),
    ("reaction", _reaction),
)


def _attachments(value: object) -> tuple[WebhookAttachment, ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict):
            continue
        kind = as_text(item.get("type"), 128)
        if not kind:
            continue
        payload = item.get("payload")
        url = as_text(payload.get("url"), MAX_TEXT) if isinstance(payload, dict) else None
        found.append(WebhookAttachment(kind, url))
    return tuple(found)


def event_payload(event: MessagingEvent, sender_name: str | None) -> dict[str, Any]:
    """The data an event from an allowed person carries (field names are interfaces)."""
    common: dict[str, Any] = {
        "sender_id": event.sender_id,
        "sender_name": sender_name,
        "page_id": event.page_id,
        "timestamp": event.timestamp,
    }
    if event.kind in ("message", "quick_reply", "postback"):
        data = {
            **common,
            "message": event.text or "",
            "payload": event.payload,
            "mid": event.mid,
            "type": event.kind,
            "attachments": [{"type": a.type, "url": a.url} for a in event.attachments],
        }
        if event.attachments:
            # Filled by the glue once saved (and transcribed): the files Home Assistant kept.
            data["media"] = []
            if any(a.type == "audio" for a in event.attachments):
                data["transcript"] = None
        if event.reply_to is not None:
            data["reply_to"] = event.reply_to
        if event.commands:
            data["commands"] = list(event.commands)
        if event.catch_up:
            data["catch_up"] = True
        return data
    if event.kind == "delivery":
        return {**common, "mids": list(event.mids), "watermark": event.watermark}
    if event.kind == "read":
        return {**common, "watermark": event.watermark}
    return {
        **common,
        "mid": event.mid,
        "reaction": event.reaction,
        "emoji": event.emoji,
        "action": event.action,
    }


class Deduplicator:
    """Remembers the newest `maxlen` events seen, so a redelivery is recognised.

    Keys are kept as fixed-size digests: an event's key may carry its text, and neither memory
    nor the stored form may grow with what a sender writes.
    """

    def __init__(self, maxlen: int) -> None:
        """Remember at most `maxlen` events."""
        self._seen: BoundedMap[str, None] = BoundedMap(maxlen)

    def first_time(self, event: MessagingEvent) -> bool:
        """Whether this is the first delivery of `event` (it is remembered from now on)."""
        return self.add(event.dedup_key())

    def add(self, key: str) -> bool:
        """Remember `key`; False if it was already there (a redelivery)."""
        raw = key.encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(raw, digest_size=DIGEST_HEX_LENGTH // 2).hexdigest()
        if digest in self._seen:
            return False
        self._seen.put(digest, None)
        return True

    def __len__(self) -> int:
        """How many events are remembered."""
        return len(self._seen)

    def dump(self) -> list[str]:
        """The remembered digests, oldest first (the stored form)."""
        return list(self._seen)

    def restore(self, digests: object) -> None:
        """Remember stored digests again (anything that is not one is skipped)."""
        if not isinstance(digests, list):
            return
        valid = [d for d in digests if isinstance(d, str) and len(d) == DIGEST_HEX_LENGTH]
        for digest in valid[-self._seen.maxlen :]:
            if digest not in self._seen:
                self._seen.put(digest, None)
