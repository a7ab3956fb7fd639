"""The webhook's side of every page: which page an event belongs to, and what it means.

One router serves every page, routed by `entry[].id`. It decides, in one place, what each event
from Meta does: a redelivery fires nothing, a user action moves the person's window, "get my
id" is answered, and an event from an allowed person fires its Home Assistant event, then answers
the question waiting for it (`facebook.ask`), or else goes to Assist when it asks. Everything
here runs on the event loop before the webhook answers 200, and is cheap; the only network work,
the replies, runs in the background.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .assist import asks_assist
from .const import DOMAIN, LOGGER
from .events import async_fire_inbound
from .get_my_id import GetMyId, asks_for_id
from .messenger import WINDOW, MessagingEvent, TemplateStatusChange
from .redelivery import Redeliveries
from .runtime import FacebookRuntime
from .webhook_auth import WebhookAuth

DATA_ROUTER: HassKey[WebhookRouter] = HassKey(DOMAIN)


class WebhookRouter:
    """The pages of this Home Assistant, as the webhook sees them."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the router (once per Home Assistant)."""
        self.hass = hass
        self.pages: dict[str, FacebookRuntime] = {}
        self.auth = WebhookAuth(hass)
        self.redeliveries = Redeliveries(hass)
        self.get_my_id = GetMyId(hass)

    async def async_load(self) -> None:
        """Read what the router remembers across restarts."""
        await self.redeliveries.async_load()

    @callback
    def async_add(self, runtime: FacebookRuntime) -> None:
        """Serve one more page through the webhook (its events are routed once its id is
        known; its verify token and app secret count at once)."""
        if runtime.page.id is not None:
            self.pages[runtime.page.id] = runtime
        self.auth.async_add(runtime.verify_token, runtime.app_secret)

    @callback
    def async_remove(self, runtime: FacebookRuntime) -> None:
        """Stop serving a page (its entry was unloaded)."""
        if runtime.page.id is not None and self.pages.get(runtime.page.id) is runtime:
            del self.pages[runtime.page.id]
        self.auth.async_remove(runtime.verify_token, runtime.app_secret)

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
        moved: set[tuple[FacebookRuntime, str]] = set()  # windows that moved: told once each
        for event in sorted(events, key=lambda e: e.timestamp):
            runtime = self._runtime_for(event, signed_by)
            if runtime is None:
                continue
            runtime.webhook.async_note_heard(event.timestamp / 1000)
            if not self.redeliveries.first_time(event):
                continue
            try:
                fired += self._handle(runtime, event, now, moved)
            except Exception:
                LOGGER.exception("Could not handle a %s webhook event", event.kind)
        for runtime, psid in moved:
            runtime.async_window_moved(psid)
        return fired

    @callback
    def async_template_changes(
        self, changes: Iterable[TemplateStatusChange], signed_by: Collection[bytes] | None
    ) -> None:
        """Meta reviewed a page's utility template again: tell that page."""
        for change in changes:
            runtime = self.pages.get(change.page_id)
            if runtime is None or not _signed_for(runtime, signed_by):
                continue
            if runtime.utility is not None:
                runtime.utility.async_on_status(change)

    def _runtime_for(
        self, event: MessagingEvent, signed_by: Collection[bytes] | None
    ) -> FacebookRuntime | None:
        runtime = self.pages.get(event.page_id)
        if runtime is None:
            LOGGER.debug("Webhook event for page %s, which is not configured", event.page_id)
            self.get_my_id.async_note_stranger(event)
            return None
        if not _signed_for(runtime, signed_by):
            LOGGER.warning(
                "Webhook entry for page %s was signed with another app's secret; ignored",
                event.page_id,
            )
            return None
        return runtime

    def _handle(
        self,
        runtime: FacebookRuntime,
        event: MessagingEvent,
        now: float,
        moved: set[tuple[FacebookRuntime, str]],
    ) -> int:
        """What one event does; 1 if it fired a Home Assistant event."""
        if event.kind == "echo":
            return 0
        # A clock ahead of ours (or a forged time) can't open a window in the future.
        if event.is_user_action and runtime.async_record_user_action(
            event.sender_id, min(event.timestamp / 1000, now)
        ):
            moved.add((runtime, event.sender_id))
        if asks_for_id(event):
            self.get_my_id.async_answer(runtime, event.sender_id)
            return 0
        if event.sender_id not in runtime.book:
            LOGGER.debug(
                "Webhook %s from %s, who is not in allowed_chat_ids", event.kind, event.sender_id
            )
            return 0
        inbound = runtime.inbound
        if inbound is not None and inbound.takes(event):
            # Attachments are saved (and voice transcribed) first; the event fires after them.
            inbound.async_process(event, lambda e, extra: self._fire(runtime, e, now, extra))
        else:
            self._fire(runtime, event, now, None)
        return 1

    def _fire(
        self,
        runtime: FacebookRuntime,
        event: MessagingEvent,
        now: float,
        extra: dict[str, Any] | None,
    ) -> None:
        """The event's Home Assistant event; Assist answers typed text, and voice by its
        transcript."""
        async_fire_inbound(self.hass, event, runtime.book.name_of(event.sender_id), extra)
        transcript = (extra or {}).get("transcript")
        if transcript and event.kind == "message" and not (event.text or "").strip():
            event = replace(event, text=transcript)
        if runtime.asks.async_answer(event):
            return  # the answer to a question (facebook.ask), typed or spoken: not for Assist
        if runtime.assist is not None and asks_assist(event) and _answerable(event, now):
            runtime.assist.async_ask(event)


def _signed_for(runtime: FacebookRuntime, signed_by: Collection[bytes] | None) -> bool:
    """A page with its own app secret only takes what that secret signed."""
    secret = runtime.app_secret
    return not secret or signed_by is None or secret in signed_by


def _answerable(event: MessagingEvent, now: float) -> bool:
    """Whether a reply may still go: a message read back after an outage may be older than
    the person's 24-hour window (it fires, but Assist does not answer it)."""
    return not event.catch_up or now - event.timestamp / 1000 < WINDOW.total_seconds()
