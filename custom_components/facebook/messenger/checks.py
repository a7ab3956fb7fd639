"""Checks of the fields a message's parts share (keys, titles, links, payloads, buttons).

The short forms of `builder` and the grid of `images` take the same buttons, payloads and
links, so they check them here, one way, with the same errors.
"""

from __future__ import annotations

import re
from typing import Any

from .const import BUTTON_TITLE_MAX, PAYLOAD_MAX
from .errors import MessageError
from .models import JSONDict

URL = re.compile(r"^https?://", re.IGNORECASE)


def check_keys(where: str, item: dict[Any, Any], allowed: tuple[str, ...]) -> None:
    """Refuse keys Messenger would not take, naming those it does."""
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise MessageError(
            f"{where} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def title(where: str, value: object, limit: int, *, scalars: bool = False) -> str:
    """A button or quick-reply title: present, and within Messenger's length."""
    ok_types = (str, int, float) if scalars else (str,)
    if not isinstance(value, ok_types) or isinstance(value, bool) or not str(value):
        raise MessageError(f"{where} needs a title")
    text = str(value)
    if len(text) > limit:
        raise MessageError(
            f"{where}.title {text!r} is {len(text)} characters; the limit is {limit}"
        )
    return text


def url(where: str, value: object) -> str:
    """An http(s) link."""
    if not isinstance(value, str) or not URL.match(value):
        raise MessageError(f"{where} must be an http(s) URL")
    return value


def payload(where: str, value: object) -> str:
    """A postback's or quick reply's payload (`where` names the payload itself)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
        raise MessageError(f"{where} must be a non-empty string")
    text = str(value)
    if len(text) > PAYLOAD_MAX:
        raise MessageError(f"{where} is {len(text)} characters; the limit is {PAYLOAD_MAX}")
    return text


def button(where: str, item: object) -> JSONDict:
    """A postback button (title and payload) or a link button (title and url)."""
    if not isinstance(item, dict):
        raise MessageError(f"{where} must be a mapping with title and payload or url")
    check_keys(where, item, ("title", "payload", "url"))
    name = title(where, item.get("title"), BUTTON_TITLE_MAX)
    if ("payload" in item) == ("url" in item):
        raise MessageError(f"{where} needs either a payload (postback) or a url (web link)")
    if "url" in item:
        return {"type": "web_url", "title": name, "url": url(f"{where}.url", item["url"])}
    return {
        "type": "postback",
        "title": name,
        "payload": payload(f"{where}.payload", item["payload"]),
    }
