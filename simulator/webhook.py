"""Meta's side of the webhook: event shapes, the signed envelope, delivery and the handshake.

Event shapes follow reference §6.4 and the envelope §6.3. Meta signs an ASCII-escaped body
(``äöå`` travels as ``\\u00e4\\u00f6\\u00e5``) with HMAC-SHA256 of the app secret, and still sends
the legacy SHA-1 header; the simulator does the same so receivers must check the raw bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import hashlib
import hmac
import json
import random
import secrets
from typing import Any

import aiohttp

USER_AGENT = "facebookexternalua"
MAX_BATCH = 1000  # "aggregated and sent in a batch with a maximum of 1000 updates" (§6.6)
REACTIONS = {
    "\u2764\ufe0f": "love",
    "\u2764": "love",
    "\U0001f606": "smile",
    "\U0001f604": "smile",
    "\U0001f62e": "wow",
    "\U0001f622": "sad",
    "\U0001f620": "angry",
    "\U0001f44d": "like",
    "\U0001f44e": "dislike",
}

Event = dict[str, Any]


def new_mid() -> str:
    """An inbound message id shaped like Meta's ``m_...`` ids."""
    return "m_" + secrets.token_urlsafe(48)


def _from_user(page_id: str, psid: str, timestamp: int, key: str, body: dict[str, Any]) -> Event:
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": timestamp, key: body}


def _attachment(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        if "payload" in item or "url" not in item:
            return dict(item)
        return {"type": item.get("type", "image"), "payload": {"url": item["url"]}}
    kind, url = item
    return {"type": kind, "payload": {"url": url}}


def message_event(
    page_id: str,
    psid: str,
    timestamp: int,
    text: str | None = None,
    *,
    quick_reply_payload: str | None = None,
    attachments: Iterable[Any] | None = None,
    mid: str | None = None,
) -> Event:
    """A person's message: text, a quick-reply tap, attachments."""
    message: dict[str, Any] = {"mid": mid or new_mid()}
    if text is not None:
        message["text"] = text
    if quick_reply_payload is not None:
        message["quick_reply"] = {"payload": quick_reply_payload}
    if attachments:
        message["attachments"] = [_attachment(item) for item in attachments]
    return _from_user(page_id, psid, timestamp, "message", message)


def postback_event(
    page_id: str, psid: str, timestamp: int, title: str, payload: str, *, mid: str | None = None
) -> Event:
    """A tap on a postback button."""
    body = {"mid": mid or new_mid(), "title": title, "payload": payload}
    return _from_user(page_id, psid, timestamp, "postback", body)


def delivery_event(
    page_id: str, psid: str, timestamp: int, mids: Sequence[str] | None, watermark: int
) -> Event:
    """A delivery receipt; ``mids`` may be absent, as Meta sometimes sends it."""
    body: dict[str, Any] = {"watermark": watermark}
    if mids is not None:
        body = {"mids": list(mids), "watermark": watermark}
    return _from_user(page_id, psid, timestamp, "delivery", body)


def read_event(page_id: str, psid: str, timestamp: int, watermark: int) -> Event:
    """A read receipt: everything up to ``watermark`` was read."""
    return _from_user(page_id, psid, timestamp, "read", {"watermark": watermark})


def reaction_event(
    page_id: str,
    psid: str,
    timestamp: int,
    mid: str,
    reaction: str = "love",
    emoji: str = "\u2764\ufe0f",
    action: str = "react",
) -> Event:
    """A reaction to (or removal of a reaction from) one of the page's messages."""
    body = {"reaction": reaction, "emoji": emoji, "action": action, "mid": mid}
    return _from_user(page_id, psid, timestamp, "reaction", body)


def echo_event(
    page_id: str,
    psid: str,
    timestamp: int,
    text: str,
    *,
    app_id: str | int,
    mid: str | None = None,
    metadata: str | None = None,
) -> Event:
    """A copy of a message the page sent: sender is the page, ``is_echo`` is true."""
    message: dict[str, Any] = {
        "is_echo": True,
        "app_id": int(app_id) if str(app_id).isdigit() else app_id,
        "mid": mid or new_mid(),
        "text": text,
    }
    if metadata is not None:
        message["metadata"] = metadata
    return {
        "sender": {"id": page_id},
        "recipient": {"id": psid},
        "timestamp": timestamp,
        "message": message,
    }


def reaction_name(emoji: str) -> str:
    """Meta's reaction word for an emoji ("other" for ones without a word)."""
    return REACTIONS.get(emoji, "other")


def event_page(event: Event) -> str:
    """The page an event belongs to: the recipient, or the sender for echoes."""
    message = event.get("message")
    if isinstance(message, dict) and message.get("is_echo"):
        return str(event["sender"]["id"])
    return str(event["recipient"]["id"])


def expand(
    events: Iterable[Event], *, duplicate: bool | int, shuffle: bool, rng: random.Random
) -> list[Event]:
    """Redeliver each event ``duplicate`` more times (True = once) and optionally reorder."""
    copies = 1 + int(duplicate)
    out = [event for event in events for _ in range(copies)]
    if shuffle:
        rng.shuffle(out)
    return out


def envelope(events: Iterable[Event], *, now_ms: int, page_id: str | None = None) -> dict[str, Any]:
    """``{"object": "page", "entry": [...]}`` with one entry per page, in first-seen order."""
    entries: dict[str, dict[str, Any]] = {}
    for event in events:
        key = page_id or event_page(event)
        entry = entries.setdefault(key, {"id": key, "time": now_ms, "messaging": []})
        entry["messaging"].append(event)
    return {"object": "page", "entry": list(entries.values())}


def encode(document: Any, *, escape_slashes: bool = False) -> bytes:
    """ASCII-only JSON with lowercase ``\\uXXXX`` escapes, no spaces; optionally ``\\/`` too."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    if escape_slashes:
        text = text.replace("/", "\\/")
    return text.encode("ascii")


def signature_headers(body: bytes, secret: str | None) -> dict[str, str]:
    """Content-Type plus both signature headers (none when there is no secret)."""
    headers = {"Content-Type": "application/json"}
    if secret:
        key = secret.encode()
        sha256 = hmac.new(key, body, hashlib.sha256).hexdigest()
        sha1 = hmac.new(key, body, hashlib.sha1).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={sha256}"
        headers["X-Hub-Signature"] = f"sha1={sha1}"
    return headers


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], limit: float
) -> tuple[int, str]:
    """POST one batch; (0, reason) when no HTTP answer came back."""
    try:
        async with session.post(
            url,
            data=body,
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=aiohttp.ClientTimeout(total=limit),
        ) as response:
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as err:
        return 0, f"{type(err).__name__}: {err}"


async def verify(
    session: aiohttp.ClientSession, url: str, verify_token: str, challenge: str, limit: float
) -> tuple[int, str]:
    """Meta's subscription handshake: GET with hub.mode, hub.verify_token and hub.challenge."""
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    try:
        async with session.get(
            url,
            params=params,
            headers={"User-Agent": USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=limit),
        ) as response:
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as err:
        return 0, f"{type(err).__name__}: {err}"
