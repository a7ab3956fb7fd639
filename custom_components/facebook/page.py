"""The composition root of a page: everything a config entry's page needs, built and wired here.

Nothing below builds its own collaborators: each gets what it uses as an argument. The client
reports every Graph outcome to the page's token health, so whatever call learns that Meta
rejected the token (a send, a typing indicator, the profile, the utility template) asks the user
for a new one.
"""

from __future__ import annotations

from functools import partial

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes

from . import log_filter, runtime as runtime_module
from .assist import Assist
from .attachments import AttachmentSaver, SavedMedia
from .events import PageRef, async_signal_photo, async_signal_token
from .inbound_media import InboundMedia
from .issues import PageHealth
from .keepalive import KeepAlive
from .messenger import (
    MEDIA_SEND_RATE_PER_SECOND,
    SEND_RATE_PER_SECOND,
    AddressBook,
    GraphClient,
    OutboxQueue,
    PageRateLimiter,
    SendOptions,
    meta_language,
)
from .outbox_runner import OutboxRunner
from .profile_sync import ProfileSync
from .runtime import FacebookConfigEntry, FacebookRuntime, PageSettings, Timing
from .sending import async_answer
from .utility import UtilityTemplate
from .voice import Transcriber
from .webhook_state import WebhookState
from .window_watch import StoredAudience, WindowWatch


async def async_build_runtime(
    hass: HomeAssistant, entry: FacebookConfigEntry, timing: Timing | None = None
) -> FacebookRuntime:
    """Build the page of `entry` and load what it stored (its audience, its outbox)."""
    settings = PageSettings.from_entry(entry)
    timing = timing or runtime_module.DEFAULT_TIMING
    log_filter.redact_secrets(*settings.secrets)
    page = PageRef(settings.label, id=settings.page_id)
    health = PageHealth(
        hass,
        settings.label,
        entry.entry_id,
        on_rejected=lambda _err: entry.async_start_reauth(hass),
    )
    health.on_change = partial(_async_token_changed, hass, entry, health, page)
    limiter = PageRateLimiter(SEND_RATE_PER_SECOND, MEDIA_SEND_RATE_PER_SECOND)
    client = GraphClient(
        async_get_clientsession(hass),
        settings.token,
        app_secret=settings.app_secret,
        version=settings.graph_api_version,
        base_url=settings.graph_url,
        retry=timing.retry,
        limiter=limiter,
        timeout=timing.request_timeout,
        encode_json=json_bytes,
        on_result=health.async_observe,
    )
    book = AddressBook(settings.people)
    audience = StoredAudience(hass, settings.storage_key)
    keep_alive = _keep_alive(hass, settings, client, book, page)
    windows = WindowWatch(
        hass,
        audience,
        book,
        settings.window_warning,
        page,
        on_warning=keep_alive.async_send if keep_alive else None,
    )
    outbox = OutboxRunner(
        hass,
        OutboxQueue(settings.outbox_ttl),
        client,
        page,
        audience.is_closed,
        settings.storage_key,
        backoff=timing.outbox_backoff,
    )
    runtime = FacebookRuntime(
        hass,
        settings,
        timing,
        page,
        book,
        limiter,
        client,
        health,
        audience,
        windows,
        outbox,
        ProfileSync(hass, client, page, settings.profile, settings.storage_key),
        WebhookState(hass, settings.storage_key, settings.page_id),
    )
    if settings.utility_template:
        language = meta_language(hass.config.language)
        runtime.utility = UtilityTemplate(hass, client, page, language, settings.storage_key)
    runtime.inbound = _inbound(hass, settings, timing, page)
    if settings.conversation_agent:
        runtime.assist = Assist(
            hass,
            settings.conversation_agent,
            client,
            book,
            page,
            settings.users,
            timing,
            reply=partial(async_answer, runtime),
        )
    await audience.async_load()
    await runtime.webhook.async_load()
    await outbox.async_load()
    windows.async_start()
    return runtime


@callback
def _async_token_changed(
    hass: HomeAssistant, entry: FacebookConfigEntry, health: PageHealth, page: PageRef
) -> None:
    """The page's entities show it; a token that works again needs no new one after all."""
    async_signal_token(hass, page.id)
    if not health.rejected:
        for flow in list(entry.async_get_active_flows(hass, {SOURCE_REAUTH})):
            hass.config_entries.flow.async_abort(flow["flow_id"])


def _inbound(
    hass: HomeAssistant, settings: PageSettings, timing: Timing, page: PageRef
) -> InboundMedia | None:
    """What the page does with what people send: save it, transcribe voice (or neither)."""
    if not settings.save_attachments and not settings.speech_to_text:
        return None
    session = async_get_clientsession(hass)
    saver = AttachmentSaver(hass, session, page) if settings.save_attachments else None
    transcriber = None
    if settings.speech_to_text:
        transcriber = Transcriber(hass, settings.speech_to_text, settings.label)

    @callback
    def on_photo(psid: str, saved: SavedMedia) -> None:
        async_signal_photo(hass, page.id, psid, saved.path)

    return InboundMedia(
        hass,
        settings.label,
        saver,
        transcriber,
        signed=settings.app_secret is not None,
        timeout=timing.media_timeout,
        on_photo=on_photo,
    )


def _keep_alive(
    hass: HomeAssistant,
    settings: PageSettings,
    client: GraphClient,
    book: AddressBook,
    page: PageRef,
) -> KeepAlive | None:
    """The keep-alive sender, when the page asks for one."""
    if not settings.keep_alive:
        return None
    options = SendOptions(settings.messaging_type, settings.tag)
    return KeepAlive(
        hass, client, book, page, settings.keep_alive_message, options, settings.keep_alive_off
    )
