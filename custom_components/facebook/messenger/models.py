"""The values that flow through the library: what is sent, to whom, and what came back or in.

Dataclasses made on every call are not frozen (frozen ones cost about three times as much to
create); the ones made once, or rarely, are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

type JSONDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PageInfo:
    """The page a token belongs to (GET /me)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the Send API answered for one accepted message."""

    recipient_id: str | None
    message_id: str | None
    attachment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """Bytes to send as the multipart `filedata` part."""

    data: bytes = field(repr=False)
    filename: str
    content_type: str


@dataclass(slots=True)
class Target:
    """One recipient of a call."""

    label: str  # as the call named it
    recipient: dict[str, str]  # the Send API `recipient` object
    psid: str | None = None
    name: str | None = None

    @property
    def is_phone(self) -> bool:
        """Sent by phone number (Customer Matching), not by PSID."""
        return "phone_number" in self.recipient

    def describe(self) -> str:
        """How error messages name this target: `alice (6543210987654321)`."""
        if self.name and self.psid:
            return f"{self.name} ({self.psid})"
        return self.label


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A call addressed to BROADCAST: everyone the page can reach."""


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Request-level fields of every Send API call of one notify call."""

    messaging_type: str
    tag: str | None = None
    notification_type: str | None = None

    def fields(self) -> JSONDict:
        """The request fields these options add."""
        out: JSONDict = {"messaging_type": self.messaging_type}
        if self.tag:
            out["tag"] = self.tag
        if self.notification_type:
            out["notification_type"] = self.notification_type
        return out


type MediaSource = Literal["url", "path", "download", "camera"]


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """Media a call asks for, before any I/O."""

    kind: str  # image | video | audio | file
    source: MediaSource
    value: str  # URL, path or camera entity id


@dataclass(frozen=True, slots=True)
class AlbumRequest:
    """`data.images`: pictures for one message (`message.attachments`)."""

    requests: tuple[MediaRequest, ...]


@dataclass(frozen=True, slots=True)
class GridImage:
    """One picture of an image grid: where it comes from, and what a tap does."""

    source: MediaRequest
    hero: bool = False
    action: JSONDict | None = None  # {"type": "web_url", url} or {"type": "postback", ...}


@dataclass(frozen=True, slots=True)
class GridRequest:
    """`data.grid`: Meta's image grid template, before its pictures have URLs."""

    images: tuple[GridImage, ...]
    title: str | None = None
    subtitle: str | None = None
    buttons: tuple[JSONDict, ...] = ()


@dataclass(slots=True)
class OutgoingMessage:
    """One Send API call: a `message` object or a sender action, maybe with a file."""

    message: JSONDict | None = None
    sender_action: str | None = None
    upload: Upload | None = None
    media_kind: str | None = None  # attachment type when it carries media
    # Message fields (quick replies, metadata) a media placeholder keeps until its media is in.
    pending_fields: JSONDict = field(default_factory=dict)
    action_payload: JSONDict | None = None  # a reaction's {message_id, reaction}
    # The mid this message quotes (the Send API's `reply_to`):
    # https://developers.facebook.com/docs/messenger-platform/reference/send-api/
    reply_to: str | None = None
    # An album (`message.attachments`): each picture as a message of its own, in order, to
    # upload once and to fall back on where Meta refuses the album's form.
    album: tuple[OutgoingMessage, ...] = ()

    @property
    def paced_as_media(self) -> bool:
        """Audio and video sends have their own, lower cap (10/s)."""
        return self.media_kind in ("audio", "video")


@dataclass(slots=True)
class PreparedCall:
    """A validated call: what every recipient gets, in order, and the media still to fetch."""

    options: SendOptions
    messages: list[OutgoingMessage] = field(default_factory=list)
    media: list[MediaRequest] = field(default_factory=list)
    # Where in `messages` each media request's message goes once fetched.
    media_slots: list[int] = field(default_factory=list)
    # Albums and grids still to fetch, each with its place in `messages`.
    albums: list[tuple[int, AlbumRequest]] = field(default_factory=list)
    grids: list[tuple[int, GridRequest]] = field(default_factory=list)


@dataclass(slots=True)
class DeliveryOutcome:
    """What happened for one target: what Meta accepted, and what failed or is left to send."""

    target: Target
    sent: list[SendResult] = field(default_factory=list)
    error: Exception | None = None  # a GraphError, or why the rest could not be kept
    # After a transient failure: the messages not sent yet (for the outbox), and why.
    leftover: list[OutgoingMessage] = field(default_factory=list)
    reason: str | None = None
    via: str | None = None  # "utility": sent as a utility message (the window was closed)
    truncated: bool = False  # the text was longer than the template's parameter
    album_refused: str | None = None  # Meta refused an album's form (its pictures went one each)


type EventKind = Literal[
    "message", "quick_reply", "postback", "delivery", "read", "reaction", "echo"
]


@dataclass(frozen=True, slots=True)
class WebhookAttachment:
    """An attachment a person sent: its type and, when there is one, its URL."""

    type: str
    url: str | None


@dataclass(slots=True)
class MessagingEvent:
    """One entry of `entry[].messaging[]`."""

    kind: EventKind
    page_id: str  # the entry's id: the page the event belongs to
    sender_id: str
    timestamp: int  # epoch milliseconds
    mid: str | None = None
    text: str | None = None  # message text, or postback title
    payload: str | None = None  # quick-reply or postback payload
    attachments: tuple[WebhookAttachment, ...] = ()
    watermark: int | None = None  # delivery and read
    mids: tuple[str, ...] = ()  # delivery
    reaction: str | None = None
    emoji: str | None = None
    action: str | None = None  # react | unreact
    # The mid a message quotes; the messages webhook's `reply_to`:
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
    reply_to: str | None = None
    # The commands a message used: Meta sends "only the command name(s)"; where they stand in
    # `message` is UNCONFIRMED.
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/messenger-profile-api/commands
    commands: tuple[str, ...] = ()
    catch_up: bool = False  # read back after an outage (Conversations API), not from the webhook

    @property
    def is_user_action(self) -> bool:
        """Actions that open the 24-hour window (message, quick reply, postback, reaction)."""
        return self.kind in ("message", "quick_reply", "postback", "reaction")

    def dedup_key(self) -> str:
        """What makes a redelivered event recognisable as the same one."""
        if self.mid is not None and self.kind in ("message", "quick_reply", "postback", "echo"):
            return f"{self.page_id}|m|{self.mid}"
        if self.kind in ("delivery", "read"):
            return f"{self.page_id}|{self.kind}|{self.sender_id}|{self.watermark}"
        return (
            f"{self.page_id}|{self.kind}|{self.sender_id}|{self.timestamp}|{self.mid}|"
            f"{self.action}|{self.reaction}|{self.payload}|{self.text}"
        )


@dataclass(frozen=True, slots=True)
class TemplateStatusChange:
    """Meta reviewed a utility template again (`entry[].changes[]`).

    The field is in the Webhook Events Reference; its payload for Messenger is UNCONFIRMED (no
    Meta page shows it).
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
    """

    page_id: str
    name: str
    language: str | None
    status: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """The events of one webhook body, plus how much was skipped."""

    object_type: str | None
    events: list[MessagingEvent]
    skipped: int
    template_changes: list[TemplateStatusChange] = field(default_factory=list)
