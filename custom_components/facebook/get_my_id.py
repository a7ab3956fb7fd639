""" "get my id": anyone who writes it gets their PSID back, at most once a minute each.

The webhook also remembers who wrote to a page that is not set up yet, so the setup can offer
them by PSID. Both memories are bounded: a stranger could write from endless accounts.
"""

from __future__ import annotations

import time

from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, GET_MY_ID, GET_MY_ID_INTERVAL, GET_MY_ID_MEMORY, LOGGER
from .messenger import BoundedMap, MessagingEvent
from .runtime import FacebookRuntime
from .sending import async_reply_get_my_id

STRANGERS_MEMORY = 1000


def asks_for_id(event: MessagingEvent) -> bool:
    """Whether a message is "get my id" (any case, trimmed)."""
    return (
        event.kind in ("message", "quick_reply")
        and event.text is not None
        and event.text.strip().casefold() == GET_MY_ID
    )


class GetMyId:
    """Answers "get my id", and remembers who wrote to pages that are not set up."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nobody answered yet."""
        self._hass = hass
        self._answered: BoundedMap[str, float] = BoundedMap(GET_MY_ID_MEMORY)
        self._strangers: BoundedMap[tuple[str, str], float] = BoundedMap(STRANGERS_MEMORY)

    @callback
    def async_answer(self, runtime: FacebookRuntime, psid: str) -> None:
        """Tell `psid` their id, in the background, unless they were told less than a minute
        ago."""
        now = time.monotonic()
        last = self._answered.get(psid)
        if last is not None and now - last < GET_MY_ID_INTERVAL:
            LOGGER.debug("'get my id' from %s answered less than a minute ago", psid)
            return
        self._answered.put(psid, now)
        self._hass.async_create_background_task(
            async_reply_get_my_id(runtime, psid), f"{DOMAIN} get-my-id reply to {psid}"
        )

    @callback
    def async_note_stranger(self, event: MessagingEvent) -> None:
        """Someone acted on a page that is not set up (yet)."""
        if event.is_user_action:
            self._strangers.put((event.page_id, event.sender_id), event.timestamp / 1000)

    def seen_writing_to(self, page_id: str) -> list[str]:
        """The PSIDs seen writing to a page that was not set up then."""
        return [psid for page, psid in self._strangers if page == page_id]
