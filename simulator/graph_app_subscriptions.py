"""``/{app-id}/subscriptions``: the app's webhook, set with the app access token.

Graph API reference app/subscriptions and Webhooks > Subscriptions Edge (``FIDELITY.md`` F-03,
F-04): ``POST`` with ``object``, ``callback_url``, ``verify_token`` and ``fields`` (optional
``include_values``) makes Meta send its verification GET to the callback during the call; the
call fails unless the callback echoes the challenge. ``GET`` lists ``object``, ``callback_url``,
``active`` and ``fields`` (``{name, version}``); ``DELETE`` removes an object or some fields.

The verification GET is asynchronous while Graph answers synchronously, so
:func:`verification_target` says before the call whom to verify and the Graph side sends the GET
first, handing its result in as ``Context.prepared``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .errors import GraphError, fail
from .graph_auth import check_token, token_invalid, token_missing
from .graph_request import Answer, Call, Context, Route
from .graph_subscriptions import WEBHOOK_FIELDS
from .state import AppSubscription, State
from .validation import blank
from .world import World

OBJECTS = ("page",)  # the simulator serves Messenger pages only
LOCAL_HOSTS = ("127.0.0.1", "localhost")  # plain HTTP allowed here only (F-20)


def app_of(world: World, call: Call, route: Route) -> str:
    """The app the call speaks for: its token must be ``{app-id}|{app-secret}`` of this app.

    A page or user token gets code 15, as Meta requires an app access token (F-03).
    """
    token = call.token
    if not token:
        raise token_missing()
    app_id, bar, secret = token.partition("|")
    if not bar:
        record = world.state.tokens.get(token)
        if record is None:
            raise token_invalid()
        check_token(world, record)
        raise fail("app_token_required")
    known = world.state.app_secret(app_id)
    if not secret or known is None or known != secret:
        raise fail("app_token_invalid")
    if route.node != app_id:
        raise fail("unsupported_request", method=call.method.lower(), object_id=route.node)
    return app_id


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if blank(value):
        raise fail("param_required", name=name)
    return str(value)


def _fields(value: Any) -> list[str]:
    """``fields`` as a comma-separated string or a list of the page webhook fields."""
    if blank(value):
        raise fail("param_required", name="fields")
    items = value if isinstance(value, list) else str(value).split(",")
    names = list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))
    for index, name in enumerate(names):
        if name not in WEBHOOK_FIELDS:
            shown = ", ".join(WEBHOOK_FIELDS)
            raise fail("bad_enum", name=f"fields[{index}]", values=shown, value=name)
    return names


def _object(params: dict[str, Any]) -> str:
    value = _required(params, "object").lower()
    if value not in OBJECTS:
        raise fail("bad_enum", name="object", values="PAGE", value=value)
    return value


def _check_callback(url: str) -> None:
    """HTTPS, or plain HTTP to this machine (a documented deviation, FIDELITY F-20; the
    refusal's wording is UNCONFIRMED)."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS
    if not (parts.scheme == "https" and parts.hostname) and not local:
        raise fail("callback_https")


def verification_target(world: World, call: Call, route: Route) -> tuple[str, str] | None:
    """(callback URL, verify token) a valid POST asks Meta to verify; None for anything else.

    Any error is left for the call itself to raise, so an invalid call is never verified.
    """
    if route.kind != "subscriptions" or call.method != "POST" or call.body.error is not None:
        return None
    try:
        app_of(world, call, route)
        _object(call.params)
        _fields(call.params.get("fields"))
        url = _required(call.params, "callback_url")
        _check_callback(url)
        return url, _required(call.params, "verify_token")
    except GraphError:  # the call raises the same error again when it is answered
        return None


def record_verification(
    state: State, app_id: str, url: str, verify_token: str, challenge: str, answer: tuple[int, str]
) -> dict[str, Any]:
    """Remember a verification GET and the callback's answer (tests assert it was answered)."""
    status, body = answer
    entry = {
        "app_id": app_id,
        "url": url,
        "verify_token": verify_token,
        "challenge": challenge,
        "status": status,
        "body": body[:200],
        "ok": status == 200 and body == challenge,
        "at": state.now(),
    }
    state.verifications.append(entry)
    return entry


def _failure_reason(verification: dict[str, Any]) -> str:
    """Why the callback did not pass (FIDELITY F-04, UNCONFIRMED wording)."""
    status = verification["status"]
    if status == 0:
        return "Couldn't connect to server"
    if status != 200:
        return f"Received HTTP code {status} from server."
    return (
        "The URL couldn't be validated. Response does not match challenge, expected "
        f'value="{verification["challenge"]}", received="{verification["body"][:40]}"'
    )


def subscribe(ctx: Context) -> Answer:
    """POST: set the app's webhook for ``object`` once the callback answered the challenge."""
    app_id = app_of(ctx.world, ctx.call, ctx.route)
    params = ctx.call.params
    kind = _object(params)
    fields = _fields(params.get("fields"))
    url = _required(params, "callback_url")
    _check_callback(url)
    token = _required(params, "verify_token")
    verification = ctx.prepared
    if verification is None or not verification["ok"]:
        reason = _failure_reason(verification) if verification else "no verification was made"
        raise fail("callback_verification", reason=reason)
    # FIDELITY F-03 (UNCONFIRMED): a new POST replaces the object's subscription.
    ctx.world.state.app_subscriptions[(app_id, kind)] = AppSubscription(
        app_id=app_id,
        object=kind,
        callback_url=url,
        verify_token=token,
        fields=fields,
        include_values=str(params.get("include_values", "")).lower() == "true",
        version=ctx.route.version,
    )
    return {"success": True}, None


def listing(ctx: Context) -> Answer:
    """GET: the app's subscriptions, one per object."""
    app_id = app_of(ctx.world, ctx.call, ctx.route)
    subscriptions = ctx.world.state.app_subscriptions
    data = [
        {
            "object": sub.object,
            "callback_url": sub.callback_url,
            "active": sub.active,
            "fields": [{"name": name, "version": sub.version} for name in sub.fields],
        }
        for (owner, _), sub in subscriptions.items()
        if owner == app_id
    ]
    return {"data": data}, None


def unsubscribe(ctx: Context) -> Answer:
    """DELETE [object] [fields]: remove the fields, or the object's (or every) subscription."""
    app_id = app_of(ctx.world, ctx.call, ctx.route)
    params = ctx.call.params
    subscriptions = ctx.world.state.app_subscriptions
    kinds = [_object(params)] if not blank(params.get("object")) else list(OBJECTS)
    for kind in kinds:
        sub = subscriptions.get((app_id, kind))
        if sub is None:
            continue
        if blank(params.get("fields")):
            del subscriptions[(app_id, kind)]
            continue
        gone = set(_fields(params.get("fields")))
        sub.fields = [name for name in sub.fields if name not in gone]
        if not sub.fields:
            del subscriptions[(app_id, kind)]
    return {"success": True}, None
