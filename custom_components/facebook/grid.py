"""The image grid's own pictures (local files, camera snapshots), served to Meta at short-lived
signed URLs under Home Assistant's external URL.

Meta's image grid takes picture URLs only (an `attachment_id` there is UNCONFIRMED), and fetches
them when the message is sent. So each local picture is kept in memory for a few minutes behind
`/api/facebook/picture/<key>`, a view that needs authentication, and Meta gets the path signed
with Home Assistant's own path signing (`async_sign_path`, as the read-only content user): the
link works for `PICTURE_LIFETIME` and for nobody without the signature, and a restart of Home
Assistant ends every link (its signing secret is kept in memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
import secrets
import time

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .media import async_fetch_upload
from .messenger import (
    GridRequest,
    MessageError,
    OutgoingMessage,
    PreparedCall,
    Upload,
    grid_message,
)

PICTURE_PATH = "/api/facebook/picture"
PICTURE_LIFETIME = timedelta(minutes=5)
DATA_PICTURES: HassKey[PictureStore] = HassKey(f"{DOMAIN}_pictures")


class NoExternalUrl(MessageError):
    """A grid with local pictures, and Home Assistant has no external URL for Meta to fetch."""

    key = "grid_needs_external_url"


@dataclass(slots=True)
class _Picture:
    upload: Upload
    expires: float  # time.monotonic()


class PictureStore:
    """The pictures Meta may fetch now; each is forgotten when its link expires."""

    def __init__(self, lifetime: timedelta = PICTURE_LIFETIME) -> None:
        """An empty store whose pictures live `lifetime`."""
        self.lifetime = lifetime.total_seconds()
        self._pictures: dict[str, _Picture] = {}

    def add(self, upload: Upload) -> str:
        """Keep a picture; returns its key (unguessable, though the signature guards it)."""
        self._prune()
        key = secrets.token_urlsafe(16)
        self._pictures[key] = _Picture(upload, time.monotonic() + self.lifetime)
        return key

    def get(self, key: str) -> Upload | None:
        """The picture behind `key`, unless its time is up."""
        self._prune()
        picture = self._pictures.get(key)
        return picture.upload if picture is not None else None

    def __len__(self) -> int:
        """How many pictures are kept."""
        return len(self._pictures)

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k, p in self._pictures.items() if p.expires <= now]:
            del self._pictures[key]


class PictureView(HomeAssistantView):
    """`/api/facebook/picture/<key>`: a grid picture, for a signed request only."""

    url = PICTURE_PATH + "/{key}"
    name = "api:facebook:picture"
    requires_auth = True  # Meta comes with the path's signature (`authSig`), nobody else

    def __init__(self, store: PictureStore) -> None:
        """Serve the pictures of `store`."""
        self.store = store

    async def get(self, request: web.Request, key: str) -> web.Response:
        """The picture's bytes, or 404 once its link has expired."""
        upload = self.store.get(key)
        if upload is None:
            raise web.HTTPNotFound
        return web.Response(
            body=upload.data,
            content_type=upload.content_type,
            headers={"Cache-Control": "no-store"},
        )


def _store(hass: HomeAssistant) -> PictureStore:
    return hass.data[DATA_PICTURES]  # made with its view in `async_setup`


def _external_url(hass: HomeAssistant) -> str:
    try:
        return get_url(hass, allow_internal=False)
    except NoURLAvailableError as err:
        raise NoExternalUrl(
            "grid: local files and camera snapshots reach Meta at a link under Home "
            "Assistant's external URL, and none is set"
        ) from err


async def async_fill_grids(
    hass: HomeAssistant, call: PreparedCall, messages: list[OutgoingMessage]
) -> list[OutgoingMessage]:
    """The call's messages with each grid built (the other media fetched already)."""
    messages = list(messages)
    for slot, grid in call.grids:
        messages[slot] = await async_fill_grid(hass, grid, messages[slot])
    return messages


async def async_fill_grid(
    hass: HomeAssistant, grid: GridRequest, placeholder: OutgoingMessage
) -> OutgoingMessage:
    """The grid's message: URLs as given, local pictures at signed links (checked first)."""
    base = None
    if any(image.source.source != "url" for image in grid.images):
        base = _external_url(hass)  # before any snapshot is taken
    urls = []
    for image in grid.images:
        source = image.source
        if source.source == "url" or base is None:
            urls.append(source.value)
            continue
        upload = await async_fetch_upload(hass, source)
        key = _store(hass).add(upload)
        path = async_sign_path(
            hass, f"{PICTURE_PATH}/{key}", PICTURE_LIFETIME, use_content_user=True
        )
        urls.append(base + path)
    return OutgoingMessage(
        message=grid_message(grid, urls, placeholder.pending_fields),
        media_kind="template",
        reply_to=placeholder.reply_to,
    )
