"""The User Profile API: ``GET /{PSID}?fields=first_name,last_name,profile_pic,...`` with a page
token (Messenger Platform > User Profile API, updated Mar 18, 2026; ``FIDELITY.md`` F-18).

A page reads the public profile of the people who wrote to it. ``locale``, ``timezone`` and
``gender`` need their own permissions; the simulator leaves them out when the token lacks them
(FIDELITY F-18, UNCONFIRMED). Any other field is Graph's 100 "nonexisting field" on node type User.
"""

from __future__ import annotations

from typing import Any

from .errors import fail
from .graph_request import Answer, Context, requested_fields
from .state import SimUser

PUBLIC = ("id", "name", "first_name", "last_name", "profile_pic")
# Field -> the permission it needs (FIDELITY F-18 (UNCONFIRMED): what a missing one does).
GATED = {
    "locale": "pages_user_locale",
    "timezone": "pages_user_timezone",
    "gender": "pages_user_gender",
}
DEFAULT = ("name", "id")


def user_of(ctx: Context, node: str) -> SimUser | None:
    """The person with this PSID, if they belong to the calling page."""
    user = ctx.world.state.users.get(node)
    return user if user is not None and user.page_id == ctx.page.page_id else None


def _values(user: SimUser) -> dict[str, Any]:
    first, _, last = user.name.partition(" ")
    return {
        "id": user.psid,
        "name": user.name,
        "first_name": first,
        "last_name": last,
        "profile_pic": f"https://platform-lookaside.fbsbx.com/platform/profilepic/?psid={user.psid}",
        "locale": "en_US",
        "timezone": 0,
        "gender": "",
    }


def profile(ctx: Context) -> Answer:
    """GET /{PSID}: the person's profile fields asked for."""
    ctx.require("pages_messaging", what="The User Profile API")
    user = user_of(ctx, ctx.route.node)
    if user is None:
        raise fail("unsupported_request", method="get", object_id=ctx.route.node)
    granted = ctx.caller.token.scopes if ctx.caller is not None else ()
    values = _values(user)
    result: dict[str, Any] = {}
    for name in requested_fields(ctx.call.params.get("fields"), DEFAULT):
        if name not in PUBLIC and name not in GATED:
            raise fail("nonexisting_field", field=name, node="User")
        if name in PUBLIC or GATED[name] in granted:  # FIDELITY F-18 (UNCONFIRMED)
            result[name] = values[name]
    result["id"] = user.psid
    return result, None
