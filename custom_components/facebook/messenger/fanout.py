"""Send a call's messages to one person, in order, and say what happened.

One message is one Send API call. A person whose message fails gets none of their later messages
(they would arrive out of context). A transient failure that outlasted the client's retries hands
the rest back as `leftover`, for the caller to keep and retry later; nothing here stores,
schedules or reports anything: results are return values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .client import GraphClient
from .errors import GraphError, GraphInvalidRequestError, GraphTransientError, TextOnlyError
from .images import album_message
from .models import DeliveryOutcome, JSONDict, OutgoingMessage, SendOptions, SendResult, Target
from .templates import MESSAGING_TYPE_UTILITY, TemplateState, fit_parameter, utility_message


def request_body(target: Target, outgoing: OutgoingMessage, options: SendOptions) -> JSONDict:
    """The Send API request of one message (or sender action) for one person."""
    if outgoing.sender_action is not None:
        body: JSONDict = {"recipient": target.recipient, "sender_action": outgoing.sender_action}
        if outgoing.action_payload is not None:
            body["payload"] = outgoing.action_payload
        return body
    body = {"recipient": target.recipient, **options.fields(), "message": outgoing.message}
    if outgoing.reply_to is not None:
        body["reply_to"] = {"mid": outgoing.reply_to}
    return body


async def send_one(
    client: GraphClient, target: Target, outgoing: OutgoingMessage, options: SendOptions
) -> SendResult:
    """One Send API call."""
    body = request_body(target, outgoing, options)
    return await client.send(body, outgoing.upload, media=outgoing.paced_as_media)


async def deliver_one(
    client: GraphClient,
    target: Target,
    messages: Sequence[OutgoingMessage],
    options: SendOptions,
) -> DeliveryOutcome:
    """One person's messages in order; stops at their first failure."""
    outcome = DeliveryOutcome(target)
    queue = list(messages)
    index = 0
    while index < len(queue):
        outgoing = queue[index]
        try:
            result = await send_one(client, target, outgoing, options)
        except GraphInvalidRequestError as err:
            if not outgoing.album or outcome.album_refused is not None:
                outcome.error = err
                break
            # Meta refused the album's form: its pictures go one message each, in order.
            outcome.album_refused = str(err)
            queue[index : index + 1] = album_parts(outgoing)
            continue
        except GraphTransientError as err:
            outcome.leftover = queue[index:]
            outcome.reason = str(err)
            break
        except GraphError as err:
            outcome.error = err
            break
        if outgoing.message is not None:
            outcome.sent.append(result)
        index += 1
    return outcome


def album_parts(album: OutgoingMessage) -> list[OutgoingMessage]:
    """An album as one message per picture, in order; the album's fields (quick replies,
    metadata) go on the last one, its quote on the first."""
    fields = {k: v for k, v in (album.message or {}).items() if k != "attachments"}
    parts = [replace(part) for part in album.album]
    parts[0] = replace(parts[0], reply_to=album.reply_to)
    last = parts[-1]
    if last.message is not None:
        parts[-1] = replace(last, message={**last.message, **fields})
    return parts


def with_album(album: OutgoingMessage, parts: Sequence[OutgoingMessage]) -> OutgoingMessage:
    """The album message of `parts` (each holding one image attachment), keeping its fields."""
    fields = dict(album.pending_fields)
    attachments = [dict(part.message["attachment"]) for part in parts if part.message]
    return replace(album, message=album_message(attachments, fields), album=tuple(parts))


def text_of(messages: Sequence[OutgoingMessage]) -> str | None:
    """The whole text of a call that is only text (split parts joined again), else None."""
    if not messages or any(m.message is None or set(m.message) != {"text"} for m in messages):
        return None
    return " ".join(str(m.message["text"]) for m in messages if m.message is not None)


async def deliver_utility(
    client: GraphClient,
    target: Target,
    messages: Sequence[OutgoingMessage],
    template: TemplateState,
) -> DeliveryOutcome:
    """The call as one utility message (the window is closed): text only, as the parameter."""
    outcome = DeliveryOutcome(target, via="utility")
    text = text_of(messages)
    if text is None:
        outcome.error = TextOnlyError(
            "the person's 24-hour window is closed, and a utility message carries only text"
        )
        return outcome
    parameter, outcome.truncated = fit_parameter(text)
    body = {
        "recipient": target.recipient,
        "messaging_type": MESSAGING_TYPE_UTILITY,
        "message": utility_message(template, parameter),
    }
    try:
        outcome.sent.append(await client.send(body))
    except GraphError as err:
        outcome.error = err
    return outcome


def needs_upload(messages: Sequence[OutgoingMessage]) -> bool:
    """Whether an album holds a file: it goes by attachment id, so it is uploaded first."""
    return any(part.upload is not None for m in messages for part in m.album)


async def share_uploads(
    client: GraphClient, messages: Sequence[OutgoingMessage]
) -> list[OutgoingMessage]:
    """Upload each file once, so many people get it by attachment id (raises GraphError)."""
    shared = []
    for outgoing in messages:
        if outgoing.album:
            parts = await share_uploads(client, outgoing.album)
            shared.append(with_album(outgoing, parts))
            continue
        if outgoing.upload is None or outgoing.message is None or outgoing.media_kind is None:
            shared.append(outgoing)
            continue
        attachment_id = await client.upload_attachment(outgoing.media_kind, outgoing.upload)
        message = {
            **outgoing.message,
            "attachment": {
                "type": outgoing.media_kind,
                "payload": {"attachment_id": attachment_id},
            },
        }
        shared.append(replace(outgoing, message=message, upload=None))
    return shared
