"""One configured page at run time: its client, identity, people, and repair issues.

A `notify:` entry becomes one `MessengerPage`. The page looks itself up (`GET /me`) in the
background so that a network failure never blocks Home Assistant's start; a token Meta
rejects (190) becomes a repair issue instead of a crash, and clears itself once a call
succeeds again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import hmac
from typing import Any

from homeassistant.const import CONF_NAME, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.json import json_bytes
from homeassistant.util import slugify

from . import log_filter
from .audience import Audience
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
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    ISSUE_INVALID_TOKEN,
    LOGGER,
    MEDIA_SEND_RATE_PER_SECOND,
    MESSAGING_TYPE_TAG,
    SEND_RATE_PER_SECOND,
)
from .graph import GraphAuthError, GraphClient, GraphError, RetryPolicy
from .outbox import Outbox
from .ratelimit import PageRateLimiter
from .targets import AllowedChats
from .window import WindowWatch

# Retry schedule of the background page look-up (seconds); the last value repeats.
IDENTIFY_RETRY_DELAYS = (10.0, 30.0, 60.0, 300.0)
# In-call retries of every Graph call, and how long one call may take.
DEFAULT_RETRY = RetryPolicy()
GRAPH_TIMEOUT = 30.0


class MessengerPage:
    """A Facebook page this Home Assistant sends as and receives for."""

    def __init__(self, hass: HomeAssistant, config: dict[str, Any]) -> None:
        """Build the page from its validated `notify:` entry."""
        self.hass = hass
        self.service_name = slugify(config.get(CONF_NAME) or "notify")
        token: str = config[CONF_PAGE_ACCESS_TOKEN]
        self._verify_token: bytes = str(config.get(CONF_VERIFY_TOKEN) or token).encode()
        secret = config.get(CONF_APP_SECRET)
        self.app_secret: bytes | None = secret.encode() if secret else None
        self._secrets = (token, config.get(CONF_VERIFY_TOKEN), secret)
        log_filter.protect(*self._secrets)
        self.allowed = AllowedChats(config.get(CONF_ALLOWED_CHAT_IDS) or {})
        self.tag: str | None = config.get(CONF_TAG)
        self.messaging_type: str = config.get(CONF_MESSAGING_TYPE) or (
            MESSAGING_TYPE_TAG if self.tag else DEFAULT_MESSAGING_TYPE
        )
        self.window_warning: timedelta = config.get(CONF_WINDOW_WARNING, DEFAULT_WINDOW_WARNING)
        self.limiter = PageRateLimiter(SEND_RATE_PER_SECOND, MEDIA_SEND_RATE_PER_SECOND)
        self.client = GraphClient(
            async_get_clientsession(hass),
            token,
            app_secret=secret,
            version=config.get(CONF_GRAPH_API_VERSION, DEFAULT_GRAPH_API_VERSION),
            base_url=config.get(CONF_GRAPH_URL, DEFAULT_GRAPH_URL),
            retry=DEFAULT_RETRY,
            limiter=self.limiter,
            timeout=GRAPH_TIMEOUT,
            encode_json=json_bytes,
        )
        self.page_id: str | None = None
        self.page_name: str | None = None
        self.audience = Audience(hass, self.service_name)
        self.windows = WindowWatch(self)
        self.outbox = Outbox(self, config.get(CONF_OUTBOX_TTL, DEFAULT_OUTBOX_TTL))
        self.broadcast_lock = asyncio.Lock()
        self._identify_task: asyncio.Task[None] | None = None
        self._token_issue = False
        # "get my id" senders -> when they were last answered (monotonic seconds).
        self.id_replies: dict[str, float] = {}

    def __repr__(self) -> str:
        """Name the page without any secret."""
        return f"<MessengerPage {self.service_name} id={self.page_id}>"

    @property
    def issue_id(self) -> str:
        """The repair issue id of this page's token."""
        return f"{ISSUE_INVALID_TOKEN}_{self.service_name}"

    async def async_start(self) -> None:
        """Load what the page remembers, set its timers, and look it up in the background."""
        await self.audience.async_load()
        await self.outbox.async_load()
        self.windows.async_start()
        self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._async_stop)
        self.async_identify()

    @callback
    def _async_stop(self, _event: Event) -> None:
        self.windows.async_stop()
        log_filter.unprotect(*self._secrets)

    @callback
    def async_identify(self) -> None:
        """Start the background look-up of the page id and name, unless one runs."""
        if self._identify_task is None or self._identify_task.done():
            self._identify_task = self.hass.async_create_background_task(
                self._async_identify(), f"{DOMAIN} {self.service_name} page look-up"
            )

    async def _async_identify(self) -> None:
        attempt = 0
        while True:
            try:
                info = await self.client.get_page()
            except GraphAuthError as err:
                self.async_token_rejected(err)
                return
            except GraphError as err:
                delay = IDENTIFY_RETRY_DELAYS[min(attempt, len(IDENTIFY_RETRY_DELAYS) - 1)]
                log = LOGGER.warning if attempt == 0 else LOGGER.debug
                log(
                    "notify.%s: can't look up the page yet (%s); retrying in %.0f s",
                    self.service_name,
                    err,
                    delay,
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self.page_id, self.page_name = info.id, info.name
            LOGGER.info("notify.%s sends as page %s (%s)", self.service_name, info.name, info.id)
            self.async_token_accepted()
            return

    @callback
    def async_note_action(self, psid: str, when: float) -> None:
        """A person acted on the page (their 24-hour window opens at `when`, epoch seconds)."""
        if self.audience.record(psid, when) and psid in self.allowed:
            self.windows.async_schedule(psid)

    def verify_token_matches(self, candidate: bytes) -> bool:
        """Constant-time check of a webhook handshake's verify token."""
        return hmac.compare_digest(self._verify_token, candidate)

    def display_name(self, psid: str) -> str | None:
        """The configured name of a person, if any."""
        return self.allowed.name_of(psid)

    @callback
    def async_token_rejected(self, err: GraphAuthError) -> None:
        """Meta rejected the token: tell the user through a repair issue."""
        LOGGER.error(
            "notify.%s: Meta rejected the page access token (%s); see Settings > Repairs",
            self.service_name,
            err.code_text,
        )
        self._token_issue = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_INVALID_TOKEN,
            translation_placeholders={"service": self.service_name, "code": err.code_text},
            learn_more_url="https://developers.facebook.com/docs/pages/access-tokens",
        )

    @callback
    def async_token_accepted(self) -> None:
        """A call succeeded: the token works (again)."""
        if self._token_issue:
            self._token_issue = False
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            LOGGER.info("notify.%s: the page access token works again", self.service_name)
        if self.page_id is None:
            self.async_identify()
