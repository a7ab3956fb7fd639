"""Reading messages back: a conversation's messages and one message's details.

Conversations API for Messenger Platform (updated Feb 11, 2026; ``FIDELITY.md`` F-10, F-11):
``GET /{conversation-id}?fields=messages`` and ``/{conversation-id}/messages`` list the message
ids and times, newest first, with cursor paging; ``GET /{message-id}?fields=...`` gives a
message's details, but only for the 20 most recent messages of its conversation. Every call of
the Conversations API counts against the page's 2 calls per second.

Messages are what the simulator remembers (``State.messages``), both ways: what people wrote
is there whether or not the webhook delivered it, under the ``mid`` the webhook carried.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import hashlib
import mimetypes
from typing import Any

from .errors import fail
from .graph_request import Answer, Context, list_fields, requested_fields
from .paging import paginate
from .state import MessageRef, SimPage, SimUser

NEEDED = ("pages_messaging", "pages_manage_metadata", "pages_read_engagement")
DETAILED = 20  # "details about the 20 most recent messages in the conversation"
MESSAGE_FIELDS = ("id", "created_time", "from", "to", "message", "attachments")
LIST_DEFAULT = ("id", "created_time")
RATE_WINDOW = 1.0


def graph_time(epoch: float) -> str:
    """Graph's default time format, ``2026-12-07T01:17:08+0000``."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def conversation_id(page: SimPage, user: SimUser) -> str:
    """A stable ``t_...`` id for the page's thread with ``user``."""
    digest = hashlib.sha256(f"{page.page_id}:{user.psid}".encode()).hexdigest()
    return "t_" + str(int(digest[:14], 16))


def admit(ctx: Context) -> None:
    """The permissions, and the Conversations API's 2 calls per second per page (F-11)."""
    ctx.require(*NEEDED, what="The Conversations API")
    cap = ctx.config.conversations_rate_cap
    if cap is None:
        return
    calls = ctx.world.conversation_calls
    if not calls.admit(ctx.page.page_id, ctx.world.now(), cap, RATE_WINDOW):
        raise fail("rate_limited")  # FIDELITY F-11 (UNCONFIRMED code)


def user_of(ctx: Context, cid: str) -> SimUser | None:
    """The person of the calling page whose conversation this is."""
    page = ctx.page
    for user in ctx.world.state.users.values():
        if user.page_id == page.page_id and conversation_id(page, user) == cid:
            return user
    return None


def message_of(ctx: Context, mid: str) -> MessageRef | None:
    """A remembered message of the calling page."""
    found = ctx.world.state.messages.get(mid)
    return found if found is not None and found.page_id == ctx.page.page_id else None


def belongs(ctx: Context, node: str) -> bool:
    """Whether a ``t_``/``m_`` node is the calling page's conversation or message."""
    if node.startswith("t_"):
        return user_of(ctx, node) is not None
    if node.startswith("m_"):
        return message_of(ctx, node) is not None
    return False


def _newest_first(ctx: Context, user: SimUser) -> list[MessageRef]:
    return list(reversed(ctx.world.state.conversation(user.page_id, user.psid)))


def _person(page: SimPage, user: SimUser, from_page: bool) -> dict[str, str]:
    if from_page:
        return {"name": page.name, "email": f"{page.page_id}@facebook.com", "id": page.page_id}
    return {"name": user.name, "email": f"{user.psid}@facebook.com", "id": user.psid}


def _attachment(mid: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    """One attachment as the message node shows it (its URL; FIDELITY F-10, UNCONFIRMED shape)."""
    kind = str(item.get("type", "file"))
    payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
    url = str(payload.get("url") or "")
    name = url.rsplit("/", 1)[-1] or f"{kind}-{index}"
    shown: dict[str, Any] = {"id": f"{mid}_{index}", "name": name}
    shown["mime_type"] = mimetypes.guess_type(name)[0] or f"{kind}/*"
    if kind == "image":
        shown["image_data"] = {"url": url, "preview_url": url}
    else:
        shown["file_url"] = url
    return shown


def _details(ctx: Context, message: MessageRef, wanted: list[str]) -> dict[str, Any]:
    page = ctx.page
    user = ctx.world.state.users.get(message.psid)
    person = user or SimUser(message.psid, message.psid, page.page_id, 0.0)
    values: dict[str, Callable[[], Any]] = {
        "id": lambda: message.mid,
        "created_time": lambda: graph_time(message.time),
        "from": lambda: _person(page, person, message.from_page),
        "to": lambda: {"data": [_person(page, person, not message.from_page)]},
        "message": lambda: message.text or "",
        "attachments": lambda: {
            "data": [_attachment(message.mid, i, a) for i, a in enumerate(message.attachments)]
        },
    }
    item = {name: values[name]() for name in wanted if name in values}
    if not message.attachments:
        item.pop("attachments", None)  # Graph leaves out an empty edge
    item["id"] = message.mid
    return item


def _recent(ctx: Context, message: MessageRef) -> bool:
    """Whether the message is among the 20 most recent of its conversation."""
    newest = ctx.world.state.conversation(message.page_id, message.psid)[-DETAILED:]
    return any(m.mid == message.mid for m in newest)


def _listing(ctx: Context, user: SimUser, params: dict[str, Any]) -> dict[str, Any]:
    """The conversation's messages, newest first; details only for the 20 most recent
    (FIDELITY F-10, UNCONFIRMED for the list)."""
    wanted = list_fields(params, MESSAGE_FIELDS, LIST_DEFAULT, "Message")
    messages = _newest_first(ctx, user)
    recent = {m.mid for m in messages[:DETAILED]}

    def render(message: MessageRef) -> dict[str, Any]:
        shown = wanted if message.mid in recent else [n for n in wanted if n in LIST_DEFAULT]
        return _details(ctx, message, shown)

    return paginate(messages, lambda m: m.mid, render, params, ctx.call.url)


def conversation_messages(ctx: Context) -> Answer:
    """GET /{conversation-id}/messages."""
    admit(ctx)
    user = user_of(ctx, ctx.route.node)
    if user is None:
        raise fail("unsupported_request", method="get", object_id=ctx.route.node)
    return _listing(ctx, user, ctx.call.params), None


def conversation_node(ctx: Context) -> Answer:
    """GET /{conversation-id}?fields=messages,participants,updated_time,..."""
    admit(ctx)
    user = user_of(ctx, ctx.route.node)
    if user is None:
        raise fail("unsupported_request", method="get", object_id=ctx.route.node)
    wanted = requested_fields(ctx.call.params.get("fields"), ("id",))
    allowed = ("id", "messages", "updated_time", "participants", "message_count")
    for name in wanted:
        if name not in allowed:
            raise fail("nonexisting_field", field=name, node="Conversation")
    result: dict[str, Any] = {"id": ctx.route.node}
    if "messages" in wanted:
        result["messages"] = _listing(ctx, user, {})
    if "updated_time" in wanted:
        result["updated_time"] = graph_time(updated(ctx, user))
    if "participants" in wanted:
        page = ctx.page
        result["participants"] = {"data": [_person(page, user, False), _person(page, user, True)]}
    if "message_count" in wanted:
        result["message_count"] = len(_newest_first(ctx, user))
    return result, None


def message_node(ctx: Context) -> Answer:
    """GET /{message-id}: details of one of the 20 most recent messages of a conversation.

    An older message gets an error (Meta: "an error that the message has been deleted"; the
    code, 100/33 here, is UNCONFIRMED: FIDELITY F-10).
    """
    admit(ctx)
    message = message_of(ctx, ctx.route.node)
    if message is None or not _recent(ctx, message):
        raise fail("unsupported_request", method="get", object_id=ctx.route.node)
    wanted = requested_fields(ctx.call.params.get("fields"), LIST_DEFAULT)
    for name in wanted:
        if name not in MESSAGE_FIELDS:
            raise fail("nonexisting_field", field=name, node="Message")
    return _details(ctx, message, wanted), None


def updated(ctx: Context, user: SimUser) -> float:
    """When the conversation last changed: its newest message, or the person's last action."""
    messages = ctx.world.state.conversation(user.page_id, user.psid)
    sent = ctx.world.recorder.messages_to(user.psid)
    times = [user.last_inbound, *(m.time for m in messages[-1:]), *(s.sent_at for s in sent[-1:])]
    return max(times)
