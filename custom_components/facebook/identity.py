"""Who the page is, checked with Meta: at setup for a moment, then in the background.

Setup asks Meta (`GET /me`) who the token belongs to, but waits only briefly: when Meta cannot
be reached, the page starts anyway (its sends wait in the outbox) and the question is asked
again in the background until Meta answers; then the entry is set up again, with the answer.
A YAML page imported while Meta could not be reached learns its id this way.
"""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import SOURCE_IMPORT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError

from .const import CONF_PAGE_ID, DOMAIN, LOGGER
from .messenger import GraphAuthError, GraphError, PageInfo
from .runtime import FacebookConfigEntry, FacebookRuntime, entry_label


async def async_check_page(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
) -> bool:
    """Whether Meta said who the page is (False: it could not answer in time).

    Raises when the token is rejected or belongs to another page; a page that did not know its
    id yet (an import) takes it now.
    """
    try:
        async with asyncio.timeout(runtime.timing.setup_check):
            info = await runtime.client.get_page()
    except GraphAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="setup_token_rejected",
            translation_placeholders={"service": runtime.settings.label, "error": str(err)},
        ) from err
    except (GraphError, TimeoutError) as err:
        LOGGER.warning(
            "%s: Meta can't be reached (%s); the page starts anyway, its messages wait in "
            "the outbox, and it asks Meta again in the background",
            runtime.settings.label,
            err or "no answer in time",
        )
        return False
    _adopt(hass, entry, runtime, info)
    return True


def _adopt(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime, info: PageInfo
) -> None:
    """Take what Meta said: the page's name, and its id when the entry did not know it."""
    known = runtime.page.id
    if known is not None and known != info.id:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="setup_wrong_page",
            translation_placeholders={"service": runtime.settings.label, "page": info.name},
        )
    if known is None:
        if (
            other := hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, info.id)
        ) is not None:
            raise duplicate_page(runtime, info, entry_label(other))
        title = info.name if entry.source == SOURCE_IMPORT else entry.title
        hass.config_entries.async_update_entry(
            entry, unique_id=info.id, title=title, data={**entry.data, CONF_PAGE_ID: info.id}
        )
    runtime.page.id, runtime.page.name = info.id, info.name
    LOGGER.info("%s sends as page %s (%s)", runtime.settings.label, info.name, info.id)


def duplicate_page(runtime: FacebookRuntime, page: PageInfo, other: str) -> ConfigEntryError:
    """The same page set up twice would answer every message twice: the second is refused."""
    return ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="duplicate_page",
        translation_placeholders={
            "service": runtime.settings.label,
            "page": f"{page.name} ({page.id})",
            "other": other,
        },
    )


async def async_ask_until_answered(
    hass: HomeAssistant, entry: FacebookConfigEntry, runtime: FacebookRuntime
) -> None:
    """Ask Meta who the page is until it answers, then set the entry up again with the answer
    (a rejected token asks for a new one on its own: the client reports every call)."""
    attempt = 0
    while True:
        await asyncio.sleep(runtime.timing.lookup_backoff.delay(attempt))
        attempt += 1
        try:
            info = await runtime.client.get_page()
        except GraphAuthError:
            return
        except GraphError as err:
            LOGGER.debug("%s: Meta still can't be reached: %s", runtime.settings.label, err)
            continue
        if info.id != runtime.page.id:
            hass.config_entries.async_schedule_reload(entry.entry_id)
        else:
            runtime.page.name = info.name
            LOGGER.info("%s: Meta answers again", runtime.settings.label)
        return
