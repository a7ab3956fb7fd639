"""The webhook's side of every page: which page an event belongs to, and what it means.

One router serves every page (YAML and config entries alike), routed by `entry[].id`. It decides,
in one place, what each event from Meta does: a redelivery fires nothing, a user action moves the
person's window, "get my id" is answered (at most once a minute per person), and an event from an
allowed person fires its Home Assistant event. Everything here runs on the event loop before the
webhook answers 200, and is cheap; the only network work, the reply, runs in the background.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .assist import Assist, asks_assist
from .const import DOMAIN, GET_MY_ID, GET_MY_ID_INTERVAL, GET_MY_ID_MEMORY, LOGGER, SEEN_EVENTS_MAX
from .events import async_fire_inbound
from .issues import async_signed_webhook, async_unsigned_webhook
from .messenger.bounded import BoundedMap
from .messenger.models import MessagingEvent, TemplateStatusChange
from .messenger.webhook import Deduplicator
from .runtime import FacebookRuntime
from .sending import async_reply_get_my_id
from .store import async_load_field, private_store

DATA_ROUTER: HassKey[WebhookRouter] = HassKey(DOMAIN)
# The redelivery memory is saved at most this many seconds after it changed.
SEEN_SAVE_DELAY = 2.0
STRANGERS_MEMORY = 1000


class WebhookRouter:
    """The pages of this Home Assistant, as the webhook sees them."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the router (once per Home Assistant)."""
        self.hass = hass
        self.runtimes: list[FacebookRuntime] = []
        self.seen = Deduplicator(SEEN_EVENTS_MAX)
        self._seen_store = private_store(hass, "webhook_seen", atomic=True)
        self._seen_save_pending = False
        self._answered: BoundedMap[str, float] = BoundedMap(GET_MY_ID_MEMORY)
        self._unsigned_noted = False
        self.bad_signatures = 0
        # People who wrote to a page that is not set up yet (the setup offers them by PSID).
        self._strangers: BoundedMap[tuple[str, str], float] = BoundedMap(STRANGERS_MEMORY)
        self._assists: dict[int, Assist] = {}  # by id(runtime): pages that answer with Assist

    async def async_load(self) -> None:
        """Read the redelivery memory saved before the last stop (a redelivery after a
        restart fires nothing)."""
        self.seen.restore(await async_load_field(self._seen_store, "seen"))

    @callback
    def async_add(self, runtime: FacebookRuntime) -> None:
        """Serve one more page through the webhook."""
        self.runtimes.append(runtime)
        if runtime.app_secret:
            async_signed_webhook(self.hass)
        if runtime.settings.conversation_agent:
            self._assists[id(runtime)] = Assist(runtime, runtime.settings.conversation_agent)

    @callback
    def async_remove(self, runtime: FacebookRuntime) -> None:
        """Stop serving a page (its entry was unloaded)."""
        if runtime in self.runtimes:
            self.runtimes.remove(runtime)
        if (assist := self._assists.pop(id(runtime), None)) is not None:
            assist.async_stop()

    def runtime_for_page(
        self, page_id: str | None, *, besides: FacebookRuntime | None = None
    ) -> FacebookRuntime | None:
        """The page set up already with this id (other than `besides`), if any."""
        return next(
            (r for r in self.runtimes if r is not besides and page_id and r.page.id == page_id),
            None,
        )

    @callback
    def async_identified(self, runtime: FacebookRuntime) -> None:
        """A YAML page learnt its id: it is refused if that page is set up already.

        The same page twice (in YAML and from the UI) would answer every message twice.
        """
        other = self.runtime_for_page(runtime.page.id, besides=runtime)
        if other is None or other.settings.entry_id is None:
            return  # two YAML entries of one page (several services) are fine, as always
        runtime.refused_by = other.settings.label
        self.async_remove(runtime)
        runtime.async_stop()
        LOGGER.error(
            "The page %s (%s) is set up twice, as %s and as %s: %s is not used (remove one)",
            runtime.page.name,
            runtime.page.id,
            other.settings.label,
            runtime.settings.label,
            runtime.settings.label,
        )

    def seen_writing_to(self, page_id: str) -> list[str]:
        """The PSIDs the webhook saw write to a page that was not set up then."""
        return [psid for page, psid in self._strangers if page == page_id]

    def app_secrets(self) -> list[bytes]:
        """The distinct app secrets of all pages."""
        return list(dict.fromkeys(r.app_secret for r in self.runtimes if r.app_secret))

    def verify_tokens(self) -> list[bytes]:
        """Every page's handshake token."""
        return [runtime.verify_token for runtime in self.runtimes]

    @callback
    def async_note_unsigned(self) -> None:
        """The webhook took traffic while no page has an app secret: warn, once.

        Only then is the webhook worth a warning: a send-only setup never gets one.
        """
        if not self._unsigned_noted and not self.app_secrets():
            self._unsigned_noted = True
            async_unsigned_webhook(self.hass)

    def route(self, entry_id: str) -> FacebookRuntime | None:
        """The page an `entry[].id` belongs to."""
        for runtime in self.runtimes:
            if runtime.page.id == entry_id:
                return runtime
        if len(self.runtimes) == 1 and self.runtimes[0].page.id is None:
            return self.runtimes[0]  # a single page takes entries before its id is known
        return None

    @callback
    def async_dispatch(
        self, events: Iterable[MessagingEvent], signed_by: Collection[bytes] | None
    ) -> int:
        """Handle a batch in timestamp order; returns how many events were fired.

        `signed_by` holds the app secrets the body's signature matched (None: no page has one).
        A page with its own app secret only takes entries signed with it.
        """
        fired = 0
        now = dt_util.utcnow().timestamp()
        for event in sorted(events, key=lambda e: e.timestamp):
            runtime = self._runtime_for(event, signed_by)
            if runtime is None or not self._first_delivery(event):
                continue
            try:
                fired += self._handle(runtime, event, now)
            except Exception:
                LOGGER.exception("Could not handle a %s webhook event", event.kind)
        return fired

    @callback
    def async_template_changes(
        self, changes: Iterable[TemplateStatusChange], signed_by: Collection[bytes] | None
    ) -> None:
        """Meta reviewed a page's utility template again: tell that page."""
        for change in changes:
            runtime = self.route(change.page_id)
            if runtime is None or not _signed_for(runtime, signed_by):
                continue
            if runtime.utility is not None:
                runtime.utility.async_on_status(change)

    def _runtime_for(
        self, event: MessagingEvent, signed_by: Collection[bytes] | None
    ) -> FacebookRuntime | None:
        runtime = self.route(event.page_id)
        if runtime is None:
            LOGGER.debug("Webhook event for page %s, which is not configured", event.page_id)
            if event.is_user_action:
                self._strangers.put((event.page_id, event.sender_id), event.timestamp / 1000)
            return None
        if not _signed_for(runtime, signed_by):
            LOGGER.warning(
                "Webhook entry for page %s was signed with another app's secret; ignored",
                event.page_id,
            )
            return None
        return runtime

    def _first_delivery(self, event: MessagingEvent) -> bool:
        """Whether an event is new (False: a redelivery); the memory is saved shortly."""
        if not self.seen.first_time(event):
            LOGGER.debug("Redelivered webhook event ignored: %s", event.mid or event.kind)
            return False
        if not self._seen_save_pending:
            self._seen_save_pending = True
            self._seen_store.async_delay_save(self._seen_data, SEEN_SAVE_DELAY)
        return True

    def _seen_data(self) -> dict[str, Any]:
        self._seen_save_pending = False
        return {"seen": self.seen.dump()}

    def _handle(self, runtime: FacebookRuntime, event: MessagingEvent, now: float) -> int:
        """What one event does; 1 if it fired a Home Assistant event."""
        if event.kind == "echo":
            return 0
        if event.is_user_action:
            # A clock ahead of ours (or a forged time) can't open a window in the future.
            runtime.async_record_user_action(event.sender_id, min(event.timestamp / 1000, now))
        if _asks_for_id(event):
            self._async_answer_get_my_id(runtime, event.sender_id)
            return 0
        if event.sender_id not in runtime.book:
            LOGGER.debug(
                "Webhook %s from %s, who is not in allowed_chat_ids", event.kind, event.sender_id
            )
            return 0
        async_fire_inbound(self.hass, event, runtime.book.name_of(event.sender_id))
        if (assist := self._assists.get(id(runtime))) is not None and asks_assist(event):
            assist.async_ask(event)
        return 1

    @callback
    def _async_answer_get_my_id(self, runtime: FacebookRuntime, psid: str) -> None:
        now = time.monotonic()
        last = self._answered.get(psid)
        if last is not None and now - last < GET_MY_ID_INTERVAL:
            LOGGER.debug("'get my id' from %s answered less than a minute ago", psid)
            return
        self._answered.put(psid, now)
        self.hass.async_create_background_task(
            async_reply_get_my_id(runtime, psid), f"{DOMAIN} get-my-id reply to {psid}"
        )


def _signed_for(runtime: FacebookRuntime, signed_by: Collection[bytes] | None) -> bool:
    """A page with its own app secret only takes what that secret signed."""
    secret = runtime.app_secret
    return not secret or signed_by is None or secret in signed_by


def _asks_for_id(event: MessagingEvent) -> bool:
    return (
        event.kind in ("message", "quick_reply")
        and event.text is not None
        and event.text.strip().casefold() == GET_MY_ID
    )
