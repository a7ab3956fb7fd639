"""Each person's **Last photo**: the newest picture they sent, as saved in the media folder.

Fed by the same routing as `facebook_message` (a picture is shown once it is on disk). At start
it shows the newest picture already in the person's folder, so a restart keeps it. With
`save_attachments` off nothing is saved, and it stays empty.
"""

from __future__ import annotations

from datetime import datetime
import mimetypes
from pathlib import Path

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .attachments import AttachmentRefused, newest_picture, person_folder
from .entity import FacebookEntity, async_add_per_person
from .events import photo_signal
from .runtime import FacebookConfigEntry, FacebookRuntime

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FacebookConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One Last photo entity per person."""
    async_add_per_person(entry, async_add_entities, FacebookLastPhoto)


class FacebookLastPhoto(FacebookEntity, ImageEntity):
    """The newest picture a person sent."""

    def __init__(self, runtime: FacebookRuntime, psid: str, name: str) -> None:
        """The pictures of the person `psid`."""
        FacebookEntity.__init__(self, runtime, "last_photo", psid, name)
        ImageEntity.__init__(self, runtime.hass)
        self._path: Path | None = None

    async def async_added_to_hass(self) -> None:
        """Show the newest saved picture, and each new one as it is saved."""
        await super().async_added_to_hass()
        signal = photo_signal(self.runtime.page.id, str(self.psid))
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._async_on_photo))
        try:
            folder = person_folder(self.hass, str(self.runtime.page.id), str(self.psid))
        except AttachmentRefused:
            return
        newest = await self.hass.async_add_executor_job(newest_picture, folder)
        if newest is not None and self._path is None:
            mtime = await self.hass.async_add_executor_job(lambda: newest.stat().st_mtime)
            self._show(newest, dt_util.utc_from_timestamp(mtime))
            self.async_write_ha_state()

    @callback
    def _async_on_photo(self, path: str) -> None:
        self._show(Path(path), dt_util.utcnow())
        self.async_write_ha_state()

    def _show(self, path: Path, when: datetime) -> None:
        self._path = path
        self._attr_content_type = mimetypes.guess_type(path.name)[0] or "image/jpeg"
        self._attr_image_last_updated = when
        self._cached_image = None

    async def async_image(self) -> bytes | None:
        """The picture's bytes (None: none yet, or it was cleaned away)."""
        path = self._path
        if path is None:
            return None
        return await self.hass.async_add_executor_job(_read, path)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
