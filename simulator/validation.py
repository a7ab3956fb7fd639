"""Send API and upload request validation, in the order Meta applies it (FIDELITY F-24).

Only the request itself is checked here (shape, required fields, limits, enums); checks that need
the simulated world (who the recipient is, the 24-hour window, saved attachment ids, file bytes)
happen afterwards in :mod:`simulator.graph`. Each check raises the first error Meta would answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import fail

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY")
NOTIFICATION_TYPES = ("REGULAR", "SILENT_PUSH", "NO_PUSH")
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen", "react", "unreact")
MEDIA_TYPES = ("image", "video", "audio", "file")
ATTACHMENT_TYPES = (*MEDIA_TYPES, "template")
TEMPLATE_TYPES = frozenset(
    {
        "button",
        "generic",
        "media",
        "receipt",
        "customer_feedback",
        "product",
        "coupon",
        "utility",
        "airline_boardingpass",
        "airline_checkin",
        "airline_itinerary",
        "airline_update",
        "image_grid",
    }
)
UTILITY_TEMPLATE_TYPES = ("utility", "utility_messages")
QUICK_REPLY_TYPES = ("text", "user_phone_number", "user_email")
BUTTON_TYPES = (
    "web_url",
    "postback",
    "phone_number",
    "account_link",
    "account_unlink",
    "game_play",
)
# Tags that still work today, with how long after the user's last action (FIDELITY.md F-07,
# F-09): CUSTOMER_FEEDBACK only with its template, HUMAN_AGENT only for approved apps.
LIVE_TAGS = {"HUMAN_AGENT": 7 * 24 * 3600, "CUSTOMER_FEEDBACK": 7 * 24 * 3600}
# Error 100 since 2026-04-27 (FIDELITY.md F-08).
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE"})
# Stopped on 2020-03-04; the last four names are from memory (FIDELITY F-37, UNCONFIRMED).
LEGACY_TAGS = frozenset(
    {
        "APPLICATION_UPDATE",
        "APPOINTMENT_UPDATE",
        "CONFIRMED_EVENT_REMINDER",
        "ISSUE_RESOLUTION",
        "NON_PROMOTIONAL_SUBSCRIPTION",
        "PAYMENT_UPDATE",
        "PERSONAL_FINANCE_UPDATE",
        "RESERVATION_UPDATE",
        "SHIPPING_UPDATE",
        "TICKET_UPDATE",
        "TRANSPORTATION_UPDATE",
        "PAIRING_UPDATE",
        "COMMUNITY_ALERT",
        "BUSINESS_PRODUCTIVITY",
        "FEATURE_FUNCTIONALITY_UPDATE",
        "GAME_EVENT",
    }
)
KNOWN_TAGS = frozenset(LIVE_TAGS) | RETIRED_TAGS | LEGACY_TAGS

TEXT_LIMIT = 2000  # "less than 2000 characters": 2000 itself is rejected
METADATA_LIMIT = 1000  # "less than 1000 characters"
BUTTON_TEXT_LIMIT = 640
TITLE_LIMIT = 20
PAYLOAD_LIMIT = 1000
MAX_QUICK_REPLIES = 13
MAX_BUTTONS = 3
MAX_ELEMENTS = 10
# Several pictures in one message: images only, at most 30 (Send a Message, FIDELITY F-46).
MAX_ALBUM = 30
# The image grid template (FIDELITY F-48).
GRID_MIN_IMAGES = 2
GRID_MAX_IMAGES = 6
GRID_TITLE_LIMIT = 45
GRID_SUBTITLE_LIMIT = 80
GRID_ACTIONS = ("web_url", "postback")


@dataclass(slots=True)
class SendRequest:
    """A Send API request that passed validation."""

    recipient: dict[str, Any]
    message: dict[str, Any] | None
    sender_action: str | None
    messaging_type: str | None
    tag: str | None
    notification_type: str | None
    payload: dict[str, Any] | None = None  # a reaction's message_id and emoji
    reply_to: str | None = None  # the quoted message's mid (FIDELITY F-42)

    @property
    def template(self) -> dict[str, Any] | None:
        """The utility template this message sends (``message.template``, or the attachment
        form ``template_type: utility`` that one third party uses: FIDELITY F-32, UNCONFIRMED)."""
        if self.message is None:
            return None
        template = self.message.get("template")
        if isinstance(template, dict):
            return template
        attachment = self.attachment or {}
        payload = attachment.get("payload")
        if attachment.get("type") != "template" or not isinstance(payload, dict):
            return None
        utility = str(payload.get("template_type", "")).lower() in UTILITY_TEMPLATE_TYPES
        return payload if utility else None

    @property
    def album(self) -> list[dict[str, Any]]:
        """The pictures of a message with several (``message.attachments``), else []."""
        items = (self.message or {}).get("attachments")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    @property
    def attachment(self) -> dict[str, Any] | None:
        """The message's attachment, if any."""
        if self.message is None:
            return None
        attachment = self.message.get("attachment")
        return attachment if isinstance(attachment, dict) else None


def blank(value: Any) -> bool:
    """Graph treats a missing parameter, an empty string and an empty object alike."""
    return value is None or value in ("", {}, [])


def check_enum(name: str, value: Any, allowed: tuple[str, ...], *, upper: bool = True) -> str:
    """Graph enums match case-insensitively; return the canonical spelling."""
    text = str(value)
    wanted = text.upper() if upper else text.lower()
    if wanted not in allowed:
        shown = ", ".join(v.upper() for v in allowed)
        raise fail("bad_enum", name=name, values=shown, value=text)
    return wanted


def _string(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise fail("not_string", name=name)
    return str(value)


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise fail("too_long", name=name, limit=limit)


def check_list(name: str, value: Any, most: int) -> list[Any]:
    """A list parameter of one to ``most`` items."""
    if not isinstance(value, list):
        raise fail("not_array", name=name)
    if not value:
        raise fail("too_few", name=name)
    if len(value) > most:
        raise fail("too_many", name=name)
    return value


def objects(name: str, items: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each item of a list parameter with its own name (``name[i]``); an item that is not an
    object is refused when its turn comes, so earlier items' errors come first."""
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise fail("not_object", name=where)
        yield where, item


def required_text(name: str, value: Any, limit: int) -> str:
    """A required parameter read as text, at most ``limit`` characters long."""
    if blank(value):
        raise fail("param_required", name=name)
    text = str(value)
    if len(text) > limit:
        raise fail("too_long", name=name, limit=limit)
    return text


def _check_buttons(name: str, buttons: Any) -> None:
    for where, button in objects(name, check_list(name, buttons, MAX_BUTTONS)):
        if blank(button.get("type")):
            raise fail("param_required", name=f"{where}[type]")
        kind = check_enum(f"{where}[type]", button["type"], BUTTON_TYPES, upper=False)
        if kind in {"account_link", "account_unlink"}:
            continue
        if blank(button.get("title")):
            raise fail("button_title")
        _check_length(f"{where}[title]", _string(f"{where}[title]", button["title"]), TITLE_LIMIT)
        if kind == "postback":
            if blank(button.get("payload")):
                raise fail("postback_payload")
            payload = _string(f"{where}[payload]", button["payload"])
            _check_length(f"{where}[payload]", payload, PAYLOAD_LIMIT)
        elif kind == "web_url" and blank(button.get("url")):
            raise fail("web_url_required")


def _check_template(name: str, payload: dict[str, Any]) -> None:
    template_type = payload.get("template_type")
    if not isinstance(template_type, str) or template_type.lower() not in TEMPLATE_TYPES:
        raise fail("template_type")
    if template_type.lower() == "button":
        text = payload.get("text")
        if blank(text):
            raise fail("param_required", name=f"{name}[text]")
        _check_length(f"{name}[text]", _string(f"{name}[text]", text), BUTTON_TEXT_LIMIT)
        _check_buttons(f"{name}[buttons]", payload.get("buttons"))
    elif template_type.lower() == "image_grid":
        _check_grid(name, payload)
    elif template_type.lower() == "generic":
        elements = check_list(f"{name}[elements]", payload.get("elements"), MAX_ELEMENTS)
        for where, element in objects(f"{name}[elements]", elements):
            others = ("subtitle", "image_url", "buttons", "default_action")
            if blank(element.get("title")) or all(blank(element.get(k)) for k in others):
                raise fail("element_incomplete")
            if element.get("buttons") is not None:
                _check_buttons(f"{where}[buttons]", element["buttons"])


def _check_grid(name: str, payload: dict[str, Any]) -> None:
    """The image grid: exactly one element of 2 to 6 images, at most one hero (F-48)."""
    elements = payload.get("elements")
    if isinstance(elements, list) and len(elements) > 1:
        raise fail("too_many", name=f"{name}[elements]")
    where_elements = f"{name}[elements]"
    for where, element in objects(where_elements, check_list(where_elements, elements, 1)):
        images = check_list(f"{where}[images]", element.get("images"), GRID_MAX_IMAGES)
        if len(images) < GRID_MIN_IMAGES:
            raise fail("too_few", name=f"{where}[images]")
        heroes = 0
        for spot, image in objects(f"{where}[images]", images):
            if blank(image.get("url")):
                raise fail("param_required", name=f"{spot}[url]")
            if not str(image["url"]).lower().startswith(("http://", "https://")):
                raise fail("url_fetch")
            heroes += image.get("is_hero_image") in (True, "true")
            if image.get("action") is not None:
                _check_grid_action(f"{spot}[action]", image["action"])
        if heroes > 1:
            raise fail("grid_heroes")
        for key, limit in (("title", GRID_TITLE_LIMIT), ("subtitle", GRID_SUBTITLE_LIMIT)):
            if element.get(key) is not None:
                _check_length(f"{where}[{key}]", _string(f"{where}[{key}]", element[key]), limit)
        if element.get("buttons") is not None:
            _check_buttons(f"{where}[buttons]", element["buttons"])
            for button in element["buttons"]:
                if str(button.get("type", "")).lower() not in GRID_ACTIONS:
                    raise fail("grid_button_type")


def _check_grid_action(where: str, action: Any) -> None:
    """A picture's tap: a link, or a postback whose ``text`` shows as the person's reply."""
    if not isinstance(action, dict):
        raise fail("not_object", name=where)
    if blank(action.get("type")):
        raise fail("param_required", name=f"{where}[type]")
    kind = check_enum(f"{where}[type]", action["type"], GRID_ACTIONS, upper=False)
    if kind == "web_url" and blank(action.get("url")):
        raise fail("web_url_required")
    if kind == "postback":
        if blank(action.get("payload")):
            raise fail("postback_payload")
        payload = _string(f"{where}[payload]", action["payload"])
        _check_length(f"{where}[payload]", payload, PAYLOAD_LIMIT)
        if blank(action.get("text")):
            raise fail("param_required", name=f"{where}[text]")


def check_album(attachments: Any) -> None:
    """``message.attachments``: 1 to 30 images, each by URL or saved id (FIDELITY F-46)."""
    name = "message[attachments]"
    for where, item in objects(name, check_list(name, attachments, MAX_ALBUM)):
        check_attachment(item, has_file=False, allowed=("image",), name=where)


def check_attachment(
    attachment: Any,
    *,
    has_file: bool,
    allowed: tuple[str, ...] = ATTACHMENT_TYPES,
    name: str = "message[attachment]",
) -> str:
    """Validate ``message.attachment``; returns its (lower-case) type."""
    if not isinstance(attachment, dict):
        raise fail("not_object", name=name)
    if blank(attachment.get("type")):
        raise fail("param_required", name=f"{name}[type]")
    kind = check_enum(f"{name}[type]", attachment["type"], allowed, upper=False)
    payload = attachment.get("payload")
    if payload is None or payload == "":
        raise fail("param_required", name=f"{name}[payload]")
    if not isinstance(payload, dict):
        raise fail("not_object", name=f"{name}[payload]")
    if kind == "template":
        _check_template(f"{name}[payload]", payload)
        return kind
    url = payload.get("url")
    if blank(url) and blank(payload.get("attachment_id")) and not has_file:
        raise fail("media_source")
    if not blank(url) and not str(url).lower().startswith(("http://", "https://")):
        raise fail("url_fetch")
    return kind


def _check_quick_replies(quick_replies: Any) -> None:
    name = "message[quick_replies]"
    for where, reply in objects(name, check_list(name, quick_replies, MAX_QUICK_REPLIES)):
        if blank(reply.get("content_type")):
            raise fail("param_required", name=f"{where}[content_type]")
        kind = check_enum(
            f"{where}[content_type]", reply["content_type"], QUICK_REPLY_TYPES, upper=False
        )
        if kind != "text":
            continue
        if blank(reply.get("title")):
            raise fail("qr_title_required")
        if blank(reply.get("payload")):
            raise fail("qr_payload_required")
        # Meta truncates longer titles (FIDELITY F-39): accepted, shown cut (the chat page).
        _string(f"{where}[title]", reply["title"])
        payload = _string(f"{where}[payload]", reply["payload"])
        _check_length(f"{where}[payload]", payload, PAYLOAD_LIMIT)


def _check_utility_template(template: Any) -> None:
    """``message.template``: a name, a language code and components (FIDELITY F-32)."""
    name = "message[template]"
    if not isinstance(template, dict):
        raise fail("not_object", name=name)
    if blank(template.get("name")):
        raise fail("param_required", name=f"{name}[name]")
    language = template.get("language")
    if blank(language):
        raise fail("param_required", name=f"{name}[language]")
    if isinstance(language, dict) and blank(language.get("code")):
        raise fail("param_required", name=f"{name}[language][code]")
    components = template.get("components")
    if components is not None and not isinstance(components, list):
        raise fail("not_array", name=f"{name}[components]")


def _check_message(message: dict[str, Any], has_file: bool) -> None:
    text = message.get("text")
    attachment = message.get("attachment")
    if "template" in message:
        _check_utility_template(message["template"])
        if not blank(text) or attachment is not None:
            raise fail("text_and_attachment")
        return
    album = message.get("attachments")
    if blank(text) and attachment is None and album is None and blank(message.get("sticker_id")):
        raise fail("message_empty")
    if album is not None:
        if attachment is not None or has_file:
            raise fail("attachment_and_attachments")
        check_album(album)
        attachment = album  # for the text check below
    elif attachment is not None:
        check_attachment(attachment, has_file=has_file)
    if message.get("quick_replies") is not None:
        _check_quick_replies(message["quick_replies"])
    if not blank(text) and attachment is not None:
        raise fail("text_and_attachment")
    # Characters are code points here (FIDELITY F-30, UNCONFIRMED).
    if text is not None and len(_string("message[text]", text)) >= TEXT_LIMIT:
        raise fail("text_too_long")


def _check_kind(params: dict[str, Any], *, required: bool) -> tuple[str | None, str | None]:
    """messaging_type and tag."""
    raw_type = params.get("messaging_type")
    if blank(raw_type):
        if required:
            raise fail("param_required", name="messaging_type")
        return None, None
    messaging_type = check_enum("messaging_type", raw_type, MESSAGING_TYPES)
    raw_tag = params.get("tag")
    if messaging_type == "MESSAGE_TAG" and blank(raw_tag):
        raise fail("tag_required")
    tag = None
    if not blank(raw_tag):
        tag = str(raw_tag).upper()
        if tag not in KNOWN_TAGS:
            shown = ", ".join([*LIVE_TAGS, *sorted(RETIRED_TAGS)])
            raise fail("bad_enum", name="tag", values=shown, value=str(raw_tag))
    return messaging_type, tag


def _check_notification(params: dict[str, Any]) -> str | None:
    raw = params.get("notification_type")
    return None if blank(raw) else check_enum("notification_type", raw, NOTIFICATION_TYPES)


def validate_send(params: dict[str, Any], *, has_file: bool = False) -> SendRequest:
    """Check a Send API request; raise the first ``GraphError`` Meta would answer."""
    recipient = params.get("recipient")
    if blank(recipient):
        raise fail("recipient_required")
    if not isinstance(recipient, dict):
        raise fail("not_object", name="recipient")
    message = params.get("message")
    action = params.get("sender_action")
    has_message = message is not None and message != ""  # {} is an empty message (2018034)
    if not has_message and blank(action):
        raise fail("message_or_state")
    if has_message and not blank(action):
        raise fail("message_and_state")
    if not blank(action):
        return _sender_action(params, recipient, action)
    if not isinstance(message, dict):
        raise fail("not_object", name="message")
    _check_message(message, has_file)
    messaging_type, tag = _check_kind(params, required=True)
    request = SendRequest(recipient, message, None, messaging_type, tag, None)
    if messaging_type == "UTILITY" and request.template is None:
        raise fail("utility_template")
    if "template" in message and messaging_type != "UTILITY":
        raise fail("template_needs_utility")
    request.notification_type = _check_notification(params)
    metadata = message.get("metadata")
    if metadata is not None and len(_string("message[metadata]", metadata)) >= METADATA_LIMIT:
        raise fail("too_long", name="message[metadata]", limit=METADATA_LIMIT - 1)
    request.reply_to = _reply_to(params.get("reply_to"))
    _check_feedback_tag(request)
    return request


# Send API fields a sender action may not come with: "Can only be sent with the recipient
# parameter" (FIDELITY.md F-12); a reaction's ``payload`` is the documented exception.
NOT_WITH_ACTIONS = ("messaging_type", "tag", "notification_type", "reply_to", "persona_id")


def _sender_action(params: dict[str, Any], recipient: dict[str, Any], action: Any) -> SendRequest:
    """A sender action: only the recipient, plus the payload of a reaction."""
    sender_action = check_enum("sender_action", action, SENDER_ACTIONS, upper=False)
    reaction = sender_action in {"react", "unreact"}
    extra = [name for name in NOT_WITH_ACTIONS if not blank(params.get(name))]
    if extra or (not reaction and not blank(params.get("payload"))):
        raise fail("message_and_state")  # FIDELITY F-12 (UNCONFIRMED for fields but message)
    payload = params.get("payload") if reaction else None
    if reaction:
        if not isinstance(payload, dict) or blank(payload.get("message_id")):
            raise fail("param_required", name="payload[message_id]")
        if sender_action == "react" and blank(payload.get("reaction")):
            raise fail("param_required", name="payload[reaction]")
    return SendRequest(recipient, None, sender_action, None, None, None, payload)


def _check_feedback_tag(request: SendRequest) -> None:
    """CUSTOMER_FEEDBACK "can only be used with the Customer Feedback Template" (F-07)."""
    if request.tag != "CUSTOMER_FEEDBACK":
        return
    payload = (request.attachment or {}).get("payload")
    kind = payload.get("template_type") if isinstance(payload, dict) else None
    if str(kind).lower() != "customer_feedback":
        raise fail("tag_customer_feedback")


def _reply_to(value: Any) -> str | None:
    """The top-level ``reply_to: {"mid"}`` (FIDELITY F-42)."""
    if blank(value):
        return None
    if not isinstance(value, dict):
        raise fail("not_object", name="reply_to")
    if blank(value.get("mid")):
        raise fail("param_required", name="reply_to[mid]")
    return _string("reply_to[mid]", value["mid"])


def validate_upload(params: dict[str, Any], *, has_file: bool) -> dict[str, Any]:
    """Check an Attachment Upload API request; returns ``message.attachment``."""
    message = params.get("message")
    if blank(message):
        raise fail("param_required", name="message")
    if not isinstance(message, dict):
        raise fail("not_object", name="message")
    attachment = message.get("attachment")
    if attachment is None:
        raise fail("param_required", name="message[attachment]")
    check_attachment(attachment, has_file=has_file, allowed=MEDIA_TYPES)
    return dict(attachment)
