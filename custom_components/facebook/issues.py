"""Repair issues: what a user must fix on Meta's side or in their configuration."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_INVALID_TOKEN, ISSUE_UNAUTHENTICATED_WEBHOOK, LOGGER, WEBHOOK_PATH
from .messenger.errors import GraphAuthError

TOKEN_DOCS = "https://developers.facebook.com/docs/pages/access-tokens"
WEBHOOK_DOCS = "https://developers.facebook.com/docs/messenger-platform/webhooks"


class TokenHealth:
    """Whether Meta accepts a page's token; a rejected one becomes a repair issue until a call
    succeeds again (the YAML way: a config entry asks for reauthentication instead)."""

    def __init__(
        self,
        hass: HomeAssistant,
        label: str,
        issue_key: str,
        on_rejected: Callable[[GraphAuthError], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Watch the token of the page `label`; the repair issue is named after `issue_key`.

        With `on_rejected`, that is what a rejection does instead of the repair issue (a config
        entry starts its reauthentication); `on_change` hears every change of state.
        """
        self._hass = hass
        self._label = label
        self._issue_key = issue_key
        self._issue_id = f"{ISSUE_INVALID_TOKEN}_{issue_key}"
        self._on_rejected = on_rejected
        self._on_change = on_change
        self.rejected = False

    @callback
    def async_rejected(self, err: GraphAuthError) -> None:
        """Meta rejected the token: tell the user through a repair issue."""
        LOGGER.error(
            "%s: Meta rejected the page access token (%s); see Settings > Repairs",
            self._label,
            err.code_text,
        )
        changed, self.rejected = not self.rejected, True
        if changed and self._on_change is not None:
            self._on_change()
        if self._on_rejected is not None:
            self._on_rejected(err)
            return
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_INVALID_TOKEN,
            translation_placeholders={"service": self._issue_key, "code": err.code_text},
            learn_more_url=TOKEN_DOCS,
        )

    @callback
    def async_accepted(self) -> None:
        """A call succeeded: the token works (again)."""
        if self.rejected:
            self.rejected = False
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
            LOGGER.info("%s: the page access token works again", self._label)
            if self._on_change is not None:
                self._on_change()


@callback
def async_unsigned_webhook(hass: HomeAssistant) -> None:
    """The webhook took unsigned traffic: anyone who can reach it can forge events."""
    LOGGER.warning(
        "No app_secret is configured: %s accepts unsigned events, so anyone who can reach "
        "it can forge messages",
        WEBHOOK_PATH,
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_UNAUTHENTICATED_WEBHOOK,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_UNAUTHENTICATED_WEBHOOK,
        translation_placeholders={"path": WEBHOOK_PATH},
        learn_more_url=WEBHOOK_DOCS,
    )


@callback
def async_signed_webhook(hass: HomeAssistant) -> None:
    """A page with an app secret exists: the webhook checks signatures."""
    ir.async_delete_issue(hass, DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK)
