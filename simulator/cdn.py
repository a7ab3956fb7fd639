"""The people's attachments as Meta's CDN serves them: files behind URLs that expire.

A person's picture, voice note, video or file reaches the page as a webhook event whose
``payload.url`` points here (``/_sim/cdn/{key}/{name}``); the file answers until its URL expires
(``SimConfig.attachment_url_ttl``, on the simulated clock), then 403. How long Meta's attachment
URLs last, and how an expired one answers, are UNCONFIRMED (FIDELITY F-47): public reports
speak of "a few days" and of a 403 "URL signature expired".
"""

from __future__ import annotations

from dataclasses import dataclass
import secrets
from urllib.parse import quote

from aiohttp import web

from .world import World

CDN_PATH = "/_sim/cdn"
EXPIRED_TEXT = "URL signature expired"  # FIDELITY F-47 (UNCONFIRMED)


@dataclass(slots=True)
class CdnFile:
    """One file a person sent."""

    data: bytes
    content_type: str
    name: str
    expires_at: float  # simulated epoch seconds


class Cdn:
    """The files behind the attachment URLs of the people's messages."""

    def __init__(self, world: World) -> None:
        """Serve from ``world``'s state."""
        self.world = world
        self.files: dict[str, CdnFile] = {}

    def add(self, base_url: str, data: bytes, content_type: str, name: str, ttl: float) -> str:
        """Keep a file; returns its URL (under ``base_url``), which works for ``ttl`` seconds."""
        key = secrets.token_urlsafe(24)
        expires = self.world.now() + ttl
        self.files[key] = CdnFile(bytes(data), content_type, name, expires)
        return f"{base_url}{CDN_PATH}/{key}/{quote(name, safe='')}"

    async def handle(self, request: web.Request) -> web.Response:
        """GET ``/_sim/cdn/{key}/{name}``: the file, 403 once expired, 404 if unknown."""
        file = self.files.get(request.match_info["key"])
        if file is None:
            raise web.HTTPNotFound(text="no such file")
        if self.world.now() > file.expires_at:
            raise web.HTTPForbidden(text=EXPIRED_TEXT)
        return web.Response(body=file.data, content_type=file.content_type)


def setup_routes(app: web.Application, cdn: Cdn) -> None:
    """``GET /_sim/cdn/{key}/{name}`` (before the control API's catch-all)."""
    app.router.add_get(CDN_PATH + "/{key}/{name:.+}", cdn.handle)
