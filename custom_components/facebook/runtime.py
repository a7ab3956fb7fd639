"""One page at run time, built in one place from its settings (a YAML entry, or a config entry).

`async_build_runtime` is the composition root of a page: it makes the client, the pacer, the
audience and its window timers, and the outbox, wires them with narrow arguments, loads what was
stored, and hands back a `FacebookRuntime`. Nothing below it builds collaborators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util, slugify

from . import log_filter
from .const import (
    CONF_ALLOWED_CHAT_IDS,
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_COMMANDS,
    CONF_CONVERSATION_AGENT,
    CONF_GET_STARTED,
    CONF_GRAPH_API_VERSION,
    CONF_GRAPH_URL,
    CONF_ICE_BREAKERS,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_MESSAGE,
    CONF_MENU,
    CONF_MESSAGING_TYPE,
    CONF_OUTBOX_TTL,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_PAGE_ID,
    CONF_PSID,
    CONF_TAG,
    CONF_USER_ID,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_PERSON,
)
from .events import PageRef, async_signal_window
from .issues import TokenHealth
from .keepalive import DEFAULT_KEEP_ALIVE_MESSAGE, KeepAlive
from .messenger.backoff import Backoff
from .messenger.client import REQUEST_TIMEOUT, GraphClient, RetryPolicy
from .messenger.const import (
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    MEDIA_SEND_RATE_PER_SECOND,
    MESSAGING_TYPE_TAG,
    SEND_RATE_PER_SECOND,
)
from .messenger.errors import GraphAuthError, GraphError
from .messenger.models import JSONDict, SendOptions, Target
from .messenger.outbox import OutboxQueue
from .messenger.pacing import PageRateLimiter
from .messenger.profile import build_profile
from .messenger.recipients import AddressBook
from .messenger.templates import TemplateState, meta_language
from .outbox_runner import OutboxRunner
from .profile_sync import ProfileSync
from .utility import UtilityTemplate
from .window_watch import StoredAudience, WindowWatch


@dataclass(frozen=True, slots=True)
class Timing:
    """How patient a page is. One seam: tests shorten these, and nothing else."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_timeout: float = REQUEST_TIMEOUT
    outbox_backoff: Backoff = field(default_factory=lambda: Backoff(5.0, 300.0))
    lookup_backoff: Backoff = field(default_factory=lambda: Backoff(10.0, 300.0, factor=3.0))
    # How long a conversation agent may think before the person hears it could not answer (a
    # local intent takes milliseconds, a cloud LLM a few seconds: past this they gave up).
    agent_timeout: float = 30.0
    # How long an agent may think before the person sees it typing (0: at once). A quicker
    # answer comes alone: a typing indicator first would only hold it back by its round trip.
    typing_after: float = 0.5


DEFAULT_TIMING = Timing()


@dataclass(frozen=True, slots=True)
class PageSettings:
    """What a page is configured with, however it was configured."""

    service_name: str  # notify.<service_name> (YAML); the slug of the title (config entries)
    label: str  # how logs and errors name the page: `notify.facebook`, or the entry's title
    storage_key: str  # its files: facebook.audience.<key>, facebook.outbox.<key>
    token: str
    verify_token: str
    app_secret: str | None
    people: Mapping[str, str | None]  # PSID -> name (or None)
    messaging_type: str
    tag: str | None
    window_warning: timedelta
    outbox_ttl: timedelta
    graph_api_version: str = DEFAULT_GRAPH_API_VERSION
    graph_url: str = DEFAULT_GRAPH_URL
    page_id: str | None = None  # known up front for a config entry; looked up for YAML
    app_id: str | None = None
    entry_id: str | None = None  # a config entry's page (None: YAML)
    keep_alive: bool = False
    keep_alive_message: str = DEFAULT_KEEP_ALIVE_MESSAGE
    keep_alive_off: frozenset[str] = frozenset()  # people who turned it off
    utility_template: bool = False
    conversation_agent: str | None = None  # Assist answers allowed people (None: off)
    profile: JSONDict = field(default_factory=dict)  # the Messenger Profile properties
    users: Mapping[str, str] = field(default_factory=dict)  # PSID -> linked Home Assistant user

    @classmethod
    def from_yaml(cls, config: Mapping[str, Any]) -> PageSettings:
        """The settings of a validated `notify: - platform: facebook` entry."""
        token: str = config[CONF_PAGE_ACCESS_TOKEN]
        tag = config.get(CONF_TAG)
        service_name = slugify(config.get(CONF_NAME) or "notify")
        return cls(
            service_name=service_name,
            label=f"notify.{service_name}",
            storage_key=service_name,
            token=token,
            verify_token=str(config.get(CONF_VERIFY_TOKEN) or token),
            app_secret=config.get(CONF_APP_SECRET),
            people=config.get(CONF_ALLOWED_CHAT_IDS) or {},
            messaging_type=config.get(CONF_MESSAGING_TYPE)
            or (MESSAGING_TYPE_TAG if tag else DEFAULT_MESSAGING_TYPE),
            tag=tag,
            window_warning=config.get(CONF_WINDOW_WARNING, DEFAULT_WINDOW_WARNING),
            outbox_ttl=config.get(CONF_OUTBOX_TTL, DEFAULT_OUTBOX_TTL),
            graph_api_version=config.get(CONF_GRAPH_API_VERSION, DEFAULT_GRAPH_API_VERSION),
            graph_url=config.get(CONF_GRAPH_URL, DEFAULT_GRAPH_URL),
            keep_alive=config.get(CONF_KEEP_ALIVE, False),
            conversation_agent=config.get(CONF_CONVERSATION_AGENT),
            profile=profile_of(config),
            keep_alive_message=config.get(CONF_KEEP_ALIVE_MESSAGE, DEFAULT_KEEP_ALIVE_MESSAGE),
            utility_template=config.get(CONF_UTILITY_TEMPLATE, False),
        )

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> PageSettings:
        """The settings of a config entry: its data, its options, its person subentries."""
        data, options = entry.data, entry.options
        tag = options.get(CONF_TAG) or None
        persons = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE_PERSON]
        people = {str(s.data[CONF_PSID]): str(s.data.get(CONF_NAME) or s.title) for s in persons}
        no_keep_alive = {
            str(s.data[CONF_PSID]) for s in persons if not s.data.get(CONF_KEEP_ALIVE, True)
        }
        users = {
            str(s.data[CONF_PSID]): str(s.data[CONF_USER_ID])
            for s in persons
            if s.data.get(CONF_USER_ID)
        }
        return cls(
            service_name=slugify(entry.title) or "facebook",
            label=entry.title,
            storage_key=f"entry_{entry.entry_id}",
            token=data[CONF_PAGE_ACCESS_TOKEN],
            verify_token=data.get(CONF_VERIFY_TOKEN) or data[CONF_PAGE_ACCESS_TOKEN],
            app_secret=data.get(CONF_APP_SECRET) or None,
            people=people,
            messaging_type=options.get(CONF_MESSAGING_TYPE)
            or (MESSAGING_TYPE_TAG if tag else DEFAULT_MESSAGING_TYPE),
            tag=tag,
            window_warning=_period(options.get(CONF_WINDOW_WARNING), DEFAULT_WINDOW_WARNING),
            outbox_ttl=_period(options.get(CONF_OUTBOX_TTL), DEFAULT_OUTBOX_TTL),
            graph_url=data.get(CONF_GRAPH_URL) or DEFAULT_GRAPH_URL,
            page_id=data[CONF_PAGE_ID],
            app_id=data.get(CONF_APP_ID) or None,
            entry_id=entry.entry_id,
            keep_alive=bool(options.get(CONF_KEEP_ALIVE, False)),
            keep_alive_message=options.get(CONF_KEEP_ALIVE_MESSAGE) or DEFAULT_KEEP_ALIVE_MESSAGE,
            keep_alive_off=frozenset(no_keep_alive),
            utility_template=bool(options.get(CONF_UTILITY_TEMPLATE, False)),
            conversation_agent=options.get(CONF_CONVERSATION_AGENT) or None,
            users=users,
            profile=profile_of(options),
        )

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What must never reach a log line."""
        return (self.token, self.verify_token, self.app_secret)


def profile_of(config: Mapping[str, Any]) -> JSONDict:
    """The Messenger Profile a YAML entry or a config entry's options ask for (validated)."""
    return build_profile(
        config.get(CONF_MENU),
        config.get(CONF_ICE_BREAKERS),
        config.get(CONF_COMMANDS),
        config.get(CONF_GET_STARTED) or None,
    )


def _period(value: object, default: timedelta) -> timedelta:
    """An option's time period, stored as a duration mapping ({"hours": 1}) or seconds."""
    if isinstance(value, dict):
        return timedelta(**{k: float(v) for k, v in value.items()})
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    return default


@dataclass(slots=True)
class FacebookRuntime:
    """A page's collaborators, wired; the window onto its state for the rest of the glue."""

    hass: HomeAssistant
    settings: PageSettings
    timing: Timing
    page: PageRef
    book: AddressBook
    limiter: PageRateLimiter
    client: GraphClient
    token: TokenHealth
    audience: StoredAudience
    windows: WindowWatch
    outbox: OutboxRunner
    utility: UtilityTemplate | None = None
    profile: ProfileSync | None = None
    broadcast_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Told once a YAML page knows its id (the router checks no entry serves the same page).
    on_identified: Callable[[FacebookRuntime], None] | None = None
    refused_by: str | None = None  # the label of the other setup of the same page, if refused
    last_error: str | None = None  # Meta's last refusal, as `code 10/2018278` (diagnostics)
    _lookup: asyncio.Task[None] | None = None

    @property
    def page_id(self) -> str | None:
        """The page's id, once known."""
        return self.page.id

    @property
    def verify_token(self) -> bytes:
        """The webhook handshake's token."""
        return self.settings.verify_token.encode()

    @property
    def app_secret(self) -> bytes | None:
        """The app secret that signs this page's webhook events, if configured."""
        secret = self.settings.app_secret
        return secret.encode() if secret else None

    @callback
    def async_record_user_action(self, psid: str, when: float) -> None:
        """A person acted on the page: their window opens at `when` (epoch seconds)."""
        if self.audience.record(psid, when) and psid in self.book:
            self.windows.async_schedule(psid)
            async_signal_window(self.hass, self.page.id, psid)

    def broadcast_recipients(
        self, tag: str | None, now: datetime, *, closed_too: bool = False
    ) -> tuple[list[Target], int]:
        """Everyone a broadcast goes to (allowed people first), and how many were skipped:
        those whose window for such a message is known to be closed, unless `closed_too`."""
        audience = self.audience.audience
        people = dict.fromkeys([*self.book, *audience.people])
        targets = [
            self.book.person(p) for p in people if closed_too or not audience.is_closed(p, now, tag)
        ]
        return targets, len(people) - len(targets)

    def usable_template(self, target: Target | None = None) -> TemplateState | None:
        """The approved utility template (for a person reached by PSID), if there is one."""
        utility = self.utility
        if utility is None or not utility.usable or (target is not None and not target.psid):
            return None
        return utility.state

    def window_closed(self, target: Target) -> bool:
        """Whether the target's 24-hour window is known to be closed."""
        psid = target.psid
        return psid is not None and self.audience.audience.is_closed(psid, dt_util.utcnow())

    @callback
    def note_result(self, error: Exception | None, *, sent: bool = False) -> None:
        """What a call says about the token: rejected (190), or working again."""
        if isinstance(error, GraphError):
            self.last_error = error.code_text
        if isinstance(error, GraphAuthError):
            self.token.async_rejected(error)
        elif sent:
            self.token.async_accepted()
            if self.page.id is None:
                self.async_look_up()

    @callback
    def async_look_up(self) -> None:
        """Look the page up (`GET /me`) in the background, unless a look-up runs already.

        A YAML page does this so that a network failure never blocks Home Assistant's start.
        """
        if self._lookup is None or self._lookup.done():
            self._lookup = self.hass.async_create_background_task(
                self._async_look_up(), f"{DOMAIN} {self.settings.label} page look-up"
            )

    async def _async_look_up(self) -> None:
        attempt = 0
        while True:
            try:
                info = await self.client.get_page()
            except GraphAuthError as err:
                self.token.async_rejected(err)
                return
            except GraphError as err:
                delay = self.timing.lookup_backoff.delay(attempt)
                log = LOGGER.warning if attempt == 0 else LOGGER.debug
                log(
                    "%s: can't look up the page yet (%s); retrying in %.0f s",
                    self.settings.label,
                    err,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self.page.id, self.page.name = info.id, info.name
            LOGGER.info("%s sends as page %s (%s)", self.settings.label, info.name, info.id)
            self.token.async_accepted()
            if self.on_identified is not None:
                self.on_identified(self)
            if self.utility is not None and self.refused_by is None:
                self.utility.async_start()
            return

    @callback
    def async_stop(self) -> None:
        """Stop timers and background work (what waits in the outbox stays on disk)."""
        self.windows.async_stop()
        self.outbox.async_stop()
        if self.utility is not None:
            self.utility.async_stop()
        if self.profile is not None:
            self.profile.async_stop()
        if self._lookup is not None:
            self._lookup.cancel()
        log_filter.stop_redacting(*self.settings.secrets)


async def async_build_runtime(
    hass: HomeAssistant,
    settings: PageSettings,
    *,
    timing: Timing | None = None,
    on_rejected: Callable[[GraphAuthError], None] | None = None,
    on_token_change: Callable[[], None] | None = None,
) -> FacebookRuntime:
    """Build a page's runtime and load what it stored (its audience, its outbox).

    `on_rejected` replaces the repair issue a rejected token makes (a config entry starts its
    reauthentication instead); `on_token_change` hears the token's state change.
    """
    timing = timing or DEFAULT_TIMING
    log_filter.redact_secrets(*settings.secrets)
    page = PageRef(settings.label, id=settings.page_id)
    book = AddressBook(settings.people)
    limiter = PageRateLimiter(SEND_RATE_PER_SECOND, MEDIA_SEND_RATE_PER_SECOND)
    client = _graph_client(hass, settings, timing, limiter)
    token = TokenHealth(hass, settings.label, settings.service_name, on_rejected, on_token_change)
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

    def window_closed(psid: str, tag: str | None) -> bool:
        return audience.audience.is_closed(psid, dt_util.utcnow(), tag)

    outbox = OutboxRunner(
        hass,
        OutboxQueue(settings.outbox_ttl),
        client,
        page,
        token,
        window_closed,
        settings.storage_key,
        backoff=timing.outbox_backoff,
    )
    runtime = FacebookRuntime(
        hass, settings, timing, page, book, limiter, client, token, audience, windows, outbox
    )
    if settings.utility_template:
        language = meta_language(hass.config.language)
        runtime.utility = UtilityTemplate(hass, client, page, language, settings.storage_key)
    runtime.profile = ProfileSync(hass, client, page, settings.profile, settings.storage_key)
    await audience.async_load()
    await outbox.async_load()
    windows.async_start()
    runtime.profile.async_start()
    return runtime


def _graph_client(
    hass: HomeAssistant, settings: PageSettings, timing: Timing, limiter: PageRateLimiter
) -> GraphClient:
    """The page's Graph client on Home Assistant's shared session, paced by `limiter`."""
    return GraphClient(
        async_get_clientsession(hass),
        settings.token,
        app_secret=settings.app_secret,
        version=settings.graph_api_version,
        base_url=settings.graph_url,
        retry=timing.retry,
        limiter=limiter,
        timeout=timing.request_timeout,
        encode_json=json_bytes,
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
