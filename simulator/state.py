"""The simulated world: pages, the people who write to them, the clock and saved attachments.

Kept free of HTTP so the Graph routes, the control API and the webhook side all read and change
the same plain objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
import time

TOKEN_STATES = ("valid", "expired", "invalidated")
WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600
ATTACHMENT_TTL_SECONDS = 90 * 24 * 3600  # reference §2.2: attachment ids expire after 90 days


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
        """The page whose token this is (a linear scan: there are only a few pages)."""
        if not token:
            return None
        for page in self.pages.values():
            if page.token == token:
                return page
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
