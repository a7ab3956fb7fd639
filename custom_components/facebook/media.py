"""Fetch the media a call asks for: by URL, from a local file, a download, or a camera.

Everything is fetched before the first message goes out, so a missing file or a camera that
does not answer stops the whole call with nothing sent.
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

from .const import ATTACHMENT_MAX_BYTES
from .graph import Upload
from .messages import MediaRequest, MessageError, Part, media_message

DOWNLOAD_TIMEOUT = 60.0
# The MIME family each attachment type must have (Meta answers 100/2018047 otherwise).
_FAMILY = {"image": "image/", "video": "video/", "audio": "audio/"}


class MediaError(HomeAssistantError):
    """Media could not be fetched (a download or camera failure, not bad input)."""


async def async_fetch_media(hass: HomeAssistant, request: MediaRequest, part: Part) -> Part:
    """Return the placeholder `part` filled with its media."""
    if request.source == "url":
        payload = {"url": request.value, "is_reusable": True}
        return Part(
            message=media_message(request.kind, payload, part.extra), media_kind=request.kind
        )
    if request.source == "path":
        upload = await _read_file(hass, request)
    elif request.source == "download":
        upload = await _download(hass, request)
    else:
        upload = await _snapshot(hass, request)
    return Part(
        message=media_message(request.kind, {"is_reusable": True}, part.extra),
        upload=upload,
        media_kind=request.kind,
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
    content_type = _content_type(request.kind, name, None)
    return Upload(data=data, filename=name, content_type=content_type)


async def _download(hass: HomeAssistant, request: MediaRequest) -> Upload:
    session = async_get_clientsession(hass)
    url = request.value
    shown = _without_query(url)
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        ) as response:
            if response.status != 200:
                raise MediaError(f"downloading {shown} answered HTTP {response.status}")
            if (response.content_length or 0) > ATTACHMENT_MAX_BYTES:
                raise MediaError(f"{shown} is larger than Messenger's 25 MB limit")
            data = await response.content.read(ATTACHMENT_MAX_BYTES + 1)
            if len(data) > ATTACHMENT_MAX_BYTES:
                raise MediaError(f"{shown} is larger than Messenger's 25 MB limit")
            header_type = response.headers.get("Content-Type")
    except (aiohttp.ClientError, TimeoutError) as err:
        raise MediaError(f"could not download {shown}: {type(err).__name__}") from err
    name = PurePosixPath(urlsplit(url).path).name or request.kind
    return Upload(
        data=data, filename=name, content_type=_content_type(request.kind, name, header_type)
    )


async def _snapshot(hass: HomeAssistant, request: MediaRequest) -> Upload:
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


def _content_type(kind: str, filename: str, header: str | None) -> str:
    """The MIME type to upload with: the server's, else guessed from the name; checked."""
    declared = (header or "").split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(filename)[0]
    family = _FAMILY.get(kind)
    candidates = [t for t in (declared, guessed) if t and t != "application/octet-stream"]
    if family is None:
        return candidates[0] if candidates else "application/octet-stream"
    for candidate in candidates:
        if candidate.startswith(family):
            return candidate
    found = candidates[0] if candidates else "of unknown type"
    raise MessageError(
        f"{kind} {filename} is {found}, not {family[:-1]}; send it as file, or use a file "
        f"with a {family[:-1]} extension"
    )


def _without_query(url: str) -> str:
    """A URL as shown in errors: no query string (it may hold a signed token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
