"""What people send, kept: attachments saved under `<media dir>/facebook/<page_id>/<psid>/`.

Meta's attachment URLs expire, so a picture, voice note, video or file from an allowed person is
downloaded when it arrives (option `save_attachments`, default on):

- only from the URL in a webhook body whose signature was checked (a page with an `app_secret`):
  an unsigned body could make Home Assistant fetch any address;
- streamed to disk in chunks, never whole in memory, and refused past 25 MB (Messenger's own
  limit for attachments), by `Content-Length` first and by counting while it streams;
- under a name made here (time, message, position; the extension from the content type), never
  from the sender's file name or URL path, in a folder named by page and person ids (checked);
- kept `attachments_keep_days` (default 30) days: older files are deleted at start and every
  6 hours.

The saved file's `media_content_id` (`media-source://media_source/local/facebook/...`) opens it
in Home Assistant's media browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import hashlib
import mimetypes
from pathlib import Path, PurePosixPath
import re
import time
from typing import BinaryIO
from urllib.parse import urlsplit

import aiohttp
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from .const import DOMAIN, LOGGER
from .events import PageRef
from .messenger import ATTACHMENT_MAX_BYTES, WebhookAttachment

MEDIA_FOLDER = "facebook"
CHUNK = 64 * 1024
DOWNLOAD_TIMEOUT = 60.0
_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,5}$")
# When the content type says nothing: what Messenger sends for each kind (voice notes are MP4).
DEFAULT_EXTENSIONS = {"image": ".jpg", "audio": ".mp4", "video": ".mp4", "file": ".bin"}
# `mimetypes` gives odd first choices for some types.
PREFERRED_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
    "text/plain": ".txt",
}


class AttachmentRefused(Exception):
    """An attachment that is not saved (too large, unreachable, a bad id): the reason."""


@dataclass(frozen=True, slots=True)
class SavedMedia:
    """An attachment on disk, as `facebook_message` carries it."""

    type: str
    path: str
    media_content_id: str
    content_type: str | None

    def as_event(self) -> dict[str, str]:
        """The event's `media` item."""
        return {"type": self.type, "path": self.path, "media_content_id": self.media_content_id}


def media_root(hass: HomeAssistant) -> tuple[str, Path]:
    """Home Assistant's media folder for `local` (or the first one configured): (id, path)."""
    dirs = hass.config.media_dirs
    if "local" in dirs:
        return "local", Path(dirs["local"])
    if dirs:
        dir_id = next(iter(dirs))
        return dir_id, Path(dirs[dir_id])
    return "local", Path(hass.config.path("media"))


def person_folder(hass: HomeAssistant, page_id: str, psid: str) -> Path:
    """Where a person's attachments go (ids checked: nothing from outside picks the path)."""
    if not _ID.match(page_id) or not _ID.match(psid):
        raise AttachmentRefused("an id that can't name a folder")
    return media_root(hass)[1] / MEDIA_FOLDER / page_id / psid


def safe_name(kind: str, mid: str | None, index: int, content_type: str | None, url: str) -> str:
    """A file name made here: the time, a digest of the message id, the position, and an
    extension from the content type (or a plain one from the URL, or the kind's)."""
    extension = None
    if content_type:
        base = content_type.split(";")[0].strip().lower()
        extension = PREFERRED_EXTENSIONS.get(base) or mimetypes.guess_extension(base)
    if not extension:
        suffix = PurePosixPath(urlsplit(url).path).suffix
        extension = suffix.lower() if _EXTENSION.match(suffix) else None
    extension = extension or DEFAULT_EXTENSIONS.get(kind, ".bin")
    digest = hashlib.sha256((mid or url).encode()).hexdigest()[:12]
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{stamp}_{digest}_{index}{extension}"


class AttachmentSaver:
    """Downloads one page's incoming attachments into the media folder."""

    def __init__(
        self,
        hass: HomeAssistant,
        session: aiohttp.ClientSession,
        page: PageRef,
        *,
        max_bytes: int = ATTACHMENT_MAX_BYTES,
        timeout: float = DOWNLOAD_TIMEOUT,
        root: Path | None = None,
    ) -> None:
        """Save the attachments of `page`, each up to `max_bytes` (under `root` instead of
        the media folder: a scratch folder for voice notes that are not kept)."""
        self.root = root
        self.hass = hass
        self.session = session
        self.page = page
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def async_save(
        self, psid: str, mid: str | None, index: int, attachment: WebhookAttachment
    ) -> SavedMedia:
        """Stream one attachment to disk; raises AttachmentRefused with the reason."""
        if not attachment.url or not attachment.url.lower().startswith(("https://", "http://")):
            raise AttachmentRefused("no http(s) URL")
        if self.root is not None:
            if not _ID.match(psid):
                raise AttachmentRefused("an id that can't name a folder")
            folder = self.root / psid
        else:
            folder = person_folder(self.hass, str(self.page.id), psid)
        try:
            async with self.session.get(
                attachment.url, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                if response.status != 200:
                    raise AttachmentRefused(f"Meta's URL answered HTTP {response.status}")
                if (response.content_length or 0) > self.max_bytes:
                    raise AttachmentRefused(self._too_big())
                content_type = response.headers.get("Content-Type")
                name = safe_name(attachment.type, mid, index, content_type, attachment.url)
                path = folder / name
                await self._async_stream(response, path)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise AttachmentRefused(f"the download failed: {type(err).__name__}") from err
        media_content_id = ""
        if self.root is None:
            root_id, root = media_root(self.hass)
            relative = path.relative_to(root).as_posix()
            media_content_id = f"media-source://media_source/{root_id}/{relative}"
        return SavedMedia(
            type=attachment.type,
            path=str(path),
            media_content_id=media_content_id,
            content_type=content_type.split(";")[0].strip() if content_type else None,
        )

    def _too_big(self) -> str:
        return f"larger than {self.max_bytes // (1024 * 1024)} MB"

    async def _async_stream(self, response: aiohttp.ClientResponse, path: Path) -> None:
        """Chunk by chunk into `<name>.part`, renamed once whole; removed if refused."""
        partial = path.with_name(path.name + ".part")
        file = await self.hass.async_add_executor_job(_open, partial)
        size = 0
        done = False
        try:
            async for chunk in response.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise AttachmentRefused(self._too_big())
                await self.hass.async_add_executor_job(file.write, chunk)
            done = True
        finally:
            await self.hass.async_add_executor_job(_close, file, partial, path, done)


def _open(partial: Path) -> BinaryIO:
    partial.parent.mkdir(parents=True, exist_ok=True)
    return partial.open("wb")


def _close(file: BinaryIO, partial: Path, path: Path, done: bool) -> None:
    file.close()
    if done:
        partial.replace(path)
    else:
        partial.unlink(missing_ok=True)


CLEAN_EVERY = timedelta(hours=6)


@callback
def async_keep_clean(hass: HomeAssistant, page_id: str, keep_days: int) -> CALLBACK_TYPE:
    """Delete the page's attachments older than `keep_days` now and every 6 hours; returns
    what stops it."""
    folder = media_root(hass)[1] / MEDIA_FOLDER / page_id
    keep = timedelta(days=keep_days)

    async def clean(_now: object = None) -> None:
        removed = await hass.async_add_executor_job(clean_old_files, folder, keep)
        if removed:
            LOGGER.info(
                "Deleted %d attachments older than %d days from %s", removed, keep_days, folder
            )

    hass.async_create_background_task(clean(), f"{DOMAIN} attachments cleaning")
    return async_track_time_interval(hass, clean, CLEAN_EVERY, cancel_on_shutdown=True)


def clean_old_files(folder: Path, keep: timedelta) -> int:
    """Delete files under `folder` older than `keep` (and leftovers of broken downloads);
    returns how many went. Runs in the executor."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - keep.total_seconds()
    removed = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError as err:
            LOGGER.debug("Could not clean %s: %s", path, err)
    return removed


def newest_picture(folder: Path) -> Path | None:
    """The person's newest saved picture, if any (the Last photo entity at start)."""
    if not folder.is_dir():
        return None
    pictures = [
        p
        for p in folder.iterdir()
        if p.is_file() and (mimetypes.guess_type(p.name)[0] or "").startswith("image/")
    ]
    return max(pictures, key=lambda p: p.stat().st_mtime, default=None)
