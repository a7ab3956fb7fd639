"""The chat page's model: each simulated person's Messenger conversation with the page.

The conversations are not stored separately: :class:`ChatModel` folds the recordings (accepted
Send API calls one way, webhook posts the other) into one thread per person, incrementally, so
whatever drives the simulator (the page itself, the control API, a test's Python calls) shows up.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
import json
import math
from typing import Any

from .profile import default_items
from .recording import SentMessage, WebhookPost
from .serialize import user_json
from .state import WINDOW_SECONDS
from .validation import TITLE_LIMIT
from .webhook import WebhookSender
from .world import World

TYPING_SECONDS = 20.0  # Messenger drops a typing indicator after about 20 s without typing_off
MEDIA_KINDS = ("image", "video", "audio", "file")


@dataclass
class Thread:
    """One person's conversation: items in time order plus what was acknowledged."""

    items: list[dict[str, Any]] = field(default_factory=list)
    mids: set[str] = field(default_factory=set)
    delivered_mids: set[str] = field(default_factory=set)
    delivered_watermark: int = 0  # epoch ms
    read_watermark: int = 0  # epoch ms
    seen_at: float = 0.0  # the page's last mark_seen
    typing_at: float | None = None  # the page's typing_on, until a message or typing_off
    reactions: dict[str, str] = field(default_factory=dict)  # page message mid -> emoji
    page_reactions: dict[str, str] = field(default_factory=dict)  # person's mid -> page's emoji

    def add(self, item: dict[str, Any]) -> None:
        """Insert in time order (a reply can be recorded before the webhook post it answers).

        Webhook timestamps have millisecond resolution, so times are compared in whole
        milliseconds; within one, the page's message goes first (nobody answers that fast).
        """
        keys = [_order(existing) for existing in self.items]
        self.items.insert(bisect.bisect_right(keys, _order(item)), item)


def _order(item: dict[str, Any]) -> tuple[int, int]:
    return int(item["time"] * 1000), 0 if item["from"] == "page" else 1


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class ChatModel:
    """Conversations folded from the simulator's recordings."""

    def __init__(self, world: World, sender: WebhookSender) -> None:
        """Fold ``world``'s recordings (lazily, on :meth:`refresh`); act through ``sender``."""
        self.world = world
        self.sender = sender
        self.threads: dict[str, Thread] = {}
        self._sent = 0
        self._posts = 0
        self._generation = world.recorder.generation

    def refresh(self) -> None:
        """Fold in whatever was recorded since the last call (all of it after a reset)."""
        recorder = self.world.recorder
        if recorder.generation != self._generation:
            self.threads.clear()
            self._sent = self._posts = 0
            self._generation = recorder.generation
        for index in range(self._sent, len(recorder.sent)):
            self._add_sent(index, recorder.sent[index])
        self._sent = len(recorder.sent)
        for index in range(self._posts, len(recorder.webhook_posts)):
            self._add_post(index, recorder.webhook_posts[index])
        self._posts = len(recorder.webhook_posts)

    def thread(self, psid: str) -> Thread:
        """The conversation with ``psid`` (empty if nothing happened yet)."""
        return self.threads.setdefault(psid, Thread())

    # ----------------------------------------------------------------------------- page -> person

    def _psid_of(self, sent: SentMessage) -> str | None:
        if sent.recipient_id is not None:
            return sent.recipient_id
        phone = sent.recipient.get("phone_number")
        if phone:
            user = self.world.state.user_by_phone(sent.page_id, str(phone))
            return user.psid if user is not None else None
        return None

    def _add_sent(self, index: int, sent: SentMessage) -> None:
        psid = self._psid_of(sent)
        if psid is None:
            return
        thread = self.thread(psid)
        if sent.sender_action is not None:
            _sender_action(thread, sent)
            return
        if sent.message is None:
            return
        thread.typing_at = None
        item: dict[str, Any] = {
            "id": f"p{index}",
            "from": "page",
            "time": sent.sent_at,
            "mid": sent.message_id,
            "messaging_type": sent.messaging_type,
            "tag": sent.tag,
            "reply_to": sent.reply_to,
        }
        item.update(self._render(index, sent))
        thread.add(item)

    def _render(self, index: int, sent: SentMessage) -> dict[str, Any]:
        """What Messenger would draw for a page message."""
        message = sent.message or {}
        if sent.rendered is not None:
            return _utility(sent.rendered)
        out: dict[str, Any] = {"text": message.get("text")}
        replies = message.get("quick_replies")
        if isinstance(replies, list):
            # Messenger shows the first 20 characters of a title (FIDELITY F-39, UNCONFIRMED).
            out["quick_replies"] = [_shown(r) for r in replies if isinstance(r, dict)]
        attachment = message.get("attachment")
        album = message.get("attachments")
        if isinstance(album, list):
            out.update(
                kind="album", images=[self._picture(i) for i in album if isinstance(i, dict)]
            )
        elif isinstance(attachment, dict):
            kind = str(attachment.get("type", "")).lower()
            payload = attachment.get("payload")
            payload = payload if isinstance(payload, dict) else {}
            if kind in MEDIA_KINDS:
                out.update(self._media(index, sent, kind, payload))
            elif kind == "template" and payload.get("template_type") == "image_grid":
                out.update(_grid(payload))
            elif kind == "template":
                out.update(_template(payload))
            else:
                out.update(kind="unknown", raw=attachment)
        elif "sticker_id" in message:
            out.update(kind="sticker", sticker_id=message["sticker_id"])
        else:
            out["kind"] = "text"
        return out

    def _picture(self, item: dict[str, Any]) -> dict[str, Any]:
        """One picture of an album: its URL, or the file saved under its attachment id."""
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        attachment_id = payload.get("attachment_id")
        if attachment_id:
            saved = self.world.state.attachments.get(str(attachment_id))
            if saved is not None and saved.file is not None:
                return {"url": f"/_sim/attachments/{saved.attachment_id}/file"}
            return {"url": saved.url if saved is not None else None}
        return {"url": payload.get("url")}

    def _media(
        self, index: int, sent: SentMessage, kind: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "media", "media_type": kind, "url": None}
        upload = sent.files.get("filedata")
        attachment_id = payload.get("attachment_id")
        if upload is not None:
            out.update(
                url=f"/_sim/sent/{index}/file",
                filename=upload.filename,
                content_type=upload.content_type,
                size=len(upload.data),
            )
        elif attachment_id:
            saved = self.world.state.attachments.get(str(attachment_id))
            out["attachment_id"] = str(attachment_id)
            if saved is not None and saved.file is not None:
                out.update(
                    url=f"/_sim/attachments/{saved.attachment_id}/file",
                    filename=saved.file.filename,
                    content_type=saved.file.content_type,
                    size=len(saved.file.data),
                )
            elif saved is not None:
                out["url"] = saved.url
        elif payload.get("url"):
            out["url"] = str(payload["url"])
            out["filename"] = str(payload["url"]).rsplit("/", 1)[-1].split("?", 1)[0]
        return out

    # ----------------------------------------------------------------------------- person -> page

    def _add_post(self, index: int, post: WebhookPost) -> None:
        try:
            document = json.loads(post.body)
        except ValueError:
            return
        position = 0
        for entry in document.get("entry") or []:
            for event in entry.get("messaging") or []:
                position += 1
                if isinstance(event, dict):
                    self._add_event(f"u{index}.{position}", post, event)

    def _add_event(self, item_id: str, post: WebhookPost, event: dict[str, Any]) -> None:
        psid = str((event.get("sender") or {}).get("id", ""))
        if not psid or psid in self.world.state.pages:
            return  # an echo: the page's own message
        thread = self.thread(psid)
        if _acknowledge(thread, event):
            return
        item = _user_item(event)
        if item is None:
            return
        stamp = int(event.get("timestamp") or _ms(post.posted_at))
        item.update(
            id=item_id,
            time=stamp / 1000,
            webhook_status=post.status,
            webhook_answer=post.text[:300],
        )
        mid = item.get("mid")
        if mid:
            if mid in thread.mids:
                return  # a redelivery: Messenger shows the message once
            thread.mids.add(mid)
        thread.add(item)

    # ----------------------------------------------------------------------------- views

    def page_status(self, thread: Thread, item: dict[str, Any]) -> str:
        """``read``, ``delivered`` or ``sent``: the receipts the person's Messenger sent."""
        stamp = _ms(item["time"])
        if stamp <= thread.read_watermark:
            return "read"
        if item.get("mid") in thread.delivered_mids or stamp <= thread.delivered_watermark:
            return "delivered"
        return "sent"

    def user_status(self, thread: Thread, item: dict[str, Any]) -> str:
        """``failed`` (the webhook was refused or unanswered), ``seen`` or ``delivered``."""
        if item["webhook_status"] != 200:
            return "failed"
        if thread.seen_at and thread.seen_at >= item["time"]:
            return "seen"
        return "delivered"

    def conversation(self, psid: str) -> dict[str, Any]:
        """One person's conversation, as the chat page draws it."""
        self.refresh()
        state = self.world.state
        user = state.users[psid]
        page = state.pages.get(user.page_id)
        thread = self.thread(psid)
        now = self.world.now()
        items = []
        for item in thread.items:
            shown = dict(item)
            if item["from"] == "page":
                shown["status"] = self.page_status(thread, item)
                shown["reaction"] = thread.reactions.get(item.get("mid") or "")
            else:
                shown["status"] = self.user_status(thread, item)
                shown["reaction"] = thread.page_reactions.get(item.get("mid") or "")
            shown["quote"] = self._quote(item.get("reply_to"))
            items.append(shown)
        last = items[-1] if items else None
        quick_replies = last.get("quick_replies", []) if last and last["from"] == "page" else []
        typing_left = None
        if thread.typing_at is not None:
            left = thread.typing_at + TYPING_SECONDS - now
            typing_left = left if left > 0 else None
        return {
            "user": {**user_json(user, now), "wrote": _wrote(thread)},
            "now": now,
            "page": {"page_id": user.page_id, "name": page.name if page else user.page_id},
            "items": items,
            "quick_replies": quick_replies,
            "typing_for": typing_left,
            "window_closes_in": max(0.0, user.last_inbound + WINDOW_SECONDS - now),
            "unread": self._unread(thread),
            "users": self.people(),
            "webhook_url": self.sender.config.webhook_url,
            "verification": self.sender.verification,
            "profile": profile_view(page.profile if page else {}),
        }

    def _quote(self, mid: str | None) -> dict[str, Any] | None:
        """The quoted message above a reply: who wrote it and its text."""
        if not mid:
            return None
        quoted = self.world.state.messages.get(mid)
        if quoted is None:
            return {"mid": mid, "from": None, "text": None}
        text = quoted.text
        if not text and quoted.attachments:  # a picture or a voice note: its kind
            kinds = ", ".join(str(a.get("type")) for a in quoted.attachments if isinstance(a, dict))
            text = f"[{kinds}]"
        return {"mid": mid, "from": "page" if quoted.from_page else "user", "text": text}

    def _unread(self, thread: Thread) -> int:
        return sum(
            1
            for item in thread.items
            if item["from"] == "page" and self.page_status(thread, item) != "read"
        )

    def people(self) -> list[dict[str, Any]]:
        """Every person, with how many page messages they have not read."""
        self.refresh()
        now = self.world.now()
        out = []
        for user in self.world.state.users.values():
            thread = self.threads.get(user.psid)
            data = user_json(user, now)
            data["wrote"] = _wrote(thread)
            data["unread"] = self._unread(thread) if thread else 0
            last = thread.items[-1] if thread and thread.items else None
            data["last"] = _preview(last) if last else None
            out.append(data)
        return out

    # ----------------------------------------------------------------------------- receipts

    def pending_delivery(self, psid: str) -> tuple[list[str], int]:
        """Page messages the person's Messenger has not acknowledged, and the newest time."""
        self.refresh()
        thread = self.thread(psid)
        mids: list[str] = []
        newest = 0
        for item in thread.items:
            if item["from"] == "page" and self.page_status(thread, item) == "sent":
                if item.get("mid"):
                    mids.append(item["mid"])
                newest = max(newest, math.ceil(item["time"] * 1000))
        return mids, newest

    def pending_read(self, psid: str) -> int:
        """The watermark that marks everything read (0 when nothing is unread)."""
        self.refresh()
        thread = self.thread(psid)
        newest = 0
        for item in thread.items:
            if item["from"] == "page" and self.page_status(thread, item) != "read":
                newest = max(newest, math.ceil(item["time"] * 1000))
        return newest

    async def send_delivery(self, psid: str) -> dict[str, Any]:
        """The person's Messenger acknowledges what arrived: a delivery receipt webhook."""
        mids, newest = self.pending_delivery(psid)
        if not newest:
            return {"status": None, "mids": []}
        watermark = max(newest, self.world.now_ms())
        event = self.sender.delivery_event(psid, mids, watermark)
        status, text = await self.sender.post_one(event)
        return {"status": status, "body": text, "mids": mids}

    async def send_read(self, psid: str) -> dict[str, Any]:
        """The person has seen everything: a read receipt webhook."""
        newest = self.pending_read(psid)
        if not newest:
            return {"status": None, "watermark": None}
        watermark = max(newest, self.world.now_ms())
        status, text = await self.sender.post_one(self.sender.read_event(psid, watermark))
        return {"status": status, "body": text, "watermark": watermark}


def _wrote(thread: Thread | None) -> bool:
    """Whether the person has written (or tapped) to the page: only that opens a 24-hour window.

    The simulator lets the page message its demo people from the start (their window counts
    from then), but on Messenger, and for Home Assistant, someone who never wrote has none.
    """
    return thread is not None and any(item["from"] == "user" for item in thread.items)


def _sender_action(thread: Thread, sent: SentMessage) -> None:
    """Typing, seen marks and the page's reactions to the person's messages."""
    action, payload = sent.sender_action, sent.payload or {}
    if action == "typing_on":
        thread.typing_at = sent.sent_at
    elif action == "typing_off":
        thread.typing_at = None
    elif action == "mark_seen":
        thread.seen_at = max(thread.seen_at, sent.sent_at)
    elif action == "react":
        thread.page_reactions[str(payload.get("message_id"))] = str(payload.get("reaction"))
    elif action == "unreact":
        thread.page_reactions.pop(str(payload.get("message_id")), None)


def _utility(rendered: dict[str, Any]) -> dict[str, Any]:
    """A utility message as Messenger draws it: a card with the template's rendered text."""
    return {
        "kind": "utility",
        "template": rendered.get("name"),
        "header": rendered.get("header"),
        "text": rendered.get("body"),
        "buttons": [
            {"type": str(b.get("type", "")).lower(), "title": b.get("text"), **_button_target(b)}
            for b in rendered.get("buttons") or []
        ],
    }


def _button_target(button: dict[str, Any]) -> dict[str, Any]:
    kind = str(button.get("type", "")).upper()
    if kind == "URL":
        return {"type": "web_url", "url": button.get("url")}
    if kind == "PHONE_NUMBER":
        return {"payload": button.get("phone_number")}
    return {"payload": button.get("payload")}


def profile_view(properties: dict[str, Any]) -> dict[str, Any]:
    """What the page's Messenger Profile shows the person (default locale)."""
    return {
        "get_started": isinstance(properties.get("get_started"), dict),
        "menu": default_items(properties.get("persistent_menu")),
        "ice_breakers": [
            str(i.get("question")) for i in default_items(properties.get("ice_breakers"))
        ],
        "commands": default_items(properties.get("commands"), "commands"),
    }


def _acknowledge(thread: Thread, event: dict[str, Any]) -> bool:
    """Fold a delivery or read receipt or a reaction into the thread (False: none of those)."""
    if "delivery" in event:
        delivery = event["delivery"] or {}
        thread.delivered_mids.update(str(m) for m in delivery.get("mids") or [])
        mark = int(delivery.get("watermark") or 0)
        thread.delivered_watermark = max(thread.delivered_watermark, mark)
    elif "read" in event:
        mark = int((event["read"] or {}).get("watermark") or 0)
        thread.read_watermark = max(thread.read_watermark, mark)
    elif "reaction" in event:
        reaction = event["reaction"] or {}
        mid = str(reaction.get("mid", ""))
        if reaction.get("action") == "unreact":
            thread.reactions.pop(mid, None)
        else:
            thread.reactions[mid] = str(reaction.get("emoji") or reaction.get("reaction"))
    else:
        return False
    return True


def _user_item(event: dict[str, Any]) -> dict[str, Any] | None:
    """What the person's message or tap shows as (None: not something the page draws)."""
    if "message" in event:
        message = event["message"] or {}
        if message.get("is_echo"):
            return None
        quick_reply = message.get("quick_reply") or {}
        return {
            "from": "user",
            "kind": "quick_reply" if quick_reply else "message",
            "reply_to": (message.get("reply_to") or {}).get("mid"),
            "mid": message.get("mid"),
            "text": message.get("text"),
            "payload": quick_reply.get("payload"),
            "attachments": [
                {"type": a.get("type"), "url": (a.get("payload") or {}).get("url")}
                for a in message.get("attachments") or []
                if isinstance(a, dict)
            ],
        }
    if "postback" in event:
        postback = event["postback"] or {}
        return {
            "from": "user",
            "kind": "postback",
            "mid": postback.get("mid"),
            "text": postback.get("title"),
            "payload": postback.get("payload"),
        }
    return None


def _template(payload: dict[str, Any]) -> dict[str, Any]:
    template_type = payload.get("template_type")
    if template_type == "button":
        return {
            "kind": "buttons",
            "text": payload.get("text"),
            "buttons": [b for b in payload.get("buttons") or [] if isinstance(b, dict)],
        }
    if template_type == "generic":
        elements = [
            {
                "title": element.get("title"),
                "subtitle": element.get("subtitle"),
                "image_url": element.get("image_url"),
                "buttons": [b for b in element.get("buttons") or [] if isinstance(b, dict)],
            }
            for element in payload.get("elements") or []
            if isinstance(element, dict)
        ]
        return {"kind": "generic", "elements": elements}
    return {"kind": "template", "template_type": template_type, "raw": payload}


def _grid(payload: dict[str, Any]) -> dict[str, Any]:
    """The image grid as Messenger draws it: the hero first and larger, each picture's tap."""
    elements = payload.get("elements") or [{}]
    element = elements[0] if isinstance(elements[0], dict) else {}
    images = [
        {
            "url": image.get("url"),
            "hero": bool(image.get("is_hero_image")),
            "action": image.get("action") if isinstance(image.get("action"), dict) else None,
        }
        for image in element.get("images") or []
        if isinstance(image, dict)
    ]
    return {
        "kind": "grid",
        "images": images,
        "title": element.get("title"),
        "subtitle": element.get("subtitle"),
        "buttons": [b for b in element.get("buttons") or [] if isinstance(b, dict)],
    }


def _preview(item: dict[str, Any]) -> str:
    prefix = "You: " if item["from"] == "user" else ""
    if item.get("text"):
        return prefix + str(item["text"])[:80]
    if item.get("kind") == "media":
        return prefix + f"[{item.get('media_type')}]"
    return prefix + f"[{item.get('kind')}]"


def _shown(reply: dict[str, Any]) -> dict[str, Any]:
    """A quick reply as Messenger shows it: its title cut at 20 characters."""
    title = reply.get("title")
    if isinstance(title, str) and len(title) > TITLE_LIMIT:
        return {**reply, "title": title[:TITLE_LIMIT]}
    return reply
