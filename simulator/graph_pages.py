"""Reading a page: ``GET /me`` (or ``/{page-id}``) and its conversations (Conversations API for
Messenger Platform, updated Feb 11, 2026: ``FIDELITY.md`` F-10, F-11, F-22).

``since``/``until`` are ignored: the Graph reference says time-based pagination is not
available for the conversations edge (F-22).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .graph_conversations import admit, conversation_id, graph_time, updated
from .graph_request import Answer, Context, list_fields, node_fields
from .paging import paginate
from .state import SimPage, SimUser
from .validation import check_enum

CONVERSATION_FIELDS = ("id", "updated_time", "participants", "unread_count", "message_count")


def node(ctx: Context) -> Answer:
    """GET /me: the page's id and name (unknown fields: 100)."""
    page = ctx.page
    available = {"id": page.page_id, "name": page.name}
    return node_fields(ctx.call.params, available, page.page_id), None


def _platform(params: dict[str, Any]) -> str:
    platform = params.get("platform") or "messenger"
    return check_enum("platform", platform, ("messenger", "instagram"), upper=False)


def conversations(ctx: Context) -> Answer:
    """GET /conversations: the page's threads, newest first, with cursor paging."""
    admit(ctx)
    params, page = ctx.call.params, ctx.page
    platform = _platform(params)
    wanted = list_fields(params, CONVERSATION_FIELDS, ("id", "updated_time"), "Conversation")
    users: list[SimUser] = []
    if platform == "messenger":
        users = [u for u in ctx.world.state.users.values() if u.page_id == page.page_id]
    if params.get("user_id"):
        users = [u for u in users if u.psid == str(params["user_id"])]
    times = {u.psid: updated(ctx, u) for u in users}
    users.sort(key=lambda u: (-times[u.psid], u.psid))
    result = paginate(
        users,
        lambda u: conversation_id(page, u),
        lambda u: _conversation(ctx, u, times[u.psid], wanted),
        params,
        ctx.call.url,
    )
    return result, None


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
        "updated_time": lambda: graph_time(updated),
        "participants": lambda: _participants(page, user),
        "unread_count": lambda: 0,
        "message_count": lambda: len(ctx.world.state.conversation(page.page_id, user.psid)),
    }
    item: dict[str, Any] = {name: values[name]() for name in wanted if name in values}
    item["id"] = conversation_id(page, user)
    return item
