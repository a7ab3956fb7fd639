"""YAML stays the source of truth: each `notify: - platform: facebook` entry is a config entry.

At every start each YAML entry is imported into a config entry of its own (source `import`):
created the first time, updated from the YAML every start after, removed when its YAML is gone.
Its `allowed_chat_ids` become person subentries, so YAML pages get devices and entities too.
The import never calls Meta (it cannot delay the start): the entry learns its page id from Meta
when it is set up. It keeps the files the YAML page had (`storage_key` = its service name), so
nothing it kept (the outbox, the audience, the profile's record) is lost or moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from homeassistant.config import config_per_platform
from homeassistant.config_entries import (
    SOURCE_IMPORT,
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify
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
    CONF_PAGE_ID,
    CONF_PSID,
    CONF_SAVE_ATTACHMENTS,
    CONF_SPEECH_TO_TEXT,
    CONF_STORAGE_KEY,
    CONF_TAG,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DOMAIN,
    SUBENTRY_TYPE_PERSON,
)
from .schema import PLATFORM_SCHEMA

NOTIFY_DOMAIN = "notify"
DATA_KEYS = (CONF_PAGE_ACCESS_TOKEN, CONF_APP_SECRET, CONF_GRAPH_URL, CONF_GRAPH_API_VERSION)
OPTION_KEYS = (
    CONF_MESSAGING_TYPE,
    CONF_TAG,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_MESSAGE,
    CONF_UTILITY_TEMPLATE,
    CONF_CONVERSATION_AGENT,
    CONF_MENU,
    CONF_ICE_BREAKERS,
    CONF_COMMANDS,
    CONF_GET_STARTED,
    CONF_SAVE_ATTACHMENTS,
    CONF_ATTACHMENTS_KEEP_DAYS,
    CONF_SPEECH_TO_TEXT,
)


def service_name(config: ConfigType) -> str:
    """`notify.<service_name>`: the name Home Assistant gives a YAML notify entry's service."""
    return slugify(config.get(CONF_NAME) or "notify")


def yaml_pages(config: ConfigType) -> Iterator[tuple[str, ConfigType | None]]:
    """Each `facebook` notify entry of the YAML: its service name, and its validated settings
    (None when it does not validate: the notify platform logs why, as it always did).

    Home Assistant hands the entries over as written, or already validated by the notify
    integration (which fills in the defaults: a `window_warning` period says so).
    """
    for platform, item in config_per_platform(config, NOTIFY_DOMAIN):
        if platform != DOMAIN:
            continue
        if isinstance(item.get(CONF_WINDOW_WARNING), timedelta):
            yield service_name(item), item  # validated already (the notify integration did)
            continue
        try:
            yield service_name(item), PLATFORM_SCHEMA(item)
        except vol.Invalid:
            yield service_name(item), None


def import_data(name: str, config: ConfigType) -> dict[str, Any]:
    """What the import flow gets for one YAML entry: the entry's data, options and people."""
    data = {key: config[key] for key in DATA_KEYS if config.get(key) is not None}
    data[CONF_NAME] = name
    data[CONF_STORAGE_KEY] = name
    data[CONF_VERIFY_TOKEN] = config.get(CONF_VERIFY_TOKEN) or config[CONF_PAGE_ACCESS_TOKEN]
    options = {key: config[key] for key in OPTION_KEYS if config.get(key) is not None}
    for key in (CONF_WINDOW_WARNING, CONF_OUTBOX_TTL):
        period: timedelta = config[key]
        options[key] = period.total_seconds()
    people = [{CONF_PSID: psid, CONF_NAME: person} for psid, person in _people(config)]
    return {"data": data, "options": options, "people": people}


def _people(config: ConfigType) -> Iterator[tuple[str, str | None]]:
    allowed: dict[str, str | None] = config.get(CONF_ALLOWED_CHAT_IDS) or {}
    yield from allowed.items()


def person_subentry(person: dict[str, Any]) -> ConfigSubentryData:
    """A YAML person as a subentry: named as in `allowed_chat_ids`, or by their PSID until
    Meta tells their name."""
    psid = str(person[CONF_PSID])
    return ConfigSubentryData(
        data={CONF_PSID: psid, CONF_NAME: person.get(CONF_NAME)},
        subentry_type=SUBENTRY_TYPE_PERSON,
        title=person.get(CONF_NAME) or psid,
        unique_id=psid,
    )


def imported_entry(hass: HomeAssistant, name: str) -> ConfigEntry | None:
    """The config entry the YAML entry of `notify.<name>` was imported into, if any."""
    return next(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.source == SOURCE_IMPORT and entry.data.get(CONF_NAME) == name
        ),
        None,
    )


@callback
def async_update_imported(
    hass: HomeAssistant, entry: ConfigEntry, imported: dict[str, Any]
) -> None:
    """Make an imported entry what its YAML says now (the page id Meta told stays)."""
    data = {**imported["data"], CONF_PAGE_ID: entry.data.get(CONF_PAGE_ID)}
    hass.config_entries.async_update_entry(entry, data=data, options=imported["options"])
    wanted = {str(person[CONF_PSID]): person_subentry(person) for person in imported["people"]}
    for subentry in list(entry.subentries.values()):
        if subentry.subentry_type != SUBENTRY_TYPE_PERSON:
            continue
        person = wanted.pop(str(subentry.unique_id), None)
        if person is None:
            hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
        elif person["data"] != subentry.data or person["title"] != subentry.title:
            hass.config_entries.async_update_subentry(
                entry, subentry, data=person["data"], title=person["title"]
            )
    for person in wanted.values():
        hass.config_entries.async_add_subentry(
            entry,
            ConfigSubentry(
                data=MappingProxyType(dict(person["data"])),
                subentry_type=person["subentry_type"],
                title=person["title"],
                unique_id=person["unique_id"],
            ),
        )


async def async_import(hass: HomeAssistant, name: str, page: ConfigType) -> None:
    """Import one validated YAML entry (create its config entry, or update it)."""
    await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_IMPORT}, data=import_data(name, page)
    )


@callback
def async_import_all(hass: HomeAssistant, config: ConfigType) -> None:
    """Import every YAML entry, and remove the imported entries whose YAML is gone.

    An entry imported before is updated here and now, before Home Assistant sets it up; a new
    one is made by an import flow, which Home Assistant waits for before it sets entries up.
    """
    names = set()
    for name, page in yaml_pages(config):
        names.add(name)
        if page is None:
            continue
        if (entry := imported_entry(hass, name)) is not None:
            async_update_imported(hass, entry, import_data(name, page))
        else:
            hass.async_create_task(
                async_import(hass, name, page), f"{DOMAIN} import of notify.{name}"
            )
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.source == SOURCE_IMPORT and entry.data.get(CONF_NAME) not in names:
            hass.async_create_task(
                hass.config_entries.async_remove(entry.entry_id),
                f"{DOMAIN} removal of notify.{entry.data.get(CONF_NAME)}",
            )
