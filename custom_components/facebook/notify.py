"""The `facebook` notify platform: YAML options, and `notify.<name>` calls end to end.

A call flows one way: targets and content are validated (nothing is sent if anything is
wrong), media is fetched, then the parts go out through the page's client, and failures are
raised after every target was tried.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import PLATFORM_SCHEMA as NOTIFY_PLATFORM_SCHEMA
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .broadcast import async_broadcast
from .const import (
    CONF_ALLOWED_CHAT_IDS,
    CONF_APP_SECRET,
    CONF_GRAPH_API_VERSION,
    CONF_GRAPH_URL,
    CONF_MESSAGING_TYPE,
    CONF_OUTBOX_TTL,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_TAG,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_GRAPH_API_VERSION,
    DEFAULT_GRAPH_URL,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    LOGGER,
    MESSAGING_TYPE_TAG,
    MESSAGING_TYPES,
    TARGET_CONCURRENCY,
)
from .delivery import Outcome, async_deliver
from .hints import hint_for
from .hub import async_get_hub
from .media import MediaError, async_fetch_media
from .messages import Content, MessageError, Part, build_content, check_tag
from .page import MessengerPage
from .targets import TargetError, allowed_chat_ids, is_broadcast, resolve_targets


def _tag(value: object) -> str:
    try:
        return check_tag(value)
    except MessageError as err:
        raise vol.Invalid(str(err)) from err


def _allowed(value: object) -> dict[str, str | None]:
    try:
        return allowed_chat_ids(value)
    except ValueError as err:
        raise vol.Invalid(str(err)) from err


def _secret(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        # Never echo the value: it is a secret.
        raise vol.Invalid("must be a non-empty string (quote it in YAML)")
    return value.strip()


def _consistent(config: dict[str, Any]) -> dict[str, Any]:
    messaging_type = config.get(CONF_MESSAGING_TYPE)
    tag = config.get(CONF_TAG)
    if messaging_type == MESSAGING_TYPE_TAG and not tag:
        raise vol.Invalid("messaging_type MESSAGE_TAG needs a tag", path=[CONF_TAG])
    if tag and messaging_type not in (None, MESSAGING_TYPE_TAG):
        raise vol.Invalid(
            f"tag goes with messaging_type MESSAGE_TAG, not {messaging_type}",
            path=[CONF_MESSAGING_TYPE],
        )
    return config


PLATFORM_SCHEMA = vol.All(
    NOTIFY_PLATFORM_SCHEMA.extend(
        {
            vol.Required(CONF_PAGE_ACCESS_TOKEN): _secret,
            vol.Optional(CONF_VERIFY_TOKEN): _secret,
            vol.Optional(CONF_APP_SECRET): _secret,
            vol.Optional(CONF_ALLOWED_CHAT_IDS, default=dict): _allowed,
            vol.Optional(CONF_MESSAGING_TYPE): vol.In(
                MESSAGING_TYPES, msg=f"must be one of {', '.join(MESSAGING_TYPES)}"
            ),
            vol.Optional(CONF_TAG): _tag,
            vol.Optional(CONF_GRAPH_API_VERSION, default=DEFAULT_GRAPH_API_VERSION): vol.Match(
                r"^v\d+\.\d+$", msg="must look like v25.0"
            ),
            vol.Optional(CONF_GRAPH_URL, default=DEFAULT_GRAPH_URL): cv.url,
            vol.Optional(CONF_WINDOW_WARNING, default=DEFAULT_WINDOW_WARNING): vol.All(
                cv.time_period, cv.positive_timedelta
            ),
            vol.Optional(CONF_OUTBOX_TTL, default=DEFAULT_OUTBOX_TTL): vol.All(
                cv.time_period, cv.positive_timedelta
            ),
        },
        extra=vol.PREVENT_EXTRA,
    ),
    _consistent,
)


async def async_get_service(
    hass: HomeAssistant, config: ConfigType, discovery_info: DiscoveryInfoType | None = None
) -> FacebookNotificationService:
    """Set up one page: its runtime, its place behind the webhook, its notify service."""
    hub = async_get_hub(hass)
    page = MessengerPage(hass, config)
    await page.async_start()
    hub.async_add_page(page)
    return FacebookNotificationService(page)


class FacebookNotificationService(BaseNotificationService):
    """`notify.<name>` for one page."""

    def __init__(self, page: MessengerPage) -> None:
        """Send through `page`."""
        self.page = page

    @property
    def targets(self) -> dict[str, str] | None:
        """Named people get their own service: `notify.<name>_<person>`."""
        return self.page.allowed.named() or None

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Validate the whole call, fetch media, send, and raise for any failure."""
        await async_notify(
            self.page,
            message,
            title=kwargs.get(ATTR_TITLE),
            targets=kwargs.get(ATTR_TARGET),
            data=kwargs.get(ATTR_DATA),
        )


async def async_notify(
    page: MessengerPage,
    message: str,
    *,
    title: str | None,
    targets: list[str] | None,
    data: dict[str, Any] | None,
) -> None:
    """One notify call."""
    try:
        content = build_content(
            message,
            title,
            data,
            default_messaging_type=page.messaging_type,
            default_tag=page.tag,
        )
        broadcast = is_broadcast(targets)
        if broadcast and len(targets or ()) > 1:
            raise TargetError("BROADCAST must be the only target of a call")
        resolved = [] if broadcast else resolve_targets(targets, page.allowed)
        parts = await _async_fetch(page, content)
    except (MessageError, TargetError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_call",
            translation_placeholders={"service": page.service_name, "error": str(err)},
        ) from err
    except MediaError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="media_failed",
            translation_placeholders={"service": page.service_name, "error": str(err)},
        ) from err

    if broadcast:
        await async_broadcast(page, parts, content.options)
        return
    outcomes = await async_deliver(
        page, resolved, parts, content.options, concurrency=TARGET_CONCURRENCY
    )
    raise_failures(page, outcomes)


async def _async_fetch(page: MessengerPage, content: Content) -> list[Part]:
    """The content's parts with every media placeholder filled (nothing sent yet)."""
    parts = list(content.parts)
    for request, slot in zip(content.media, content.media_slots, strict=True):
        parts[slot] = await async_fetch_media(page.hass, request, parts[slot])
    return parts


def raise_failures(page: MessengerPage, outcomes: list[Outcome]) -> None:
    """Report kept messages; raise one error naming every failed target with a hint."""
    for outcome in outcomes:
        if outcome.queued:
            LOGGER.warning(
                "notify.%s: %s can't be reached now (%s); the message waits in the outbox "
                "and is retried for up to %s",
                page.service_name,
                outcome.target.describe(),
                outcome.queued,
                page.outbox.ttl,
            )
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    if not failed:
        return
    now = dt_util.utcnow()
    details = []
    for outcome in failed:
        assert outcome.error is not None
        target = outcome.target
        closed_at = None
        if target.psid and page.audience.window_closed(target.psid, now):
            closed_at = page.audience.window_closes_at(target.psid)
        hint = hint_for(outcome.error, phone=target.is_phone, closed_at=closed_at)
        details.append(f"{target.describe()}: {outcome.error}; {hint}")
    text = "; ".join(details)
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="send_failed",
        translation_placeholders={
            "service": page.service_name,
            "failed": str(len(failed)),
            "total": str(len(outcomes)),
            "details": text,
        },
    )
