"""The simulated world: pages, the people who write to them, the clock and saved attachments,
plus the tokens the simulator issued, the pages' admins, utility templates and message ids.

Kept free of HTTP so the Graph routes, the control API and the webhook side all read and change
the same plain objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
import time
from typing import Any

TOKEN_STATES = ("valid", "expired", "invalidated")
WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600
ATTACHMENT_TTL_SECONDS = 90 * 24 * 3600  # attachment ids expire after 90 days (FIDELITY F-44)
# A short-lived user token lasts about an hour, a long-lived one 5183944 s (FIDELITY F-41).
SHORT_LIVED_SECONDS = 3600
LONG_LIVED_SECONDS = 5183944
DATA_ACCESS_SECONDS = 90 * 24 * 3600  # debug_token's (FIDELITY F-25, UNCONFIRMED)
DEFAULT_SCOPES = (
    "pages_messaging",
    "pages_show_list",
    "pages_manage_metadata",
    "pages_read_engagement",
    "pages_utility_messaging",
)
PAGE, USER = "PAGE", "USER"
# How many messages (either way) replies and reactions can name: the newest ones, so a benchmark
# of a million events does not keep a million ids.
MESSAGE_MEMORY = 5000
APP_NAME = "Messenger simulator app"


@dataclass(slots=True)
class SimPage:
    """A Facebook Page and the app that owns its token."""

    page_id: str
    name: str
    token: str
    app_secret: str | None = None
    require_appsecret_proof: bool = False
    dev_mode: bool = False
    token_state: str = "valid"
    phone_matching: bool = False
    app_id: str = "1517776481860111"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    category: str = "Home Improvement"
    # None: never managed through subscribed_apps, so every event is delivered (FIDELITY F-45).
    subscribed_fields: list[str] | None = None
    profile: dict[str, Any] = field(default_factory=dict)  # Messenger Profile properties
    # The app passed App Review for the Human Agent permission (FIDELITY.md F-09).
    human_agent_approved: bool = False
    # Meta restricted the page from sending: every send gets 10/1893063 (F-13).
    restricted: bool = False
    # Since when deliveries of this page's events have failed (None: the last one worked), and
    # when the one-hour rule dropped the app's subscription (F-01).
    failing_since: float | None = None
    unsubscribed_at: float | None = None


@dataclass(slots=True)
class SimToken:
    """A token the simulator issued; ``expires_at`` 0 means it never expires (FIDELITY F-41)."""

    token: str
    kind: str  # PAGE or USER
    app_id: str
    owner: str  # the page id (PAGE) or the user id (USER)
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float = 0.0
    invalidated: bool = False
    long_lived: bool = False
    primary: bool = False  # the page's own token from add_page: SimPage.token_state governs it
    source: str | None = None  # the user token a page token was made from
    user_id: str | None = None  # the person behind a page token, when known


@dataclass(slots=True)
class SimAdmin:
    """A Facebook user who administers pages (and logs in to apps with user tokens)."""

    user_id: str
    name: str
    pages: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SimTemplate:
    """A page-owned utility message template (FIDELITY F-32)."""

    template_id: str
    page_id: str
    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    parameter_format: str
    status: str
    created_at: float
    rejected_reason: str = "NONE"
    specific_rejection_reasons: list[str] = field(default_factory=list)
    problem: str | None = None  # a formatting problem the review will reject it for


@dataclass(slots=True)
class MessageRef:
    """A message of a conversation, either way: replies and reactions name it by mid, and the
    Conversations API reads it back."""

    mid: str
    psid: str
    page_id: str
    from_page: bool
    text: str | None
    time: float
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class AppSubscription:
    """An app's webhook for one object (``/{app-id}/subscriptions``, FIDELITY.md F-03)."""

    app_id: str
    object: str
    callback_url: str
    verify_token: str
    fields: list[str]
    include_values: bool
    version: str
    active: bool = True


@dataclass(slots=True)
class SimUser:
    """A person with a page-scoped id (PSID); ``last_inbound`` is epoch seconds."""

    psid: str
    name: str
    page_id: str
    last_inbound: float
    blocked: bool = False
    has_role: bool = True
    phone: str | None = None


@dataclass(slots=True)
class RecordedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class Attachment:
    """A saved attachment that a page can reuse by id."""

    attachment_id: str
    page_id: str
    type: str
    url: str | None
    file: RecordedFile | None
    reusable: bool
    created_at: float


def phone_digits(phone: str) -> str:
    """Digits only, so "+1 (212) 555-2368" and "12125552368" match."""
    return re.sub(r"\D", "", phone)


@dataclass
class State:
    """Everything the simulator knows; ``now()`` is wall time shifted by ``clock_offset``."""

    pages: dict[str, SimPage] = field(default_factory=dict)
    users: dict[str, SimUser] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    tokens: dict[str, SimToken] = field(default_factory=dict)
    admins: dict[str, SimAdmin] = field(default_factory=dict)
    templates: dict[str, SimTemplate] = field(default_factory=dict)
    messages: dict[str, MessageRef] = field(default_factory=dict)
    # The apps' webhooks by (app id, object), and the verify GETs Meta sent for them.
    app_subscriptions: dict[tuple[str, str], AppSubscription] = field(default_factory=dict)
    verifications: list[dict[str, Any]] = field(default_factory=list)
    # Sizes of files behind URLs a send names (the simulator fetches nothing): url -> bytes.
    remote_sizes: dict[str, int] = field(default_factory=dict)
    # Picture URLs Meta fetched (an image grid's), with whether each answered: (url, ok).
    fetches: list[tuple[str, bool]] = field(default_factory=list)
    clock_offset: float = 0.0

    def now(self) -> float:
        """Simulated epoch seconds."""
        return time.time() + self.clock_offset

    def first_page(self) -> SimPage:
        """The page users belong to unless told otherwise."""
        if not self.pages:
            raise ValueError("add a page first")
        return next(iter(self.pages.values()))

    def page_for_token(self, token: str | None) -> SimPage | None:
        """The page a page token belongs to (None for unknown and user tokens)."""
        record = self.tokens.get(token or "")
        if record is None or record.kind != PAGE:
            return None
        return self.pages.get(record.owner)

    def token_status(self, record: SimToken) -> str:
        """``valid``, ``expired`` or ``invalidated`` on the simulated clock."""
        if record.primary:
            page = self.pages.get(record.owner)
            return page.token_state if page is not None else "invalidated"
        if record.invalidated:
            return "invalidated"
        if record.expires_at and self.now() >= record.expires_at:
            return "expired"
        return "valid"

    def forget(self, mid: str) -> None:
        """The person unsent a message: it can no longer be quoted or reacted to."""
        self.messages.pop(mid, None)

    def remember(self, message: MessageRef) -> None:
        """Keep a message for ``reply_to`` and reactions (only the newest MESSAGE_MEMORY)."""
        self.messages.pop(message.mid, None)
        self.messages[message.mid] = message
        while len(self.messages) > MESSAGE_MEMORY:
            del self.messages[next(iter(self.messages))]

    def conversation(self, page_id: str, psid: str) -> list[MessageRef]:
        """The remembered messages between a page and a person, oldest first."""
        found = [m for m in self.messages.values() if m.page_id == page_id and m.psid == psid]
        return sorted(found, key=lambda message: message.time)

    def callback_for(self, app_id: str) -> str | None:
        """Where the app's page events go, if its page webhook is set and active."""
        subscription = self.app_subscriptions.get((app_id, "page"))
        if subscription is None or not subscription.active:
            return None
        return subscription.callback_url

    def app_secret(self, app_id: str) -> str | None:
        """The app's secret, from the first page of that app that has one."""
        for page in self.pages.values():
            if page.app_id == app_id and page.app_secret:
                return page.app_secret
        return None

    def template(self, page_id: str, name: str, language: str) -> SimTemplate | None:
        """The page's template with this name and language."""
        for template in self.templates.values():
            if (template.page_id, template.name, template.language) == (page_id, name, language):
                return template
        return None

    def user_by_phone(self, page_id: str, phone: str) -> SimUser | None:
        """The user of ``page_id`` with this phone number, if any."""
        wanted = phone_digits(phone)
        if not wanted:
            return None
        for user in self.users.values():
            if user.page_id == page_id and user.phone and phone_digits(user.phone) == wanted:
                return user
        return None

    def attachment_for(self, attachment_id: str, page_id: str) -> Attachment | None:
        """A live attachment this page may reuse."""
        attachment = self.attachments.get(attachment_id)
        if attachment is None or attachment.page_id != page_id:
            return None
        if self.now() - attachment.created_at > ATTACHMENT_TTL_SECONDS:
            return None
        return attachment
