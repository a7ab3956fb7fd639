"""Who may talk to the webhook: every page's verify token and app secret, in one place.

The view asks it whether a handshake's token is known and which secrets a body's signature
matches, and tells it about bad signatures (counted, logged at most once a minute) and unsigned
traffic (a repair issue, once, and only when no page has an app secret: a send-only setup is
never nagged). A config flow may add a verify token for as long as it is open: Meta checks the
callback while the flow subscribes the app.
"""

from __future__ import annotations

from collections import Counter
import time

from homeassistant.core import HomeAssistant, callback

from .const import LOGGER
from .issues import async_signed_webhook, async_unsigned_webhook
from .messenger import SIGNATURE_HEADER

# At most one warning about bad signatures per this many seconds.
BAD_SIGNATURE_LOG_INTERVAL = 60.0


class WebhookAuth:
    """The verify tokens and app secrets of every page, and what the webhook saw of forgers."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No page yet."""
        self._hass = hass
        self._tokens: Counter[bytes] = Counter()
        self._secrets: Counter[bytes] = Counter()
        self.verify_tokens: list[bytes] = []
        self.app_secrets: list[bytes] = []
        self.bad_signatures = 0
        self._bad_since_log = 0
        self._bad_logged_at = -BAD_SIGNATURE_LOG_INTERVAL
        self._unsigned_noted = False

    @callback
    def async_add(self, verify_token: bytes | None, app_secret: bytes | None) -> None:
        """A page (or an open config flow) joins with its verify token and app secret."""
        if verify_token:
            self._tokens[verify_token] += 1
        if app_secret:
            self._secrets[app_secret] += 1
            async_signed_webhook(self._hass)
        self._refresh()

    @callback
    def async_remove(self, verify_token: bytes | None, app_secret: bytes | None) -> None:
        """A page (or a config flow) leaves."""
        if verify_token:
            self._tokens[verify_token] -= 1
        if app_secret:
            self._secrets[app_secret] -= 1
        self._refresh()

    def _refresh(self) -> None:
        """The lists the view reads on every request, kept ready (no work per request)."""
        self.verify_tokens = [token for token, count in self._tokens.items() if count > 0]
        self.app_secrets = [secret for secret, count in self._secrets.items() if count > 0]

    @callback
    def async_note_unsigned(self) -> None:
        """The webhook took traffic while no page has an app secret: warn, once."""
        if not self._unsigned_noted and not self.app_secrets:
            self._unsigned_noted = True
            async_unsigned_webhook(self._hass)

    @callback
    def async_note_bad_signature(self, remote: str | None) -> None:
        """A body whose signature matched no app secret was refused."""
        self.bad_signatures += 1
        self._bad_since_log += 1
        now = time.monotonic()
        if now - self._bad_logged_at >= BAD_SIGNATURE_LOG_INTERVAL:
            LOGGER.warning(
                "Rejected %d webhook request(s) with a missing or invalid %s (latest from %s)",
                self._bad_since_log,
                SIGNATURE_HEADER,
                remote or "unknown address",
            )
            self._bad_logged_at = now
            self._bad_since_log = 0
