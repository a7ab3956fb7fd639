"""Small helpers the ``/_sim/`` route modules share: JSON bodies, 400s, and a user lookup.

Kept apart from the route modules so the chat page's routes and the control API can both use
them without importing each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container
import json
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """A control call with missing or wrong arguments (answers 400)."""


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body ({} when there is none)."""
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise BadRequest(f"body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def since(request: web.Request) -> int:
    """The ``?since=N`` polling index."""
    try:
        return max(0, int(request.query.get("since", "0")))
    except ValueError:
        raise BadRequest("since must be an integer") from None


def require(data: dict[str, Any], *names: str) -> list[Any]:
    """The named values of ``data``, or a 400 naming the missing ones."""
    missing = [name for name in names if name not in data]
    if missing:
        raise BadRequest(f"missing {', '.join(missing)}")
    return [data[name] for name in names]


def known_psid(request: web.Request, users: Container[str]) -> str:
    """The ``{psid}`` of the path, or a 404 when nobody has it."""
    psid = request.match_info["psid"]
    if psid not in users:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"unknown user {psid}"}), content_type="application/json"
        )
    return psid


def posted(result: tuple[int, str]) -> web.Response:
    """The answer to a user action: what the webhook said."""
    status, text = result
    return web.json_response({"status": status, "body": text})


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 for bad arguments and 409 for impossible actions, on ``/_sim/`` paths only."""
    if not request.path.startswith("/_sim/"):
        return await handler(request)
    try:
        return await handler(request)
    except BadRequest as err:
        return web.json_response({"error": str(err)}, status=400)
    except RuntimeError as err:  # e.g. no webhook URL configured yet
        return web.json_response({"error": str(err)}, status=409)
