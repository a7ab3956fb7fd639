"""One Send API call for one person, and the event that says Meta accepted it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant

from .const import EVENT_MESSAGE_SENT
from .graph import GraphAuthError, JSONDict, SendResult
from .messages import Part, SendOptions
from .targets import Target

if TYPE_CHECKING:
    from .page import MessengerPage


def request_body(target: Target, part: Part, options: SendOptions) -> JSONDict:
    """The Send API request of one part for one person."""
    if part.sender_action is not None:
        return {"recipient": target.recipient, "sender_action": part.sender_action}
    return {"recipient": target.recipient, **options.fields(), "message": part.message}


async def send_part(page: MessengerPage, target: Target, part: Part, body: JSONDict) -> SendResult:
    """One Send API call; fires `facebook_message_sent` for a message Meta accepted."""
    try:
        result = await page.client.send(body, part.upload, media=part.paced_as_media)
    except GraphAuthError as err:
        page.async_token_rejected(err)
        raise
    if part.message is not None:
        _fire_sent(page.hass, page, target, result)
    page.async_token_accepted()
    return result


def _fire_sent(
    hass: HomeAssistant, page: MessengerPage, target: Target, result: SendResult
) -> None:
    hass.bus.async_fire(
        EVENT_MESSAGE_SENT,
        {
            "target": target.label,
            "recipient_id": result.recipient_id or target.psid,
            "message_id": result.message_id,
            "page_id": page.page_id,
        },
    )
