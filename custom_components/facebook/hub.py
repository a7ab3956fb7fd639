"""What all configured pages share: the one webhook view, routing, and redelivery memory."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK, LOGGER, SEEN_EVENTS_MAX, WEBHOOK_PATH

if TYPE_CHECKING:
    from .page import MessengerPage

DATA_HUB: HassKey[FacebookHub] = HassKey(DOMAIN)


class RecentKeys:
    """A set that remembers only its newest `maxlen` keys, so memory stays bounded."""

    def __init__(self, maxlen: int) -> None:
        """Remember at most `maxlen` keys."""
        self.maxlen = maxlen
        self._order: deque[str] = deque()
        self._keys: set[str] = set()

    def add(self, key: str) -> bool:
        """Add `key`; False if it was already there (a redelivery)."""
        if key in self._keys:
            return False
        self._keys.add(key)
        self._order.append(key)
        if len(self._order) > self.maxlen:
            self._keys.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        """How many keys are remembered."""
        return len(self._keys)


class FacebookHub:
    """The pages of this Home Assistant, as the webhook sees them."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the hub (once per Home Assistant)."""
        self.hass = hass
        self.pages: list[MessengerPage] = []
        self.seen = RecentKeys(SEEN_EVENTS_MAX)

    @callback
    def async_add_page(self, page: MessengerPage) -> None:
        """Serve one more page through the webhook."""
        self.pages.append(page)
        self._async_update_webhook_issue()

    def app_secrets(self) -> list[bytes]:
        """The distinct app secrets of all pages."""
        return list(dict.fromkeys(p.app_secret for p in self.pages if p.app_secret))

    def verify_token_matches(self, candidate: str) -> bool:
        """Whether a handshake token is any page's verify token (every page compared)."""
        raw = candidate.encode()
        return any([page.verify_token_matches(raw) for page in self.pages])  # noqa: C419

    def route(self, entry_id: str) -> MessengerPage | None:
        """The page an `entry[].id` belongs to."""
        for page in self.pages:
            if page.page_id == entry_id:
                return page
        if len(self.pages) == 1 and self.pages[0].page_id is None:
            # A single page takes entries before its id is known.
            return self.pages[0]
        return None

    @callback
    def _async_update_webhook_issue(self) -> None:
        if self.app_secrets():
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK)
            return
        LOGGER.warning(
            "No app_secret is configured: %s accepts unsigned events, so anyone who can reach "
            "it can forge messages",
            WEBHOOK_PATH,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_UNAUTHENTICATED_WEBHOOK,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_UNAUTHENTICATED_WEBHOOK,
            translation_placeholders={"path": WEBHOOK_PATH},
            learn_more_url="https://developers.facebook.com/docs/messenger-platform/webhooks",
        )


@callback
def async_get_hub(hass: HomeAssistant) -> FacebookHub:
    """The hub, created with its webhook view on first use (one view, however many pages)."""
    hub = hass.data.get(DATA_HUB)
    if hub is None:
        from .webhook import FacebookWebhookView

        hub = hass.data[DATA_HUB] = FacebookHub(hass)
        hass.http.register_view(FacebookWebhookView(hub))
    return hub
