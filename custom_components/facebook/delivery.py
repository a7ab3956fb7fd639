"""Send a call's parts to its targets: concurrently across people, in order for each one.

One part is one Send API call. A file going to several people is uploaded once and sent by
attachment id. Every accepted message fires `facebook_message_sent`; a person whose part
fails gets none of their later parts (they would arrive out of context), and the failure is
kept for the caller to report after everybody was tried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from homeassistant.core import HomeAssistant

from .const import EVENT_MESSAGE_SENT
from .graph import GraphAuthError, GraphError, JSONDict, SendResult
from .messages import Part, SendOptions
from .page import MessengerPage
from .targets import Target


@dataclass(slots=True)
class Outcome:
    """What happened for one target."""

    target: Target
    sent: list[SendResult] = field(default_factory=list)
    error: GraphError | None = None


def request_body(target: Target, part: Part, options: SendOptions) -> JSONDict:
    """The Send API request of one part for one person."""
    if part.sender_action is not None:
        return {"recipient": target.recipient, "sender_action": part.sender_action}
    return {"recipient": target.recipient, **options.fields(), "message": part.message}


async def async_deliver(
    page: MessengerPage,
    targets: Sequence[Target],
    parts: Sequence[Part],
    options: SendOptions,
    *,
    concurrency: int,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Send `parts` to every target; never raises for a target's failure."""
    hass = page.hass
    if len(targets) > 1 and any(part.upload for part in parts):
        try:
            parts = await _share_uploads(page, parts)
        except GraphError as err:
            _note_auth(page, err)
            return [Outcome(target, error=err) for target in targets]
    semaphore = asyncio.Semaphore(concurrency)

    async def deliver_one(target: Target) -> Outcome:
        outcome = Outcome(target)
        async with semaphore:
            for part in parts:
                try:
                    result = await page.client.send(
                        request_body(target, part, options),
                        part.upload,
                        media=part.paced_as_media,
                    )
                except GraphError as err:
                    outcome.error = err
                    _note_auth(page, err)
                    break
                if part.message is not None:
                    outcome.sent.append(result)
                    _fire_sent(hass, page, target, result)
        if outcome.sent:
            page.async_token_accepted()
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    return list(await asyncio.gather(*(deliver_one(target) for target in targets)))


async def _share_uploads(page: MessengerPage, parts: Sequence[Part]) -> list[Part]:
    """Upload each file once and send it to everyone by attachment id."""
    shared = []
    for part in parts:
        if part.upload is None or part.message is None or part.media_kind is None:
            shared.append(part)
            continue
        attachment_id = await page.client.upload_attachment(part.media_kind, part.upload)
        message = dict(part.message)
        message["attachment"] = {
            "type": part.media_kind,
            "payload": {"attachment_id": attachment_id},
        }
        shared.append(replace(part, message=message, upload=None))
    return shared


def _note_auth(page: MessengerPage, err: GraphError) -> None:
    if isinstance(err, GraphAuthError):
        page.async_token_rejected(err)


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
