"""What all configured pages share: the one webhook view, routing, and redelivery memory."""

from __future__ import annotations

from collections import deque
import hashlib
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK, LOGGER, SEEN_EVENTS_MAX, WEBHOOK_PATH
from .storage import STORAGE_VERSION, async_load_field

if TYPE_CHECKING:
    from .page import MessengerPage

DATA_HUB: HassKey[FacebookHub] = HassKey(DOMAIN)
# The redelivery memory is saved at most this many seconds after it changed.
SEEN_SAVE_DELAY = 2.0
DIGEST_HEX_LENGTH = 32


class RecentKeys:
    """A set that remembers only its newest `maxlen` keys, so memory stays bounded.

    Keys are kept as fixed-size digests: an event's key may carry its text, and neither memory
    nor the saved file may grow with what a sender writes.
    """

    def __init__(self, maxlen: int) -> None:
        """Remember at most `maxlen` keys."""
        self.maxlen = maxlen
        self._order: deque[str] = deque()
        self._keys: set[str] = set()

    def add(self, key: str) -> bool:
        """Add `key`; False if it was already there (a redelivery)."""
        raw = key.encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(raw, digest_size=DIGEST_HEX_LENGTH // 2).hexdigest()
        if digest in self._keys:
            return False
        self._remember(digest)
        return True

    def _remember(self, digest: str) -> None:
        self._keys.add(digest)
        self._order.append(digest)
        if len(self._order) > self.maxlen:
            self._keys.discard(self._order.popleft())

    def dump(self) -> list[str]:
        """The remembered digests, oldest first (the stored form)."""
        return list(self._order)

    def restore(self, digests: object) -> None:
        """Remember stored digests again (anything that is not one is skipped)."""
        if not isinstance(digests, list):
            return
        valid = [d for d in digests if isinstance(d, str) and len(d) == DIGEST_HEX_LENGTH]
        for digest in valid[-self.maxlen :]:
            if digest not in self._keys:
                self._remember(digest)

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
        self._seen_store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.webhook_seen", private=True, atomic_writes=True
        )
        self._seen_save_pending = False
        self._unsigned_noted = False

    async def async_load(self) -> None:
        """Read the redelivery memory saved before the last stop (a redelivery after a
        restart fires nothing)."""
        self.seen.restore(await async_load_field(self._seen_store, "seen"))

    def first_delivery(self, key: str) -> bool:
        """Whether an event is new (False: a redelivery); new keys are saved shortly."""
        if not self.seen.add(key):
            return False
        if not self._seen_save_pending:
            self._seen_save_pending = True
            self._seen_store.async_delay_save(self._seen_data, SEEN_SAVE_DELAY)
        return True

    def _seen_data(self) -> dict[str, Any]:
        self._seen_save_pending = False
        return {"seen": self.seen.dump()}

    @callback
    def async_add_page(self, page: MessengerPage) -> None:
        """Serve one more page through the webhook."""
        self.pages.append(page)
        if page.app_secret:
            ir.async_delete_issue(self.hass, DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK)

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
    def async_note_unsigned(self) -> None:
        """Meta (or anyone) reached the webhook while no page has an app secret.

        Only then is the webhook worth a warning: a send-only setup never gets one.
        """
        if self._unsigned_noted or self.app_secrets():
            return
        self._unsigned_noted = True
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
    if hub is None:  # async_setup made it, and loaded its memory, before any platform
        from .webhook import FacebookWebhookView

        hub = hass.data[DATA_HUB] = FacebookHub(hass)
        hass.http.register_view(FacebookWebhookView(hub))
    return hub
