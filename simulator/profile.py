"""Messenger Profile properties: what ``POST /me/messenger_profile`` accepts
(``FIDELITY.md`` F-27 limits, F-17 and F-27 errors).

Pure checks over the request body, so the Graph route only deals with storing and answering.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from .errors import fail
from .validation import blank, check_enum, check_list, objects, required_text

PROPERTIES = (
    "get_started",
    "persistent_menu",
    "ice_breakers",
    "commands",
    "greeting",
    "whitelisted_domains",
    "account_linking_url",
)
MENU_ITEMS = 20
MENU_TITLE = 30
PAYLOAD = 1000
ICE_BREAKERS = 4
COMMANDS = 100
COMMAND_NAME = 32
COMMAND_DESCRIPTION = 64
GREETING = 160
DOMAINS = 50
MENU_TYPES = ("postback", "web_url")
HEIGHT_RATIOS = ("compact", "tall", "full")


def _objects(name: str, value: Any, most: int) -> list[dict[str, Any]]:
    """A list of one to ``most`` objects, every item checked before any is read."""
    return [item for _, item in objects(name, check_list(name, value, most))]


def _needs_default(name: str, items: list[dict[str, Any]]) -> None:
    if not any(item.get("locale") == "default" for item in items):
        raise fail("profile_default_locale", name=name)


def _check_get_started(value: Any) -> None:
    if not isinstance(value, dict):
        raise fail("not_object", name="get_started")
    required_text("get_started[payload]", value.get("payload"), PAYLOAD)


def _check_menu_item(where: str, item: dict[str, Any]) -> None:
    kind = str(item.get("type", "")).lower()
    if kind not in MENU_TYPES:  # "nested" was removed in v8.0 (FIDELITY F-27)
        raise fail("profile_button_type")
    required_text(f"{where}[title]", item.get("title"), MENU_TITLE)
    if kind == "postback":
        required_text(f"{where}[payload]", item.get("payload"), PAYLOAD)
    elif blank(item.get("url")):
        raise fail("web_url_required")
    ratio = item.get("webview_height_ratio")
    if ratio is not None:
        check_enum(f"{where}[webview_height_ratio]", ratio, HEIGHT_RATIOS, upper=False)


def _check_menu(value: Any) -> None:
    locales = _objects("persistent_menu", value, 100)
    _needs_default("persistent_menu", locales)
    for index, locale in enumerate(locales):
        where = f"persistent_menu[{index}]"
        actions = locale.get("call_to_actions")
        if actions is None:
            if locale.get("composer_input_disabled") in (True, "true"):
                raise fail("param_required", name=f"{where}[call_to_actions]")
            continue
        for number, item in enumerate(_objects(f"{where}[call_to_actions]", actions, MENU_ITEMS)):
            _check_menu_item(f"{where}[call_to_actions][{number}]", item)


def _check_questions(where: str, questions: Any) -> None:
    for index, question in enumerate(_objects(where, questions, ICE_BREAKERS)):
        required_text(f"{where}[{index}][question]", question.get("question"), PAYLOAD)
        required_text(f"{where}[{index}][payload]", question.get("payload"), PAYLOAD)


def _check_ice_breakers(value: Any) -> None:
    items = _objects("ice_breakers", value, 100)
    localized = ["call_to_actions" in item or "locale" in item for item in items]
    if any(localized) and not all(localized):
        raise fail("profile_mixed_ice_breakers")
    if not any(localized):
        _check_questions("ice_breakers", items)
        return
    _needs_default("ice_breakers", items)
    for index, item in enumerate(items):
        _check_questions(f"ice_breakers[{index}][call_to_actions]", item.get("call_to_actions"))


def _check_commands(value: Any) -> None:
    for index, locale in enumerate(_objects("commands", value, 100)):
        where = f"commands[{index}][commands]"
        for number, command in enumerate(_objects(where, locale.get("commands"), COMMANDS)):
            name = required_text(f"{where}[{number}][name]", command.get("name"), COMMAND_NAME)
            if name.startswith("/"):
                raise fail("profile_command_name")
            description = command.get("description")
            required_text(f"{where}[{number}][description]", description, COMMAND_DESCRIPTION)


def _check_greeting(value: Any) -> None:
    items = _objects("greeting", value, 100)
    _needs_default("greeting", items)
    for index, item in enumerate(items):
        required_text(f"greeting[{index}][text]", item.get("text"), GREETING)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_domains(value: Any) -> None:
    for index, domain in enumerate(check_list("whitelisted_domains", value, DOMAINS)):
        parts = urlsplit(str(domain))
        host = (parts.hostname or "").lower()
        local = host == "localhost" or host.endswith(".localhost") or "." not in host
        if parts.scheme != "https" or not host or local or _is_ip(host):
            raise fail("profile_domain", index=index)


def _check_url(value: Any) -> None:
    if not str(value).startswith("https://"):
        raise fail("url_fetch")


CHECKS = {
    "get_started": _check_get_started,
    "persistent_menu": _check_menu,
    "ice_breakers": _check_ice_breakers,
    "commands": _check_commands,
    "greeting": _check_greeting,
    "whitelisted_domains": _check_domains,
    "account_linking_url": _check_url,
}
IGNORED = frozenset({"access_token", "appsecret_proof", "platform"})


def properties_of(body: dict[str, Any]) -> dict[str, Any]:
    """The properties a POST sets, each checked (unknown ones: 100)."""
    found = {key: value for key, value in body.items() if key not in IGNORED}
    if not found:
        raise fail("param_required", name=", ".join(PROPERTIES[:6]))
    for key, value in found.items():
        if key not in CHECKS:
            raise fail("profile_unknown", name=key)
        CHECKS[key](value)
    return found


def check_order(current: dict[str, Any], setting: dict[str, Any]) -> None:
    """A persistent menu needs a Get Started button, set before or in the same call (F-17)."""
    if "persistent_menu" in setting and "get_started" not in {**current, **setting}:
        raise fail("profile_get_started")


def fields_of(value: Any, *, name: str = "fields") -> list[str]:
    """The property names of a GET ``fields=`` or a DELETE ``{"fields": [...]}``."""
    if blank(value):
        raise fail("param_required", name=name)
    items = value if isinstance(value, list) else str(value).split(",")
    names = [str(item).strip() for item in items if str(item).strip()]
    for field_name in names:
        if field_name not in PROPERTIES:
            raise fail("profile_unknown", name=field_name)
    return names


def default_items(value: Any, key: str = "call_to_actions") -> list[dict[str, Any]]:
    """The default locale's items of a localized property (or a flat list as it is)."""
    if not isinstance(value, list):
        return []
    localized = [item for item in value if isinstance(item, dict) and "locale" in item]
    if not localized:
        return [item for item in value if isinstance(item, dict)]
    chosen = next((item for item in localized if item["locale"] == "default"), localized[0])
    items = chosen.get(key) or []
    return [item for item in items if isinstance(item, dict)]
