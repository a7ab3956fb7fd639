"""Repair issues: what a user must fix on Meta's side or in their configuration."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_PAGE_RESTRICTED,
    ISSUE_UNAUTHENTICATED_WEBHOOK,
    LOGGER,
    WEBHOOK_PATH,
)
from .messenger import GraphAuthError, GraphError, GraphPageRestrictedError

WEBHOOK_DOCS = "https://developers.facebook.com/docs/messenger-platform/webhooks"
POLICY_DOCS = "https://developers.facebook.com/docs/messenger-platform/policy/policy-overview"


class PageHealth:
    """What Meta's answers say about a page, learnt from every Graph call it makes (the client
    reports each outcome here): a rejected token (190) asks for a new one, once; a page Meta
    restricted from sending (10/1893063) is a repair issue until a send goes through again."""

    def __init__(
        self,
        hass: HomeAssistant,
        label: str,
        issue_key: str,
        on_rejected: Callable[[GraphAuthError], None],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Watch the page `label` (its repair issues named after `issue_key`); `on_rejected`
        asks the user for a new token (the entry's reauthentication), `on_change` hears the
        token's changes of state."""
        self._hass = hass
        self._label = label
        self._restricted_issue = f"{ISSUE_PAGE_RESTRICTED}_{issue_key}"
        self._on_rejected = on_rejected
        self.on_change = on_change
        self.rejected = False
        self.restricted = False
        self.last_error: str | None = None  # Meta's last refusal, as `code 10/2018278`

    @callback
    def async_observe(self, error: GraphError | None, sent: bool) -> None:
        """One Graph call ended (`sent`: a Send API call): answered (None), or refused."""
        if error is None:
            self._async_answered(sent)
            return
        if error.code is not None:
            self.last_error = error.code_text
        if isinstance(error, GraphAuthError) and not self.rejected:
            LOGGER.error(
                "%s: Meta rejected the page access token (%s)", self._label, error.code_text
            )
            self._async_set(rejected=True)
            self._on_rejected(error)
        elif isinstance(error, GraphPageRestrictedError) and not self.restricted:
            LOGGER.error("%s: Meta restricted the page from sending: %s", self._label, error)
            self.restricted = True
            async_raise_issue(
                self._hass,
                self._restricted_issue,
                ISSUE_PAGE_RESTRICTED,
                {"page": self._label, "error": str(error)},
                learn_more_url=POLICY_DOCS,
            )

    @callback
    def _async_answered(self, sent: bool) -> None:
        if self.rejected:
            self._async_set(rejected=False)
            LOGGER.info("%s: the page access token works again", self._label)
        if sent and self.restricted:
            self.restricted = False
            async_clear_issue(self._hass, self._restricted_issue)
            LOGGER.info("%s: the page may send again", self._label)

    @callback
    def _async_set(self, *, rejected: bool) -> None:
        self.rejected = rejected
        if self.on_change is not None:
            self.on_change()


@callback
def async_raise_issue(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    placeholders: dict[str, str],
    *,
    learn_more_url: str | None = None,
    severity: ir.IssueSeverity = ir.IssueSeverity.ERROR,
) -> None:
    """Show a repair issue (not fixable from the UI: the fix is on Meta's side or in YAML)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders=placeholders,
        learn_more_url=learn_more_url,
    )


@callback
def async_clear_issue(hass: HomeAssistant, issue_id: str) -> None:
    """The problem is gone: so is its repair issue."""
    ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_unsigned_webhook(hass: HomeAssistant) -> None:
    """The webhook took unsigned traffic: anyone who can reach it can forge events."""
    LOGGER.warning(
        "No app_secret is configured: %s accepts unsigned events, so anyone who can reach "
        "it can forge messages",
        WEBHOOK_PATH,
    )
    async_raise_issue(
        hass,
        ISSUE_UNAUTHENTICATED_WEBHOOK,
        ISSUE_UNAUTHENTICATED_WEBHOOK,
        {"path": WEBHOOK_PATH},
        learn_more_url=WEBHOOK_DOCS,
        severity=ir.IssueSeverity.WARNING,
    )


@callback
def async_signed_webhook(hass: HomeAssistant) -> None:
    """A page with an app secret exists: the webhook checks signatures."""
    async_clear_issue(hass, ISSUE_UNAUTHENTICATED_WEBHOOK)
