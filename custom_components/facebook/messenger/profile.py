"""The page's Messenger Profile: persistent menu, ice breakers, commands and Get Started.

Validated against Meta's limits before anything is sent, each error naming the item. A Get
Started button is set whenever a menu or ice breakers are (Meta refuses a menu without one; its
code, 100/2018145, is from public code and UNCONFIRMED). Meta allows 10 profile calls per 10
minutes per page, so the profile is applied only when it changed: `fingerprint` says whether it
did, and `CallBudget` when the next call may go.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/messenger-profile-api
https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api/domain-whitelisting
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import hashlib
import json
import re
from typing import Any, Final

from .client import GraphClient
from .errors import MessageError
from .models import JSONDict

MENU_MAX: Final = 20
MENU_TITLE_MAX: Final = 30
PAYLOAD_MAX: Final = 1000
ICE_BREAKERS_MAX: Final = 4
# Meta's ice-breakers page gives no length for a question: UNCONFIRMED.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/reference/messenger-profile-api/ice-breakers
QUESTION_MAX: Final = 80
COMMANDS_MAX: Final = 100
COMMAND_NAME_MAX: Final = 32
COMMAND_DESCRIPTION_MAX: Final = 64
DEFAULT_GET_STARTED: Final = "GET_STARTED"
FIELDS: Final = ("get_started", "persistent_menu", "ice_breakers", "commands")
CALLS_PER_WINDOW: Final = 10
CALL_WINDOW: Final = 600.0
PROFILE_PATH: Final = "/me/messenger_profile"
_URL = re.compile(r"^https?://", re.IGNORECASE)


def _text(where: str, value: object, limit: int) -> str:
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or not str(value).strip()
    ):
        raise MessageError(f"{where} is empty")
    text = str(value).strip()
    if len(text) > limit:
        raise MessageError(f"{where} {text!r} is {len(text)} characters; the limit is {limit}")
    return text


def _mapping(where: str, item: object, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise MessageError(f"{where} must be a mapping with {' and '.join(keys)}")
    unknown = sorted(str(k) for k in item if k not in keys)
    if unknown:
        raise MessageError(f"{where} has unknown key(s) {', '.join(unknown)}")
    return item


def _menu_item(index: int, item: object) -> JSONDict:
    where = f"menu[{index}]"
    item = _mapping(where, item, ("title", "payload", "url"))
    title = _text(f"{where}.title", item.get("title"), MENU_TITLE_MAX)
    if ("payload" in item) == ("url" in item):
        raise MessageError(f"{where} needs either a payload (postback) or a url (web link)")
    if "url" in item:
        url = item["url"]
        if not isinstance(url, str) or not _URL.match(url):
            raise MessageError(f"{where}.url must be an http(s) URL")
        return {"type": "web_url", "title": title, "url": url}
    payload = _text(f"{where}.payload", item["payload"], PAYLOAD_MAX)
    return {"type": "postback", "title": title, "payload": payload}


def _ice_breaker(index: int, item: object) -> JSONDict:
    where = f"ice_breakers[{index}]"
    item = _mapping(where, item, ("question", "payload"))
    question = _text(f"{where}.question", item.get("question"), QUESTION_MAX)
    return {
        "question": question,
        "payload": _text(f"{where}.payload", item.get("payload", question), PAYLOAD_MAX),
    }


def _command(index: int, item: object) -> JSONDict:
    where = f"commands[{index}]"
    item = _mapping(where, item, ("name", "description"))
    name = _text(f"{where}.name", item.get("name"), COMMAND_NAME_MAX)
    if name.startswith("/") or " " in name:
        raise MessageError(f"{where}.name {name!r} must be one word without a leading /")
    description = _text(f"{where}.description", item.get("description"), COMMAND_DESCRIPTION_MAX)
    return {"name": name, "description": description}


def _items(name: str, value: object, limit: int) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MessageError(f"{name} must be a list")
    if len(value) > limit:
        raise MessageError(f"{name} has {len(value)} items; Meta takes at most {limit}")
    return value


def build_profile(
    menu: object = None,
    ice_breakers: object = None,
    commands: object = None,
    get_started: object = None,
) -> JSONDict:
    """The profile properties to set; raises MessageError naming the first bad item."""
    profile: JSONDict = {}
    items = [_menu_item(i, x) for i, x in enumerate(_items("menu", menu, MENU_MAX))]
    questions = [
        _ice_breaker(i, x)
        for i, x in enumerate(_items("ice_breakers", ice_breakers, ICE_BREAKERS_MAX))
    ]
    names = [_command(i, x) for i, x in enumerate(_items("commands", commands, COMMANDS_MAX))]
    if get_started is not None or items or questions:
        payload = DEFAULT_GET_STARTED if get_started is None else get_started
        profile["get_started"] = {"payload": _text("get_started", payload, PAYLOAD_MAX)}
    if items:
        profile["persistent_menu"] = [
            {"locale": "default", "composer_input_disabled": False, "call_to_actions": items}
        ]
    if questions:
        profile["ice_breakers"] = [{"locale": "default", "call_to_actions": questions}]
    if names:
        profile["commands"] = [{"locale": "default", "commands": names}]
    return profile


def fingerprint(profile: JSONDict) -> str:
    """What the profile is, in a few bytes (equal profiles, equal fingerprints)."""
    canonical = json.dumps(profile, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class CallBudget:
    """Meta's 10 profile calls per 10 minutes, as a record of when the last ones went."""

    def __init__(self, calls: Iterable[float] = ()) -> None:
        """Start from the times (epoch seconds) of earlier calls."""
        self.calls = sorted(float(c) for c in calls)

    def wait(self, now: float, calls: int = 1) -> float:
        """Seconds before `calls` more calls fit in the window (0: now)."""
        recent = [c for c in self.calls if c > now - CALL_WINDOW]
        self.calls = recent
        over = len(recent) + calls - CALLS_PER_WINDOW
        if over <= 0:
            return 0.0
        return recent[over - 1] + CALL_WINDOW - now

    def note(self, now: float) -> None:
        """A call went out."""
        self.calls.append(now)


async def set_profile(client: GraphClient, profile: JSONDict) -> None:
    """`POST /me/messenger_profile` with the properties (one call)."""
    await client.write("POST", PROFILE_PATH, profile)


async def delete_fields(client: GraphClient, fields: Sequence[str]) -> None:
    """`DELETE /me/messenger_profile` with a JSON `fields` body (one call; module docstring)."""
    await client.write("DELETE", PROFILE_PATH, {"fields": list(fields)})


# The profile's lists as text a person can edit: one item a line, its two parts split by " | "
# ("Lights | LIGHTS", "Weather | https://example.com/weather").
PROFILE_LINES: Final = {
    "menu": ("title", "payload"),
    "ice_breakers": ("question", "payload"),
    "commands": ("name", "description"),
}


def profile_from_lines(texts: Mapping[str, Any]) -> dict[str, Any]:
    """The menu, ice breakers and commands typed as lines, as the lists YAML would give
    (None where nothing was typed), and `get_started`."""
    lists: dict[str, Any] = {}
    for key, (first, second) in PROFILE_LINES.items():
        items = []
        for line in str(texts.get(key) or "").splitlines():
            if not line.strip():
                continue
            head, _, tail = (part.strip() for part in line.partition("|"))
            is_link = key == "menu" and _URL.match(tail) is not None
            kind = "url" if is_link else second
            items.append({first: head, kind: tail} if tail else {first: head})
        lists[key] = items or None
    lists["get_started"] = str(texts.get("get_started") or "").strip() or None
    return lists


def profile_to_lines(stored: Mapping[str, Any]) -> dict[str, str]:
    """The stored lists as the lines `profile_from_lines` reads."""
    texts = {}
    for key, (first, second) in PROFILE_LINES.items():
        lines = []
        for item in stored.get(key) or []:
            tail = item.get("url") or item.get(second)
            lines.append(f"{item.get(first)} | {tail}" if tail else str(item.get(first)))
        texts[key] = "\n".join(lines)
    texts["get_started"] = str(stored.get("get_started") or "")
    return texts
