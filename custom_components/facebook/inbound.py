"""Route parsed webhook events to their page and turn them into Home Assistant events.

Everything here runs on the event loop before the webhook answers 200, and is cheap: firing
events and updating memory. The only network work, the "get my id" answer, runs in the
background.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .const import (
    EVENT_DELIVERY,
    EVENT_MESSAGE,
    EVENT_REACTION,
    EVENT_READ,
    GET_MY_ID,
    GET_MY_ID_INTERVAL,
    LOGGER,
    MESSAGING_TYPE_RESPONSE,
)
from .graph import GraphError
from .hub import FacebookHub
from .page import MessengerPage
from .webhook_parser import MessagingEvent

# How many "get my id" senders a page remembers for its once-a-minute rule.
REPLY_MEMORY_MAX = 10_000


@callback
def async_handle_events(
    hub: FacebookHub, events: Iterable[MessagingEvent], signed_by: Collection[bytes] | None
) -> int:
    """Handle a batch in timestamp order; returns how many events were fired.

    `signed_by` holds the app secrets the body's signature matched (None: no page has one).
    A page with its own app secret only takes entries signed with it.
    """
    fired = 0
    now = dt_util.utcnow().timestamp()
    for event in sorted(events, key=lambda e: e.timestamp):
        page = hub.route(event.page_id)
        if page is None:
            LOGGER.debug("Webhook event for page %s, which is not configured", event.page_id)
            continue
        if page.app_secret and signed_by is not None and page.app_secret not in signed_by:
            LOGGER.warning(
                "Webhook entry for page %s was signed with another app's secret; ignored",
                event.page_id,
            )
            continue
        if not hub.first_delivery(event.dedup_key()):
            LOGGER.debug("Redelivered webhook event ignored: %s", event.mid or event.kind)
            continue
        try:
            fired += _handle(page, event, now)
        except Exception:
            LOGGER.exception("Could not handle a %s webhook event", event.kind)
    return fired


def _handle(page: MessengerPage, event: MessagingEvent, now: float) -> int:
    if event.kind == "echo":
        return 0
    if event.is_user_action:
        # A clock ahead of ours (or a forged time) can't open a window in the future.
        page.async_note_action(event.sender_id, min(event.timestamp / 1000, now))
    if (
        event.kind in ("message", "quick_reply")
        and event.text
        and event.text.strip().casefold() == GET_MY_ID
    ):
        _answer_get_my_id(page, event.sender_id)
        return 0
    if event.sender_id not in page.allowed:
        LOGGER.debug(
            "Webhook %s from %s, who is not in allowed_chat_ids", event.kind, event.sender_id
        )
        return 0
    event_type, data = event_data(page, event)
    page.hass.bus.async_fire(event_type, data)
    return 1


def event_data(page: MessengerPage, event: MessagingEvent) -> tuple[str, dict[str, Any]]:
    """The Home Assistant event type and data of a webhook event from an allowed person."""
    common: dict[str, Any] = {
        "sender_id": event.sender_id,
        "sender_name": page.display_name(event.sender_id),
        "page_id": event.page_id,
        "timestamp": event.timestamp,
    }
    if event.kind in ("message", "quick_reply", "postback"):
        return EVENT_MESSAGE, {
            **common,
            "message": event.text or "",
            "payload": event.payload,
            "mid": event.mid,
            "type": event.kind,
            "attachments": [{"type": a.type, "url": a.url} for a in event.attachments],
        }
    if event.kind == "delivery":
        return EVENT_DELIVERY, {**common, "mids": list(event.mids), "watermark": event.watermark}
    if event.kind == "read":
        return EVENT_READ, {**common, "watermark": event.watermark}
    return EVENT_REACTION, {
        **common,
        "mid": event.mid,
        "reaction": event.reaction,
        "emoji": event.emoji,
        "action": event.action,
    }


def _answer_get_my_id(page: MessengerPage, psid: str) -> None:
    now = time.monotonic()
    replies = page.id_replies
    last = replies.get(psid)
    if last is not None and now - last < GET_MY_ID_INTERVAL:
        LOGGER.debug("'get my id' from %s answered less than a minute ago", psid)
        return
    if len(replies) >= REPLY_MEMORY_MAX:
        for key in [k for k, t in replies.items() if now - t >= GET_MY_ID_INTERVAL]:
            del replies[key]
        while len(replies) >= REPLY_MEMORY_MAX:
            del replies[next(iter(replies))]
    replies[psid] = now
    _start_reply(page.hass, page, psid)


def _start_reply(hass: HomeAssistant, page: MessengerPage, psid: str) -> None:
    async def reply() -> None:
        body = {
            "recipient": {"id": psid},
            "messaging_type": MESSAGING_TYPE_RESPONSE,
            "message": {"text": f"Your ID is {psid}"},
        }
        try:
            await page.client.send(body)
        except GraphError as err:
            LOGGER.warning("Could not answer 'get my id' from %s: %s", psid, err)
        else:
            page.async_token_accepted()

    hass.async_create_background_task(reply(), f"facebook get-my-id reply to {psid}")
