"""One Graph request as the route handlers see it: where it goes, what it carries, how to answer.

Reading the request (token, parameters, body) and mapping its path to a route happen here, once,
so the handlers in the other ``graph_*`` modules only deal with their own rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any

from aiohttp import web

from .bodies import ParsedBody, merge_params, parse_body
from .config import SimConfig
from .edges import NODE_EDGES, TOP_LEVEL
from .errors import fail
from .recording import SentMessage
from .state import SimAdmin, SimPage, SimToken
from .validation import blank
from .versions import VERSION_RE, answering_version
from .world import World

# Node ids that are not numbers: conversations (``t_...``) and messages (``m_...``).
NODE_RE = re.compile(r"(?:\d+|me|t_[\w-]+|m_[\w-]+)")


@dataclass(slots=True)
class Route:
    """Where a Graph request goes: API version, node ("me" or an id) and kind of route."""

    version: str
    node: str
    kind: str


@dataclass(slots=True)
class Call:
    """A Graph request, read and parsed."""

    method: str
    path: str
    url: Any  # the request's yarl URL, used to build paging links
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    body: ParsedBody
    params: dict[str, Any]
    token: str | None
    token_source: str | None
    proof: str | None
    received_at: float


@dataclass(slots=True)
class Outcome:
    """How to answer: a JSON body, a plain body, or no answer at all (``disconnect``)."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    content_type: str = "application/json"
    disconnect: bool = False
    delay: float = 0.0
    plain: bool = False  # an injected bare HTTP failure: no Graph headers


@dataclass(slots=True)
class Caller:
    """Who a token says is calling: a page (page token) or a person (user token)."""

    token: SimToken
    page: SimPage | None = None
    admin: SimAdmin | None = None

    @property
    def node_id(self) -> str:
        """The id ``/me`` stands for."""
        if self.page is not None:
            return self.page.page_id
        return self.token.owner


@dataclass(slots=True)
class Context:
    """What a route handler works with: the world, the settings, the call and the caller."""

    world: World
    config: SimConfig
    call: Call
    route: Route
    caller: Caller | None = None
    # What happened before the call was answered: the verification GET of an app webhook.
    prepared: dict[str, Any] | None = None

    @property
    def page(self) -> SimPage:
        """The calling page (routes that take user tokens too check ``caller`` first)."""
        if self.caller is None or self.caller.page is None:
            raise fail("page_token_required")
        return self.caller.page

    def require(self, *scopes: str, what: str) -> None:
        """Error 200 naming the first scope the caller's token lacks."""
        granted = self.caller.token.scopes if self.caller is not None else ()
        for scope in scopes:
            if scope not in granted:
                raise fail("permission", what=what, permission=scope)


Answer = tuple[dict[str, Any], SentMessage | None]


def resolve(path: str, default_version: str) -> Route:
    """Map a path to a route, or raise Meta's 2500 "Unknown path components" error.

    An expired version is answered by the oldest live one; a version Meta never had is an
    unknown path (``FIDELITY.md`` F-05, F-06).
    """
    parts = [part for part in path.split("/") if part]
    version = default_version
    if parts and VERSION_RE.fullmatch(parts[0]):
        answering = answering_version(parts.pop(0))
        if answering is None:  # FIDELITY F-06 (UNCONFIRMED)
            raise fail("unknown_path", path="/" + "/".join(parts))
        version = answering
    if not parts:
        raise fail("unknown_path", path="/")
    top = TOP_LEVEL.get(tuple(parts))
    if top is not None:
        return Route(version, "", top)
    node, rest = parts[0], parts[1:]
    if not NODE_RE.fullmatch(node):
        raise fail("unknown_path", path="/" + "/".join(parts))
    if not rest:
        return Route(version, node, "node")
    if len(rest) == 1 and rest[0] in NODE_EDGES:
        return Route(version, node, rest[0])
    raise fail("unknown_path", path="/" + "/".join(rest))


def _token(query: dict[str, str], body: ParsedBody, headers: Any) -> tuple[str | None, str | None]:
    """The access token and where it came from: query, form, json or header."""
    if query.get("access_token"):
        return query["access_token"], "query"
    value = body.fields.get("access_token")
    if isinstance(value, str) and value:
        return value, "json" if body.kind == "json" else "form"
    scheme, _, credentials = str(headers.get("Authorization", "")).strip().partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and credentials.strip():
        return credentials.strip(), "header"
    return None, None


def read_call(request: web.Request, raw: bytes, received_at: float) -> Call:
    """Parse a request: body by its encoding, parameters from query and body, the token."""
    query = dict(request.query.items())
    body = parse_body(request.headers.get("Content-Type"), raw)
    token, source = _token(query, body, request.headers)
    params = merge_params(query, body.fields)
    proof = params.get("appsecret_proof")
    return Call(
        method=request.method,
        path=request.path,
        url=request.url,
        query=query,
        headers=dict(request.headers),
        raw_body=raw,
        body=body,
        params=params,
        token=token,
        token_source=source,
        proof=str(proof) if proof is not None else None,
        received_at=received_at,
    )


def requested_fields(value: Any, default: tuple[str, ...]) -> list[str]:
    """A ``fields=a,b`` parameter as a list (the default when absent)."""
    if blank(value):
        return list(default)
    return [part.strip() for part in str(value).split(",") if part.strip()]


def list_fields(
    params: dict[str, Any], allowed: tuple[str, ...], default: tuple[str, ...], node: str
) -> list[str]:
    """The fields a list edge asked for; 100 "nonexisting field" for any other."""
    wanted = requested_fields(params.get("fields"), default)
    for name in wanted:
        if name not in allowed:
            raise fail("nonexisting_field", field=name, node=node)
    return wanted


def node_fields(params: dict[str, Any], values: dict[str, Any], node_id: str) -> dict[str, Any]:
    """A node's answer with the fields asked for (default name and id); 100 "Unknown fields"."""
    requested = requested_fields(params.get("fields"), ("name", "id"))
    unknown = [name for name in requested if name not in values]
    if unknown:
        raise fail("unknown_fields", fields=",".join(unknown))
    result = {name: values[name] for name in requested}
    result.setdefault("id", node_id)
    return result


def www_authenticate(kind: str, message: str) -> dict[str, str]:
    """The header Meta adds to token errors."""
    return {"WWW-Authenticate": f'OAuth "Facebook Platform" "{kind}" "{message}"'}
