"""A person's attachments, before their `facebook_message` fires: saved, and voice transcribed.

The webhook never waits: an event with attachments (when saving or speech is on) is finished in
the background, and its `facebook_message` fires once the files are saved and the voice note
transcribed, so the event carries `media` and `transcript`. That takes at most
`Timing.media_timeout` (60 s): past it, or on any failure, the event fires without what is
missing (the log says why). A person's later events wait behind it, so automations still see
each person's messages in the order they were written.

Downloads happen only for pages whose webhook bodies are signed (an `app_secret`): the URL comes
from the body, and an unsigned body could name any address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
import tempfile
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .attachments import AttachmentRefused, AttachmentSaver, SavedMedia
from .const import DOMAIN, LOGGER
from .events import PageRef
from .messenger import MessagingEvent, WebhookAttachment
from .voice import Transcriber

SAVED_TYPES = ("image", "audio", "video", "file")
type Fire = Callable[[MessagingEvent, dict[str, Any]], None]
type OnPhoto = Callable[[str, SavedMedia], None]


@dataclass(slots=True)
class MediaTimings:
    """The last voice note's way through, in seconds (download; the rest is the transcriber's)."""

    download: float = 0.0


@dataclass(slots=True)
class InboundMedia:
    """One page's incoming attachments."""

    hass: HomeAssistant
    label: str
    saver: AttachmentSaver | None  # None: `save_attachments` is off
    transcriber: Transcriber | None  # None: no `speech_to_text`
    signed: bool  # the page's bodies are signed (it has an app secret)
    timeout: float
    on_photo: OnPhoto
    last: MediaTimings = field(default_factory=MediaTimings)
    _scratch: AttachmentSaver | None = None  # downloads for voice alone (not kept)
    _chains: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _unsigned_said: bool = False

    def takes(self, event: MessagingEvent) -> bool:
        """Whether the event is finished here (it has work to wait for, or follows one)."""
        if event.sender_id in self._chains:
            return True
        return bool(self._work(event))

    def _work(self, event: MessagingEvent) -> list[tuple[int, WebhookAttachment]]:
        items = [(i, a) for i, a in enumerate(event.attachments) if a.type in SAVED_TYPES]
        if self.saver is None:
            items = [(i, a) for i, a in items if a.type == "audio"]
        if self.transcriber is None and self.saver is None:
            return []
        if not items or self.signed:
            return items
        if not self._unsigned_said:
            self._unsigned_said = True
            LOGGER.warning(
                "%s: attachments are not downloaded: the webhook's bodies are not signed (set "
                "the app secret, so Home Assistant fetches only URLs Meta sent)",
                self.label,
            )
        return []

    @callback
    def async_process(self, event: MessagingEvent, fire: Fire) -> None:
        """Finish the event in the background, after the person's earlier ones, and fire it."""
        psid = event.sender_id
        previous = self._chains.get(psid)
        task = self.hass.async_create_background_task(
            self._async_run(event, previous, fire), f"{DOMAIN} attachments of {psid}"
        )
        self._chains[psid] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._chains.get(psid) is done:
                del self._chains[psid]

        task.add_done_callback(forget)

    @callback
    def async_stop(self) -> None:
        """The page is going away: what is still being fetched is dropped."""
        for task in self._chains.values():
            task.cancel()

    async def _async_run(
        self, event: MessagingEvent, previous: asyncio.Task[None] | None, fire: Fire
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        extra: dict[str, Any] = {}
        work = self._work(event)
        if work:
            try:
                async with asyncio.timeout(self.timeout):
                    await self._async_prepare(event, work, extra)
            except TimeoutError:
                LOGGER.warning(
                    "%s: the attachments from %s took over %.0f s; the event fires without "
                    "what is missing",
                    self.label,
                    event.sender_id,
                    self.timeout,
                )
            except Exception:
                LOGGER.exception("%s: could not finish the attachments", self.label)
        fire(event, extra)

    async def _async_prepare(
        self,
        event: MessagingEvent,
        work: list[tuple[int, WebhookAttachment]],
        extra: dict[str, Any],
    ) -> None:
        """Save each attachment (into `extra["media"]` as it goes), then transcribe."""
        media: list[dict[str, str]] = []
        extra["media"] = media
        voice: Path | None = None
        scratch: Path | None = None
        for index, attachment in work:
            saver = self.saver or await self._async_scratch()
            started = asyncio.get_running_loop().time()
            try:
                saved = await saver.async_save(event.sender_id, event.mid, index, attachment)
            except AttachmentRefused as err:
                LOGGER.warning(
                    "%s: a %s from %s was not saved: %s",
                    self.label,
                    attachment.type,
                    event.sender_id,
                    err,
                )
                continue
            if attachment.type == "audio":
                self.last.download = asyncio.get_running_loop().time() - started
            if self.saver is not None:
                media.append(saved.as_event())
                if attachment.type == "image":
                    self.on_photo(event.sender_id, saved)
            else:
                scratch = Path(saved.path)
            if attachment.type == "audio" and voice is None:
                voice = Path(saved.path)
        if voice is not None and self.transcriber is not None:
            extra["transcript"] = await self.transcriber.async_transcribe(voice)
            spent = self.transcriber.last
            LOGGER.info(
                "%s: voice note from %s: download %.3f s, conversion %.3f s, transcription %.3f s",
                self.label,
                event.sender_id,
                self.last.download,
                spent.conversion,
                spent.transcription,
            )
        if scratch is not None:
            await self.hass.async_add_executor_job(_remove, scratch)

    async def _async_scratch(self) -> AttachmentSaver:
        """A saver into a temporary folder: voice notes transcribed but not kept."""
        if self._scratch is None:
            folder = await self.hass.async_add_executor_job(tempfile.mkdtemp, "", "facebook-")
            session = async_get_clientsession(self.hass)
            page = PageRef(self.label, id="voice")
            self._scratch = AttachmentSaver(self.hass, session, page, root=Path(folder))
        return self._scratch


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
