"""The YAML schema of `notify: - platform: facebook` (every option, default and message)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import PLATFORM_SCHEMA as NOTIFY_PLATFORM_SCHEMA
import homeassistant.helpers.config_validation as cv
import voluptuous as vol

from .const import (
    CONF_ALLOWED_CHAT_IDS,
    CONF_APP_SECRET,
    CONF_ATTACHMENTS_KEEP_DAYS,
    CONF_COMMANDS,
    CONF_CONVERSATION_AGENT,
    CONF_GET_STARTED,
    CONF_GRAPH_API_VERSION,
    CONF_GRAPH_URL,
    CONF_ICE_BREAKERS,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_MESSAGE,
    CONF_MENU,
    CONF_MESSAGING_TYPE,
    CONF_OUTBOX_TTL,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_SAVE_ATTACHMENTS,
    CONF_SPEECH_TO_TEXT,
    CONF_TAG,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_ATTACHMENTS_KEEP_DAYS,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
)
from .keepalive import DEFAULT_KEEP_ALIVE_MESSAGE
from .messenger import (
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    MESSAGING_TYPES,
    TEXT_LIMIT,
    MessageError,
    check_messaging,
    check_tag,
    parse_allowed_chat_ids,
)
from .runtime import profile_of


def _tag(value: object) -> str:
    try:
        return check_tag(value)
    except MessageError as err:
        raise vol.Invalid(str(err)) from err


def _allowed(value: object) -> dict[str, str | None]:
    try:
        return parse_allowed_chat_ids(value)
    except ValueError as err:
        raise vol.Invalid(str(err)) from err


def secret(value: object) -> str:
    """A secret option: a non-empty string, never echoed in an error."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("must be a non-empty string (quote it in YAML)")
    return value.strip()


def _profile_part(key: str) -> Any:
    """A validator of one profile key against Meta's limits (refused at start, naming the item;
    the error points at the key, so the log quotes that key's value and no secret)."""

    def check(value: Any) -> Any:
        try:
            profile_of({key: value})
        except MessageError as err:
            raise vol.Invalid(str(err)) from err
        return value

    return check


def _consistent(config: dict[str, Any]) -> dict[str, Any]:
    """The page's default messaging_type and tag go together."""
    try:
        check_messaging(config.get(CONF_MESSAGING_TYPE), config.get(CONF_TAG))
    except MessageError as err:
        path = CONF_TAG if config.get(CONF_TAG) is None else CONF_MESSAGING_TYPE
        raise vol.Invalid(str(err), path=[path]) from err
    return config


POSITIVE_PERIOD = vol.All(cv.time_period, cv.positive_timedelta)

PLATFORM_SCHEMA = vol.All(
    NOTIFY_PLATFORM_SCHEMA.extend(
        {
            vol.Required(CONF_PAGE_ACCESS_TOKEN): secret,
            vol.Optional(CONF_VERIFY_TOKEN): secret,
            vol.Optional(CONF_APP_SECRET): secret,
            vol.Optional(CONF_ALLOWED_CHAT_IDS, default=dict): _allowed,
            vol.Optional(CONF_MESSAGING_TYPE): vol.In(
                MESSAGING_TYPES, msg=f"must be one of {', '.join(MESSAGING_TYPES)}"
            ),
            vol.Optional(CONF_TAG): _tag,
            vol.Optional(CONF_GRAPH_API_VERSION, default=DEFAULT_GRAPH_API_VERSION): vol.Match(
                r"^v\d+\.\d+$", msg="must look like v25.0"
            ),
            vol.Optional(CONF_GRAPH_URL, default=DEFAULT_GRAPH_URL): cv.url,
            vol.Optional(CONF_WINDOW_WARNING, default=DEFAULT_WINDOW_WARNING): POSITIVE_PERIOD,
            vol.Optional(CONF_OUTBOX_TTL, default=DEFAULT_OUTBOX_TTL): POSITIVE_PERIOD,
            vol.Optional(CONF_KEEP_ALIVE, default=False): cv.boolean,
            vol.Optional(CONF_KEEP_ALIVE_MESSAGE, default=DEFAULT_KEEP_ALIVE_MESSAGE): vol.All(
                cv.string, vol.Length(min=1, max=TEXT_LIMIT, msg="must be 1 to 1999 characters")
            ),
            vol.Optional(CONF_UTILITY_TEMPLATE, default=False): cv.boolean,
            vol.Optional(CONF_CONVERSATION_AGENT): vol.All(cv.string, vol.Length(min=1)),
            vol.Optional(CONF_MENU): _profile_part(CONF_MENU),
            vol.Optional(CONF_ICE_BREAKERS): _profile_part(CONF_ICE_BREAKERS),
            vol.Optional(CONF_COMMANDS): _profile_part(CONF_COMMANDS),
            vol.Optional(CONF_GET_STARTED): _profile_part(CONF_GET_STARTED),
            vol.Optional(CONF_SAVE_ATTACHMENTS, default=True): cv.boolean,
            vol.Optional(
                CONF_ATTACHMENTS_KEEP_DAYS, default=DEFAULT_ATTACHMENTS_KEEP_DAYS
            ): vol.All(vol.Coerce(int), vol.Range(min=1, max=3650)),
            vol.Optional(CONF_SPEECH_TO_TEXT): cv.entity_domain("stt"),
        },
        extra=vol.PREVENT_EXTRA,
    ),
    _consistent,
)
