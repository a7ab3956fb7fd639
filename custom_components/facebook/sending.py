"""A notify call end to end: targets → messages → media → delivery → outbox → errors.

The whole call is validated before anything is sent (nothing goes out if any input is wrong),
people are sent to concurrently (one person's messages in order), a transient failure that
outlasts the retries moves the rest to the outbox, and every failure is raised after every
person was tried, each named with Meta's message and code and a plain hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.translation import async_get_exception_message
from homeassistant.util.async_ import gather_with_limited_concurrency

from .const import BROADCAST_CONCURRENCY, DOMAIN, LOGGER, TARGET_CONCURRENCY
from .events import async_fire_broadcast_finished, async_fire_delivered
from .grid import async_fill_grids
from .media import MediaError, async_fetch_all
from .messenger import (
    MESSAGING_TYPE_RESPONSE,
    RECIPIENT_UNAVAILABLE_SUBCODE,
    Broadcast,
    DeliveryOutcome,
    GraphAuthError,
    GraphError,
    GraphInvalidRequestError,
    GraphPageRestrictedError,
    GraphRecipientUnavailableError,
    GraphTransientError,
    GraphWindowError,
    MessengerError,
    OutboxFull,
    OutgoingMessage,
    PreparedCall,
    SendOptions,
    Target,
    Turn,
    album_parts,
    build_call,
    deliver_one,
    deliver_utility,
    needs_upload,
    person_key,
    refusal_kind,
    resolve_targets,
    share_uploads,
    text_of,
)
from .runtime import FacebookRuntime

WAITING = "earlier messages to them still wait"


class SendFailed(HomeAssistantError):
    """A call some people did not get; `outcomes` says what happened to each of them."""

    def __init__(self, outcomes: list[DeliveryOutcome], **kwargs: Any) -> None:
        """The translated error of the call, and every person's outcome."""
        super().__init__(**kwargs)
        self.outcomes = outcomes


async def async_send(
    runtime: FacebookRuntime,
    message: str,
    *,
    title: str | None,
    targets: list[str] | None,
    data: dict[str, Any] | None,
    label: str | None = None,
) -> list[DeliveryOutcome]:
    """One notify call; raises for any failure once everybody was tried (`SendFailed` carries
    every person's outcome), else returns them: what Meta accepted, what waits in the outbox.

    `label` names the call in its errors (`notify.facebook`, as it was called); by default the
    page's name. Each person's messages go out in the order the calls came (`PersonTurns`).
    """
    label = label or runtime.settings.label
    call = validate_call(runtime, message, title=title, data=data, label=label)
    try:
        recipients = resolve_targets(targets, runtime.book)
    except MessengerError as err:
        raise _invalid(label, err) from err
    if isinstance(recipients, Broadcast):
        messages = await _async_fetch(runtime, call, label)
        return await _async_broadcast(runtime, messages, call.options, label)
    turns = [runtime.turns.take(person_key(target)) for target in recipients]
    try:
        messages = await _async_fetch(runtime, call, label)
        outcomes = await _async_deliver(
            runtime, list(zip(recipients, turns, strict=True)), messages, call.options
        )
    finally:
        for turn in turns:
            turn.release()
    _report(runtime, outcomes, label)
    return outcomes


def validate_call(
    runtime: FacebookRuntime,
    message: str,
    *,
    title: str | None,
    data: dict[str, Any] | None,
    label: str,
) -> PreparedCall:
    """A call's messages and options, validated (`ServiceValidationError` says what is wrong)."""
    try:
        return build_call(
            message,
            title,
            data,
            default_messaging_type=runtime.settings.messaging_type,
            default_tag=runtime.settings.tag,
        )
    except MessengerError as err:
        raise _invalid(label, err) from err


async def _async_fetch(
    runtime: FacebookRuntime, call: PreparedCall, label: str
) -> list[OutgoingMessage]:
    """The call's messages with their media fetched (nothing is sent if any fetch fails)."""
    try:
        messages = await async_fetch_all(runtime.hass, call)
        if call.grids:
            messages = await async_fill_grids(runtime.hass, call, messages)
    except MessengerError as err:
        raise _invalid(label, err) from err
    except MediaError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_failed",
            translation_placeholders={"service": label, "error": str(err)},
        ) from err
    return messages


def _invalid(label: str, err: MessengerError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=err.key,
        translation_placeholders={"service": label, "error": str(err)},
    )


async def _async_deliver(
    runtime: FacebookRuntime,
    people: Sequence[tuple[Target, Turn]],
    messages: list[OutgoingMessage],
    options: SendOptions,
    concurrency: int = TARGET_CONCURRENCY,
) -> list[DeliveryOutcome]:
    """Send to every person in their turn; never raises for a person's failure."""
    album_files = needs_upload(messages)
    if album_files or (len(people) > 1 and any(m.upload for m in messages)):
        try:
            messages = await share_uploads(runtime.client, messages)
        except GraphError as err:
            if not isinstance(err, GraphTransientError):
                return [DeliveryOutcome(target, error=err) for target, _turn in people]
            if album_files:  # an album's files can't go by upload: one message per picture
                messages = [p for m in messages for p in (album_parts(m) if m.album else [m])]
    if len(people) == 1:  # one person: no semaphore, no task, no extra turn of the loop
        target, turn = people[0]
        return [await _async_deliver_one(runtime, target, turn, messages, options)]
    return list(
        await gather_with_limited_concurrency(
            concurrency,
            *(_async_deliver_one(runtime, t, turn, messages, options) for t, turn in people),
        )
    )


async def _async_deliver_one(
    runtime: FacebookRuntime,
    target: Target,
    turn: Turn,
    messages: list[OutgoingMessage],
    options: SendOptions,
) -> DeliveryOutcome:
    """One person, in their turn: queued behind what waits for them, else sent; the rest kept
    on a transient failure."""
    async with turn:
        return await _async_deliver_in_turn(runtime, target, messages, options)


async def _async_deliver_in_turn(
    runtime: FacebookRuntime,
    target: Target,
    messages: list[OutgoingMessage],
    options: SendOptions,
) -> DeliveryOutcome:
    if runtime.outbox.has_pending(target):
        outcome = DeliveryOutcome(target, leftover=messages, reason=WAITING)
    else:
        outcome = await _async_send_or_utility(runtime, target, messages, options)
        async_fire_delivered(runtime.hass, runtime.page.id, outcome)
    if outcome.leftover:
        try:
            await runtime.outbox.async_keep(target, outcome.leftover, options, outcome.reason or "")
        except OutboxFull as full:
            outcome.error = OutboxFull(f"{outcome.reason}; not kept for later: {full}")
            outcome.leftover = []
    return outcome


async def _async_send_or_utility(
    runtime: FacebookRuntime,
    target: Target,
    messages: list[OutgoingMessage],
    options: SendOptions,
) -> DeliveryOutcome:
    """The messages; as a utility message when the person's window is closed (known to us
    already, or said by Meta's 10/2018278 before anything went out) and the template is usable."""
    template = runtime.usable_template(target)
    if template is not None and runtime.audience.is_closed(target.psid):
        outcome = await deliver_utility(runtime.client, target, messages, template)
    else:
        outcome = await deliver_one(runtime.client, target, messages, options)
        if template and not outcome.sent and _window_closed(runtime, target, outcome.error):
            outcome = await deliver_utility(runtime.client, target, messages, template)
    if outcome.album_refused is not None and not runtime.album_refusal_logged:
        runtime.album_refusal_logged = True
        LOGGER.warning(
            "%s: Meta refused several pictures in one message (%s); they were sent one message "
            "each, in order (said once)",
            runtime.settings.label,
            outcome.album_refused,
        )
    if outcome.truncated:
        LOGGER.warning(
            "%s: the text to %s was longer than a utility message takes: its first part was sent",
            runtime.settings.label,
            target.describe(),
        )
    return outcome


def _report(runtime: FacebookRuntime, outcomes: list[DeliveryOutcome], label: str) -> None:
    """Say what waits in the outbox; raise one error naming every failed target with a hint."""
    for outcome in outcomes:
        if outcome.leftover:
            LOGGER.warning(
                "%s: %s can't be reached now (%s); the message waits in the outbox "
                "and is retried for up to %s",
                label,
                outcome.target.describe(),
                outcome.reason,
                runtime.outbox.ttl,
            )
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    details = "; ".join(failure_text(runtime, o) for o in failed)
    raise SendFailed(
        outcomes,
        translation_domain=DOMAIN,
        translation_key="send_failed",
        translation_placeholders={
            "service": label,
            "failed": str(len(failed)),
            "total": str(len(outcomes)),
            "details": details,
        },
    )


def failure_text(runtime: FacebookRuntime, outcome: DeliveryOutcome) -> str:
    """One failed target in the user's words: who, Meta's message and code, what to do."""
    target, error = outcome.target, outcome.error
    placeholders = {"target": target.describe(), "error": str(error)}
    key = error.key if isinstance(error, MessengerError) else "invalid_request"
    if outcome.via == "utility" and isinstance(error, GraphError):
        key = refusal_kind(error) or key
    elif isinstance(error, GraphError) and not isinstance(error, GraphAuthError):
        if target.is_phone and not isinstance(error, GraphTransientError):
            key = "phone_restricted"
        elif (
            isinstance(error, GraphWindowError)
            or error.code == 10
            or _window_closed(runtime, target, error)
        ):
            closed_at = _window_closed_at(runtime, target)
            if closed_at is not None and not isinstance(error, GraphPageRestrictedError):
                key, placeholders["closed_at"] = "outside_window_closed", closed_at
            elif isinstance(error, GraphWindowError):
                key = "outside_window"
    return async_get_exception_message(DOMAIN, key, placeholders)


def _window_closed(runtime: FacebookRuntime, target: Target, error: Exception | None) -> bool:
    """Whether Meta's refusal means the person's 24-hour window is closed: 10/2018278, or
    1545041 (which Meta's pages also name for a closed window) for a person whose window we
    know closed too (else 1545041 means they can't be reached: blocked, or gone)."""
    if isinstance(error, GraphWindowError):
        return True
    return (
        isinstance(error, GraphRecipientUnavailableError)
        and error.subcode == RECIPIENT_UNAVAILABLE_SUBCODE
        and runtime.audience.is_closed(target.psid)
    )


def _window_closed_at(runtime: FacebookRuntime, target: Target) -> str | None:
    """When the target's window closed, if we know it closed."""
    audience = runtime.audience
    if target.psid is None or not audience.is_closed(target.psid):
        return None
    closes_at = audience.closes_at(target.psid)
    return closes_at.isoformat(timespec="minutes") if closes_at else None


async def _async_broadcast(
    runtime: FacebookRuntime, messages: list[OutgoingMessage], options: SendOptions, label: str
) -> list[DeliveryOutcome]:
    """Everyone the page can reach, one Send API call each; fires `facebook_broadcast_finished`.

    Meta shut its Broadcast API in 2020, so a broadcast is a fan-out: to the allowed people and
    everyone who wrote to the page, skipping those whose window is known to be closed for such a
    message. A second broadcast waits for the first; the page's pacer keeps it under Meta's cap.
    """
    async with runtime.broadcast_lock:
        # A closed window is still reached by a utility message, if the call is only text.
        closed_too = runtime.usable_template() is not None and text_of(messages) is not None
        targets, skipped = runtime.broadcast_recipients(options.tag, closed_too=closed_too)
        LOGGER.info(
            "%s: BROADCAST to %d people (%d skipped: window closed)", label, len(targets), skipped
        )
        turns = [runtime.turns.take(person_key(target)) for target in targets]
        try:
            outcomes = await _async_deliver(
                runtime,
                list(zip(targets, turns, strict=True)),
                messages,
                options,
                BROADCAST_CONCURRENCY,
            )
        finally:
            for turn in turns:
                turn.release()
        failed = _failed_in_broadcast(label, outcomes)
        queued = sum(1 for o in outcomes if o.leftover)
        sent = len(outcomes) - len(failed) - queued
        counts = {"sent": sent, "skipped": skipped, "failed": len(failed), "queued": queued}
        if runtime.utility is not None:
            counts["utility"] = sum(1 for o in outcomes if o.via == "utility" and o.sent)
        async_fire_broadcast_finished(runtime.hass, runtime.page.id, counts)
    if not targets:
        raise _nobody(label, skipped)
    if failed and not sent and not queued:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="broadcast_failed",
            translation_placeholders={
                "service": label,
                "failed": str(len(failed)),
                "error": str(failed[0].error),
            },
        )
    return outcomes


def _failed_in_broadcast(label: str, outcomes: list[DeliveryOutcome]) -> list[DeliveryOutcome]:
    """Who a broadcast could not reach (each in the log, with Meta's reason)."""
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        LOGGER.warning(
            "%s: BROADCAST to %s failed: %s",
            label,
            outcome.target.describe(),
            outcome.error,
        )
    return failed


def _nobody(label: str, skipped: int) -> HomeAssistantError:
    """A BROADCAST with nobody to send to is an error, never a silent success."""
    placeholders = {"service": label}
    if skipped:
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="broadcast_all_closed",
            translation_placeholders={**placeholders, "skipped": str(skipped)},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="broadcast_no_audience",
        translation_placeholders=placeholders,
    )


async def async_reply_get_my_id(runtime: FacebookRuntime, psid: str) -> None:
    """Answer "get my id" with the person's PSID (a reply: allowed inside their window)."""
    target = runtime.book.person(psid)
    outgoing = OutgoingMessage(message={"text": f"Your ID is {psid}"})
    outcome = await deliver_one(
        runtime.client, target, [outgoing], SendOptions(MESSAGING_TYPE_RESPONSE)
    )
    if outcome.error is not None or outcome.leftover:
        LOGGER.warning(
            "Could not answer 'get my id' from %s: %s", psid, outcome.error or outcome.reason
        )


async def async_answer(runtime: FacebookRuntime, psid: str, text: str, mid: str | None) -> None:
    """Assist's answer to a person: a reply quoting their question (`mid`)."""
    await async_send_quoting(
        runtime, psid, text, mid, data={"messaging_type": MESSAGING_TYPE_RESPONSE}
    )


async def async_send_quoting(
    runtime: FacebookRuntime,
    psid: str,
    text: str,
    mid: str | None,
    *,
    data: dict[str, Any] | None = None,
    label: str | None = None,
) -> None:
    """`text` to a person quoting the message `mid`, or unquoted when Meta refuses the quote as
    a bad request before any part of it went out (the message was unsent meanwhile), so a
    message is never lost to its quote."""
    data = data or {}
    if mid:
        try:
            await async_send(
                runtime,
                text,
                title=None,
                targets=[psid],
                data={**data, "reply_to": mid},
                label=label,
            )
        except SendFailed as err:
            if not _quote_refused(err.outcomes):
                raise
            LOGGER.info(
                "Meta refused to quote the message %s to %s (%s); sending it without the quote",
                mid,
                psid,
                err.outcomes[0].error,
            )
        else:
            return
    await async_send(runtime, text, title=None, targets=[psid], data=data or None, label=label)


def _quote_refused(outcomes: list[DeliveryOutcome]) -> bool:
    """Meta refused the quoted answer as a bad request before any part of it went out."""
    (outcome,) = outcomes  # an answer goes to one person
    return not outcome.sent and isinstance(outcome.error, GraphInvalidRequestError)
