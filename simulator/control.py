"""The ``/_sim/`` control API: JSON over HTTP so other processes can drive the simulator.

End-to-end tests and the chat page use it to read what was sent, add people, make them write,
inject faults and change settings. There is no authentication: it listens where the simulator
listens, which is meant to be localhost. Tokens and secrets are never returned, with two
deliberate exceptions: ``POST /_sim/tokens`` answers the user token it just issued, and
``/_sim/state`` shows the UI setup credentials ``python -m simulator`` prints.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from aiohttp import web

from .api import SimulatorApi
from .faults import Fault, edges_for
from .httputil import (
    BadRequest,
    Handler,
    errors_middleware,
    known_psid,
    posted,
    read_json,
    require,
    since,
)
from .serialize import (
    page_json,
    request_json,
    sent_json,
    template_json,
    token_json,
    user_json,
    webhook_json,
)
from .state import AppSubscription

API_KEY: web.AppKey[SimulatorApi] = web.AppKey("simulator_api")
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
    "scopes",
    "human_agent_approved",
    "restricted",
)
CONFIG_FIELDS = (
    "latency",
    "rate_cap",
    "media_rate_cap",
    "webhook_url",
    "usage_budget_per_minute",
    "template_review",
    "template_review_delay",
    "template_status_field",
    "window_error",
    "conversations_rate_cap",
)


def _api(request: web.Request) -> SimulatorApi:
    return request.app[API_KEY]


def _user(request: web.Request) -> str:
    return known_psid(request, _api(request).users)


@contextmanager
def _refused(*errors: type[Exception]) -> Iterator[None]:
    """The simulator refusing the arguments (``errors``, default TypeError and ValueError): 400."""
    caught = errors or (TypeError, ValueError)
    try:
        yield
    except caught as err:
        raise BadRequest(str(err)) from None


def config_json(sim: SimulatorApi) -> dict[str, Any]:
    """The settings the control API can change."""
    return {name: getattr(sim.config, name) for name in CONFIG_FIELDS}


def state_json(sim: SimulatorApi) -> dict[str, Any]:
    """Pages (no secrets), users and settings."""
    now = sim.now()
    return {
        "now": now,
        "clock_offset": sim.clock_offset,
        "default_version": sim.config.default_version,
        "pages": [page_json(p) for p in sim.pages.values()],
        "users": [user_json(u, now) for u in sim.users.values()],
        "config": config_json(sim),
        "faults": [fault.describe() for fault in sim.pending_faults],
        "counts": {"requests": len(sim.requests), "sent": len(sim.sent)},
        "verification": sim.verification,
        "admins": [asdict(admin) for admin in sim.admins.values()],
        "tokens": [token_json(t, sim.token_status(t.token)) for t in sim.tokens.values()],
        "templates": [template_json(t) for t in sim.templates.values()],
        "ui_setup": sim.ui_setup,
    }


# ----------------------------------------------------------------------------- reading


async def get_state(request: web.Request) -> web.Response:
    """GET /_sim/state."""
    return web.json_response(state_json(_api(request)))


def _since(
    request: web.Request,
    records: Sequence[Any],
    as_json: Callable[[int, Any], dict[str, Any]],
    keep: Callable[[Any], bool] = lambda _: True,
) -> web.Response:
    """A recording from ``?since=N`` on, each with its index, and the index to poll from next."""
    start = since(request)
    data = [as_json(i, r) for i, r in enumerate(records[start:], start=start) if keep(r)]
    return web.json_response({"data": data, "next": len(records)})


async def get_sent(request: web.Request) -> web.Response:
    """GET /_sim/sent[?psid=][&since=N]."""
    psid = request.query.get("psid")
    return _since(
        request,
        _api(request).sent,
        sent_json,
        lambda s: psid is None or s.recipient_id == psid,
    )


async def get_requests(request: web.Request) -> web.Response:
    """GET /_sim/requests[?since=N]."""
    return _since(request, _api(request).requests, request_json)


async def get_webhooks(request: web.Request) -> web.Response:
    """GET /_sim/webhooks[?since=N]."""
    return _since(request, _api(request).webhook_posts, webhook_json)


# ----------------------------------------------------------------------------- the world


async def post_users(request: web.Request) -> web.Response:
    """POST /_sim/users: add or replace a user (fields as ``add_user``; ``page_id`` = ``page``)."""
    sim = _api(request)
    data = await read_json(request)
    if "page_id" in data and "page" not in data:
        data["page"] = data.pop("page_id")
    psid = data.get("psid")
    if not psid:
        raise BadRequest("psid is required")
    kwargs = {k: data[k] for k in USER_FIELDS if k in data}
    with _refused():
        user = sim.add_user(str(psid), **kwargs)
    return web.json_response(user_json(user, sim.now()), status=201)


async def post_pages(request: web.Request) -> web.Response:
    """POST /_sim/pages: add or update a page (fields as ``add_page``)."""
    sim = _api(request)
    data = await read_json(request)
    page_id = str(data.get("page_id") or "")
    current = sim.pages.get(page_id)
    kwargs = {k: data[k] for k in PAGE_FIELDS if k in data}
    if current is not None:
        kwargs = {**{k: getattr(current, k) for k in PAGE_FIELDS}, **kwargs}
    with _refused():
        page = sim.add_page(page_id, **kwargs)
    return web.json_response(page_json(page), status=201)


# ----------------------------------------------------------------------------- people


def _person(action: str, *fields: str, refusable: bool = False) -> Handler:
    """``POST /_sim/users/{psid}/...``: the person does ``action`` (a :class:`SimulatorApi`
    method) with the body's ``fields`` as strings; the webhook's answer is the response.
    ``refusable`` actions get a 400 when the page offers no such thing (a Messenger Profile tap).
    """
    if not hasattr(SimulatorApi, action):  # a misspelt action fails at import, not on a call
        raise AttributeError(f"SimulatorApi has no {action}")

    async def handler(request: web.Request) -> web.Response:
        psid = _user(request)
        values = require(await read_json(request), *fields) if fields else []
        done = getattr(_api(request), action)(psid, *(str(value) for value in values))
        if not refusable:
            return posted(await done)
        with _refused(ValueError):
            return posted(await done)

    return handler


ATTACHMENT_KINDS = ("image", "audio", "video", "file")


async def post_attachment(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/attachment: ``{type, content_type, data (base64), name}``: the
    person sends a picture, a voice note (``audio``), a video or a file."""
    psid = _user(request)
    body = await read_json(request)
    kind, content_type, data = require(body, "type", "content_type", "data")
    if kind not in ATTACHMENT_KINDS:
        raise BadRequest(f"type must be one of {', '.join(ATTACHMENT_KINDS)}")
    try:
        raw = base64.b64decode(str(data), validate=True)
    except ValueError as err:
        raise BadRequest("data must be base64") from err
    name = str(body.get("name") or kind)
    done = _api(request).user_sends_attachment(psid, str(kind), raw, str(content_type), name)
    return posted(await done)


async def post_grid_tap(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/grid_tap: ``{mid, index}``: the person taps a grid picture."""
    psid = _user(request)
    mid, index = require(await read_json(request), "mid", "index")
    with _refused(ValueError):
        return posted(await _api(request).user_taps_grid_image(psid, str(mid), int(index)))
    raise AssertionError  # unreachable: _refused answers 400


# The person writes, taps a quick reply or a postback button, reacts, or quotes a message.
post_say = _person("user_says", "text")
post_quick_reply = _person("user_taps_quick_reply", "title", "payload")
post_postback = _person("user_taps_button", "title", "payload")
post_react = _person("user_reacts", "mid", "emoji")
post_reply = _person("user_replies", "mid", "text")
# What the page's Messenger Profile offers: a menu item, an ice breaker, Get Started, a command.
post_menu = _person("user_taps_menu", "title", refusable=True)
post_ice_breaker = _person("user_taps_ice_breaker", "question", refusable=True)
post_get_started = _person("user_taps_get_started", refusable=True)
post_command = _person("user_sends_command", "name", refusable=True)


async def post_age(request: web.Request) -> web.Response:
    """POST /_sim/users/{psid}/age {"seconds"}: the person's last message moves into the past."""
    sim = _api(request)
    psid = _user(request)
    (seconds,) = require(await read_json(request), "seconds")
    sim.age_user(psid, float(seconds))
    return web.json_response(user_json(sim.users[psid], sim.now()))


# ----------------------------------------------------------------------------- admins, templates


async def post_admins(request: web.Request) -> web.Response:
    """POST /_sim/admins {"user_id", "name", "pages"}: add a page admin."""
    sim = _api(request)
    data = await read_json(request)
    kwargs = {k: data[k] for k in ("user_id", "name", "pages") if k in data}
    with _refused():
        admin = sim.add_admin(**kwargs)
    return web.json_response(asdict(admin), status=201)


async def post_tokens(request: web.Request) -> web.Response:
    """POST /_sim/tokens {"user_id", "app_id"?, "scopes"?, "long_lived"?}: a user token."""
    sim = _api(request)
    data = await read_json(request)
    (user_id,) = require(data, "user_id")
    kwargs = {k: data[k] for k in ("app_id", "scopes", "long_lived") if k in data}
    with _refused():
        token = sim.issue_user_token(str(user_id), **kwargs)
    record = sim.tokens[token]
    return web.json_response(
        {"access_token": token, "expires_at": record.expires_at, "scopes": list(record.scopes)},
        status=201,
    )


async def post_template_status(request: web.Request) -> web.Response:
    """POST /_sim/templates/status {"name", "status", "reason"?, "language"?}."""
    sim = _api(request)
    data = await read_json(request)
    name, status = require(data, "name", "status")
    with _refused(ValueError):
        template = sim.set_template_status(
            str(name), str(status), data.get("reason"), data.get("language")
        )
    return web.json_response(template_json(template))


async def get_profile(request: web.Request) -> web.Response:
    """GET /_sim/profile[?page_id=]: the page's Messenger Profile."""
    sim = _api(request)
    page_id = request.query.get("page_id")
    if page_id is not None and page_id not in sim.pages:
        raise BadRequest(f"unknown page {page_id}")
    return web.json_response(sim.profile(page_id))


# ----------------------------------------------------------------------------- subscriptions


def app_subscription_json(subscription: AppSubscription) -> dict[str, Any]:
    """An app's webhook as the simulator keeps it."""
    return asdict(subscription)


async def get_subscriptions(request: web.Request) -> web.Response:
    """GET /_sim/subscriptions: each page's subscription (failing since, dropped at), the
    apps' webhooks and every verification GET sent for them with the callback's answer."""
    sim = _api(request)
    return web.json_response(
        {
            "pages": [sim.subscription(page_id) for page_id in sim.pages],
            "apps": [app_subscription_json(s) for s in sim.app_subscriptions.values()],
            "verifications": sim.verifications,
        }
    )


def _page_id(request: web.Request) -> str:
    page_id = request.match_info["page_id"]
    if page_id not in _api(request).pages:
        raise BadRequest(f"unknown page {page_id}")
    return page_id


async def post_unsubscribe(request: web.Request) -> web.Response:
    """POST /_sim/pages/{page_id}/unsubscribe: drop the page's subscription now."""
    sim = _api(request)
    page_id = _page_id(request)
    sim.drop_subscription(page_id)
    return web.json_response(sim.subscription(page_id))


async def post_app_subscription(request: web.Request) -> web.Response:
    """POST /_sim/apps/{app_id}/subscription {"active", "object"?}: (in)activate a webhook."""
    sim = _api(request)
    data = await read_json(request)
    (active,) = require(data, "active")
    app_id, obj = request.match_info["app_id"], str(data.get("object", "page"))
    if (app_id, obj) not in sim.app_subscriptions:
        raise BadRequest(f"app {app_id} has no {obj} webhook")
    sim.set_app_subscription_active(app_id, bool(active), obj)
    return web.json_response(app_subscription_json(sim.app_subscriptions[(app_id, obj)]))


async def post_remote_file(request: web.Request) -> web.Response:
    """POST /_sim/remote_files {"url", "size"}: how big the file behind a URL is."""
    url, size = require(await read_json(request), "url", "size")
    _api(request).set_remote_size(str(url), int(size))
    return web.json_response({"url": url, "size": int(size)}, status=201)


async def get_conversation(request: web.Request) -> web.Response:
    """GET /_sim/messages/{psid}: the messages between the person and their page (with mids)."""
    sim = _api(request)
    psid = _user(request)
    return web.json_response({"data": [asdict(m) for m in sim.conversation(psid)]})


# ----------------------------------------------------------------------------- faults, settings


def _fault(sim: SimulatorApi, data: dict[str, Any]) -> Fault:
    kind = data.get("kind")
    common = {"count": data.get("count", 1), "paths": data.get("paths")}
    edges_for(common["paths"])
    if kind == "error":
        (code,) = require(data, "code")
        return sim.inject_error(
            int(code),
            data.get("subcode"),
            data.get("message"),
            http_status=data.get("http_status"),
            is_transient=data.get("is_transient"),
            error_type=data.get("error_type", "OAuthException"),
            **common,
        )
    if kind == "http":
        (status,) = require(data, "status")
        return sim.inject_http_status(int(status), body=data.get("body"), **common)
    if kind == "disconnect":
        return sim.inject_disconnect(after_accept=bool(data.get("after_accept")), **common)
    if kind == "delay":
        (seconds,) = require(data, "seconds")
        return sim.inject_delay(float(seconds), **common)
    raise BadRequest("kind must be error, http, disconnect or delay")


async def post_faults(request: web.Request) -> web.Response:
    """POST /_sim/faults {"kind": "error"|"http"|"disconnect"|"delay", ...}."""
    data = await read_json(request)
    with _refused():
        fault = _fault(_api(request), data)
    return web.json_response(fault.describe(), status=201)


async def delete_faults(request: web.Request) -> web.Response:
    """DELETE /_sim/faults: drop pending faults."""
    _api(request).clear_faults()
    return web.json_response({"ok": True})


async def post_config(request: web.Request) -> web.Response:
    """POST /_sim/config {"latency", "rate_cap", "media_rate_cap", "webhook_url", ...}."""
    sim = _api(request)
    data = await read_json(request)
    unknown = set(data) - set(CONFIG_FIELDS) - {"usage"}
    if unknown:
        raise BadRequest(f"unknown settings: {', '.join(sorted(unknown))}")
    before = {name: getattr(sim.config, name) for name in CONFIG_FIELDS}
    for name in CONFIG_FIELDS:
        if name in data:
            setattr(sim.config, name, data[name])
    try:
        sim.config.check()
    except ValueError as err:
        for name, value in before.items():
            setattr(sim.config, name, value)
        raise BadRequest(str(err)) from None
    if "usage" in data:
        usage = data["usage"] or {}
        sim.set_usage(usage.get("call_count"), usage.get("estimated_time_to_regain_access"))
    return web.json_response(config_json(sim))


async def post_clock(request: web.Request) -> web.Response:
    """POST /_sim/clock {"advance": seconds}: move the simulated clock."""
    sim = _api(request)
    (seconds,) = require(await read_json(request), "advance")
    sim.advance(float(seconds))
    return web.json_response({"now": sim.now(), "clock_offset": sim.clock_offset})


async def post_verify(request: web.Request) -> web.Response:
    """POST /_sim/verify {"url", "verify_token"[, "challenge"]}: run the handshake."""
    sim = _api(request)
    data = await read_json(request)
    url, token = require(data, "url", "verify_token")
    challenge = str(data.get("challenge") or sim.random_challenge())
    status, body = await sim.verify_webhook(str(url), str(token), challenge=challenge)
    ok = status == 200 and body == challenge
    return web.json_response({"status": status, "body": body, "challenge": challenge, "ok": ok})


async def post_reset(request: web.Request) -> web.Response:
    """POST /_sim/reset: forget recordings and faults."""
    _api(request).clear()
    return web.json_response({"ok": True})


async def not_found(request: web.Request) -> web.Response:
    """Any other /_sim/ path (kept away from the Graph catch-all)."""
    return web.json_response(
        {"error": f"no control route {request.method} {request.path}"}, status=404
    )


ROUTES = (
    ("GET", "/_sim/state", get_state),
    ("GET", "/_sim/sent", get_sent),
    ("GET", "/_sim/requests", get_requests),
    ("GET", "/_sim/webhooks", get_webhooks),
    ("POST", "/_sim/users", post_users),
    ("POST", "/_sim/pages", post_pages),
    ("POST", "/_sim/users/{psid}/say", post_say),
    ("POST", "/_sim/users/{psid}/attachment", post_attachment),
    ("POST", "/_sim/users/{psid}/grid_tap", post_grid_tap),
    ("POST", "/_sim/users/{psid}/quick_reply", post_quick_reply),
    ("POST", "/_sim/users/{psid}/postback", post_postback),
    ("POST", "/_sim/users/{psid}/react", post_react),
    ("POST", "/_sim/users/{psid}/reply", post_reply),
    ("POST", "/_sim/users/{psid}/menu", post_menu),
    ("POST", "/_sim/users/{psid}/ice_breaker", post_ice_breaker),
    ("POST", "/_sim/users/{psid}/get_started", post_get_started),
    ("POST", "/_sim/users/{psid}/command", post_command),
    ("POST", "/_sim/users/{psid}/age", post_age),
    ("POST", "/_sim/admins", post_admins),
    ("POST", "/_sim/tokens", post_tokens),
    ("POST", "/_sim/templates/status", post_template_status),
    ("GET", "/_sim/profile", get_profile),
    ("POST", "/_sim/faults", post_faults),
    ("DELETE", "/_sim/faults", delete_faults),
    ("POST", "/_sim/config", post_config),
    ("POST", "/_sim/clock", post_clock),
    ("POST", "/_sim/verify", post_verify),
    ("POST", "/_sim/reset", post_reset),
    ("GET", "/_sim/subscriptions", get_subscriptions),
    ("POST", "/_sim/pages/{page_id}/unsubscribe", post_unsubscribe),
    ("POST", "/_sim/apps/{app_id}/subscription", post_app_subscription),
    ("POST", "/_sim/remote_files", post_remote_file),
    ("GET", "/_sim/messages/{psid}", get_conversation),
)


def setup_routes(app: web.Application, sim: SimulatorApi) -> None:
    """Register the control API on the simulator's application."""
    app[API_KEY] = sim
    app.middlewares.append(errors_middleware)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_route("*", "/_sim/{tail:.*}", not_found)
