"""``/me/messenger_profile``: the page's Get Started button, menu, ice breakers, commands,
greeting and whitelisted domains (``FIDELITY.md`` F-17, F-27).

Every call that passed authentication counts against the page's budget of 10 calls per
10 minutes on the simulated clock; the 11th gets 613.
"""

from __future__ import annotations

from . import profile
from .errors import fail
from .graph_request import Answer, Context

CALLS = 10
WINDOW = 600.0
# "A page access token with pages_messaging permission is required" (Messenger Profile API):
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/messenger-profile-api
NEEDED = "pages_messaging"


def _admit(ctx: Context) -> None:
    page = ctx.page
    if not ctx.world.profile_calls.admit(page.page_id, ctx.world.now(), CALLS, WINDOW):
        raise fail("rate_limited")
    ctx.require(NEEDED, what="The Messenger Profile API")


def read(ctx: Context) -> Answer:
    """GET ?fields=: the set properties asked for, as one object (or no object at all)."""
    _admit(ctx)
    names = profile.fields_of(ctx.call.params.get("fields"))
    current = ctx.page.profile
    found = {name: current[name] for name in names if name in current}
    return {"data": [found] if found else []}, None


def write(ctx: Context) -> Answer:
    """POST: set one or more properties."""
    _admit(ctx)
    setting = profile.properties_of(ctx.call.body.fields or dict(ctx.call.params))
    page = ctx.page
    profile.check_order(page.profile, setting)
    page.profile.update(setting)
    return {"result": "success"}, None


def delete(ctx: Context) -> Answer:
    """DELETE {"fields": [...]}: remove properties."""
    _admit(ctx)
    names = profile.fields_of(ctx.call.params.get("fields"))
    page = ctx.page
    # No Meta page forbids deleting Get Started while a menu stays (FIDELITY.md F-17).
    for name in names:
        page.profile.pop(name, None)
    return {"result": "success"}, None
