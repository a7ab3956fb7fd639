"""BROADCAST: everyone the page can reach, one Send API call per person, at Meta's pace.

Meta shut its Broadcast API in 2020, so a broadcast is a fan-out over the Send API: to
`allowed_chat_ids` plus every person who wrote to the page. People whose 24-hour window is
known to be closed are skipped unless the call carries a tag. The page's rate limiter keeps
the whole page under 300 calls per second; a second broadcast waits for the first.
"""

from __future__ import annotations

from collections.abc import Sequence

from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_BROADCAST_FINISHED, LOGGER
from .delivery import async_deliver
from .messages import Part, SendOptions
from .page import MessengerPage
from .targets import Target

# People in flight at once: fills 300 calls/s at up to ~0.3 s per call, and stays under the
# shared session's 100 connections per host (a call must not hold its pacing slot while it
# waits for a connection).
BROADCAST_CONCURRENCY = 96


def audience_of(page: MessengerPage) -> list[str]:
    """Everyone a broadcast goes to: allowed people first, then everyone who wrote."""
    return list(dict.fromkeys([*page.allowed, *page.audience.people]))


async def async_broadcast(page: MessengerPage, parts: Sequence[Part], options: SendOptions) -> None:
    """Send `parts` to the whole audience; fires `facebook_broadcast_finished`."""
    async with page.broadcast_lock:
        now = dt_util.utcnow()
        targets: list[Target] = []
        skipped = 0
        for psid in audience_of(page):
            if options.tag is None and page.audience.window_closed(psid, now):
                skipped += 1
                continue
            targets.append(page.allowed.person(psid))
        LOGGER.info(
            "notify.%s: BROADCAST to %d people (%d skipped: window closed)",
            page.service_name,
            len(targets),
            skipped,
        )
        outcomes = (
            await async_deliver(page, targets, parts, options, concurrency=BROADCAST_CONCURRENCY)
            if targets
            else []
        )
        failed = [outcome for outcome in outcomes if outcome.error is not None]
        queued = sum(1 for outcome in outcomes if outcome.queued)
        sent = len(outcomes) - len(failed) - queued
        for outcome in failed:
            LOGGER.warning(
                "notify.%s: BROADCAST to %s failed: %s",
                page.service_name,
                outcome.target.describe(),
                outcome.error,
            )
        page.hass.bus.async_fire(
            EVENT_BROADCAST_FINISHED,
            {
                "page_id": page.page_id,
                "sent": sent,
                "skipped": skipped,
                "failed": len(failed),
                "queued": queued,
            },
        )
    if not targets:
        _raise_nobody(page, skipped)
    if failed and not sent and not queued:
        first = failed[0].error
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="broadcast_failed",
            translation_placeholders={
                "service": page.service_name,
                "failed": str(len(failed)),
                "error": str(first),
            },
        )


def _raise_nobody(page: MessengerPage, skipped: int) -> None:
    """A BROADCAST with nobody to send to is an error, never a silent success."""
    if skipped:
        key, placeholders = "broadcast_all_closed", {"skipped": str(skipped)}
    else:
        key, placeholders = "broadcast_no_audience", {}
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"service": page.service_name, **placeholders},
    )
