"""Send a call's parts to its targets: concurrently across people, in order for each one.

One part is one Send API call. A file going to several people is uploaded once and sent by
attachment id. Every accepted message fires `facebook_message_sent`; a person whose part
fails gets none of their later parts (they would arrive out of context), and the failure is
kept for the caller to report after everybody was tried. A transient failure that outlasts
the retries sends the rest of that person's parts to the durable outbox instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .graph import GraphAuthError, GraphError, GraphTransientError, SendResult
from .messages import Part, SendOptions
from .outbox import OutboxFull
from .page import MessengerPage
from .send import request_body, send_part
from .targets import Target


@dataclass(slots=True)
class Outcome:
    """What happened for one target."""

    target: Target
    sent: list[SendResult] = field(default_factory=list)
    error: GraphError | None = None
    queued: str | None = None  # why the rest waits in the outbox


async def async_deliver(
    page: MessengerPage,
    targets: Sequence[Target],
    parts: Sequence[Part],
    options: SendOptions,
    *,
    concurrency: int,
) -> list[Outcome]:
    """Send `parts` to every target; never raises for a target's failure.

    A transient failure that outlasts the in-call retries moves the rest of that person's
    parts to the outbox; a person with messages already waiting there queues behind them.
    """
    if len(targets) > 1 and any(part.upload for part in parts):
        try:
            parts = await _share_uploads(page, parts)
        except GraphError as err:
            if isinstance(err, GraphAuthError):
                page.async_token_rejected(err)
            if not isinstance(err, GraphTransientError):
                return [Outcome(target, error=err) for target in targets]
    if len(targets) == 1:  # one person: no semaphore, no task, no extra turn of the loop
        return [await _deliver_one(page, targets[0], parts, options)]
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(target: Target) -> Outcome:
        async with semaphore:
            return await _deliver_one(page, target, parts, options)

    return list(await asyncio.gather(*(bounded(target) for target in targets)))


async def _deliver_one(
    page: MessengerPage, target: Target, parts: Sequence[Part], options: SendOptions
) -> Outcome:
    """One person's parts in order; stops at their first failure."""
    outcome = Outcome(target)
    if page.outbox.has_pending(target):
        await _async_keep(page, outcome, parts, options, "earlier messages to them still wait")
        return outcome
    for index, part in enumerate(parts):
        try:
            result = await send_part(page, target, part, request_body(target, part, options))
        except GraphTransientError as err:
            await _async_keep(page, outcome, parts[index:], options, str(err), err)
            break
        except GraphError as err:
            outcome.error = err
            break
        if part.message is not None:
            outcome.sent.append(result)
    return outcome


async def _async_keep(
    page: MessengerPage,
    outcome: Outcome,
    parts: Sequence[Part],
    options: SendOptions,
    reason: str,
    error: GraphError | None = None,
) -> None:
    """Move the rest of a person's parts to the outbox (or fail if it is full)."""
    try:
        await page.outbox.async_enqueue(outcome.target, list(parts), options, reason)
    except OutboxFull as full:
        outcome.error = GraphTransientError(f"{error or reason}; not kept for later: {full}")
    else:
        outcome.queued = reason


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
