"""Turn a call's `message`, `title` and `data` into Send API messages, validated.

Pure code (no I/O): everything a call asks for is checked before anything is sent, so a call with
any bad input sends nothing at all. Media that needs I/O (local files, downloads, camera
snapshots) is only described here, as placeholders the caller fills before sending.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from . import checks
from .const import (
    BUTTON_TEXT_LIMIT,
    BUTTONS_MAX,
    FEEDBACK_TAG,
    KEY_BUTTONS,
    KEY_CAMERA,
    KEY_MESSAGE_ID,
    KEY_MESSAGING_TYPE,
    KEY_NOTIFICATION_TYPE,
    KEY_QUICK_REPLIES,
    KEY_REACTION,
    KEY_REPLY_TO,
    KEY_SENDER_ACTION,
    KEY_TAG,
    KEY_UPLOAD,
    MEDIA_TYPES,
    MESSAGING_TYPE_TAG,
    MESSAGING_TYPES,
    METADATA_MAX,
    NOTIFICATION_TYPES,
    PASSTHROUGH_MESSAGE_FIELDS,
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    REACTION_MAX,
    RETIRED_TAGS,
    SENDER_ACTIONS,
    TEXT_LIMIT,
    VALID_TAGS,
)
from .errors import MessageError
from .images import KEY_GRID, KEY_IMAGES, album_request, grid_request
from .models import JSONDict, MediaRequest, OutgoingMessage, PreparedCall, SendOptions

KNOWN_DATA_KEYS = (
    *PASSTHROUGH_MESSAGE_FIELDS,
    KEY_BUTTONS,
    *MEDIA_TYPES,
    KEY_UPLOAD,
    KEY_CAMERA,
    KEY_MESSAGING_TYPE,
    KEY_TAG,
    KEY_NOTIFICATION_TYPE,
    KEY_SENDER_ACTION,
    KEY_REPLY_TO,
    KEY_REACTION,
    KEY_MESSAGE_ID,
    KEY_IMAGES,
    KEY_GRID,
)
QUICK_REPLY_CONTENT_TYPES = ("text", "user_phone_number", "user_email")
NOTHING_TO_SEND = "nothing to send: the message is empty and data holds no media"


def build_call(
    message: str,
    title: str | None,
    data: dict[str, Any] | None,
    *,
    default_messaging_type: str,
    default_tag: str | None,
) -> PreparedCall:
    """Validate a call and build its messages; media messages are placeholders until fetched."""
    text = f"{title}\n{message}" if title and message else (title or message)
    if not data:  # the everyday call, plain text with the page's defaults: keep it short
        if not text.strip():
            raise MessageError(NOTHING_TO_SEND)
        return PreparedCall(
            options=_default_options(default_messaging_type, default_tag),
            messages=[OutgoingMessage(message={"text": c}) for c in split_text(text, TEXT_LIMIT)],
        )
    data = dict(data)
    _check_known_keys(data)
    call = PreparedCall(options=call_options(data, default_messaging_type, default_tag))
    quick_replies = _quick_replies(data[KEY_QUICK_REPLIES]) if KEY_QUICK_REPLIES in data else None
    buttons = _buttons(data[KEY_BUTTONS]) if KEY_BUTTONS in data else None
    media = _media_requests(data)
    album = album_request(data[KEY_IMAGES]) if KEY_IMAGES in data else None
    grid = grid_request(data[KEY_GRID]) if KEY_GRID in data else None
    if grid is not None and buttons is not None:
        raise MessageError("buttons go inside grid (grid.buttons) when there is a grid")
    extra = _passthrough(data)
    call.messages.extend(_sender_action(data))
    reaction = _reaction(data)
    if reaction is not None:
        call.messages.append(reaction)
        if not text.strip() and not media and not extra:
            return call  # a reaction alone: no text needed
    has_media = bool(media or album or grid)
    call.messages.extend(_body_messages(text, extra, buttons, has_media=has_media))
    if album is not None:
        call.albums.append((len(call.messages), album))
        call.messages.append(OutgoingMessage(media_kind="image"))
    if grid is not None:
        call.grids.append((len(call.messages), grid))
        call.messages.append(OutgoingMessage(media_kind="template"))
    for request in media:
        call.media_slots.append(len(call.messages))
        call.media.append(request)
        call.messages.append(OutgoingMessage(media_kind=request.kind))
    if not any(m.message is not None or m.media_kind for m in call.messages):
        raise MessageError(NOTHING_TO_SEND)
    _decorate(call, quick_replies, extra.get("metadata"))
    _quote(call, data.get(KEY_REPLY_TO))
    return call


def _reaction(data: dict[str, Any]) -> OutgoingMessage | None:
    """`reaction` with `message_id`: react to a person's message (None or "unreact": remove
    the page's reaction), one sender action with no message.

    https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/sender-actions
    """
    if KEY_REACTION not in data and KEY_MESSAGE_ID not in data:
        return None
    message_id = data.get(KEY_MESSAGE_ID)
    if not isinstance(message_id, str) or not message_id.strip():
        raise MessageError("reaction needs message_id: the mid of the message to react to")
    if KEY_REACTION not in data:
        raise MessageError("message_id goes with reaction (an emoji, or null to remove it)")
    reaction = data[KEY_REACTION]
    if reaction is None or reaction == "unreact":
        return OutgoingMessage(sender_action="unreact", action_payload={"message_id": message_id})
    if not isinstance(reaction, str) or not reaction.strip() or len(reaction) > REACTION_MAX:
        raise MessageError(f"reaction must be an emoji (or null to remove it), not {reaction!r}")
    return OutgoingMessage(
        sender_action="react", action_payload={"message_id": message_id, "reaction": reaction}
    )


def _quote(call: PreparedCall, reply_to: object) -> None:
    """`reply_to`: the first message quotes the person's message with this mid.

    https://developers.facebook.com/docs/messenger-platform/reference/send-api/
    """
    if reply_to is None:
        return
    if not isinstance(reply_to, str) or not reply_to.strip():
        raise MessageError("reply_to must be the mid of a message in the conversation")
    first = next((m for m in call.messages if m.sender_action is None), None)
    if first is None:
        raise MessageError("reply_to needs a message to quote it with")
    first.reply_to = reply_to.strip()


def _check_known_keys(data: dict[str, Any]) -> None:
    unknown = sorted(str(key) for key in data if key not in KNOWN_DATA_KEYS)
    if unknown:
        raise MessageError(
            f"unknown data key(s) {', '.join(unknown)}; allowed: {', '.join(KNOWN_DATA_KEYS)}"
        )


def _sender_action(data: dict[str, Any]) -> list[OutgoingMessage]:
    if KEY_SENDER_ACTION not in data:
        return []
    action = data[KEY_SENDER_ACTION]
    if action not in SENDER_ACTIONS:
        raise MessageError(
            f"sender_action must be one of {', '.join(SENDER_ACTIONS)}, not {action!r}"
        )
    return [OutgoingMessage(sender_action=action)]


def _body_messages(
    text: str, extra: JSONDict, buttons: list[JSONDict] | None, *, has_media: bool
) -> list[OutgoingMessage]:
    """The text (split to fit), a button template, or a passed-through message body."""
    if "attachment" in extra or "sticker_id" in extra:
        # The classic behaviour: the merged message holds an attachment, so the text is dropped.
        if buttons is not None:
            raise MessageError("buttons can't be combined with an attachment in data")
        return [OutgoingMessage(message=dict(extra))]
    if text.strip():
        chunks = split_text(text, TEXT_LIMIT)
        if buttons is None:
            return [OutgoingMessage(message={"text": chunk, **extra}) for chunk in chunks]
        *head, last = chunks
        chunks = [*head, *split_text(last, BUTTON_TEXT_LIMIT)]
        messages = [OutgoingMessage(message={"text": chunk, **extra}) for chunk in chunks[:-1]]
        final = {"text": chunks[-1], **extra}
        return [*messages, OutgoingMessage(message=_button_template(final, buttons))]
    if buttons is not None:
        raise MessageError("buttons need a message text to show them with")
    if "metadata" in extra and not has_media:
        raise MessageError("metadata needs a message text or media to travel with")
    return []


def _decorate(call: PreparedCall, quick_replies: list[JSONDict] | None, metadata: Any) -> None:
    """Quick replies go on the last message (text or media); metadata on every media message."""
    messages = call.messages
    if quick_replies is not None:
        last = max(i for i, m in enumerate(messages) if m.message is not None or m.media_kind)
        messages[last] = _with_fields(messages[last], {"quick_replies": quick_replies})
    if metadata is not None:
        for i, outgoing in enumerate(messages):
            if outgoing.media_kind:
                messages[i] = _with_fields(outgoing, {"metadata": metadata})


def media_message(kind: str, payload: JSONDict, extra: JSONDict | None = None) -> JSONDict:
    """The `message` object of a media message."""
    return {"attachment": {"type": kind, "payload": payload}, **(extra or {})}


def _with_fields(outgoing: OutgoingMessage, fields: JSONDict) -> OutgoingMessage:
    """Add message fields; a media placeholder keeps them until its media is in."""
    if outgoing.message is not None:
        return replace(outgoing, message={**outgoing.message, **fields})
    return replace(outgoing, pending_fields={**outgoing.pending_fields, **fields})


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` UTF-16 units, at whitespace, in order.

    The whitespace character a part is split at is dropped; nothing is added to any part.
    A word longer than the limit is cut hard (never inside a surrogate pair).
    """
    if len(text) * 2 <= limit:  # fits whatever its characters: no need to count
        return [text]
    parts: list[str] = []
    rest = text
    while _utf16_len(rest) > limit:
        cut = _fitting_prefix(rest, limit)
        at = _last_space(rest, cut)
        if at > 0:
            part, rest = rest[:at], rest[at + 1 :]
        else:
            part, rest = rest[:cut], rest[cut:]
        if part.strip():
            parts.append(part)
    if rest.strip() or not parts:
        parts.append(rest)
    return parts


def _utf16_len(text: str) -> int:
    # Meta counts UTF-16 code units; a lone surrogate counts as one, like any BMP character.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """Number of characters of `text` whose UTF-16 length fits in `limit`."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _last_space(text: str, cut: int) -> int:
    """Index of the last whitespace at or before `cut` (so the part before it fits), or -1."""
    for i in range(min(cut, len(text) - 1), 0, -1):
        if text[i].isspace():
            return i
    return -1


@cache
def _default_options(default_type: str, default_tag: str | None) -> SendOptions:
    """The options of a call without data (a handful of combinations: made once each)."""
    return call_options({}, default_type, default_tag)


def call_options(data: dict[str, Any], default_type: str, default_tag: str | None) -> SendOptions:
    """The request options of a call: its own messaging_type/tag, else the page's defaults."""
    call_type = data.get(KEY_MESSAGING_TYPE)
    call_tag = data.get(KEY_TAG)
    if call_type is not None and call_type not in MESSAGING_TYPES:
        raise MessageError(
            f"messaging_type must be one of {', '.join(MESSAGING_TYPES)}, not {call_type!r}"
        )
    if call_type is not None:
        messaging_type = call_type
        tag = call_tag or (default_tag if call_type == MESSAGING_TYPE_TAG else None)
    elif call_tag is not None:
        messaging_type, tag = MESSAGING_TYPE_TAG, call_tag
    else:
        messaging_type, tag = default_type, default_tag
    if tag is not None:
        check_tag(tag)
    check_messaging(messaging_type, tag)
    notification_type = data.get(KEY_NOTIFICATION_TYPE)
    if notification_type is not None and notification_type not in NOTIFICATION_TYPES:
        raise MessageError(
            f"notification_type must be one of {', '.join(NOTIFICATION_TYPES)}, "
            f"not {notification_type!r}"
        )
    return SendOptions(messaging_type, tag, notification_type)


def check_messaging(messaging_type: str | None, tag: str | None) -> None:
    """A tag goes with MESSAGE_TAG and MESSAGE_TAG needs one (a page's defaults, or a call's)."""
    if messaging_type == MESSAGING_TYPE_TAG and not tag:
        raise MessageError(f"messaging_type MESSAGE_TAG needs a tag ({' or '.join(VALID_TAGS)})")
    if tag and messaging_type not in (None, MESSAGING_TYPE_TAG):
        raise MessageError(f"tag goes with messaging_type MESSAGE_TAG, not {messaging_type}")


def check_tag(tag: object) -> str:
    """A tag Meta still accepts, or a clear error (for the page's default and for calls)."""
    if tag in RETIRED_TAGS:
        raise MessageError(
            f"tag {tag} was retired by Meta on 2026-04-27 (every request with it fails with "
            f"error 100); tags left: {', '.join(VALID_TAGS)}"
        )
    if tag == FEEDBACK_TAG:
        raise MessageError(
            f"tag {FEEDBACK_TAG} goes only with Meta's Customer Feedback template (any other "
            f"use fails); for a person typing an answer within 7 days use HUMAN_AGENT, or no tag"
        )
    if tag not in VALID_TAGS:
        raise MessageError(f"tag must be one of {', '.join(VALID_TAGS)}, not {tag!r}")
    return str(tag)


def _quick_replies(value: object) -> list[JSONDict]:
    if not isinstance(value, list):
        raise MessageError("quick_replies must be a list")
    if not value:
        raise MessageError("quick_replies is empty")
    if len(value) > QUICK_REPLIES_MAX:
        raise MessageError(
            f"quick_replies has {len(value)} items; Messenger shows at most {QUICK_REPLIES_MAX}"
        )
    return [_quick_reply(i, item) for i, item in enumerate(value)]


def _quick_reply(index: int, item: object) -> JSONDict:
    where = f"quick_replies[{index}]"
    if isinstance(item, str | int | float) and not isinstance(item, bool):
        item = {"title": str(item)}
    if not isinstance(item, dict):
        raise MessageError(f"{where} must be a string or a mapping with title and payload")
    content_type = item.get("content_type", "text")
    if content_type not in QUICK_REPLY_CONTENT_TYPES:
        raise MessageError(
            f"{where}.content_type must be one of {', '.join(QUICK_REPLY_CONTENT_TYPES)}"
        )
    checks.check_keys(where, item, ("content_type", "title", "payload", "image_url"))
    if content_type != "text":
        return {"content_type": content_type}
    title = checks.title(where, item.get("title"), QUICK_REPLY_TITLE_MAX, scalars=True)
    reply: JSONDict = {
        "content_type": "text",
        "title": title,
        "payload": checks.payload(f"{where}.payload", item.get("payload", title)),
    }
    if "image_url" in item:
        reply["image_url"] = checks.url(f"{where}.image_url", item["image_url"])
    return reply


def _buttons(value: object) -> list[JSONDict]:
    if not isinstance(value, list) or not value:
        raise MessageError("buttons must be a list of 1 to 3 {title, payload} or {title, url}")
    if len(value) > BUTTONS_MAX:
        raise MessageError(f"buttons has {len(value)} items; the limit is {BUTTONS_MAX}")
    return [checks.button(f"buttons[{index}]", item) for index, item in enumerate(value)]


def _button_template(message: JSONDict, buttons: list[JSONDict]) -> JSONDict:
    extra = {k: v for k, v in message.items() if k != "text"}
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "button", "text": message["text"], "buttons": buttons},
        },
        **extra,
    }


def _media_requests(data: dict[str, Any]) -> list[MediaRequest]:
    upload = data.get(KEY_UPLOAD, False)
    if not isinstance(upload, bool):
        raise MessageError("upload must be true or false")
    requests = [_media_request(kind, data[kind], upload) for kind in MEDIA_TYPES if kind in data]
    if upload and not requests:
        raise MessageError("upload: true needs an image, video, audio or file URL")
    if KEY_CAMERA in data:
        camera = data[KEY_CAMERA]
        if not isinstance(camera, str) or not camera.startswith("camera."):
            raise MessageError(f"camera must be a camera entity id, not {camera!r}")
        requests.append(MediaRequest("image", "camera", camera))
    return requests


def _media_request(kind: str, value: object, upload: bool) -> MediaRequest:
    if not isinstance(value, str) or not value.strip():
        raise MessageError(f"{kind} must be a URL or a file path")
    value = value.strip()
    if checks.URL.match(value):
        return MediaRequest(kind, "download" if upload else "url", value)
    if "://" in value:
        raise MessageError(f"{kind} URL must be http or https: {value}")
    return MediaRequest(kind, "path", value)


def _passthrough(data: dict[str, Any]) -> JSONDict:
    extra: JSONDict = {
        key: data[key]
        for key in PASSTHROUGH_MESSAGE_FIELDS
        if key in data and key != KEY_QUICK_REPLIES
    }
    if "metadata" in extra:
        metadata = extra["metadata"]
        if not isinstance(metadata, str) or len(metadata) > METADATA_MAX:
            raise MessageError(f"metadata must be a string of at most {METADATA_MAX} characters")
    if "attachment" in extra and not isinstance(extra["attachment"], dict):
        raise MessageError("attachment must be a mapping with type and payload")
    return extra
