"""One page at run time, built in one place from its settings (a YAML entry, or a config entry).

`async_build_runtime` is the composition root of a page: it makes the client, the pacer, the
audience and its window timers, and the outbox, wires them with narrow arguments, loads what was
stored, and hands back a `FacebookRuntime`. Nothing below it builds collaborators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util, slugify

from . import log_filter
from .const import (
    CONF_ALLOWED_CHAT_IDS,
    CONF_APP_SECRET,
    CONF_GRAPH_API_VERSION,
    CONF_GRAPH_URL,
    CONF_MESSAGING_TYPE,
    CONF_OUTBOX_TTL,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_TAG,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    LOGGER,
)
from .events import PageRef
from .issues import TokenHealth
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
from .messenger.models import Target
from .messenger.outbox import OutboxQueue
from .messenger.pacing import PageRateLimiter
from .messenger.recipients import AddressBook
from .outbox_runner import OutboxRunner
from .window_watch import StoredAudience, WindowWatch


@dataclass(frozen=True, slots=True)
class Timing:
    """How patient a page is. One seam: tests shorten these, and nothing else."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_timeout: float = REQUEST_TIMEOUT
    outbox_backoff: Backoff = field(default_factory=lambda: Backoff(5.0, 300.0))
    lookup_backoff: Backoff = field(default_factory=lambda: Backoff(10.0, 300.0, factor=3.0))


DEFAULT_TIMING = Timing()


@dataclass(frozen=True, slots=True)
class PageSettings:
    """What a page is configured with, however it was configured."""

    service_name: str
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

    @classmethod
    def from_yaml(cls, config: Mapping[str, Any]) -> PageSettings:
        """The settings of a validated `notify: - platform: facebook` entry."""
        token: str = config[CONF_PAGE_ACCESS_TOKEN]
        tag = config.get(CONF_TAG)
        return cls(
            service_name=slugify(config.get(CONF_NAME) or "notify"),
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
        )

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What must never reach a log line."""
        return (self.token, self.verify_token, self.app_secret)


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
    broadcast_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
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

    def broadcast_recipients(self, tag: str | None, now: datetime) -> tuple[list[Target], int]:
        """Everyone a broadcast goes to (allowed people first), and how many were skipped."""
        audience = self.audience.audience
        people = dict.fromkeys([*self.book, *audience.people])
        targets = [self.book.person(p) for p in people if not audience.is_closed(p, now, tag)]
        return targets, len(people) - len(targets)

    @callback
    def note_result(self, error: Exception | None, *, sent: bool = False) -> None:
        """What a call says about the token: rejected (190), or working again."""
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
                self._async_look_up(), f"{DOMAIN} {self.settings.service_name} page look-up"
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
                    "notify.%s: can't look up the page yet (%s); retrying in %.0f s",
                    self.settings.service_name,
                    err,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self.page.id, self.page.name = info.id, info.name
            LOGGER.info(
                "notify.%s sends as page %s (%s)", self.settings.service_name, info.name, info.id
            )
            self.token.async_accepted()
            return

    @callback
    def async_stop(self) -> None:
        """Stop timers and background work (what waits in the outbox stays on disk)."""
        self.windows.async_stop()
        self.outbox.async_stop()
        if self._lookup is not None:
            self._lookup.cancel()
        log_filter.stop_redacting(*self.settings.secrets)


async def async_build_runtime(
    hass: HomeAssistant, settings: PageSettings, *, timing: Timing | None = None
) -> FacebookRuntime:
    """Build a page's runtime and load what it stored (its audience, its outbox)."""
    timing = timing or DEFAULT_TIMING
    log_filter.redact_secrets(*settings.secrets)
    page = PageRef(settings.service_name)
    book = AddressBook(settings.people)
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
    )
    token = TokenHealth(hass, settings.service_name)
    audience = StoredAudience(hass, settings.service_name)
    windows = WindowWatch(hass, audience, book, settings.window_warning, page)

    def window_closed(psid: str, tag: str | None) -> bool:
        return audience.audience.is_closed(psid, dt_util.utcnow(), tag)

    outbox = OutboxRunner(
        hass,
        OutboxQueue(settings.outbox_ttl),
        client,
        page,
        token,
        window_closed,
        backoff=timing.outbox_backoff,
    )
    runtime = FacebookRuntime(
        hass, settings, timing, page, book, limiter, client, token, audience, windows, outbox
    )
    await audience.async_load()
    await outbox.async_load()
    windows.async_start()
    return runtime
