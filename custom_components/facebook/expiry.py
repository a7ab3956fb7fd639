"""A page token that expires: said at setup, and a repair issue a week before it does.

Page tokens made from a long-lived user token never expire (the UI setup makes those); one made
from a short-lived user token, pasted by hand, lasts an hour to 60 days. Meta tells the expiry
only through `debug_token`, which needs the app's id and secret.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import ISSUE_TOKEN_EXPIRES, LOGGER
from .issues import async_clear_issue, async_raise_issue
from .messenger import GraphClient, GraphError, TokenInfo, app_token, inspect_token
from .runtime import FacebookConfigEntry, FacebookRuntime

WARN_BEFORE = timedelta(days=7)


async def async_watch_token_expiry(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
) -> CALLBACK_TYPE:
    """Ask Meta when the page token expires; returns what cancels the pending warning."""
    settings = runtime.settings
    issue_id = f"{ISSUE_TOKEN_EXPIRES}_{entry.entry_id}"
    if not (settings.app_id and settings.app_secret):
        return _nothing
    info = await _async_inspect(hass, runtime)
    if info is None:  # Meta could not say: leave things as they are
        return _nothing
    if (expires_at := info.expires_at) is None:
        async_clear_issue(hass, issue_id)
        return _nothing
    LOGGER.warning(
        "%s: the page access token expires at %s; reauthenticate with a user token and the "
        "app's id and secret to get one that never expires",
        settings.label,
        expires_at.isoformat(timespec="minutes"),
    )

    @callback
    def warn(_now: datetime | None = None) -> None:
        async_raise_issue(
            hass,
            issue_id,
            ISSUE_TOKEN_EXPIRES,
            {"page": settings.label, "expires_at": expires_at.isoformat(timespec="minutes")},
            severity=ir.IssueSeverity.WARNING,
        )

    if expires_at - WARN_BEFORE <= dt_util.utcnow():
        warn()
        return _nothing
    return async_track_point_in_utc_time(hass, warn, expires_at - WARN_BEFORE)


@callback
def _nothing() -> None:
    """Nothing to cancel."""


async def _async_inspect(hass: HomeAssistant, runtime: FacebookRuntime) -> TokenInfo | None:
    """What Meta's `debug_token` says of the page token, asked with the app's token (None: Meta
    could not be asked)."""
    settings = runtime.settings
    app = GraphClient(
        async_get_clientsession(hass),
        app_token(str(settings.app_id), str(settings.app_secret)),
        version=settings.graph_api_version,
        base_url=settings.graph_url,
        retry=runtime.timing.retry,
        timeout=runtime.timing.request_timeout,
    )
    try:
        return await inspect_token(app, settings.token)
    except GraphError as err:
        LOGGER.debug("%s: could not ask Meta when the token expires: %s", settings.label, err)
        return None
