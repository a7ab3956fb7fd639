"""The chat page's HTTP side: the page itself, its live stream and the person's receipts.

The conversations come from :class:`.chat_model.ChatModel`. Routes (registered before the
control API's ``/_sim/`` catch-all):

- ``GET /`` and ``GET /chat`` redirect to ``/chat/``, the page (``simulator/static/``);
- ``GET /_sim/conversations``: every person with unread counts;
- ``GET /_sim/conversations/{psid}``: one conversation as the page shows it;
- ``GET /_sim/conversations/{psid}/stream``: the same, pushed as Server-Sent Events on each change;
- ``POST /_sim/users/{psid}/delivered`` and ``/read``: the person's Messenger sends delivery and
  read receipts (signed webhook events) for what it has not acknowledged yet;
- ``GET /_sim/sent/{index}/file`` and ``GET /_sim/attachments/{id}/file``: uploaded media.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from .chat_model import ChatModel
from .httputil import BadRequest, known_psid

STATIC_DIR = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0
COALESCE_SECONDS = 0.02  # a burst of changes (a split text, a broadcast) becomes one push
CHAT_KEY: web.AppKey[ChatModel] = web.AppKey("chat_model", ChatModel)
STREAMS: web.AppKey[set[asyncio.Event]] = web.AppKey("chat_streams")
CLOSING: web.AppKey[list[bool]] = web.AppKey("chat_closing")


def _chat(request: web.Request) -> ChatModel:
    return request.app[CHAT_KEY]


def _psid(request: web.Request) -> str:
    return known_psid(request, _chat(request).world.state.users)


async def redirect_to_page(request: web.Request) -> web.Response:
    """``/`` and ``/chat``: the chat page lives at ``/chat/``."""
    raise web.HTTPFound("/chat/")


async def chat_page(request: web.Request) -> web.FileResponse:
    """The chat page itself."""
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def get_conversations(request: web.Request) -> web.Response:
    """GET /_sim/conversations: everyone, with unread counts and the last message."""
    return web.json_response({"data": _chat(request).people()})


async def get_conversation(request: web.Request) -> web.Response:
    """GET /_sim/conversations/{psid}."""
    psid = _psid(request)
    return web.json_response(_chat(request).conversation(psid))


async def stream_conversation(request: web.Request) -> web.StreamResponse:
    """GET /_sim/conversations/{psid}/stream: Server-Sent Events, one snapshot per change."""
    psid = _psid(request)
    chat = _chat(request)
    recorder = chat.world.recorder
    changed = asyncio.Event()
    changed.set()  # the first snapshot goes out at once

    def on_change(kind: str, item: Any) -> None:
        changed.set()

    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    streams = request.app[STREAMS]
    streams.add(changed)
    recorder.listeners.append(on_change)
    last = ""
    try:
        while not request.app[CLOSING][0]:
            try:
                await asyncio.wait_for(changed.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if request.app[CLOSING][0]:
                break
            await asyncio.sleep(COALESCE_SECONDS)
            changed.clear()
            if psid not in chat.world.state.users:
                break
            text = json.dumps(chat.conversation(psid), separators=(",", ":"))
            if text != last:
                await response.write(f"data: {text}\n\n".encode())
                last = text
    except (ConnectionResetError, RuntimeError):
        pass  # the browser went away (aiohttp raises one or the other when writing)
    finally:
        streams.discard(changed)
        if on_change in recorder.listeners:
            recorder.listeners.remove(on_change)
    return response


async def post_delivered(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/delivered: a delivery receipt for unacknowledged page messages."""
    psid = _psid(request)
    return web.json_response(await _chat(request).send_delivery(psid))


async def post_read(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/read: a read receipt for everything the page sent so far."""
    psid = _psid(request)
    return web.json_response(await _chat(request).send_read(psid))


def _file_response(data: bytes, content_type: str | None, filename: str | None) -> web.Response:
    headers = {"Cache-Control": "max-age=3600"}
    if filename:
        safe = "".join(ch for ch in filename if ch.isalnum() or ch in "._- ")[:100] or "file"
        headers["Content-Disposition"] = f'inline; filename="{safe}"'
    return web.Response(
        body=data,
        content_type=content_type or "application/octet-stream",
        headers=headers,
    )


async def get_sent_file(request: web.Request) -> web.Response:
    """GET /_sim/sent/{index}/file: the bytes a Send API call uploaded."""
    try:
        index = int(request.match_info["index"])
        sent = _chat(request).world.recorder.sent[index]
    except (ValueError, IndexError):
        raise BadRequest("no such send") from None
    upload = sent.files.get("filedata")
    if upload is None:
        raise web.HTTPNotFound(text='{"error": "that send uploaded no file"}')
    return _file_response(upload.data, upload.content_type, upload.filename)


async def get_attachment_file(request: web.Request) -> web.Response:
    """GET /_sim/attachments/{attachment_id}/file: the bytes of a saved attachment."""
    saved = _chat(request).world.state.attachments.get(request.match_info["attachment_id"])
    if saved is None or saved.file is None:
        raise web.HTTPNotFound(text='{"error": "no such uploaded attachment"}')
    return _file_response(saved.file.data, saved.file.content_type, saved.file.filename)


async def _on_shutdown(app: web.Application) -> None:
    """Let open streams end at once, so stopping the simulator doesn't wait for browsers."""
    app[CLOSING][0] = True
    for event in app[STREAMS]:
        event.set()


def setup_routes(app: web.Application, chat: ChatModel) -> None:
    """Register the chat page and its routes, drawing from ``chat``."""
    app[CHAT_KEY] = chat
    app[STREAMS] = set()
    app[CLOSING] = [False]
    app.on_shutdown.append(_on_shutdown)
    router = app.router
    router.add_get("/", redirect_to_page)
    router.add_get("/chat", redirect_to_page)
    router.add_get("/chat/", chat_page)
    router.add_static("/chat/static", STATIC_DIR, append_version=False)
    router.add_get("/_sim/conversations", get_conversations)
    router.add_get("/_sim/conversations/{psid}", get_conversation)
    router.add_get("/_sim/conversations/{psid}/stream", stream_conversation)
    router.add_post("/_sim/users/{psid}/delivered", post_delivered)
    router.add_post("/_sim/users/{psid}/read", post_read)
    router.add_get("/_sim/sent/{index}/file", get_sent_file)
    router.add_get("/_sim/attachments/{attachment_id}/file", get_attachment_file)
