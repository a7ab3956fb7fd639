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
from .errors import GraphError, GraphTransientError, TextOnlyError
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
    for index, outgoing in enumerate(messages):
        try:
            result = await send_one(client, target, outgoing, options)
        except GraphTransientError as err:
            outcome.leftover = list(messages[index:])
            outcome.reason = str(err)
            break
        except GraphError as err:
            outcome.error = err
            break
        if outgoing.message is not None:
            outcome.sent.append(result)
    return outcome


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


async def share_uploads(
    client: GraphClient, messages: Sequence[OutgoingMessage]
) -> list[OutgoingMessage]:
    """Upload each file once, so many people get it by attachment id (raises GraphError)."""
    shared = []
    for outgoing in messages:
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
