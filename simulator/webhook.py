"""Meta's side of the webhook: event shapes, the signed envelope, delivery and the handshake.

Event shapes and the envelope: ``FIDELITY.md`` F-23, F-42, F-43. Meta signs an ASCII-escaped body
(``äöå`` travels as ``\\u00e4\\u00f6\\u00e5``) with HMAC-SHA256 of the app secret, and still sends
the legacy SHA-1 header; the simulator does the same so receivers must check the raw bytes.
:class:`WebhookSender` puts these together for one simulated world: it builds events at the
simulated time, signs them with the page's app secret and posts them to the configured URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import hashlib
import hmac
import json
import random
import secrets
import time
from typing import Any

import aiohttp

from . import outage
from .config import SimConfig
from .recording import WebhookPost
from .state import MessageRef, SimTemplate
from .world import World

USER_AGENT = "facebookexternalua"
MAX_BATCH = 1000  # "aggregated and sent in a batch with a maximum of 1000 updates" (F-23)
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
    reply_to: dict[str, Any] | None = None,
    commands: Sequence[str] | None = None,
) -> Event:
    """A person's message: text, a quick-reply tap, attachments, a quoted reply, a command.

    ``reply_to`` is ``{"mid", "is_self_reply"}`` (FIDELITY F-42); ``commands``
    names the commands chosen, as ``[{"name"}]`` (FIDELITY F-27, UNCONFIRMED layout).
    """
    message: dict[str, Any] = {"mid": mid or new_mid()}
    if text is not None:
        message["text"] = text
    if quick_reply_payload is not None:
        message["quick_reply"] = {"payload": quick_reply_payload}
    if attachments:
        message["attachments"] = [_attachment(item) for item in attachments]
    if reply_to is not None:
        message["reply_to"] = dict(reply_to)
    if commands:
        message["commands"] = [{"name": name} for name in commands]
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


def change_event(page_id: str, field: str, value: dict[str, Any]) -> Event:
    """A ``changes`` item of a page entry (``{"field", "value"}``), such as a template status
    update; ``page_id`` says which entry it goes in and is not sent."""
    return {"page_id": page_id, "field": field, "value": value}


def template_status_event(
    page_id: str,
    template_id: str,
    name: str,
    language: str,
    status: str,
    reason: str | None = None,
    *,
    field: str = "messenger_template_status_update",
) -> Event:
    """A utility template's review outcome (value shape: WhatsApp's documented one; for
    Messenger FIDELITY F-32, UNCONFIRMED)."""
    value = {
        "event": status,
        "message_template_id": int(template_id) if template_id.isdigit() else template_id,
        "message_template_name": name,
        "message_template_language": language,
        "reason": reason or "NONE",
    }
    return change_event(page_id, field, value)


def is_change(event: Event) -> bool:
    """Whether an event is a ``changes`` item rather than a ``messaging`` one."""
    return "field" in event and "value" in event and "sender" not in event


# The page subscription field each messaging event belongs to (FIDELITY F-02).
EVENT_FIELDS = {
    "postback": "messaging_postbacks",
    "delivery": "message_deliveries",
    "read": "message_reads",
    "reaction": "message_reactions",
    "optin": "messaging_optins",
    "referral": "messaging_referrals",
    "account_linking": "messaging_account_linking",
}


def event_field(event: Event) -> str | None:
    """The subscription field of an event (None: one the simulator does not filter)."""
    if is_change(event):
        return str(event["field"])
    message = event.get("message")
    if isinstance(message, dict):
        return "message_echoes" if message.get("is_echo") else "messages"
    return next((name for key, name in EVENT_FIELDS.items() if key in event), None)


def reaction_name(emoji: str) -> str:
    """Meta's reaction word for an emoji ("other" for ones without a word)."""
    return REACTIONS.get(emoji, "other")


def event_page(event: Event) -> str:
    """The page an event belongs to: the recipient, or the sender for echoes."""
    if is_change(event):
        return str(event["page_id"])
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
    """``{"object": "page", "entry": [...]}`` with one entry per page and kind (``messaging`` or
    ``changes``), in first-seen order."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        key = page_id or event_page(event)
        kind = "changes" if is_change(event) else "messaging"
        entry = entries.setdefault((key, kind), {"id": key, "time": now_ms, kind: []})
        item = {"field": event["field"], "value": event["value"]} if kind == "changes" else event
        entry[kind].append(item)
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


Events = dict[str, Any] | Iterable[dict[str, Any]]


def as_list(events: Events) -> list[Event]:
    """One event or many, as a list."""
    return [events] if isinstance(events, dict) else list(events)


class WebhookSender:
    """Meta's webhook sender for one world: events at the simulated time, signed and posted."""

    def __init__(self, world: World, config: SimConfig) -> None:
        """Build events from ``world`` and post them where ``config`` says."""
        self.world = world
        self.config = config
        # The last handshake with ``webhook_url``: {"url", "ok", "status", "body", "at"}.
        self.verification: dict[str, Any] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    # ----------------------------------------------------------------------------- events

    def page_of(self, psid: str, page_id: str | None) -> str:
        """The page an event of ``psid`` belongs to (given, the person's, or the first)."""
        if page_id is not None:
            return str(page_id)
        state = self.world.state
        user = state.users.get(psid)
        return user.page_id if user is not None else state.first_page().page_id

    def touch(self, psid: str, timestamp_ms: int) -> None:
        """A user action sets the start of that user's 24-hour window to the event time.

        Set, not maxed: an event built with an old ``timestamp`` stands for a user who last
        wrote back then, which is how tests make a closed window.
        """
        user = self.world.state.users.get(psid)
        if user is not None:
            user.last_inbound = timestamp_ms / 1000

    def _stamp(self, timestamp: int | None, psid: str | None = None) -> int:
        stamp = self.world.now_ms() if timestamp is None else timestamp
        if psid is not None:
            self.touch(psid, stamp)
        return stamp

    def message_event(
        self,
        psid: str,
        text: str | None = None,
        *,
        quick_reply_payload: str | None = None,
        attachments: Iterable[Any] | None = None,
        mid: str | None = None,
        timestamp: int | None = None,
        page_id: str | None = None,
        reply_to: str | None = None,
        commands: Sequence[str] | None = None,
    ) -> Event:
        """A message from ``psid``; attachments are (type, url) pairs or dicts; ``reply_to``
        quotes a message of the conversation by mid; ``commands`` names chosen commands."""
        stamp = self._stamp(timestamp, psid)
        page = self.page_of(psid, page_id)
        event = message_event(
            page,
            psid,
            stamp,
            text,
            quick_reply_payload=quick_reply_payload,
            attachments=attachments,
            mid=mid,
            reply_to=self._quote(psid, reply_to),
            commands=commands,
        )
        body = event["message"]
        self.world.state.remember(
            MessageRef(
                body["mid"], psid, page, False, text, stamp / 1000, body.get("attachments", [])
            )
        )
        return event

    def _quote(self, psid: str, mid: str | None) -> dict[str, Any] | None:
        """``reply_to`` as Meta sends it: ``is_self_reply`` when the person quotes themself."""
        if mid is None:
            return None
        quoted = self.world.state.messages.get(mid)
        is_self = quoted is not None and not quoted.from_page and quoted.psid == psid
        return {"mid": mid, "is_self_reply": is_self}

    def template_status_event(self, template: SimTemplate) -> Event:
        """The status webhook for a template's current status, under the configured field."""
        return template_status_event(
            template.page_id,
            template.template_id,
            template.name,
            template.language,
            template.status,
            template.rejected_reason,
            field=self.config.template_status_field,
        )

    def postback_event(
        self,
        psid: str,
        title: str,
        payload: str,
        *,
        mid: str | None = None,
        timestamp: int | None = None,
        page_id: str | None = None,
    ) -> Event:
        """A button tap from ``psid``."""
        stamp = self._stamp(timestamp, psid)
        return postback_event(self.page_of(psid, page_id), psid, stamp, title, payload, mid=mid)

    def delivery_event(
        self,
        psid: str,
        mids: Sequence[str] | None = None,
        watermark: int | None = None,
        *,
        page_id: str | None = None,
    ) -> Event:
        """A delivery receipt (watermark defaults to now)."""
        stamp = self.world.now_ms()
        mark = stamp if watermark is None else watermark
        return delivery_event(self.page_of(psid, page_id), psid, stamp, mids, mark)

    def read_event(
        self, psid: str, watermark: int | None = None, *, page_id: str | None = None
    ) -> Event:
        """A read receipt (watermark defaults to now)."""
        stamp = self.world.now_ms()
        mark = stamp if watermark is None else watermark
        return read_event(self.page_of(psid, page_id), psid, stamp, mark)

    def reaction_event(
        self,
        psid: str,
        mid: str,
        reaction: str = "love",
        emoji: str = "\u2764\ufe0f",
        action: str = "react",
        *,
        page_id: str | None = None,
    ) -> Event:
        """A reaction by ``psid`` to the page's message ``mid``."""
        stamp = self._stamp(None, psid)
        return reaction_event(
            self.page_of(psid, page_id), psid, stamp, mid, reaction, emoji, action
        )

    def echo_event(
        self,
        psid: str,
        text: str,
        app_id: str | int | None = None,
        *,
        mid: str | None = None,
        metadata: str | None = None,
        page_id: str | None = None,
    ) -> Event:
        """An echo of a page message to ``psid`` (default app id: the page's app)."""
        page = self.world.state.pages[self.page_of(psid, page_id)]
        return echo_event(
            page.page_id,
            psid,
            self.world.now_ms(),
            text,
            app_id=page.app_id if app_id is None else app_id,
            mid=mid,
            metadata=metadata,
        )

    # ----------------------------------------------------------------------------- delivery

    def _secret_for(self, page_id: str | None) -> str | None:
        page = self.world.state.pages.get(page_id or "")
        return page.app_secret if page is not None else None

    def build(
        self,
        events: Events,
        *,
        page_id: str | None = None,
        secret: str | None = None,
        sign: bool = True,
        duplicate: bool | int = False,
        shuffle: bool = False,
        escape_slashes: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers Meta would POST for these events.

        Events are grouped into one entry per page. The signing secret defaults to the app
        secret of the first entry's page; no signature headers without a secret or with
        ``sign=False``. ``escape_slashes`` also writes ``/`` as ``\\/`` (as PHP-made JSON does).
        """
        items = expand(as_list(events), duplicate=duplicate, shuffle=shuffle, rng=self.world.random)
        document = envelope(items, now_ms=self.world.now_ms(), page_id=page_id)
        body = encode(document, escape_slashes=escape_slashes)
        first = document["entry"][0]["id"] if document["entry"] else page_id
        key = (secret or self._secret_for(first)) if sign else None
        return body, signature_headers(body, key)

    async def post_events(
        self,
        events: Events,
        *,
        url: str | None = None,
        batch_size: int = MAX_BATCH,
        **build_kwargs: Any,
    ) -> list[tuple[int, str]]:
        """POST the events in batches of at most 1000; returns (status, text) per batch.

        Each page's events go to ``url``, else to its app's callback URL (set through
        ``/{app-id}/subscriptions``), else to ``webhook_url``. ``duplicate`` and ``shuffle``
        apply to the whole list before it is cut into batches. Status 0 means no HTTP answer
        (the text says why); events of unsubscribed pages are recorded as skipped.
        """
        items = expand(
            as_list(events),
            duplicate=build_kwargs.pop("duplicate", False),
            shuffle=build_kwargs.pop("shuffle", False),
            rng=self.world.random,
        )
        outage.sweep(self.world.state)
        items, skipped = self._subscribed(items)
        size = max(1, min(batch_size, MAX_BATCH))
        results = []
        for target, group in self._by_target(items, url).items():
            for start in range(0, len(group), size):
                batch = group[start : start + size]
                results.append(await self._post_batch(target, batch, build_kwargs))
        for reason, group in skipped.items():
            target = url or self.target_for(event_page(group[0])) or ""
            results.append(self._record_skipped(target, reason, group, build_kwargs))
        return results

    def target_for(self, page_id: str) -> str | None:
        """Where a page's events go: its app's callback URL, else ``webhook_url``."""
        state = self.world.state
        page = state.pages.get(page_id)
        callback = state.callback_for(page.app_id) if page is not None else None
        return callback or self.config.webhook_url

    def _by_target(self, items: list[Event], url: str | None) -> dict[str, list[Event]]:
        """The events grouped by the URL they go to, in first-seen order."""
        groups: dict[str, list[Event]] = {}
        for event in items:
            target = url or self.target_for(event_page(event))
            if not target:
                raise RuntimeError("no webhook URL: pass url= or set sim.webhook_url")
            groups.setdefault(target, []).append(event)
        return groups

    def _subscribed(self, items: list[Event]) -> tuple[list[Event], dict[str, list[Event]]]:
        """The events the pages' subscriptions let through, and the others by reason."""
        kept: list[Event] = []
        skipped: dict[str, list[Event]] = {}
        pages = self.world.state.pages
        for event in items:
            page = pages.get(event_page(event))
            field = event_field(event)
            app_fields = self._app_fields(page.app_id) if page is not None else None
            if page is not None and outage.is_dropped(page):
                reason = outage.DROPPED.format(page_id=page.page_id)
                skipped.setdefault(reason, []).append(event)
            elif field is not None and app_fields is not None and field not in app_fields:
                reason = f"not delivered: app {page.app_id} is not subscribed to {field}"
                skipped.setdefault(reason, []).append(event)
            elif page is None or page.subscribed_fields is None or field is None:
                kept.append(event)
            elif field not in page.subscribed_fields:
                reason = f"not delivered: page {page.page_id} is not subscribed to {field}"
                skipped.setdefault(reason, []).append(event)
            else:
                kept.append(event)
        return kept, skipped

    def _app_fields(self, app_id: str) -> list[str] | None:
        """The fields of the app's page webhook (None: set in the dashboard, so every field).

        Only fields subscribed at both the page and the app level get webhooks (Graph
        reference page/subscribed_apps; FIDELITY.md F-02).
        """
        subscription = self.world.state.app_subscriptions.get((app_id, "page"))
        return subscription.fields if subscription is not None and subscription.active else None

    def _record_skipped(
        self, target: str, reason: str, events: list[Event], build_kwargs: dict[str, Any]
    ) -> tuple[int, str]:
        body, headers = self.build(events, **build_kwargs)
        post = WebhookPost(target, body, headers, len(events), 0, reason, self.world.now(), True)
        self.world.recorder.add_webhook_post(post)
        return 0, reason

    async def _post_batch(
        self, target: str, batch: list[Event], build_kwargs: dict[str, Any]
    ) -> tuple[int, str]:
        recorder = self.world.recorder
        body, headers = self.build(batch, **build_kwargs)
        recorder.emit("posting", body)
        started_at = time.monotonic()
        status, text = await post(
            self._client(), target, body, headers, self.config.webhook_timeout
        )
        now = self.world.now()
        self._note_outcome(batch, 200 <= status < 300, now)
        recorder.add_webhook_post(
            WebhookPost(target, body, headers, len(batch), status, text, now, started_at=started_at)
        )
        return status, text

    def _note_outcome(self, batch: list[Event], ok: bool, now: float) -> None:
        """Start or clear the failure clock of every page in the batch (the one-hour rule)."""
        pages = self.world.state.pages
        for page_id in dict.fromkeys(event_page(event) for event in batch):
            page = pages.get(page_id)
            if page is not None:
                outage.record(page, ok, now)

    async def post_one(self, event: Event) -> tuple[int, str]:
        """POST one event; what the webhook answered."""
        return (await self.post_events([event]))[0]

    async def verify(
        self, url: str, verify_token: str, *, challenge: str | int | None = None
    ) -> tuple[int, str]:
        """Meta's GET handshake; the caller checks that the body equals the challenge.

        A handshake with ``webhook_url`` is remembered in ``verification`` (shown by
        ``/_sim/state`` and the chat page).
        """
        value = str(challenge if challenge is not None else secrets.randbelow(9 * 10**9) + 10**9)
        status, body = await verify(
            self._client(), url, verify_token, value, self.config.webhook_timeout
        )
        if url == self.config.webhook_url:
            self.verification = {
                "url": url,
                "ok": status == 200 and body == value,
                "status": status,
                "body": body[:200],
                "at": self.world.now(),
            }
            self.world.recorder.emit("verification", self.verification)
        return status, body
