"""The Graph API routes, answered the way Meta answers them.

One catch-all handler serves every Graph path (versioned or not). Every request goes through the
same steps: route, fault injection, authentication, the route's own checks, rate cap, answer;
then it is recorded. Everything between reading the body and recording is synchronous, so the
rate cap and the recordings see requests in arrival order; latency and injected delays are
slept afterwards. The routes themselves live in the ``graph_*`` modules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import time
from typing import Any

import aiohttp
from aiohttp import web

from . import (
    graph_app_subscriptions,
    graph_conversations,
    graph_pages,
    graph_people,
    graph_profile,
    graph_send,
    graph_subscriptions,
    graph_templates,
    graph_tokens,
)
from .config import SimConfig
from .errors import GraphError, fail
from .faults import SEND_EDGES, Fault
from .graph_auth import authenticate
from .graph_request import Answer, Call, Context, Outcome, Route, read_call, resolve
from .recording import RecordedRequest, SentMessage
from .world import World

Handler = Callable[[Context], Answer]
# Sends Meta's verification GET: (url, verify_token, challenge) -> (status, body).
Verifier = Callable[[str, str, str], Awaitable[tuple[int, str]]]


@dataclass(frozen=True, slots=True)
class Edge:
    """A route kind: its handler per HTTP method and who may call it.

    ``audience``: "page" (page tokens; a user token gets ``refusal``), "any" (the handler
    looks at the caller) or "none" (no token authentication: the handler checks the call).
    """

    handlers: dict[str, Handler]
    audience: str = "page"
    refusal: str = "page_token_required"


def node(ctx: Context) -> Answer:
    """GET /{id}: the page, a person who wrote to it, a conversation or a message; with a user
    token, the person and the pages they administer."""
    caller = ctx.caller
    if caller is not None and caller.admin is not None:
        return graph_tokens.user_node(ctx, caller, caller.admin)
    name = ctx.route.node
    if name.startswith("t_"):
        return graph_conversations.conversation_node(ctx)
    if name.startswith("m_"):
        return graph_conversations.message_node(ctx)
    if graph_people.user_of(ctx, name) is not None:
        return graph_people.profile(ctx)
    return graph_pages.node(ctx)


def owned(ctx: Context) -> bool:
    """Whether a node other than the page itself is the calling page's (a conversation, a
    message, a person who wrote to it)."""
    if ctx.caller is None or ctx.caller.page is None:
        return False
    name = ctx.route.node
    return graph_conversations.belongs(ctx, name) or graph_people.user_of(ctx, name) is not None


ROUTES: dict[str, Edge] = {
    "node": Edge({"GET": node}, "any"),
    "conversations": Edge({"GET": graph_pages.conversations}),
    "messages": Edge(
        {"POST": graph_send.send, "GET": graph_conversations.conversation_messages},
        refusal="send_needs_page_token",
    ),
    "message_attachments": Edge({"POST": graph_send.upload}),
    "accounts": Edge({"GET": graph_tokens.accounts}, "any"),
    "subscribed_apps": Edge(
        {
            "GET": graph_subscriptions.subscriptions,
            "POST": graph_subscriptions.subscribe,
            "DELETE": graph_subscriptions.unsubscribe,
        }
    ),
    "message_templates": Edge(
        {
            "GET": graph_templates.listing,
            "POST": graph_templates.create,
            "DELETE": graph_templates.delete,
        }
    ),
    "messenger_profile": Edge(
        {"GET": graph_profile.read, "POST": graph_profile.write, "DELETE": graph_profile.delete}
    ),
    # Meta documents only GET for the exchange; a POST is refused (FIDELITY F-16, UNCONFIRMED).
    "oauth": Edge({"GET": graph_tokens.exchange}, "none"),
    "debug_token": Edge({"GET": graph_tokens.debug}, "none"),
    # The app's webhook: the handlers check the app access token themselves (F-03).
    "subscriptions": Edge(
        {
            "GET": graph_app_subscriptions.listing,
            "POST": graph_app_subscriptions.subscribe,
            "DELETE": graph_app_subscriptions.unsubscribe,
        },
        "none",
    ),
}
GATEWAY_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def plain_failure(fault: Fault) -> Outcome:
    """A bare HTTP failure, as a proxy or load balancer in front of Graph would send it."""
    if isinstance(fault.body, dict):
        return Outcome(fault.status, fault.body, plain=True)
    if fault.body is None:
        title = f"{fault.status} {GATEWAY_REASONS.get(fault.status, 'Server Error')}"
        text = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    else:
        text = fault.body
    content_type = "text/html" if text.lstrip().startswith("<") else "text/plain"
    return Outcome(fault.status, {"body": text}, text=text, content_type=content_type, plain=True)


class GraphApi:
    """The Graph API side of the simulator."""

    def __init__(self, world: World, config: SimConfig, verifier: Verifier) -> None:
        """Answer from ``world`` with the settings of ``config``; ``verifier`` sends Meta's
        verification GET to a callback URL."""
        self.world = world
        self.config = config
        self.verifier = verifier
        # Seams for tests: the clock that stamps each arrival (the rate caps count by it) and
        # the wait before an answer goes back (latency and injected delays).
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The catch-all aiohttp handler for Graph paths."""
        raw = await request.read()
        call = read_call(request, raw, self.clock())
        prepared = await self._verify_first(call) or await self._fetch_first(call)
        outcome = self.process(call, prepared)
        if outcome.delay > 0:
            await self.sleep(outcome.delay)
        if outcome.disconnect:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        if outcome.text is not None:
            return web.Response(
                status=outcome.status,
                text=outcome.text,
                content_type=outcome.content_type,
                headers=outcome.headers,
            )
        return web.json_response(outcome.payload, status=outcome.status, headers=outcome.headers)

    async def _verify_first(self, call: Call) -> dict[str, Any] | None:
        """Meta's verification GET for ``POST /{app-id}/subscriptions``, sent before the call
        is answered (the answer depends on it; F-04). None for every other call."""
        try:
            route = resolve(call.path, self.config.default_version)
        except GraphError:
            return None
        target = graph_app_subscriptions.verification_target(self.world, call, route)
        if target is None:
            return None
        url, verify_token = target
        challenge = str(self.world.random.randrange(10**9, 10**10))
        answer = await self.verifier(url, verify_token, challenge)
        return graph_app_subscriptions.record_verification(
            self.world.state, route.node, url, verify_token, challenge, answer
        )

    async def _fetch_first(self, call: Call) -> dict[str, Any] | None:
        """An image grid's pictures, fetched before the send is answered, as Meta fetches
        them (FIDELITY F-48, F-49): ``{"fetched": {url: ok}}``. None for every other call."""
        if call.method != "POST" or not call.path.rstrip("/").endswith("/messages"):
            return None
        urls = graph_send.grid_urls(call.params)
        if not urls:
            return None
        timeout = aiohttp.ClientTimeout(total=self.config.fetch_timeout)
        fetched: dict[str, bool] = {}
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for url in urls:
                fetched[url] = await _fetch_image(session, url, self.config.max_attachment_bytes)
        self.world.state.fetches.extend(fetched.items())
        return {"fetched": fetched}

    def process(self, call: Call, prepared: dict[str, Any] | None = None) -> Outcome:
        """Answer one request and record it (synchronous: see the module docstring)."""
        page = self.world.state.page_for_token(call.token)
        version = self.config.default_version
        sent: SentMessage | None = None
        try:
            route = resolve(call.path, version)
            version = route.version
            outcome, sent = self._faulted(call, route, prepared)
        except GraphError as err:
            outcome = Outcome(err.http_status or 400, err.body(), headers=dict(err.headers))
        page_id = page.page_id if page is not None else None
        self._add_headers(outcome, page_id, version, call.received_at)
        self._record(call, outcome, page_id)
        if sent is not None:
            self.world.recorder.add_sent(sent)
        return outcome

    def _faulted(
        self, call: Call, route: Route, prepared: dict[str, Any] | None
    ) -> tuple[Outcome, SentMessage | None]:
        """Answer through the first matching fault, if one is queued (GraphError escapes)."""
        delay = self.config.latency if route.kind in SEND_EDGES else 0.0
        fault = self.world.faults.take(route.kind)
        sent = None
        if fault is not None and fault.kind == "delay":
            delay += fault.seconds
        if fault is not None and fault.kind == "http":
            outcome = plain_failure(fault)
        elif fault is not None and fault.kind == "disconnect":
            if fault.after_accept:  # accepted (or refused), then the connection drops
                with contextlib.suppress(GraphError):
                    sent = self._dispatch(call, route, prepared)[1]
            outcome = Outcome(0, {}, disconnect=True)
        else:
            if fault is not None and fault.kind == "error":
                raise fault.error()
            payload, sent = self._dispatch(call, route, prepared)
            outcome = Outcome(200, payload)
        outcome.delay = delay
        return outcome, sent

    def _dispatch(self, call: Call, route: Route, prepared: dict[str, Any] | None) -> Answer:
        if call.body.error is not None:
            raise call.body.error
        edge = ROUTES[route.kind]
        context = Context(self.world, self.config, call, route, prepared=prepared)
        method = call.method.lower()
        if edge.audience != "none":
            context.caller = caller = authenticate(self.world, call)
            nodes = {"me", caller.node_id, *(caller.admin.pages if caller.admin else ())}
            if route.node not in nodes and not owned(context):
                raise fail("unsupported_request", method=method, object_id=route.node)
        handler = edge.handlers.get(call.method)
        if handler is None:
            raise fail("unsupported_method", method=method)
        if edge.audience == "page" and context.caller is not None and context.caller.page is None:
            raise fail(edge.refusal)
        return handler(context)

    def _add_headers(
        self, outcome: Outcome, page_id: str | None, version: str, received_at: float
    ) -> None:
        """Usage headers, the answering version and the trace id (not on bare failures)."""
        usage = self.world.usage
        usage.hit(page_id, received_at)
        if outcome.disconnect or outcome.plain:
            return
        outcome.headers.update(usage.headers(page_id, self.config.usage_budget_per_minute))
        outcome.headers["facebook-api-version"] = version
        if "error" in outcome.payload:
            outcome.headers["x-fb-trace-id"] = outcome.payload["error"]["fbtrace_id"]

    def _record(self, call: Call, outcome: Outcome, page_id: str | None) -> None:
        node = call.path.strip("/").split("/")
        self.world.recorder.add_request(
            RecordedRequest(
                method=call.method,
                path=call.path,
                query=call.query,
                headers=call.headers,
                raw_body=call.raw_body,
                body=call.body.fields,
                files=call.body.files,
                token=call.token,
                token_source=call.token_source,
                appsecret_proof=call.proof,
                page_id=page_id or next((p for p in node[:2] if p.isdigit()), None),
                status=outcome.status,
                response=outcome.payload,
                received_at=call.received_at,
            )
        )


async def _fetch_image(session: aiohttp.ClientSession, url: str, limit: int) -> bool:
    """Whether ``url`` answers 200 with an image of at most ``limit`` bytes."""
    try:
        async with session.get(url) as response:
            kind = response.headers.get("Content-Type", "")
            if response.status != 200 or not kind.lower().startswith("image/"):
                return False
            return len(await response.content.read(limit + 1)) <= limit
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False
