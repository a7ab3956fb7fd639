"""``/{page-id}/subscribed_apps``: which webhook fields the app gets for a page (F-02, F-45).

The subscription is kept on the page (``SimPage.subscribed_fields``); the webhook sender only
delivers the events of subscribed fields once a page's subscription was managed here. Meta drops
it after an hour of failed deliveries (``FIDELITY.md`` F-01); subscribing again restores it.
"""

from __future__ import annotations

from typing import Any

from . import outage
from .errors import fail
from .graph_request import Answer, Context
from .state import APP_NAME
from .validation import blank

# The page fields of Meta's webhooks page (FIDELITY F-02), in its table's order.
WEBHOOK_FIELDS = (
    "messages",
    "message_deliveries",
    "message_echoes",
    "message_edits",
    "message_reactions",
    "message_reads",
    "messaging_account_linking",
    "messaging_feedback",
    "messaging_game_plays",
    "messaging_handovers",
    "messaging_optins",
    "messaging_policy_enforcement",
    "messaging_postbacks",
    "messaging_referrals",
    "messaging_seen",
    "messenger_template_status_update",
    "response_feedback",
    "send_cart",
    "standby",
    # The utility guide's spelling: accepted too (FIDELITY F-32, UNCONFIRMED).
    "message_template_status_update",
)
NEEDED = ("pages_manage_metadata", "pages_messaging")  # FIDELITY F-02
READ_NEEDED = ("pages_manage_metadata", "pages_show_list")  # Graph reference page/subscribed_apps


def _fields(value: Any) -> list[str]:
    """``subscribed_fields`` as a comma-separated string or a list of ``WEBHOOK_FIELDS``."""
    if blank(value):
        raise fail("subscribed_fields_required")
    items = value if isinstance(value, list) else str(value).split(",")
    fields: list[str] = []
    for index, item in enumerate(items):
        name = str(item).strip()
        if name not in WEBHOOK_FIELDS:
            shown = ", ".join(WEBHOOK_FIELDS)
            raise fail("bad_enum", name=f"subscribed_fields[{index}]", values=shown, value=name)
        if name not in fields:
            fields.append(name)
    return fields


def _check(ctx: Context) -> None:
    ctx.require(*NEEDED, what="The subscribed_apps edge")


def subscribe(ctx: Context) -> Answer:
    """POST: subscribe the app to these fields (replacing the earlier ones: F-02, UNCONFIRMED).

    The answer's ``success`` is a boolean; Meta's doc sample shows the string "true" and other
    sources a boolean (FIDELITY F-02).
    """
    _check(ctx)
    ctx.page.subscribed_fields = _fields(ctx.call.params.get("subscribed_fields"))
    outage.resubscribed(ctx.page)
    return {"success": True}, None


def subscriptions(ctx: Context) -> Answer:
    """GET: the app's subscription, or an empty list (after the one-hour rule dropped it too)."""
    ctx.require(*READ_NEEDED, what="The subscribed_apps edge")
    outage.sweep(ctx.world.state)
    page = ctx.page
    if not page.subscribed_fields:
        return {"data": []}, None
    app = {
        "category": "Business",
        "link": f"https://www.facebook.com/games/?app_id={page.app_id}",
        "name": APP_NAME,
        "id": page.app_id,
        "subscribed_fields": list(page.subscribed_fields),
    }
    return {"data": [app]}, None


def unsubscribe(ctx: Context) -> Answer:
    """DELETE: the app gets no events of this page any more."""
    _check(ctx)
    ctx.page.subscribed_fields = []
    return {"success": True}, None
