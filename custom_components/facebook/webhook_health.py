"""Inbound never dies quietly: the page's webhook checked, healed, and what it missed read back.

Meta unsubscribes an app from a page's webhook after about an hour of failed deliveries (Home
Assistant down, the internet down, a certificate expired) and only e-mails the app's developer:
events would stop for good while every send still works. So, once Home Assistant has started
and every 6 hours, a page whose webhook is in use checks that Meta still delivers to it: the
page's subscription (`GET /{page_id}/subscribed_apps`) and, with the app's credentials, the app's
webhook (`GET /{app_id}/subscriptions`: active, at this callback URL). What is missing is
subscribed again (`facebook_webhook_resubscribed`); what cannot be is a repair issue, and the
page's **Webhook** sensor turns off. Then what people wrote while Home Assistant was deaf (since
it last heard from Meta) is read back and fired, oldest first, with `catch_up: true`.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks
"""

from __future__ import annotations

from datetime import timedelta
import time

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.start import async_at_started

from .background import BackgroundJob
from .const import ISSUE_WEBHOOK_UNSUBSCRIBED, LOGGER, WEBHOOK_PATH
from .events import async_fire_resubscribed
from .issues import async_clear_issue, async_raise_issue
from .messenger import (
    SUBSCRIBED_FIELDS,
    ConversationReader,
    GraphClient,
    GraphError,
    app_token,
    app_webhooks,
    page_subscriptions,
    subscribe,
    subscribe_app,
)
from .router import WebhookRouter
from .runtime import FacebookConfigEntry, FacebookRuntime

CHECK_EVERY = timedelta(hours=6)
CLOCK_MARGIN = 60.0  # seconds read back before `since`
WEBHOOK_DOCS = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks"
)


class WebhookHealth:
    """The checks of one page's webhook, and the catch-up after an outage."""

    def __init__(
        self, hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
    ) -> None:
        """Watch the webhook of the page of `entry`."""
        self._hass = hass
        self._entry = entry
        self._runtime = runtime
        self._issue_id = f"{ISSUE_WEBHOOK_UNSUBSCRIBED}_{entry.entry_id}"
        self._job = BackgroundJob(hass, f"{runtime.settings.label} webhook check")
        self._cancel: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self, router: WebhookRouter) -> None:
        """Check once Home Assistant has started, then every 6 hours.

        At Home Assistant's start it was deaf since it stopped: the first check catches up.
        (A page set up later, or reloaded, was listening: nothing to read back.)
        """
        self._router = router
        self._catch_up_first = not self._hass.is_running
        self._cancel = [
            async_at_started(self._hass, self._async_started),
            async_track_time_interval(
                self._hass, self._async_every, CHECK_EVERY, cancel_on_shutdown=True
            ),
        ]

    @callback
    def async_stop(self) -> None:
        """No more checks (the page goes, or Home Assistant stops)."""
        for cancel in self._cancel:
            cancel()
        self._cancel = []
        self._job.async_stop()

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        self._job.async_start(self.async_check(catch_up=self._catch_up_first))

    @callback
    def _async_every(self, _now: object) -> None:
        if not self._job.running:
            self._job.async_start(self.async_check())

    async def async_check(self, *, catch_up: bool = False) -> None:
        """Check both subscriptions, heal what is missing, and catch up when it was deaf."""
        state = self._runtime.webhook
        try:
            healed = await self._async_heal_page()
            healed |= await self._async_heal_app()
        except GraphError as err:
            self._async_unsubscribed(err)
            return
        state.async_set_subscribed(True)
        async_clear_issue(self._hass, self._issue_id)
        if catch_up:  # since Home Assistant stopped (what was heard since must not hide it)
            await self.async_catch_up(state.deaf_since)
        elif healed:  # since Meta's webhook last reached the page
            await self.async_catch_up(state.heard_until)

    async def _async_heal_page(self) -> bool:
        """The page's subscription with every field; True when it had to be made again."""
        runtime = self._runtime
        page_id = str(runtime.page.id)
        apps = await page_subscriptions(runtime.client, page_id)
        app_id = runtime.settings.app_id
        ours = [fields for app, fields in apps.items() if app_id is None or app == app_id]
        wanted = runtime.webhook_fields
        if any(fields >= set(wanted) for fields in ours):
            return False
        LOGGER.warning("%s: the page's webhook subscription is missing; subscribing", self._label)
        await subscribe(runtime.client, page_id, wanted)
        async_fire_resubscribed(self._hass, page_id, "page")
        return True

    async def _async_heal_app(self) -> bool:
        """The app's webhook, active at this callback URL; True when it had to be set again.

        Without the app's credentials it can't be read; without an external URL Home Assistant
        can't say where it is, and a webhook a person set by hand is left alone.
        """
        settings = self._runtime.settings
        if not (settings.app_id and settings.app_secret):
            return False
        url = self._callback_url()
        app = self._app_client()
        hooks = [h for h in await app_webhooks(app, settings.app_id) if h.object == "page"]
        if any(h.active and (url is None or h.callback_url == url) for h in hooks):
            return False
        if url is None:
            LOGGER.warning(
                "%s: the app's webhook is not active, and Home Assistant has no external URL "
                "to set it to (Settings > System > Network)",
                self._label,
            )
            return False
        LOGGER.warning("%s: the app's webhook was not active here; setting it again", self._label)
        await subscribe_app(app, settings.app_id, url, settings.verify_token, SUBSCRIBED_FIELDS)
        async_fire_resubscribed(self._hass, self._runtime.page.id, "app")
        return True

    async def async_catch_up(self, since: float | None) -> None:
        """Fire what allowed people wrote after `since` (oldest first; what the webhook
        delivered already is recognised by its mid, and fires nothing).

        A margin covers a clock of Home Assistant's ahead of Meta's (the stop time is ours,
        the times of messages Meta's): rereading a minute costs nothing, as seen mids don't fire.
        """
        runtime, state = self._runtime, self._runtime.webhook
        started = time.time()
        if since is None or not runtime.book:
            state.async_note_heard(started)  # a new page: nothing was missed yet
            return
        reader = ConversationReader(runtime.client, str(runtime.page.id))
        try:
            events = await reader.written_since(since - CLOCK_MARGIN, set(runtime.book))
        except GraphError as err:
            LOGGER.warning("%s: could not read back what was missed: %s", self._label, err)
            return  # the next check tries again from the same time
        if events:
            LOGGER.info("%s: %d message(s) written while deaf", self._label, len(events))
            self._router.async_dispatch(events, signed_by=None)
        state.async_note_heard(started)

    @callback
    def _async_unsubscribed(self, err: GraphError) -> None:
        """Meta would not say, or would not subscribe again: the user must look."""
        LOGGER.error("%s: the webhook can't be checked or subscribed: %s", self._label, err)
        self._runtime.webhook.async_set_subscribed(False)
        async_raise_issue(
            self._hass,
            self._issue_id,
            ISSUE_WEBHOOK_UNSUBSCRIBED,
            {"page": self._label, "error": str(err)},
            learn_more_url=WEBHOOK_DOCS,
        )

    def _callback_url(self) -> str | None:
        """The webhook's URL under Home Assistant's external URL, if it has one."""
        try:
            base = get_url(self._hass, allow_internal=False, prefer_external=True)
        except NoURLAvailableError:
            return None
        return f"{base.rstrip('/')}{WEBHOOK_PATH}"

    def _app_client(self) -> GraphClient:
        settings = self._runtime.settings
        return GraphClient(
            self._runtime.client.session,
            app_token(str(settings.app_id), str(settings.app_secret)),
            version=settings.graph_api_version,
            base_url=settings.graph_url,
        )

    @property
    def _label(self) -> str:
        return self._runtime.settings.label
