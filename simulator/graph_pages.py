"""Reading a page: ``GET /me`` (or ``/{page-id}``) and the Conversations API (reference §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import hashlib
from typing import Any

from .errors import fail
from .graph_request import Answer, Context, list_fields, node_fields
from .paging import paginate
from .state import SimPage, SimUser

NEEDED = ("pages_messaging", "pages_manage_metadata", "pages_read_engagement")  # reference §5.3
CONVERSATION_FIELDS = ("id", "updated_time", "participants", "unread_count", "message_count")


def node(ctx: Context) -> Answer:
    """GET /me: the page's id and name (unknown fields: 100)."""
    page = ctx.page
    available = {"id": page.page_id, "name": page.name}
    return node_fields(ctx.call.params, available, page.page_id), None


def conversation_id(page: SimPage, user: SimUser) -> str:
    """A stable ``t_...`` id for the page's thread with ``user``."""
    digest = hashlib.sha256(f"{page.page_id}:{user.psid}".encode()).hexdigest()
    return "t_" + str(int(digest[:14], 16))


def _platform(params: dict[str, Any]) -> str:
    platform = str(params.get("platform") or "messenger").lower()
    if platform not in {"messenger", "instagram"}:
        raise fail(
            "bad_enum", name="platform", values="MESSENGER, INSTAGRAM", value=params["platform"]
        )
    return platform


def conversations(ctx: Context) -> Answer:
    """GET /conversations: the page's threads, newest first, with cursor paging."""
    ctx.require(*NEEDED, what="The conversations edge")
    params, page = ctx.call.params, ctx.page
    platform = _platform(params)
    wanted = list_fields(params, CONVERSATION_FIELDS, ("id", "updated_time"), "Conversation")
    users: list[SimUser] = []
    if platform == "messenger":
        users = [u for u in ctx.world.state.users.values() if u.page_id == page.page_id]
    if params.get("user_id"):
        users = [u for u in users if u.psid == str(params["user_id"])]
    updated = {u.psid: _updated(ctx, u) for u in users}
    users.sort(key=lambda u: (-updated[u.psid], u.psid))
    result = paginate(
        users,
        lambda u: conversation_id(page, u),
        lambda u: _conversation(ctx, u, updated[u.psid], wanted),
        params,
        ctx.call.url,
    )
    return result, None


def _updated(ctx: Context, user: SimUser) -> float:
    sent = ctx.world.recorder.messages_to(user.psid)
    return max(user.last_inbound, sent[-1].sent_at if sent else 0.0)


def _participants(page: SimPage, user: SimUser) -> dict[str, Any]:
    return {
        "data": [
            {"id": user.psid, "name": user.name, "email": f"{user.psid}@facebook.com"},
            {"id": page.page_id, "name": page.name, "email": f"{page.page_id}@facebook.com"},
        ]
    }


def _conversation(ctx: Context, user: SimUser, updated: float, wanted: list[str]) -> dict[str, Any]:
    page = ctx.page
    values: dict[str, Callable[[], Any]] = {
        "updated_time": lambda: datetime.fromtimestamp(updated, tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%S+0000"
        ),
        "participants": lambda: _participants(page, user),
        "unread_count": lambda: 0,
        "message_count": lambda: len(ctx.world.recorder.messages_to(user.psid)),
    }
    item: dict[str, Any] = {name: values[name]() for name in wanted if name in values}
    item["id"] = conversation_id(page, user)
    return item
