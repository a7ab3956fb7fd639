"""Graph API errors, shaped like Meta's
(https://developers.facebook.com/docs/graph-api/guides/error-handling).

Every error answer is ``{"error": {"message", "type", "code", "error_subcode"?, "is_transient"?,
"fbtrace_id"}}``. The table below names every error the simulator produces, so the messages stay
in one place and tests (and clients) can match them exactly. Rows made by ``_guess`` (marked
``unconfirmed``) are the simulator's best guess where Meta's pages give no answer: each names its
``FIDELITY.md`` row (F-30 for the Send API shape errors below, unless a comment names another).
"""

from __future__ import annotations

from dataclasses import dataclass
import random
import string
from typing import Any

OAUTH = "OAuthException"
GRAPH_METHOD = "GraphMethodException"

# Throttling codes answer HTTP 403 (FIDELITY F-26; Meta never uses 429 here).
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80006})
# Codes whose bodies carry "is_transient": true unless told otherwise.
TRANSIENT_CODES = THROTTLE_CODES | {1, 2, 341, 1200}

WINDOW_MESSAGE = (
    "(#10) This message is sent outside of allowed window. Learn more about the new policy here: "
    "https://developers.facebook.com/docs/messenger-platform/policy-overview"
)
_RATE_DOC = "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One row of the error table: code, subcode, message template and exception type."""

    code: int
    subcode: int | None
    message: str
    type: str = OAUTH
    unconfirmed: bool = False
    user_title: str | None = None
    transient: bool | None = None  # None: as the code says (TRANSIENT_CODES)


def _guess(message: str, code: int = 100, subcode: int | None = None, **extra: Any) -> ErrorSpec:
    """A row whose code or wording is the simulator's best guess where Meta's pages give none
    (UNCONFIRMED): the comment above it, or F-30, names its ``FIDELITY.md`` row."""
    return ErrorSpec(code, subcode, message, unconfirmed=True, **extra)


# Named errors. Messages may hold str.format placeholders ({name}, {value}, ...).
TABLE: dict[str, ErrorSpec] = {
    # Routing and authentication (FIDELITY F-05, F-06, F-25, F-40).
    "unknown_path": ErrorSpec(2500, None, "Unknown path components: {path}"),
    "token_missing": ErrorSpec(
        2500,
        None,
        "An active access token must be used to query information about the current user.",
    ),
    "token_invalid": ErrorSpec(190, None, "Invalid OAuth access token - Cannot parse access token"),
    "token_expired": ErrorSpec(
        190,
        463,
        "Error validating access token: Session has expired on {expired}. "
        "The current time is {now}.",
    ),
    "token_invalidated": ErrorSpec(
        190,
        460,
        "Error validating access token: The session has been invalidated because the user changed "
        "their password or Facebook has changed the session for security reasons.",
    ),
    "proof_invalid": ErrorSpec(
        100, None, "Invalid appsecret_proof provided in the API argument", GRAPH_METHOD
    ),
    "proof_required": ErrorSpec(
        100, None, "API calls from the server require an appsecret_proof argument", GRAPH_METHOD
    ),
    "unsupported_request": ErrorSpec(
        100,
        33,
        "Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        "Graph API documentation at https://developers.facebook.com/docs/graph-api",
        GRAPH_METHOD,
    ),
    "unsupported_method": ErrorSpec(
        100,
        None,
        "Unsupported {method} request. Please read the Graph API documentation at "
        "https://developers.facebook.com/docs/graph-api",
        GRAPH_METHOD,
    ),
    "unknown_fields": ErrorSpec(100, None, "(#100) Unknown fields: {fields}."),
    "nonexisting_field": ErrorSpec(
        100, None, "(#100) Tried accessing nonexisting field ({field}) on node type ({node})"
    ),
    # FIDELITY F-30 (UNCONFIRMED) for the unconfirmed rows from here to "tag_required".
    "bad_json_body": _guess("(#100) The request body could not be parsed as JSON"),
    # Send API validation, in the order Meta applies it (FIDELITY F-24).
    "recipient_required": ErrorSpec(100, None, "(#100) The parameter recipient is required"),
    "message_or_state": ErrorSpec(100, 2018015, "(#100) Must send either message or state"),
    "message_and_state": ErrorSpec(
        100, 2018014, "(#100) Cannot send both message and state at the same time."
    ),
    "message_empty": ErrorSpec(
        100, 2018034, "(#100) Message cannot be empty, must provide valid attachment or text"
    ),
    "param_required": ErrorSpec(100, None, "(#100) The parameter {name} is required"),
    "not_object": _guess("(#100) param {name} must be a JSON object."),
    "not_array": _guess("(#100) param {name} must be an array."),
    "not_string": _guess("(#100) param {name} must be a string."),
    "not_integer": _guess("(#100) param {name} must be an integer."),
    # Graph's wording for enum parameters; the exact listing of values is the simulator's.
    "bad_enum": _guess('(#100) param {name} must be one of {{{values}}} - got "{value}".'),
    "template_type": ErrorSpec(100, None, "(#100) Invalid template type"),
    "too_few": ErrorSpec(194, None, "(#194) param {name} has too few elements."),
    "too_many": _guess("(#100) param {name} has too many elements."),
    "too_long": _guess("(#100) param {name} must be at most {limit} characters long."),
    "text_too_long": _guess("(#100) param message[text] must be less than 2000 characters."),
    "text_and_attachment": _guess(
        "(#100) Only one of message[text] and message[attachment] can be specified."
    ),
    "qr_title_required": ErrorSpec(
        100, 2018098, "(#100) Title is required for this quick reply content type"
    ),
    "qr_payload_required": ErrorSpec(
        100, 2018099, "(#100) Payload is required for this quick reply content type"
    ),
    "postback_payload": ErrorSpec(
        100, 2018040, "(#100) Payload cannot be empty for postback type button"
    ),
    "web_url_required": ErrorSpec(
        100, 2018041, "(#100) Web url cannot be empty for url type button"
    ),
    "button_title": ErrorSpec(100, 2018053, "(#100) Element button title cannot be empty."),
    "element_incomplete": ErrorSpec(
        100,
        2018035,
        "(#100) Incomplete element data: title and at least one other field (image url, subtitle "
        "or buttons) is required with non-empty value",
    ),
    "media_source": _guess(
        "(#100) param message[attachment][payload] must contain url or attachment_id, "
        "or the request must upload filedata"
    ),
    "utility_template": _guess("(#100) UTILITY messages must use an approved utility template"),
    # Attachments (FIDELITY F-15, F-44; the codes are the Common Error Codes page's).
    "url_fetch": ErrorSpec(100, 2018008, "(#100) Failed to fetch the file from the url"),
    # Several pictures and the image grid (FIDELITY F-46, F-48: wordings UNCONFIRMED).
    "attachment_and_attachments": _guess(
        "(#100) Only one of message[attachment] and message[attachments] may be set"
    ),
    "album_attachment_id": _guess(
        "(#100) message[attachments] takes image URLs only: attachment_id is not supported"
    ),
    "grid_heroes": _guess("(#100) At most one image in the grid can have is_hero_image set"),
    "grid_button_type": _guess("(#100) Only URL and postback buttons are supported in the grid"),
    "media_mismatch": ErrorSpec(
        100, 2018047, "(#100) Upload attachment failure: the media type does not match the file"
    ),
    "attachment_id": ErrorSpec(
        100, 2018074, "(#100) The attachment id is invalid or does not belong to this page"
    ),
    "attachment_size": ErrorSpec(100, 2018109, "(#100) Attachment size exceeds allowable limit"),
    # Recipient, window and tags (FIDELITY F-24, F-07 to F-09, F-13, F-14).
    "no_user": ErrorSpec(100, 2018001, "(#100) No matching user found"),
    "blocked": ErrorSpec(551, 1545041, "(#551) This person isn't available right now."),
    "dev_mode": ErrorSpec(
        200,
        2018028,
        "(#200) Cannot message users who are not admins, developers or testers of the app until "
        "pages_messaging permission is reviewed and the app is live.",
    ),
    "phone_gated": _guess(
        "(#10) Sending messages to phone numbers (Customer Matching) is a limited release feature "
        "and is not available for this Page.",
        10,
    ),
    "window": ErrorSpec(10, 2018278, WINDOW_MESSAGE),
    # Meta documents code 100 for the retired tags (FIDELITY.md F-08); the wording is what the
    # public reports show ("Invalid parameter").
    "tag_retired": ErrorSpec(100, None, "(#100) Invalid parameter"),
    # FIDELITY F-07 (UNCONFIRMED): Meta says such use "will fail" and names no error.
    "tag_customer_feedback": _guess("(#100) Invalid parameter"),
    # FIDELITY F-09 (UNCONFIRMED): code 10 is Meta's "permission denied"; no page names the error.
    "tag_human_agent": _guess("(#10) Application does not have permission for this action", 10),
    # Messenger changelog 2026-06-25 (FIDELITY.md F-13).
    "page_restricted": ErrorSpec(
        10, 1893063, "(#10) Pages temporarily restricted from sending messages", transient=False
    ),
    # FIDELITY F-14 (UNCONFIRMED code): the "Send a Message" page lists 1545041 as
    # "Messaging window closed".
    "window_1545041": _guess("(#10) Messaging window closed", 10, 1545041),
    "tag_required": _guess("(#100) The parameter tag is required for MESSAGE_TAG messages"),
    # Throttling (FIDELITY F-26; F-27 for the profile's budget, F-11 for conversations).
    "rate_limited": ErrorSpec(613, None, "(#613) Calls to this api have exceeded the rate limit."),
    # Tokens, users and apps (FIDELITY F-25, F-41).
    "permission": ErrorSpec(200, None, "(#200) {what} requires {permission} permission"),
    "page_token_required": ErrorSpec(
        210, None, "(#210) A page access token is required to request this resource."
    ),
    # FIDELITY F-25 (UNCONFIRMED): which code a user token gets from the Send API; 230 is the
    # Page Messages reference's "Requires pages_messaging permission to manage the object".
    "send_needs_page_token": _guess(
        "(#230) Requires pages_messaging permission to manage the object: a page access token "
        "is needed to send messages",
        230,
    ),
    # FIDELITY F-25 (UNCONFIRMED): Meta's wording for an unknown client_id, code 101.
    "unknown_app": _guess("Error validating application. Invalid application ID.", 101),
    # Meta answers code 1 for a wrong client_secret (FIDELITY F-25, UNCONFIRMED).
    "client_secret": _guess("Error validating client secret.", 1, transient=False),
    # FIDELITY F-25 (UNCONFIRMED): a token of another app, for the exchange and debug_token.
    "token_wrong_app": _guess(
        "Error validating access token: The access token does not belong to application {app_id}",
        190,
    ),
    # FIDELITY F-25 (UNCONFIRMED): only user tokens can be exchanged; a page token gets 190.
    "not_user_token": _guess(
        "Invalid OAuth access token - only user access tokens can be exchanged", 190
    ),
    # FIDELITY F-25 (UNCONFIRMED): a wrong APP_ID|APP_SECRET as debug_token's access_token.
    "app_token_invalid": _guess("Invalid OAuth access token signature.", 190),
    # The app's webhook (FIDELITY.md F-03, F-04): the wordings are UNCONFIRMED.
    "app_token_required": _guess("(#15) This method must be called with an app access_token.", 15),
    "callback_https": _guess("(#100) Param callback_url must be a valid https URL"),
    "callback_verification": _guess("(#2200) callback verification failed: {reason}", 2200),
    "subscribed_fields_required": ErrorSpec(
        100, None, "(#100) The parameter subscribed_fields is required"
    ),
    # Utility templates: codes and wording FIDELITY F-32 (UNCONFIRMED); the
    # messages hold what third-party code matches ("already exists", "template cannot be
    # found", "requires pages_utility_messaging permission").
    "template_exists": _guess(
        "(#100) A message template named {name} with language {language} already exists"
    ),
    "template_bad_name": _guess(
        "(#100) Param name must be at most 512 lowercase letters, digits and underscores"
    ),
    "template_body_count": _guess("(#100) components must have exactly one BODY"),
    "template_dangling": _guess(
        "(#100) The {component} text must not start or end with a parameter (dangling "
        "parameters are not allowed)"
    ),
    "template_header_params": _guess("(#100) A TEXT header may hold at most 1 parameter"),
    "template_quick_reply": _guess(
        "Fatal", 100, 2018416, user_title="Message Template Creation Failed"
    ),
    "template_not_found": _guess(
        "(#100) The requested template cannot be found: {name} ({language})"
    ),
    "template_not_approved": _guess(
        "(#100) The template {name} ({language}) is {status}: only APPROVED templates can be sent"
    ),
    "template_param_count": _guess(
        "(#100) The {component} of template {name} takes {expected} parameters, {given} given"
    ),
    "template_needs_utility": _guess(
        "(#100) message[template] can only be sent with messaging_type UTILITY"
    ),
    # Messenger Profile: the Get Started message with subcode 2018145 (FIDELITY F-17) and
    # "Invalid button type" are recorded in public code; the rest: F-27 (UNCONFIRMED).
    "profile_unknown": _guess("(#100) Unknown Messenger Profile property: {name}"),
    "profile_default_locale": _guess("(#100) {name} must include the default locale"),
    "profile_button_type": ErrorSpec(100, None, "(#100) Invalid button type"),
    "profile_get_started": ErrorSpec(
        100,
        2018145,
        "(#100) You must set a Get Started button if you also wish to use persistent menu.",
    ),
    "profile_mixed_ice_breakers": _guess(
        "(#100) ice_breakers cannot mix the localized and the flat format"
    ),
    "profile_domain": _guess(
        "(#100) whitelisted_domains[{index}] must be an https URL with a fully qualified "
        "domain name (no IP address or localhost)"
    ),
    "profile_command_name": _guess('(#100) Command names must not start with "/"'),
    # Replies and reactions: the answers to a wrong mid: FIDELITY F-34 (UNCONFIRMED).
    "reply_to_unknown": _guess("(#100) reply_to[mid] is not a message of this conversation"),
    "reaction_target": _guess(
        "(#100) payload[message_id] is not a message this person sent to the page"
    ),
}

# Default messages for injected errors, by (code, subcode) then by code.
DEFAULT_MESSAGES: dict[tuple[int, int | None], str] = {
    (1, None): "(#1) An unknown error occurred",
    (2, None): "(#2) An unexpected error has occurred. Please retry your request later.",
    (4, None): "(#4) Application request limit reached",
    (10, None): "(#10) Application does not have permission for this action",
    (10, 2018278): WINDOW_MESSAGE,
    (10, 1545041): TABLE["window_1545041"].message,
    (10, 1893063): TABLE["page_restricted"].message,
    (17, None): "(#17) User request limit reached",
    (32, None): "(#32) Page request limit reached",
    (100, None): "(#100) Invalid parameter",
    (100, 2018001): TABLE["no_user"].message,
    (190, None): TABLE["token_invalid"].message,
    (190, 460): TABLE["token_invalidated"].message,
    (190, 463): "Error validating access token: Session has expired.",
    (200, None): "(#200) Permissions error",
    (200, 2018028): TABLE["dev_mode"].message,
    (200, 1545041): "(#200) Message Not Sent: This person isn't available right now.",
    (341, None): "(#341) Application limit reached",
    (368, None): "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    (551, None): "(#551) This person isn't available right now.",
    (613, None): TABLE["rate_limited"].message,
    (1200, None): "(#1200) Temporary send message failure. Please try again later",
    (80001, None): "(#80001) There have been too many calls to this Page account. Wait a bit and "
    "try again. " + _RATE_DOC,
    (80006, None): "(#80006) There have been too many messages sent to this Page account. Wait a "
    "bit and try again. " + _RATE_DOC,
}

_TRACE_ALPHABET = string.ascii_letters + string.digits + "_-"


def fbtrace_id() -> str:
    """A random 23-character trace id, like Meta's newer ``fbtrace_id`` values."""
    return "".join(random.choices(_TRACE_ALPHABET, k=23))


def http_status_for(code: int) -> int:
    """Meta answers throttling with 403 and everything else with 400 (FIDELITY F-26)."""
    return 403 if code in THROTTLE_CODES else 400


def default_message(code: int, subcode: int | None = None) -> str:
    """The message Meta uses for an injected ``code``/``subcode``."""
    return (
        DEFAULT_MESSAGES.get((code, subcode))
        or DEFAULT_MESSAGES.get((code, None))
        or f"(#{code}) Simulated error"
    )


class GraphError(Exception):
    """A Graph API error answer; raising it anywhere in a request ends it with this body."""

    def __init__(
        self,
        code: int,
        message: str,
        subcode: int | None = None,
        type: str = OAUTH,  # the field is called "type" on the wire
        is_transient: bool | None = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
        user_title: str | None = None,
    ) -> None:
        super().__init__(message)
        self.user_title = user_title
        self.code = code
        self.message = message
        self.subcode = subcode
        self.type = type
        if is_transient is None and code in TRANSIENT_CODES:
            is_transient = True
        self.is_transient = is_transient
        self.http_status = http_status if http_status is not None else http_status_for(code)
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON answer body, with a fresh ``fbtrace_id``."""
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
            error["error_user_msg"] = self.message
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def fail(key: str, /, **fmt: Any) -> GraphError:
    """Build the named error from :data:`TABLE`; ``fmt`` fills the message placeholders."""
    spec = TABLE[key]
    message = spec.message.format(**fmt) if fmt else spec.message
    return GraphError(
        code=spec.code,
        subcode=spec.subcode,
        message=message,
        type=spec.type,
        is_transient=spec.transient,
        user_title=spec.user_title,
    )
