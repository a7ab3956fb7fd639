"""The ``/_sim/`` control API: JSON over HTTP so other processes can drive the simulator.

End-to-end tests and the chat page (:mod:`.chat`) use it to read what was sent, add people, make
them write, inject faults and change settings. There is no authentication: it listens where the
simulator listens, which is meant to be localhost. Tokens and secrets are never returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import edges_for
from .recording import RecordedRequest, SentMessage, WebhookPost
from .state import RecordedFile, SimPage, SimUser

if TYPE_CHECKING:
    from .core import Simulator

SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator")
REDACTED = "<redacted>"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """A control call with missing or wrong arguments (answers 400)."""


def _sim(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise BadRequest(f"body is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _since(request: web.Request) -> int:
    try:
        return max(0, int(request.query.get("since", "0")))
    except ValueError:
        raise BadRequest("since must be an integer") from None


# ----------------------------------------------------------------------------- serialisers


def file_json(file: RecordedFile) -> dict[str, Any]:
    """A file's metadata (not its bytes)."""
    return {"filename": file.filename, "content_type": file.content_type, "size": len(file.data)}


def page_json(page: SimPage) -> dict[str, Any]:
    """A page without its token or app secret."""
    data = asdict(page)
    del data["token"], data["app_secret"]
    data["has_app_secret"] = bool(page.app_secret)
    return data


def user_json(user: SimUser, now: float) -> dict[str, Any]:
    """A user, plus whether the 24-hour window is open right now."""
    data = asdict(user)
    data["window_open"] = now - user.last_inbound <= 24 * 3600
    return data


def sent_json(index: int, sent: SentMessage) -> dict[str, Any]:
    """An accepted send; ``index`` is its position for ``?since=`` polling."""
    return {
        "index": index,
        "page_id": sent.page_id,
        "recipient": sent.recipient,
        "recipient_id": sent.recipient_id,
        "message": sent.message,
        "sender_action": sent.sender_action,
        "messaging_type": sent.messaging_type,
        "tag": sent.tag,
        "notification_type": sent.notification_type,
        "message_id": sent.message_id,
        "attachment_id": sent.attachment_id,
        "files": {name: file_json(f) for name, f in sent.files.items()},
        "received_at": sent.received_at,
        "sent_at": sent.sent_at,
    }


def _redact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k == "access_token" else v) for k, v in values.items()}


def request_json(index: int, recorded: RecordedRequest) -> dict[str, Any]:
    """A recorded Graph request without its token (query, body and Authorization redacted)."""
    headers = {
        k: (REDACTED if k.lower() == "authorization" else v) for k, v in recorded.headers.items()
    }
    return {
        "index": index,
        "method": recorded.method,
        "path": recorded.path,
        "query": _redact(recorded.query),
        "headers": headers,
        "body": _redact(recorded.body),
        "files": {name: file_json(f) for name, f in recorded.files.items()},
        "token_source": recorded.token_source,
        "page_id": recorded.page_id,
        "status": recorded.status,
        "response": recorded.response,
        "received_at": recorded.received_at,
    }


def webhook_json(index: int, post: WebhookPost) -> dict[str, Any]:
    """A webhook post the simulator made (body as text)."""
    return {
        "index": index,
        "url": post.url,
        "body": post.body.decode("ascii", "replace"),
        "events": post.events,
        "status": post.status,
        "text": post.text,
        "posted_at": post.posted_at,
    }


def state_json(sim: Simulator) -> dict[str, Any]:
    """Pages (no secrets), users and settings."""
    now = sim.now()
    return {
        "now": now,
        "clock_offset": sim.clock_offset,
        "default_version": sim.default_version,
        "pages": [page_json(p) for p in sim.pages.values()],
        "users": [user_json(u, now) for u in sim.users.values()],
        "config": {
            "latency": sim.latency,
            "rate_cap": sim.rate_cap,
            "media_rate_cap": sim.media_rate_cap,
            "webhook_url": sim.webhook_url,
            "usage_budget_per_minute": sim.usage_budget_per_minute,
        },
        "faults": [fault.describe() for fault in sim.faults.pending],
        "counts": {"requests": len(sim.requests), "sent": len(sim.sent)},
        "verification": sim.verification,
    }


# ----------------------------------------------------------------------------- handlers


async def get_state(request: web.Request) -> web.Response:
    """GET /_sim/state."""
    return web.json_response(state_json(_sim(request)))


async def get_sent(request: web.Request) -> web.Response:
    """GET /_sim/sent[?psid=][&since=N]."""
    sim = _sim(request)
    since = _since(request)
    psid = request.query.get("psid")
    data = [
        sent_json(i, s)
        for i, s in enumerate(sim.sent[since:], start=since)
        if psid is None or s.recipient_id == psid
    ]
    return web.json_response({"data": data, "next": len(sim.sent)})


async def get_requests(request: web.Request) -> web.Response:
    """GET /_sim/requests[?since=N]."""
    sim = _sim(request)
    since = _since(request)
    data = [request_json(i, r) for i, r in enumerate(sim.requests[since:], start=since)]
    return web.json_response({"data": data, "next": len(sim.requests)})


async def get_webhooks(request: web.Request) -> web.Response:
    """GET /_sim/webhooks[?since=N]."""
    sim = _sim(request)
    since = _since(request)
    posts = sim.webhook_posts
    data = [webhook_json(i, p) for i, p in enumerate(posts[since:], start=since)]
    return web.json_response({"data": data, "next": len(posts)})


USER_FIELDS = ("name", "page", "last_inbound", "blocked", "has_role", "phone")
PAGE_FIELDS = (
    "name",
    "token",
    "app_secret",
    "require_appsecret_proof",
    "dev_mode",
    "token_state",
    "phone_matching",
    "app_id",
)


async def post_users(request: web.Request) -> web.Response:
    """POST /_sim/users: add or replace a user (fields as ``add_user``; ``page_id`` = ``page``)."""
    sim = _sim(request)
    data = await _json(request)
    if "page_id" in data and "page" not in data:
        data["page"] = data.pop("page_id")
    psid = data.get("psid")
    if not psid:
        raise BadRequest("psid is required")
    kwargs = {k: data[k] for k in USER_FIELDS if k in data}
    try:
        user = sim.add_user(str(psid), **kwargs)
    except (TypeError, ValueError) as err:
        raise BadRequest(str(err)) from None
    return web.json_response(user_json(user, sim.now()), status=201)


async def post_pages(request: web.Request) -> web.Response:
    """POST /_sim/pages: add or update a page (fields as ``add_page``)."""
    sim = _sim(request)
    data = await _json(request)
    page_id = str(data.get("page_id") or "")
    current = sim.pages.get(page_id)
    kwargs = {k: data[k] for k in PAGE_FIELDS if k in data}
    if current is not None:
        kwargs = {**{k: getattr(current, k) for k in PAGE_FIELDS}, **kwargs}
    try:
        page = sim.add_page(page_id, **kwargs)
    except (TypeError, ValueError) as err:
        raise BadRequest(str(err)) from None
    return web.json_response(page_json(page), status=201)


def _user(request: web.Request) -> str:
    psid = request.match_info["psid"]
    if psid not in _sim(request).users:
        raise web.HTTPNotFound(
            text=f'{{"error": "unknown user {psid}"}}', content_type="application/json"
        )
    return psid


def _require(data: dict[str, Any], *names: str) -> list[Any]:
    missing = [name for name in names if name not in data]
    if missing:
        raise BadRequest(f"missing {', '.join(missing)}")
    return [data[name] for name in names]


def _posted(result: tuple[int, str]) -> web.Response:
    status, text = result
    return web.json_response({"status": status, "body": text})


async def post_say(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/say {"text"}: the user writes to the page."""
    psid = _user(request)
    (text,) = _require(await _json(request), "text")
    return _posted(await _sim(request).user_says(psid, str(text)))


async def post_quick_reply(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/quick_reply {"title", "payload"}."""
    psid = _user(request)
    title, payload = _require(await _json(request), "title", "payload")
    return _posted(await _sim(request).user_taps_quick_reply(psid, str(title), str(payload)))


async def post_postback(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/postback {"title", "payload"}."""
    psid = _user(request)
    title, payload = _require(await _json(request), "title", "payload")
    return _posted(await _sim(request).user_taps_button(psid, str(title), str(payload)))


async def post_react(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/react {"mid", "emoji"}."""
    psid = _user(request)
    mid, emoji = _require(await _json(request), "mid", "emoji")
    return _posted(await _sim(request).user_reacts(psid, str(mid), str(emoji)))


async def post_faults(request: web.Request) -> web.Response:
    """POST /_sim/faults {"kind": "error"|"http"|"disconnect"|"delay", ...}."""
    sim = _sim(request)
    data = await _json(request)
    kind = data.get("kind")
    common = {"count": data.get("count", 1), "paths": data.get("paths")}
    try:
        edges_for(common["paths"])
        if kind == "error":
            (code,) = _require(data, "code")
            fault = sim.inject_error(
                int(code),
                data.get("subcode"),
                data.get("message"),
                http_status=data.get("http_status"),
                is_transient=data.get("is_transient"),
                error_type=data.get("error_type", "OAuthException"),
                **common,
            )
        elif kind == "http":
            (status,) = _require(data, "status")
            fault = sim.inject_http_status(int(status), body=data.get("body"), **common)
        elif kind == "disconnect":
            fault = sim.inject_disconnect(after_accept=bool(data.get("after_accept")), **common)
        elif kind == "delay":
            (seconds,) = _require(data, "seconds")
            fault = sim.inject_delay(float(seconds), **common)
        else:
            raise BadRequest("kind must be error, http, disconnect or delay")
    except (TypeError, ValueError) as err:
        raise BadRequest(str(err)) from None
    return web.json_response(fault.describe(), status=201)


async def delete_faults(request: web.Request) -> web.Response:
    """DELETE /_sim/faults: drop pending faults."""
    _sim(request).faults.clear()
    return web.json_response({"ok": True})


CONFIG_FIELDS = ("latency", "rate_cap", "media_rate_cap", "webhook_url", "usage_budget_per_minute")


async def post_config(request: web.Request) -> web.Response:
    """POST /_sim/config {"latency", "rate_cap", "media_rate_cap", "webhook_url", ...}."""
    sim = _sim(request)
    data = await _json(request)
    unknown = set(data) - set(CONFIG_FIELDS) - {"usage"}
    if unknown:
        raise BadRequest(f"unknown settings: {', '.join(sorted(unknown))}")
    for name in CONFIG_FIELDS:
        if name in data:
            setattr(sim, name, data[name])
    if "usage" in data:
        usage = data["usage"] or {}
        sim.set_usage(usage.get("call_count"), usage.get("estimated_time_to_regain_access"))
    return web.json_response(state_json(sim)["config"])


async def post_clock(request: web.Request) -> web.Response:
    """POST /_sim/clock {"advance": seconds}: move the simulated clock."""
    sim = _sim(request)
    (seconds,) = _require(await _json(request), "advance")
    sim.advance(float(seconds))
    return web.json_response({"now": sim.now(), "clock_offset": sim.clock_offset})


async def post_verify(request: web.Request) -> web.Response:
    """POST /_sim/verify {"url", "verify_token"[, "challenge"]}: run the handshake."""
    data = await _json(request)
    url, token = _require(data, "url", "verify_token")
    challenge = str(data.get("challenge") or _sim(request).random.randrange(10**9, 10**10))
    status, body = await _sim(request).verify_webhook(str(url), str(token), challenge=challenge)
    ok = status == 200 and body == challenge
    return web.json_response({"status": status, "body": body, "challenge": challenge, "ok": ok})


async def post_reset(request: web.Request) -> web.Response:
    """POST /_sim/reset: forget recordings and faults."""
    _sim(request).clear()
    return web.json_response({"ok": True})


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/_sim/"):
        return await handler(request)
    try:
        return await handler(request)
    except BadRequest as err:
        return web.json_response({"error": str(err)}, status=400)
    except RuntimeError as err:  # e.g. no webhook URL configured yet
        return web.json_response({"error": str(err)}, status=409)


async def not_found(request: web.Request) -> web.Response:
    """Any other /_sim/ path (kept away from the Graph catch-all)."""
    return web.json_response(
        {"error": f"no control route {request.method} {request.path}"}, status=404
    )


def setup_routes(app: web.Application) -> None:
    """Register the control API on the simulator's application."""
    app.middlewares.append(_errors)
    router = app.router
    router.add_get("/_sim/state", get_state)
    router.add_get("/_sim/sent", get_sent)
    router.add_get("/_sim/requests", get_requests)
    router.add_get("/_sim/webhooks", get_webhooks)
    router.add_post("/_sim/users", post_users)
    router.add_post("/_sim/pages", post_pages)
    router.add_post("/_sim/users/{psid}/say", post_say)
    router.add_post("/_sim/users/{psid}/quick_reply", post_quick_reply)
    router.add_post("/_sim/users/{psid}/postback", post_postback)
    router.add_post("/_sim/users/{psid}/react", post_react)
    router.add_post("/_sim/faults", post_faults)
    router.add_delete("/_sim/faults", delete_faults)
    router.add_post("/_sim/config", post_config)
    router.add_post("/_sim/clock", post_clock)
    router.add_post("/_sim/verify", post_verify)
    router.add_post("/_sim/reset", post_reset)
    router.add_route("*", "/_sim/{tail:.*}", not_found)
