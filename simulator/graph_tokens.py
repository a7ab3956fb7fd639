"""Tokens, apps and users: ``/oauth/access_token``, ``/debug_token``, ``/me`` for a person and
``/me/accounts`` (``FIDELITY.md`` F-16, F-25, F-36, F-41).

These are the calls a setup flow makes before it holds a page token: exchange a short-lived user
token for a long-lived one, list the pages the person administers with their page tokens, and
inspect any token with the app's own ``APP_ID|APP_SECRET``.
"""

from __future__ import annotations

from typing import Any

from . import tokens
from .errors import GraphError, fail
from .graph_auth import check_proof, check_token, token_expired, token_invalid, token_missing
from .graph_request import Answer, Caller, Context, list_fields, node_fields, requested_fields
from .paging import paginate
from .state import (
    APP_NAME,
    DATA_ACCESS_SECONDS,
    LONG_LIVED_SECONDS,
    PAGE,
    USER,
    SimAdmin,
    SimPage,
    SimToken,
)
from .validation import blank

ACCOUNT_FIELDS = ("id", "name", "access_token", "category", "tasks")
ACCOUNT_DEFAULT_FIELDS = ("access_token", "category", "name", "id", "tasks")
PAGE_NODE_FIELDS = ("id", "name", "access_token", "category")


def _params(ctx: Context, *names: str) -> list[str]:
    """Required string parameters, or 100 naming the first missing one."""
    values = []
    for name in names:
        value = ctx.call.params.get(name)
        if blank(value):
            raise fail("param_required", name=name)
        values.append(str(value))
    return values


# ----------------------------------------------------------------------------- the exchange


def _exchangeable(ctx: Context, app_id: str, token: str) -> SimToken:
    """The valid user token of this app that ``fb_exchange_token`` names."""
    record = ctx.world.state.tokens.get(token)
    if record is None:
        raise token_invalid()
    check_token(ctx.world, record)  # an expired token cannot be exchanged (FIDELITY F-41)
    if record.kind != USER:
        raise fail("not_user_token")
    if record.app_id != app_id:
        raise fail("token_wrong_app", app_id=app_id)
    return record


def exchange(ctx: Context) -> Answer:
    """GET /oauth/access_token?grant_type=fb_exchange_token: a long-lived user token."""
    grant, app_id, secret, short = _params(
        ctx, "grant_type", "client_id", "client_secret", "fb_exchange_token"
    )
    if grant != "fb_exchange_token":  # other grants: not simulated (FIDELITY F-25, UNCONFIRMED)
        raise fail("bad_enum", name="grant_type", values="fb_exchange_token", value=grant)
    state = ctx.world.state
    known = state.app_secret(app_id)
    if known is None and not any(p.app_id == app_id for p in state.pages.values()):
        raise fail("unknown_app")
    if known != secret:
        raise fail("client_secret")
    record = _exchangeable(ctx, app_id, short)
    admin = state.admins[record.owner]
    issued = tokens.issue_user_token(state, admin, app_id, record.scopes, long_lived=True)
    answer = {
        "access_token": issued.token,
        "token_type": "bearer",
        "expires_in": LONG_LIVED_SECONDS,
    }
    return answer, None


# ----------------------------------------------------------------------------- debug_token


def _app_caller(ctx: Context) -> str:
    """The app ``access_token`` speaks for: ``APP_ID|APP_SECRET`` or a user token of the app."""
    token = ctx.call.token
    if not token:
        raise token_missing()
    state = ctx.world.state
    app_id, bar, secret = token.partition("|")
    if bar:
        if not secret or state.app_secret(app_id) != secret:
            raise fail("app_token_invalid")
        return app_id
    record = state.tokens.get(token)
    if record is None or record.kind != USER:
        raise token_invalid()
    check_token(ctx.world, record)
    check_proof(ctx.call, state.app_secret(record.app_id), required=False)
    return record.app_id


def _granular(ctx: Context, record: SimToken) -> list[dict[str, Any]]:
    if record.kind == PAGE:
        targets = [record.owner]
    else:
        admin = ctx.world.state.admins.get(record.owner)
        targets = list(admin.pages) if admin is not None else []
    return [
        {"scope": scope, "target_ids": targets} if scope.startswith("pages_") else {"scope": scope}
        for scope in record.scopes
    ]


def _user_behind(ctx: Context, record: SimToken) -> str | None:
    if record.kind == USER:
        return record.owner
    if record.user_id is not None:
        return record.user_id
    admin = tokens.admin_of(ctx.world.state, record.owner)
    return admin.user_id if admin is not None else None


def _expires_at(ctx: Context, record: SimToken) -> int:
    if record.primary and ctx.world.state.token_status(record) == "expired":
        return int(ctx.world.now()) - 3600  # the page's token_state says it ended an hour ago
    return int(record.expires_at)


def _token_data(ctx: Context, record: SimToken) -> dict[str, Any]:
    data: dict[str, Any] = {
        "app_id": record.app_id,
        "type": record.kind,
        "application": APP_NAME,
        "data_access_expires_at": int(record.issued_at + DATA_ACCESS_SECONDS),
        "expires_at": _expires_at(ctx, record),
        "is_valid": True,
        "issued_at": int(record.issued_at),
        "scopes": list(record.scopes),
        "granular_scopes": _granular(ctx, record),
    }
    user_id = _user_behind(ctx, record)
    if user_id is not None:
        data["user_id"] = user_id
    if record.kind == PAGE:
        data["profile_id"] = record.owner  # FIDELITY F-25 (UNCONFIRMED)
    return data


def _invalid(data: dict[str, Any], err: GraphError) -> dict[str, Any]:
    data["is_valid"] = False
    data["error"] = {"code": err.code, "message": err.message}
    if err.subcode is not None:
        data["error"]["subcode"] = err.subcode
    return data


def debug(ctx: Context) -> Answer:
    """GET /debug_token?input_token=: what a token is and whether it still works."""
    app_id = _app_caller(ctx)
    (input_token,) = _params(ctx, "input_token")
    record = ctx.world.state.tokens.get(input_token)
    if record is None:
        err = fail("token_invalid")
        return {
            "data": {
                "error": {"code": 190, "message": err.message},
                "is_valid": False,
                "scopes": [],
            }
        }, None
    data = _token_data(ctx, record)
    if record.app_id != app_id:
        return {"data": _invalid(data, fail("token_wrong_app", app_id=app_id))}, None
    status = ctx.world.state.token_status(record)
    if status == "expired":
        err = token_expired(ctx.world.now(), record.expires_at or None)
        return {"data": _invalid(data, err)}, None
    if status == "invalidated":
        return {"data": _invalid(data, fail("token_invalidated"))}, None
    return {"data": data}, None


# ----------------------------------------------------------------------------- a person's nodes


def user_node(ctx: Context, caller: Caller, admin: SimAdmin) -> Answer:
    """GET /me with a user token: the person (or a page they administer, by its id)."""
    node = ctx.route.node
    if node not in ("me", admin.user_id):
        return _admin_page(ctx, caller, ctx.world.state.pages[node])
    available = {"id": admin.user_id, "name": admin.name}
    return node_fields(ctx.call.params, available, admin.user_id), None


def _page_values(ctx: Context, caller: Caller, page: SimPage, wanted: list[str]) -> dict[str, Any]:
    """A page as its admin sees it; its page token is made only when asked for."""
    values: dict[str, Any] = {
        "id": page.page_id,
        "name": page.name,
        "category": page.category,
        "tasks": list(tokens.PAGE_TASKS),
    }
    if "access_token" in wanted:
        values["access_token"] = tokens.page_token_from(ctx.world.state, caller.token, page).token
    return values


def _admin_page(ctx: Context, caller: Caller, page: SimPage) -> Answer:
    """GET /{page-id}?fields=access_token with an admin's user token (FIDELITY F-41)."""
    wanted = requested_fields(ctx.call.params.get("fields"), ("name", "id"))
    values = _page_values(ctx, caller, page, wanted)
    shown = {k: v for k, v in values.items() if k in PAGE_NODE_FIELDS}
    return node_fields(ctx.call.params, shown, page.page_id), None


def accounts(ctx: Context) -> Answer:
    """GET /me/accounts: the pages the person administers, each with its page token."""
    caller = ctx.caller
    if caller is None or caller.admin is None or ctx.route.node not in ("me", caller.node_id):
        raise fail("nonexisting_field", field="accounts", node="Page")
    wanted = list_fields(ctx.call.params, ACCOUNT_FIELDS, ACCOUNT_DEFAULT_FIELDS, "Page")
    if "pages_show_list" not in caller.token.scopes:
        return {"data": []}, None
    state = ctx.world.state
    pages = [state.pages[p] for p in caller.admin.pages if p in state.pages]

    def render(page: SimPage) -> dict[str, Any]:
        values = _page_values(ctx, caller, page, wanted)
        return {name: values[name] for name in wanted} | {"id": page.page_id}

    return paginate(pages, lambda p: p.page_id, render, ctx.call.params, ctx.call.url), None
