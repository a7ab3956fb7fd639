"""Fetch the media a call asks for: by URL, from a local file, a download, or a camera.

Everything is fetched before the first message goes out, so a missing file or a camera that does
not answer stops the whole call with nothing sent.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .messenger import (
    ATTACHMENT_MAX_BYTES,
    AlbumRequest,
    MediaRequest,
    MessageError,
    OutgoingMessage,
    PreparedCall,
    Upload,
    media_message,
    upload_content_type,
    with_album,
)

DOWNLOAD_TIMEOUT = 60.0


class MediaError(Exception):
    """Media could not be fetched (a download or camera failure, not bad input)."""


async def async_fetch_all(hass: HomeAssistant, call: PreparedCall) -> list[OutgoingMessage]:
    """The call's messages with every media placeholder filled (nothing sent yet)."""
    messages = list(call.messages)
    for request, slot in zip(call.media, call.media_slots, strict=True):
        messages[slot] = await async_fetch_media(hass, request, messages[slot])
    for slot, album in call.albums:
        messages[slot] = await _async_fetch_album(hass, album, messages[slot])
    return messages


async def _async_fetch_album(
    hass: HomeAssistant, album: AlbumRequest, placeholder: OutgoingMessage
) -> OutgoingMessage:
    """An album's pictures, each as a message of its own (files are uploaded before sending)."""
    parts = [await async_fetch_media(hass, r, OutgoingMessage()) for r in album.requests]
    return with_album(placeholder, parts)


async def async_fetch_upload(hass: HomeAssistant, request: MediaRequest) -> Upload:
    """The bytes of a local file or a camera snapshot (for the grid's signed URLs)."""
    if request.source == "path":
        return await _read_file(hass, request)
    return await _snapshot(hass, request)


async def async_fetch_media(
    hass: HomeAssistant, request: MediaRequest, placeholder: OutgoingMessage
) -> OutgoingMessage:
    """The placeholder filled with its media."""
    fields = placeholder.pending_fields
    if request.source == "url":
        payload = {"url": request.value, "is_reusable": True}
        return OutgoingMessage(
            message=media_message(request.kind, payload, fields),
            media_kind=request.kind,
            reply_to=placeholder.reply_to,
        )
    if request.source == "path":
        upload = await _read_file(hass, request)
    elif request.source == "download":
        upload = await _download(hass, request)
    else:
        upload = await _snapshot(hass, request)
    return OutgoingMessage(
        message=media_message(request.kind, {"is_reusable": True}, fields),
        upload=upload,
        media_kind=request.kind,
        reply_to=placeholder.reply_to,
    )


async def _read_file(hass: HomeAssistant, request: MediaRequest) -> Upload:
    path = request.value
    if not os.path.isabs(path):
        path = hass.config.path(path)

    def read() -> tuple[bytes, str]:
        if not hass.config.is_allowed_path(path):
            raise MessageError(
                f"{request.kind} {path} is not in allowlist_external_dirs (or media_dirs); "
                "add its folder there to send it"
            )
        file = Path(path)
        if not file.is_file():
            raise MessageError(f"{request.kind} {path} does not exist or is not a file")
        size = file.stat().st_size
        if size > ATTACHMENT_MAX_BYTES:
            raise MessageError(
                f"{request.kind} {path} is {size} bytes; Messenger takes at most 25 MB"
            )
        return file.read_bytes(), file.name

    data, name = await hass.async_add_executor_job(read)
    return Upload(data=data, filename=name, content_type=upload_content_type(request.kind, name))


async def _download(hass: HomeAssistant, request: MediaRequest) -> Upload:
    session = async_get_clientsession(hass)
    url = request.value
    shown = _without_query(url)
    too_big = f"{shown} is larger than Messenger's 25 MB limit"
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        ) as response:
            if response.status != 200:
                raise MediaError(f"downloading {shown} answered HTTP {response.status}")
            if (response.content_length or 0) > ATTACHMENT_MAX_BYTES:
                raise MediaError(too_big)
            data = await response.content.read(ATTACHMENT_MAX_BYTES + 1)
            if len(data) > ATTACHMENT_MAX_BYTES:
                raise MediaError(too_big)
            header_type = response.headers.get("Content-Type")
    except (aiohttp.ClientError, TimeoutError) as err:
        raise MediaError(f"could not download {shown}: {type(err).__name__}") from err
    name = PurePosixPath(urlsplit(url).path).name or request.kind
    content_type = upload_content_type(request.kind, name, header_type)
    return Upload(data=data, filename=name, content_type=content_type)


async def _snapshot(hass: HomeAssistant, request: MediaRequest) -> Upload:
    # Imported here: `camera` is only an after-dependency, loaded when a call asks for it.
    from homeassistant.components.camera import async_get_image

    if hass.states.get(request.value) is None:
        raise MessageError(f"camera {request.value} does not exist")
    try:
        image = await async_get_image(hass, request.value)
    except HomeAssistantError as err:
        raise MediaError(f"camera {request.value} gave no snapshot: {err}") from err
    content_type = image.content_type.split(";")[0].strip() or "image/jpeg"
    extension = mimetypes.guess_extension(content_type) or ".jpg"
    return Upload(data=image.content, filename=f"snapshot{extension}", content_type=content_type)


def _without_query(url: str) -> str:
    """A URL as shown in errors: no query string (it may hold a signed token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
