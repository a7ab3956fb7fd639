"""The only place that fires Home Assistant events (names and fields are interfaces).

Automations trigger on these, whichever way a page was set up (YAML or the UI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import (
    DOMAIN,
    EVENT_BROADCAST_FINISHED,
    EVENT_DELIVERY,
    EVENT_MESSAGE,
    EVENT_MESSAGE_SENT,
    EVENT_REACTION,
    EVENT_READ,
    EVENT_SEND_FAILED,
    EVENT_WEBHOOK_RESUBSCRIBED,
    EVENT_WINDOW_CLOSING,
    NOTIFY_KEY_PERSON,
)
from .messenger import (
    DeliveryOutcome,
    EventKind,
    MessagingEvent,
    SendResult,
    Target,
    event_payload,
)


@dataclass(slots=True)
class PageRef:
    """How events and logs name a page: its id and name once Meta said them, and a label for
    people (`notify.facebook` for a YAML page, or the config entry's title)."""

    label: str
    id: str | None = None
    name: str | None = None


# Which bus event a webhook event from an allowed person fires.
INBOUND_EVENTS: dict[EventKind, str] = {
    "message": EVENT_MESSAGE,
    "quick_reply": EVENT_MESSAGE,
    "postback": EVENT_MESSAGE,
    "delivery": EVENT_DELIVERY,
    "read": EVENT_READ,
    "reaction": EVENT_REACTION,
}


# What a person's `event` entity shows of their webhook events (deliveries and reads: no).
ENTITY_EVENT_TYPES: tuple[EventKind, ...] = ("message", "quick_reply", "postback", "reaction")


# The events that name the person's notify entity (`entity_id`), to answer them with.
NAMES_THE_ENTITY: tuple[EventKind, ...] = ("message", "quick_reply", "postback")


def person_unique_id(page_id: str | None, psid: str, key: str) -> str:
    """The unique id of a person's entity (`key`: person, messages, window, ...)."""
    return f"{page_id}_{psid}_{key}"


@callback
def person_entity_id(hass: HomeAssistant, page_id: str | None, psid: str) -> str | None:
    """The notify entity of a person of a page, if they have one (an allowed person does)."""
    unique_id = person_unique_id(page_id, psid, NOTIFY_KEY_PERSON)
    return er.async_get(hass).async_get_entity_id("notify", DOMAIN, unique_id)


def person_event_signal(page_id: str | None, psid: str) -> str:
    """The dispatcher signal of a person's webhook events (for their `event` entity)."""
    return f"{DOMAIN}_event_{page_id}_{psid}"


def window_signal(page_id: str | None, psid: str) -> str:
    """The dispatcher signal of a change of a person's messaging window."""
    return f"{DOMAIN}_window_{page_id}_{psid}"


def webhook_signal(page_id: str | None) -> str:
    """The dispatcher signal of a change in whether Meta delivers to the page's webhook."""
    return f"{DOMAIN}_webhook_{page_id}"


def token_signal(page_id: str | None) -> str:
    """The dispatcher signal of a change in whether Meta accepts the page's token."""
    return f"{DOMAIN}_token_{page_id}"


def photo_signal(page_id: str | None, psid: str) -> str:
    """The dispatcher signal of a picture a person sent (for their Last photo entity)."""
    return f"{DOMAIN}_photo_{page_id}_{psid}"


@callback
def async_signal_photo(hass: HomeAssistant, page_id: str | None, psid: str, path: str) -> None:
    """A person's picture was saved: their Last photo entity shows it."""
    async_dispatcher_send(hass, photo_signal(page_id, psid), path)


@callback
def async_fire_inbound(
    hass: HomeAssistant,
    event: MessagingEvent,
    sender_name: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`facebook_message` (or delivery, read, reaction) for an allowed person's event, and the
    same data for that person's `event` entity. A message, tap or postback also names the
    person's notify entity (`entity_id`, null when they have none), so an automation can answer
    or ask them back. `extra`: the saved `media` and the voice note's `transcript` of a message
    with attachments."""
    data = event_payload(event, sender_name)
    if extra:
        data.update(extra)
    fired = data
    if event.kind in NAMES_THE_ENTITY:
        fired = {**data, "entity_id": person_entity_id(hass, event.page_id, event.sender_id)}
    hass.bus.async_fire(INBOUND_EVENTS[event.kind], fired)
    if event.kind in ENTITY_EVENT_TYPES:
        signal = person_event_signal(event.page_id, event.sender_id)
        async_dispatcher_send(hass, signal, event.kind, data)
    return data


# Home Assistant's more-info dialog shows an event entity's type ("Message") and its logbook, but
# never its attributes: so what a person wrote also goes to the logbook, on their Messages entity
# (the logbook's own `logbook_entry` event, as `logbook.log` fires it).
EVENT_LOGBOOK_ENTRY = "logbook_entry"


@callback
def async_log_words(hass: HomeAssistant, entity_id: str, data: dict[str, Any]) -> None:
    """A logbook line on a person's Messages entity: their text, tap, reaction or attachments."""
    if "logbook" not in hass.config.components:
        return
    attachments = ", ".join(str(item.get("type")) for item in data.get("attachments") or [])
    words = data.get("message") or data.get("emoji") or attachments
    if not words:
        return
    name = data.get("sender_name") or data.get("sender_id")
    hass.bus.async_fire(
        EVENT_LOGBOOK_ENTRY,
        {"name": name, "message": f"“{words}”", "domain": DOMAIN, "entity_id": entity_id},
    )


@callback
def async_signal_window(hass: HomeAssistant, page_id: str | None, psid: str) -> None:
    """A person's window moved: their window entities look again."""
    async_dispatcher_send(hass, window_signal(page_id, psid))


@callback
def async_signal_webhook(hass: HomeAssistant, page_id: str | None) -> None:
    """The webhook's check found it subscribed, or not: the page's Webhook sensor looks again."""
    async_dispatcher_send(hass, webhook_signal(page_id))


@callback
def async_fire_resubscribed(hass: HomeAssistant, page_id: str | None, what: str) -> None:
    """`facebook_webhook_resubscribed`: a dropped subscription was made again (`page`, `app`)."""
    hass.bus.async_fire(EVENT_WEBHOOK_RESUBSCRIBED, {"page_id": page_id, "what": what})


@callback
def async_signal_token(hass: HomeAssistant, page_id: str | None) -> None:
    """The token was rejected or works again: the page's entities look again."""
    async_dispatcher_send(hass, token_signal(page_id))


@callback
def async_fire_sent(
    hass: HomeAssistant,
    page_id: str | None,
    target: Target,
    result: SendResult,
    *,
    via: str | None = None,
    truncated: bool = False,
) -> None:
    """`facebook_message_sent`: Meta accepted one message (`via: utility` after the window)."""
    data: dict[str, Any] = {
        "target": target.label,
        "recipient_id": result.recipient_id or target.psid,
        "message_id": result.message_id,
        "page_id": page_id,
    }
    if via is not None:
        data["via"] = via
        data["truncated"] = truncated
    hass.bus.async_fire(EVENT_MESSAGE_SENT, data)


@callback
def async_fire_delivered(
    hass: HomeAssistant, page_id: str | None, outcome: DeliveryOutcome
) -> None:
    """`facebook_message_sent` for every message of one person's delivery Meta accepted."""
    for result in outcome.sent:
        async_fire_sent(
            hass, page_id, outcome.target, result, via=outcome.via, truncated=outcome.truncated
        )


@callback
def async_fire_broadcast_finished(
    hass: HomeAssistant, page_id: str | None, counts: dict[str, int]
) -> None:
    """`facebook_broadcast_finished` with the counts of one BROADCAST (sent, skipped, failed,
    queued; and `utility`, closed windows reached by utility messages, when that is on)."""
    hass.bus.async_fire(EVENT_BROADCAST_FINISHED, {"page_id": page_id, **counts})


@callback
def async_fire_window_closing(
    hass: HomeAssistant, page_id: str | None, psid: str, name: str | None, closes_at: datetime
) -> None:
    """`facebook_window_closing`: an allowed person's window closes soon (`entity_id`: their
    notify entity, to ask them to keep it open)."""
    hass.bus.async_fire(
        EVENT_WINDOW_CLOSING,
        {
            "page_id": page_id,
            "sender_id": psid,
            "sender_name": name,
            "closes_at": closes_at.isoformat(),
            "entity_id": person_entity_id(hass, page_id, psid),
        },
    )


@callback
def async_fire_send_failed(
    hass: HomeAssistant,
    page_id: str | None,
    target: Target,
    *,
    reason: str,
    messages: int,
    last_error: str | None,
) -> None:
    """`facebook_send_failed`: the outbox gave up on a person's messages."""
    hass.bus.async_fire(
        EVENT_SEND_FAILED,
        {
            "target": target.label,
            "reason": reason,
            "page_id": page_id,
            "messages": messages,
            "last_error": last_error,
        },
    )
