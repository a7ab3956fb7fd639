"""Diagnostics of a page: its settings and state, with every secret and PSID redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import (
    CONF_APP_SECRET,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_PSID,
    CONF_VERIFY_TOKEN,
)
from .router import DATA_ROUTER
from .runtime import FacebookConfigEntry

TO_REDACT = {CONF_PAGE_ACCESS_TOKEN, CONF_APP_SECRET, CONF_VERIFY_TOKEN, CONF_PSID, "title"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FacebookConfigEntry
) -> dict[str, Any]:
    """What a bug report needs: the page, how many people, what waits, how it paces."""
    runtime = entry.runtime_data
    router = hass.data[DATA_ROUTER]
    oldest = min((e.created for e in runtime.outbox.queue.entries), default=None)
    calls = runtime.limiter.calls
    return async_redact_data(
        {
            "entry": {
                "data": dict(entry.data),
                "options": dict(entry.options),
                "people": [dict(sub.data) for sub in entry.subentries.values()],
            },
            "page": {"id": runtime.page.id, "name": runtime.page.name},
            "people_count": len(runtime.book),
            "audience_size": len(runtime.audience),
            "outbox": {
                "messages": len(runtime.outbox),
                "oldest_seconds": (dt_util.utcnow() - oldest).total_seconds() if oldest else None,
            },
            "pacing": {"limit_per_window": calls.limit, "cap": calls.max_limit},
            "token_rejected": runtime.health.rejected,
            "sending_restricted": runtime.health.restricted,
            "last_error": runtime.health.last_error,
            "webhook": {
                "bad_signatures": router.auth.bad_signatures,
                "pages": len(router.pages),
            },
        },
        TO_REDACT,
    )
