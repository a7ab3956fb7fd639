"""Keep notifications on: before a person's window closes, ask for a tap that reopens it.

`keep_alive` (off by default): `window_warning` before an allowed person's window closes, the page
sends its keep-alive message with one quick reply, **Keep notifications on** (payload
`FACEBOOK_KEEP_ALIVE`). The tap is a user action: it reopens the window and fires
`facebook_message` like any tap. Once per window (the audience remembers the warning, saved at
once), never to a window already closed, never to a person who turned it off.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, LOGGER
from .events import PageRef, async_fire_delivered
from .messenger import AddressBook, GraphClient, OutgoingMessage, SendOptions, deliver_one

KEEP_ALIVE_PAYLOAD = "FACEBOOK_KEEP_ALIVE"
KEEP_ALIVE_TITLE = "Keep notifications on"
DEFAULT_KEEP_ALIVE_MESSAGE = "Tap to keep getting notifications from home."


class KeepAlive:
    """Sends a page's keep-alive message to one person at a time, in the background."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: GraphClient,
        book: AddressBook,
        page: PageRef,
        message: str,
        options: SendOptions,
        skip: frozenset[str],
    ) -> None:
        """Send `message` as `page`, except to the people in `skip`."""
        self._hass = hass
        self._client = client
        self._book = book
        self._page = page
        self._options = options
        self._skip = skip
        quick_reply = {
            "content_type": "text",
            "title": KEEP_ALIVE_TITLE,
            "payload": KEEP_ALIVE_PAYLOAD,
        }
        self._message = OutgoingMessage(message={"text": message, "quick_replies": [quick_reply]})

    def wanted_by(self, psid: str) -> bool:
        """Whether this person gets keep-alive messages."""
        return psid in self._book and psid not in self._skip

    @callback
    def async_send(self, psid: str) -> None:
        """Send the keep-alive message to `psid` (in the background: a timer asked)."""
        if self.wanted_by(psid):
            self._hass.async_create_background_task(
                self._async_send(psid), f"{DOMAIN} keep-alive to {psid}"
            )

    async def _async_send(self, psid: str) -> None:
        target = self._book.person(psid)
        outcome = await deliver_one(self._client, target, [self._message], self._options)
        async_fire_delivered(self._hass, self._page.id, outcome)
        if outcome.error is not None or outcome.leftover:
            LOGGER.warning(
                "%s: the keep-alive message to %s failed: %s",
                self._page.label,
                target.describe(),
                outcome.error or outcome.reason,
            )
