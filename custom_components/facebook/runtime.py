"""One page at run time: its settings, read from its config entry, and its collaborators.

Every page is a config entry, whichever front door made it (the UI, or the import of a YAML
`notify: - platform: facebook` entry), so `PageSettings.from_entry` is the only way settings are
read. `page.async_build_runtime` wires a `FacebookRuntime` from them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback

from .asks import Asks
from .assist import Assist
from .const import (
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_ATTACHMENTS_KEEP_DAYS,
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
    CONF_SAVE_ATTACHMENTS,
    CONF_SPEECH_TO_TEXT,
    CONF_TAG,
    CONF_USER_ID,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_ATTACHMENTS_KEEP_DAYS,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    SUBENTRY_TYPE_PERSON,
)
from .events import PageRef, async_signal_window
from .inbound_media import InboundMedia
from .issues import PageHealth
from .keepalive import DEFAULT_KEEP_ALIVE_MESSAGE
from .messenger import (
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    MESSAGING_TYPE_TAG,
    REQUEST_TIMEOUT,
    SUBSCRIBED_FIELDS,
    AddressBook,
    Backoff,
    GraphClient,
    JSONDict,
    PageRateLimiter,
    PersonTurns,
    RetryPolicy,
    Target,
    TemplateState,
    build_profile,
)
from .outbox_runner import OutboxRunner
from .profile_sync import ProfileSync
from .store import storage_key
from .utility import UtilityTemplate
from .webhook_state import WebhookState
from .window_watch import StoredAudience, WindowWatch


@dataclass(frozen=True, slots=True)
class Timing:
    """How patient a page is. One seam: tests shorten these, and nothing else."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_timeout: float = REQUEST_TIMEOUT
    outbox_backoff: Backoff = field(default_factory=lambda: Backoff(5.0, 300.0))
    # How long to keep asking Meta who the page is, after it could not answer at setup.
    lookup_backoff: Backoff = field(default_factory=lambda: Backoff(10.0, 300.0, factor=3.0))
    # How long setup waits for Meta before the page starts anyway (its calls wait in the
    # outbox, and the check goes on in the background): Home Assistant's start never waits.
    setup_check: float = 10.0
    # How long a conversation agent may think before the person hears it could not answer (a
    # local intent takes milliseconds, a cloud LLM a few seconds: past this they gave up).
    agent_timeout: float = 30.0
    # How long an agent may think before the person sees it typing (0: at once). A quicker
    # answer comes alone: a typing indicator first would only hold it back by its round trip.
    typing_after: float = 0.5
    # How long a message's attachments may take (saving, transcribing) before its event fires
    # without them.
    media_timeout: float = 60.0


DEFAULT_TIMING = Timing()


@dataclass(frozen=True, slots=True)
class PageSettings:
    """What a page is configured with (its config entry's data, options and people)."""

    label: str  # how logs and errors name the page: `notify.<name>` (YAML), else its title
    storage_key: str  # its files: facebook.audience.<key>, facebook.outbox.<key>, ...
    token: str
    verify_token: str
    app_secret: str | None
    people: Mapping[str, str | None]  # PSID -> name (or None)
    messaging_type: str
    tag: str | None
    window_warning: timedelta
    outbox_ttl: timedelta
    page_id: str | None  # None only for a YAML import Meta has not answered yet
    graph_api_version: str = DEFAULT_GRAPH_API_VERSION
    graph_url: str = DEFAULT_GRAPH_URL
    app_id: str | None = None
    keep_alive: bool = False
    keep_alive_message: str = DEFAULT_KEEP_ALIVE_MESSAGE
    keep_alive_off: frozenset[str] = frozenset()  # people who turned it off
    utility_template: bool = False
    conversation_agent: str | None = None  # Assist answers allowed people (None: off)
    profile: JSONDict = field(default_factory=dict)  # the Messenger Profile properties
    users: Mapping[str, str] = field(default_factory=dict)  # PSID -> linked Home Assistant user
    save_attachments: bool = True  # what people send is kept in the media folder
    attachments_keep_days: int = DEFAULT_ATTACHMENTS_KEEP_DAYS
    speech_to_text: str | None = None  # the stt entity voice notes go to (None: off)

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> PageSettings:
        """The settings of a config entry: its data, its options, its person subentries."""
        data, options = entry.data, entry.options
        tag = options.get(CONF_TAG) or None
        persons = [
            s.data for s in entry.subentries.values() if s.subentry_type == SUBENTRY_TYPE_PERSON
        ]
        return cls(
            label=entry_label(entry),
            storage_key=storage_key(entry),
            token=data[CONF_PAGE_ACCESS_TOKEN],
            verify_token=data.get(CONF_VERIFY_TOKEN) or data[CONF_PAGE_ACCESS_TOKEN],
            app_secret=data.get(CONF_APP_SECRET) or None,
            people={str(p[CONF_PSID]): p.get(CONF_NAME) or None for p in persons},
            messaging_type=options.get(CONF_MESSAGING_TYPE)
            or (MESSAGING_TYPE_TAG if tag else DEFAULT_MESSAGING_TYPE),
            tag=tag,
            window_warning=_period(options.get(CONF_WINDOW_WARNING), DEFAULT_WINDOW_WARNING),
            outbox_ttl=_period(options.get(CONF_OUTBOX_TTL), DEFAULT_OUTBOX_TTL),
            page_id=data.get(CONF_PAGE_ID) or None,
            graph_api_version=data.get(CONF_GRAPH_API_VERSION) or DEFAULT_GRAPH_API_VERSION,
            graph_url=data.get(CONF_GRAPH_URL) or DEFAULT_GRAPH_URL,
            app_id=data.get(CONF_APP_ID) or None,
            keep_alive=bool(options.get(CONF_KEEP_ALIVE, False)),
            keep_alive_message=options.get(CONF_KEEP_ALIVE_MESSAGE) or DEFAULT_KEEP_ALIVE_MESSAGE,
            keep_alive_off=frozenset(
                str(p[CONF_PSID]) for p in persons if not p.get(CONF_KEEP_ALIVE, True)
            ),
            utility_template=bool(options.get(CONF_UTILITY_TEMPLATE, False)),
            conversation_agent=options.get(CONF_CONVERSATION_AGENT) or None,
            profile=profile_of(options),
            users={str(p[CONF_PSID]): str(p[CONF_USER_ID]) for p in persons if p.get(CONF_USER_ID)},
            save_attachments=bool(options.get(CONF_SAVE_ATTACHMENTS, True)),
            attachments_keep_days=int(
                options.get(CONF_ATTACHMENTS_KEEP_DAYS) or DEFAULT_ATTACHMENTS_KEEP_DAYS
            ),
            speech_to_text=options.get(CONF_SPEECH_TO_TEXT) or None,
        )

    @property
    def webhook_in_use(self) -> bool:
        """Whether the page listens (a verify token was set): a send-only page is not checked."""
        return self.verify_token != self.token

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What must never reach a log line."""
        return (self.token, self.verify_token, self.app_secret)


def entry_label(entry: ConfigEntry) -> str:
    """How logs and errors name a page: a YAML page by its service, as it always was."""
    name = entry.data.get(CONF_NAME)
    return f"notify.{name}" if name else entry.title


def profile_of(config: Mapping[str, Any]) -> JSONDict:
    """The Messenger Profile an entry's options ask for (validated)."""
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


@dataclass(slots=True, eq=False)  # one object per page: compared (and hashed) by identity
class FacebookRuntime:
    """A page's collaborators, wired; the window onto its state for the rest of the glue."""

    hass: HomeAssistant
    settings: PageSettings
    timing: Timing
    page: PageRef
    book: AddressBook
    limiter: PageRateLimiter
    client: GraphClient
    health: PageHealth
    audience: StoredAudience
    windows: WindowWatch
    outbox: OutboxRunner
    profile: ProfileSync
    webhook: WebhookState
    utility: UtilityTemplate | None = None
    assist: Assist | None = None
    inbound: InboundMedia | None = None  # attachments saved and voice transcribed
    turns: PersonTurns = field(default_factory=PersonTurns)
    asks: Asks = field(default_factory=Asks)  # questions waiting for an answer (facebook.ask)
    broadcast_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    album_refusal_logged: bool = False  # Meta refused an album's form: said once in the log

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
    def async_record_user_action(self, psid: str, when: float) -> bool:
        """A person acted on the page: their window opens at `when` (epoch seconds). True when
        an allowed person's window moved (`async_window_moved` then tells their entities)."""
        return self.audience.record(psid, when) and psid in self.book

    @callback
    def async_window_moved(self, psid: str) -> None:
        """An allowed person's window moved: its warning timer and entities follow."""
        self.windows.async_schedule(psid)
        async_signal_window(self.hass, self.page.id, psid)

    def broadcast_recipients(
        self, tag: str | None, *, closed_too: bool = False
    ) -> tuple[list[Target], int]:
        """Everyone a broadcast goes to (allowed people first), and how many were skipped:
        those whose window for such a message is known to be closed, unless `closed_too`."""
        people = dict.fromkeys([*self.book, *self.audience.people])
        targets = [
            self.book.person(p) for p in people if closed_too or not self.audience.is_closed(p, tag)
        ]
        return targets, len(people) - len(targets)

    @property
    def webhook_fields(self) -> tuple[str, ...]:
        """The page's webhook fields: what people do, and the template's reviews if followed."""
        field = self.utility.review_field if self.utility is not None else None
        return (*SUBSCRIBED_FIELDS, field) if field else SUBSCRIBED_FIELDS

    def usable_template(self, target: Target | None = None) -> TemplateState | None:
        """The approved utility template (for a person reached by PSID), if there is one."""
        utility = self.utility
        if utility is None or not utility.usable or (target is not None and not target.psid):
            return None
        return utility.state

    @callback
    def async_stop(self) -> None:
        """Stop timers and background work (what waits in the outbox stays on disk); a
        question waiting for an answer ends with an error."""
        self.asks.async_stop(self.settings.label)
        self.windows.async_stop()
        self.outbox.async_stop()
        self.profile.async_stop()
        if self.utility is not None:
            self.utility.async_stop()
        if self.assist is not None:
            self.assist.async_stop()
        if self.inbound is not None:
            self.inbound.async_stop()


type FacebookConfigEntry = ConfigEntry[FacebookRuntime]
