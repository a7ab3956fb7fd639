"""Messenger Platform client: the Graph Send API, message building, pacing and webhooks.

No Home Assistant here: the standard library, aiohttp and this package only, so it could be
published on its own. The integration around it (the parent package) is the Home Assistant glue,
and imports the library only from here: these are its public names.
"""

from __future__ import annotations

from .accounts import (
    SUBSCRIBED_FIELDS,
    PageAccount,
    Person,
    TokenInfo,
    app_token,
    inspect_token,
    is_user_token,
    long_lived_user_token,
    missing_permission,
    people_of,
    subscribe,
    subscribe_app,
    user_pages,
)
from .audience import (
    Audience,
)
from .backoff import (
    Backoff,
)
from .bounded import (
    BoundedMap,
)
from .builder import (
    build_call,
    check_messaging,
    check_tag,
    media_message,
)
from .client import (
    REQUEST_TIMEOUT,
    GraphClient,
    RetryPolicy,
)
from .coerce import as_text
from .const import (
    ATTACHMENT_MAX_BYTES,
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    MEDIA_SEND_RATE_PER_SECOND,
    MESSAGING_TYPE_RESPONSE,
    MESSAGING_TYPE_TAG,
    MESSAGING_TYPES,
    SEND_RATE_PER_SECOND,
    TARGET_BROADCAST,
    TEXT_LIMIT,
    VALID_TAGS,
)
from .errors import (
    GraphAuthError,
    GraphError,
    GraphInvalidRequestError,
    GraphRateLimitError,
    GraphTransientError,
    GraphWindowError,
    MessageError,
    MessengerError,
)
from .fanout import (
    deliver_one,
    deliver_utility,
    send_one,
    share_uploads,
    text_of,
)
from .mime import (
    upload_content_type,
)
from .models import (
    Broadcast,
    DeliveryOutcome,
    EventKind,
    JSONDict,
    MediaRequest,
    MessagingEvent,
    OutgoingMessage,
    PageInfo,
    PreparedCall,
    SendOptions,
    SendResult,
    Target,
    TemplateStatusChange,
    Upload,
)
from .outbox import (
    OutboxEntry,
    OutboxFull,
    OutboxQueue,
    PersonKey,
    WindowClosed,
    person_key,
)
from .pacing import (
    PageRateLimiter,
)
from .profile import (
    CallBudget,
    build_profile,
    delete_fields,
    fingerprint,
    profile_from_lines,
    profile_to_lines,
    set_profile,
)
from .recipients import (
    AddressBook,
    coerce_psid,
    parse_allowed_chat_ids,
    resolve_targets,
)
from .templates import (
    APPROVED,
    PENDING_STATUSES,
    TEMPLATE_NAME,
    TemplateState,
    create_template,
    find_template,
    meta_language,
    refusal_kind,
)
from .turns import (
    PersonTurns,
    Turn,
)
from .webhook import (
    SIGNATURE_HEADER,
    TEMPLATE_STATUS_FIELDS,
    Deduplicator,
    event_payload,
    matching_secrets,
    parse_body,
    verify_handshake,
)

__all__ = [
    "APPROVED",
    "ATTACHMENT_MAX_BYTES",
    "DEFAULT_GRAPH_API_VERSION",
    "DEFAULT_GRAPH_URL",
    "MEDIA_SEND_RATE_PER_SECOND",
    "MESSAGING_TYPES",
    "MESSAGING_TYPE_RESPONSE",
    "MESSAGING_TYPE_TAG",
    "PENDING_STATUSES",
    "REQUEST_TIMEOUT",
    "SEND_RATE_PER_SECOND",
    "SIGNATURE_HEADER",
    "SUBSCRIBED_FIELDS",
    "TARGET_BROADCAST",
    "TEMPLATE_NAME",
    "TEMPLATE_STATUS_FIELDS",
    "TEXT_LIMIT",
    "VALID_TAGS",
    "AddressBook",
    "Audience",
    "Backoff",
    "BoundedMap",
    "Broadcast",
    "CallBudget",
    "Deduplicator",
    "DeliveryOutcome",
    "EventKind",
    "GraphAuthError",
    "GraphClient",
    "GraphError",
    "GraphInvalidRequestError",
    "GraphRateLimitError",
    "GraphTransientError",
    "GraphWindowError",
    "JSONDict",
    "MediaRequest",
    "MessageError",
    "MessagingEvent",
    "MessengerError",
    "OutboxEntry",
    "OutboxFull",
    "OutboxQueue",
    "OutgoingMessage",
    "PageAccount",
    "PageInfo",
    "PageRateLimiter",
    "Person",
    "PersonKey",
    "PersonTurns",
    "PreparedCall",
    "RetryPolicy",
    "SendOptions",
    "SendResult",
    "Target",
    "TemplateState",
    "TemplateStatusChange",
    "TokenInfo",
    "Turn",
    "Upload",
    "WindowClosed",
    "app_token",
    "as_text",
    "build_call",
    "build_profile",
    "check_messaging",
    "check_tag",
    "coerce_psid",
    "create_template",
    "delete_fields",
    "deliver_one",
    "deliver_utility",
    "event_payload",
    "find_template",
    "fingerprint",
    "inspect_token",
    "is_user_token",
    "long_lived_user_token",
    "matching_secrets",
    "media_message",
    "meta_language",
    "missing_permission",
    "parse_allowed_chat_ids",
    "parse_body",
    "people_of",
    "person_key",
    "profile_from_lines",
    "profile_to_lines",
    "refusal_kind",
    "resolve_targets",
    "send_one",
    "set_profile",
    "share_uploads",
    "subscribe",
    "subscribe_app",
    "text_of",
    "upload_content_type",
    "user_pages",
    "verify_handshake",
]
