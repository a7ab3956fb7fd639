"""What setting a page up needs from Meta: whose token it is, how long it lasts, a token that
never expires, the pages of a user, the people who wrote, and the webhook subscription.

This is the Graph API Explorer work a household would otherwise do by hand. Every call goes
through a `GraphClient`, so tokens travel in the `Authorization` header; the two exceptions are
Meta's own: `debug_token` takes the token it inspects as a query parameter, and the token
exchange takes the app secret in its query (Meta documents only a GET for it). Neither query is
ever logged or shown.
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import re
from typing import Final

import aiohttp

from .client import GraphClient
from .coerce import as_id, as_int, as_text
from .errors import GraphError, GraphInvalidRequestError
from .models import JSONDict

# The webhook fields a page is subscribed to (the Webhook Events Reference lists them):
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
SUBSCRIBED_FIELDS: Final = (
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_reactions",
)
PAGE_SIZE: Final = 100
MAX_PAGES_OF_RESULTS: Final = 100  # 10,000 conversations: a household's page never gets near
_PERMISSION = re.compile(r"\b(pages_[a-z_]+)\b")


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What Meta says of a token (`debug_token`)."""

    type: str  # PAGE | USER | APP
    is_valid: bool
    app_id: str | None
    expires_at: datetime | None  # None: never
    scopes: tuple[str, ...] = ()
    page_id: str | None = None


@dataclass(frozen=True, slots=True)
class PageAccount:
    """A page a user administers, with the page token made from the user token."""

    id: str
    name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who has a conversation with the page."""

    psid: str
    name: str


def app_token(app_id: str, app_secret: str) -> str:
    """The app access token Meta accepts: `APP_ID|APP_SECRET`.

    https://developers.facebook.com/docs/facebook-login/guides/access-tokens#apptokens
    """
    return f"{app_id}|{app_secret}"


def missing_permission(error: GraphError) -> str | None:
    """The permission Meta's refusal names (e.g. `pages_read_engagement`), if it names one."""
    found = _PERMISSION.search(error.graph_message)
    return found.group(1) if found else None


async def inspect_token(app: GraphClient, token: str) -> TokenInfo:
    """`GET /debug_token` with the app token: the type, validity and expiry of `token`."""
    data = (await app.get("/debug_token", {"input_token": token})).get("data")
    if not isinstance(data, dict):
        raise GraphInvalidRequestError("debug_token answered without data")
    expires = as_int(data.get("expires_at")) or 0
    scopes = data.get("scopes")
    return TokenInfo(
        type=str(as_text(data.get("type"), 16) or "").upper(),
        is_valid=data.get("is_valid") is True,
        app_id=as_id(data.get("app_id")),
        expires_at=datetime.fromtimestamp(expires, UTC) if expires > 0 else None,
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
        page_id=as_id(data.get("profile_id")),
    )


async def is_user_token(client: GraphClient) -> bool:
    """Whether the client's token is a user's (it has `me/accounts`) rather than a page's."""
    try:
        await client.get("/me/accounts", {"fields": "id", "limit": "1"})
    except GraphInvalidRequestError as err:
        if err.code == 100 and "accounts" in err.graph_message:
            return (
                False  # "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
            )
        raise
    return True


async def long_lived_user_token(
    session: aiohttp.ClientSession, base_url: str, app_id: str, app_secret: str, token: str
) -> str:
    """Exchange a short-lived user token for a long-lived one (about 60 days).

    As Meta documents it, a GET whose query carries the app secret: the client never logs a
    query or puts it in an error, and Home Assistant's log filter scrubs the secret anyway.
    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
    """
    exchange = GraphClient(session, token, base_url=base_url, app_secret=app_secret)
    query = {
        "grant_type": "fb_exchange_token",
        "client_id": app_id,
        "client_secret": app_secret,
        "fb_exchange_token": token,
    }
    answer = await exchange.get("/oauth/access_token", query)
    long_lived = answer.get("access_token")
    if not isinstance(long_lived, str) or not long_lived:
        raise GraphInvalidRequestError("the token exchange answered without a token")
    return long_lived


async def paged_items(
    client: GraphClient,
    path: str,
    params: dict[str, str],
    *,
    before_each: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[JSONDict]:
    """Every item of a cursor-paged list: the cursors are followed until there is no `next`
    (`before_each` runs before each call: a pacer's turn, say).
    https://developers.facebook.com/docs/graph-api/results
    """
    params = {"limit": str(PAGE_SIZE), **params}
    for _ in range(MAX_PAGES_OF_RESULTS):
        if before_each is not None:
            await before_each()
        answer = await client.get(path, params)
        items = answer.get("data")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                yield item
        paging = answer.get("paging")
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not isinstance(paging, dict) or "next" not in paging or not isinstance(after, str):
            return
        params = {**params, "after": after}


async def user_pages(user: GraphClient) -> list[PageAccount]:
    """The pages a user administers, each with its page token (`GET /me/accounts`)."""
    pages = []
    async for item in paged_items(user, "/me/accounts", {"fields": "id,name,access_token"}):
        page_id, token = as_id(item.get("id")), item.get("access_token")
        if page_id and isinstance(token, str) and token:
            pages.append(
                PageAccount(page_id, str(as_text(item.get("name"), 200) or page_id), token)
            )
    return pages


async def people_of(page: GraphClient, page_id: str) -> list[Person]:
    """Everyone with a Messenger conversation with the page, by name (the page left out)."""
    found: dict[str, Person] = {}
    params = {"platform": "messenger", "fields": "participants"}
    async for conversation in paged_items(page, f"/{page_id}/conversations", params):
        participants = conversation.get("participants")
        data = participants.get("data") if isinstance(participants, dict) else None
        for participant in data if isinstance(data, list) else []:
            psid = as_id(participant.get("id")) if isinstance(participant, dict) else None
            if psid and psid != page_id and psid not in found:
                name = as_text(participant.get("name"), 200) or psid
                found[psid] = Person(psid, name)
    return list(found.values())


async def subscribe(page: GraphClient, page_id: str, fields: tuple[str, ...]) -> None:
    """Subscribe the app to the page's webhook fields (`POST /{page_id}/subscribed_apps`)."""
    await page.write("POST", f"/{page_id}/subscribed_apps", {"subscribed_fields": ",".join(fields)})


async def subscribe_app(
    app: GraphClient, app_id: str, callback_url: str, verify_token: str, fields: tuple[str, ...]
) -> None:
    """Set the app's webhook for pages (`POST /{app_id}/subscriptions`, with the app token).

    Meta calls `callback_url` with the verify challenge before it answers, so the webhook must
    already answer `verify_token`.
    https://developers.facebook.com/docs/graph-api/reference/app/subscriptions/
    """
    body = {
        "object": "page",
        "callback_url": callback_url,
        "verify_token": verify_token,
        "fields": ",".join(fields),
        "include_values": "true",
    }
    await app.write("POST", f"/{app_id}/subscriptions", body)


@dataclass(frozen=True, slots=True)
class AppWebhook:
    """An app's webhook for one kind of object (`GET /{app_id}/subscriptions`)."""

    object: str
    callback_url: str | None
    active: bool
    fields: frozenset[str]


async def page_subscriptions(page: GraphClient, page_id: str) -> dict[str, frozenset[str]]:
    """The apps subscribed to the page's webhook, and their fields (app id -> fields).
    https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps
    """
    apps: dict[str, frozenset[str]] = {}
    answer = await page.get(f"/{page_id}/subscribed_apps")
    data = answer.get("data")
    for item in data if isinstance(data, list) else []:
        app_id = as_id(item.get("id")) if isinstance(item, dict) else None
        fields = item.get("subscribed_fields") if isinstance(item, dict) else None
        if app_id is not None:
            names = [f for f in fields if isinstance(f, str)] if isinstance(fields, list) else []
            apps[app_id] = frozenset(names)
    return apps


async def app_webhooks(app: GraphClient, app_id: str) -> list[AppWebhook]:
    """The app's webhooks (with the app token).
    https://developers.facebook.com/docs/graph-api/reference/app/subscriptions/
    """
    hooks = []
    data = (await app.get(f"/{app_id}/subscriptions")).get("data")
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        fields = item.get("fields")
        names = (
            {str(f.get("name")) for f in fields if isinstance(f, dict) and f.get("name")}
            if isinstance(fields, list)
            else set()
        )
        hooks.append(
            AppWebhook(
                object=str(item.get("object") or ""),
                callback_url=as_text(item.get("callback_url"), 2000),
                active=item.get("active") is True,
                fields=frozenset(names),
            )
        )
    return hooks
