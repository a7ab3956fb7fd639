"""Turn a notify call's `message`, `title` and `data` into Send API message parts.

Pure code (no Home Assistant imports, no I/O): it validates everything a call asks for before
anything is sent, so a call with any bad input sends nothing at all. Media that needs I/O
(local files, downloads, camera snapshots) is only described here; `media.py` fetches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
import re
from typing import Any, Literal

from .const import (
    ATTR_BUTTONS,
    ATTR_CAMERA,
    ATTR_NOTIFICATION_TYPE,
    ATTR_QUICK_REPLIES,
    ATTR_SENDER_ACTION,
    ATTR_UPLOAD,
    BUTTON_TEXT_LIMIT,
    BUTTON_TITLE_MAX,
    BUTTONS_MAX,
    CONF_MESSAGING_TYPE,
    CONF_TAG,
    MEDIA_TYPES,
    MESSAGING_TYPE_TAG,
    MESSAGING_TYPES,
    METADATA_MAX,
    NOTIFICATION_TYPES,
    PASSTHROUGH_MESSAGE_FIELDS,
    PAYLOAD_MAX,
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    RETIRED_TAGS,
    SENDER_ACTIONS,
    TEXT_LIMIT,
    VALID_TAGS,
)
from .graph import JSONDict, Upload

KNOWN_DATA_KEYS = (
    *PASSTHROUGH_MESSAGE_FIELDS,
    ATTR_BUTTONS,
    *MEDIA_TYPES,
    ATTR_UPLOAD,
    ATTR_CAMERA,
    CONF_MESSAGING_TYPE,
    CONF_TAG,
    ATTR_NOTIFICATION_TYPE,
    ATTR_SENDER_ACTION,
)
QUICK_REPLY_CONTENT_TYPES = ("text", "user_phone_number", "user_email")
_URL = re.compile(r"^https?://", re.IGNORECASE)


class MessageError(ValueError):
    """The call's content is not something Meta would accept; nothing was sent."""


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


@dataclass(slots=True)  # not frozen: made on every call, and frozen ones cost more to make
class Part:
    """One Send API call: a `message` object or a sender action, maybe with a file."""

    message: JSONDict | None = None
    sender_action: str | None = None
    upload: Upload | None = None
    media_kind: str | None = None  # attachment type when the part carries media
    extra: JSONDict = field(default_factory=dict)  # message fields for a media placeholder

    @property
    def paced_as_media(self) -> bool:
        """Audio and video sends have their own, lower cap (10/s)."""
        return self.media_kind in ("audio", "video")


@dataclass(slots=True)
class Content:
    """A validated call: what every recipient gets, in order."""

    options: SendOptions
    parts: list[Part] = field(default_factory=list)
    media: list[MediaRequest] = field(default_factory=list)
    # Index in `parts` where each media request's part goes once fetched.
    media_slots: list[int] = field(default_factory=list)


def build_content(
    message: str,
    title: str | None,
    data: dict[str, Any] | None,
    *,
    default_messaging_type: str,
    default_tag: str | None,
) -> Content:
    """Validate a call and build its parts; media parts are placeholders until fetched."""
    if not data:  # the everyday call, plain text with the page's defaults: keep it short
        text = f"{title}\n{message}" if title and message else (title or message)
        if not text.strip():
            raise MessageError("nothing to send: the message is empty and data holds no media")
        return Content(
            options=_default_options(default_messaging_type, default_tag),
            parts=[Part(message={"text": chunk}) for chunk in split_text(text, TEXT_LIMIT)],
        )
    data = dict(data)
    unknown = sorted(str(key) for key in data if key not in KNOWN_DATA_KEYS)
    if unknown:
        raise MessageError(
            f"unknown data key(s) {', '.join(unknown)}; allowed: {', '.join(KNOWN_DATA_KEYS)}"
        )
    options = _options(data, default_messaging_type, default_tag)
    text = f"{title}\n{message}" if title and message else (title or message)
    quick_replies = _quick_replies(data[ATTR_QUICK_REPLIES]) if ATTR_QUICK_REPLIES in data else None
    buttons = _buttons(data[ATTR_BUTTONS]) if ATTR_BUTTONS in data else None
    media = _media_requests(data)
    extra = _passthrough(data)

    content = Content(options=options)
    if ATTR_SENDER_ACTION in data:
        action = data[ATTR_SENDER_ACTION]
        if action not in SENDER_ACTIONS:
            raise MessageError(
                f"sender_action must be one of {', '.join(SENDER_ACTIONS)}, not {action!r}"
            )
        content.parts.append(Part(sender_action=action))

    has_body = "attachment" in extra or "sticker_id" in extra
    if has_body:
        # The classic behaviour: the merged message holds an attachment, so the text is dropped.
        if buttons is not None:
            raise MessageError("buttons can't be combined with an attachment in data")
        content.parts.append(Part(message=dict(extra)))
    elif text.strip():
        chunks = split_text(text, TEXT_LIMIT)
        if buttons is not None:
            *head, last = chunks
            chunks = [*head, *split_text(last, BUTTON_TEXT_LIMIT)]
        for chunk in chunks:
            content.parts.append(Part(message={"text": chunk, **extra}))
        if buttons is not None:
            last_part = content.parts[-1]
            assert last_part.message is not None
            content.parts[-1] = Part(message=_button_template(last_part.message, buttons))
    elif buttons is not None:
        raise MessageError("buttons need a message text to show them with")
    elif "metadata" in extra and not media:
        raise MessageError("metadata needs a message text or media to travel with")

    for request in media:
        content.media_slots.append(len(content.parts))
        content.media.append(request)
        content.parts.append(Part(media_kind=request.kind))

    if not any(part.message is not None or part.media_kind for part in content.parts):
        raise MessageError("nothing to send: the message is empty and data holds no media")

    if quick_replies is not None:
        final = max(
            i for i, part in enumerate(content.parts) if part.message is not None or part.media_kind
        )
        content.parts[final] = _with_fields(content.parts[final], {"quick_replies": quick_replies})
    if "metadata" in extra:
        for i, part in enumerate(content.parts):
            if part.media_kind:
                content.parts[i] = _with_fields(part, {"metadata": extra["metadata"]})
    return content


def media_message(kind: str, payload: JSONDict, extra: JSONDict | None = None) -> JSONDict:
    """The `message` object of a media part."""
    return {"attachment": {"type": kind, "payload": payload}, **(extra or {})}


def _with_fields(part: Part, fields: JSONDict) -> Part:
    """Add message fields to a part; a media placeholder keeps them until it is fetched."""
    if part.message is not None:
        return replace(part, message={**part.message, **fields})
    return replace(part, extra={**part.extra, **fields})


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
    return _options({}, default_type, default_tag)


def _options(data: dict[str, Any], default_type: str, default_tag: str | None) -> SendOptions:
    call_type = data.get(CONF_MESSAGING_TYPE)
    call_tag = data.get(CONF_TAG)
    if call_type is not None and call_type not in MESSAGING_TYPES:
        raise MessageError(
            f"messaging_type must be one of {', '.join(MESSAGING_TYPES)}, not {call_type!r}"
        )
    if call_tag is not None:
        check_tag(call_tag)
    if call_type is not None:
        messaging_type = call_type
        tag = call_tag or (default_tag if call_type == MESSAGING_TYPE_TAG else None)
    elif call_tag is not None:
        messaging_type, tag = MESSAGING_TYPE_TAG, call_tag
    else:
        messaging_type, tag = default_type, default_tag
    if messaging_type == MESSAGING_TYPE_TAG and not tag:
        raise MessageError("messaging_type MESSAGE_TAG needs a tag (HUMAN_AGENT)")
    if tag and messaging_type != MESSAGING_TYPE_TAG:
        raise MessageError(f"tag {tag} only goes with messaging_type MESSAGE_TAG")
    notification_type = data.get(ATTR_NOTIFICATION_TYPE)
    if notification_type is not None and notification_type not in NOTIFICATION_TYPES:
        raise MessageError(
            f"notification_type must be one of {', '.join(NOTIFICATION_TYPES)}, "
            f"not {notification_type!r}"
        )
    return SendOptions(messaging_type, tag, notification_type)


def check_tag(tag: object) -> str:
    """A tag Meta still accepts, or a clear error (shared by the YAML schema and calls)."""
    if tag in RETIRED_TAGS:
        raise MessageError(
            f"tag {tag} was retired by Meta on 2026-04-27 (every request with it fails with "
            f"error 100); tags left: {', '.join(VALID_TAGS)}"
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
    unknown = sorted(
        str(k) for k in item if k not in ("content_type", "title", "payload", "image_url")
    )
    if unknown:
        raise MessageError(f"{where} has unknown key(s) {', '.join(unknown)}")
    if content_type != "text":
        return {"content_type": content_type}
    title = item.get("title")
    if not isinstance(title, str | int | float) or isinstance(title, bool) or not str(title):
        raise MessageError(f"{where} needs a title")
    title = str(title)
    if len(title) > QUICK_REPLY_TITLE_MAX:
        raise MessageError(
            f"{where}.title {title!r} is {len(title)} characters; the limit is "
            f"{QUICK_REPLY_TITLE_MAX}"
        )
    payload = _payload(where, item.get("payload", title))
    reply: JSONDict = {"content_type": "text", "title": title, "payload": payload}
    if "image_url" in item:
        image_url = item["image_url"]
        if not isinstance(image_url, str) or not _URL.match(image_url):
            raise MessageError(f"{where}.image_url must be an http(s) URL")
        reply["image_url"] = image_url
    return reply


def _payload(where: str, value: object) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
        raise MessageError(f"{where}.payload must be a non-empty string")
    payload = str(value)
    if len(payload) > PAYLOAD_MAX:
        raise MessageError(
            f"{where}.payload is {len(payload)} characters; the limit is {PAYLOAD_MAX}"
        )
    return payload


def _buttons(value: object) -> list[JSONDict]:
    if not isinstance(value, list) or not value:
        raise MessageError("buttons must be a list of 1 to 3 {title, payload} or {title, url}")
    if len(value) > BUTTONS_MAX:
        raise MessageError(f"buttons has {len(value)} items; the limit is {BUTTONS_MAX}")
    buttons = []
    for index, item in enumerate(value):
        where = f"buttons[{index}]"
        if not isinstance(item, dict):
            raise MessageError(f"{where} must be a mapping with title and payload or url")
        unknown = sorted(str(k) for k in item if k not in ("title", "payload", "url"))
        if unknown:
            raise MessageError(f"{where} has unknown key(s) {', '.join(unknown)}")
        title = item.get("title")
        if not isinstance(title, str) or not title:
            raise MessageError(f"{where} needs a title")
        if len(title) > BUTTON_TITLE_MAX:
            raise MessageError(
                f"{where}.title {title!r} is {len(title)} characters; the limit is "
                f"{BUTTON_TITLE_MAX}"
            )
        if ("payload" in item) == ("url" in item):
            raise MessageError(f"{where} needs either a payload (postback) or a url (web link)")
        if "url" in item:
            url = item["url"]
            if not isinstance(url, str) or not _URL.match(url):
                raise MessageError(f"{where}.url must be an http(s) URL")
            buttons.append({"type": "web_url", "title": title, "url": url})
        else:
            buttons.append(
                {"type": "postback", "title": title, "payload": _payload(where, item["payload"])}
            )
    return buttons


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
    upload = data.get(ATTR_UPLOAD, False)
    if not isinstance(upload, bool):
        raise MessageError("upload must be true or false")
    requests = []
    for kind in MEDIA_TYPES:
        if kind not in data:
            continue
        value = data[kind]
        if not isinstance(value, str) or not value.strip():
            raise MessageError(f"{kind} must be a URL or a file path")
        value = value.strip()
        if _URL.match(value):
            requests.append(MediaRequest(kind, "download" if upload else "url", value))
        elif "://" in value:
            raise MessageError(f"{kind} URL must be http or https: {value}")
        else:
            requests.append(MediaRequest(kind, "path", value))
    if upload and not requests:
        raise MessageError("upload: true needs an image, video, audio or file URL")
    if ATTR_CAMERA in data:
        camera = data[ATTR_CAMERA]
        if not isinstance(camera, str) or not camera.startswith("camera."):
            raise MessageError(f"camera must be a camera entity id, not {camera!r}")
        requests.append(MediaRequest("image", "camera", camera))
    return requests


def _passthrough(data: dict[str, Any]) -> JSONDict:
    extra: JSONDict = {}
    for key in PASSTHROUGH_MESSAGE_FIELDS:
        if key in data and key != ATTR_QUICK_REPLIES:
            extra[key] = data[key]
    if "metadata" in extra:
        metadata = extra["metadata"]
        if not isinstance(metadata, str) or len(metadata) > METADATA_MAX:
            raise MessageError(f"metadata must be a string of at most {METADATA_MAX} characters")
    if "attachment" in extra and not isinstance(extra["attachment"], dict):
        raise MessageError("attachment must be a mapping with type and payload")
    return extra
