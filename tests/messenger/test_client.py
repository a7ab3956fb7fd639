"""The Graph client on its own (no Home Assistant): errors, retries, usage headers, uploads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
import hmac
import json

import aiohttp
from aiohttp import web
import pytest

from custom_components.facebook.messenger.backoff import Backoff
from custom_components.facebook.messenger.client import (
    GraphClient,
    RetryPolicy,
    usage_from_headers,
)
from custom_components.facebook.messenger.errors import (
    GraphAuthError,
    GraphConnectionError,
    GraphDevModeError,
    GraphError,
    GraphInvalidRequestError,
    GraphPolicyError,
    GraphRateLimitError,
    GraphRecipientUnavailableError,
    GraphTransientError,
    GraphUnknownRecipientError,
    GraphWindowError,
    classify,
    error_from_answer,
)
from custom_components.facebook.messenger.models import Upload
from custom_components.facebook.messenger.pacing import PageRateLimiter
from simulator import Simulator
from tests.conftest import ALICE, APP_SECRET, PAGE_ID, TOKEN

FAST = RetryPolicy(attempts=4, backoff=Backoff(0.001, 0.005, jitter=True), max_wait=0.5)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client(sim: Simulator, session: aiohttp.ClientSession, **kwargs: object) -> GraphClient:
    return GraphClient(session, TOKEN, base_url=sim.url, retry=FAST, **kwargs)  # type: ignore[arg-type]


def text_to(psid: str, text: str = "hi") -> dict[str, object]:
    return {"recipient": {"id": psid}, "messaging_type": "UPDATE", "message": {"text": text}}


@pytest.mark.parametrize(
    ("code", "subcode", "transient", "expected"),
    [
        (190, 463, False, GraphAuthError),
        (102, None, False, GraphAuthError),
        (10, 2018278, False, GraphWindowError),
        (10, 2534022, False, GraphWindowError),
        (10, None, False, GraphPolicyError),
        (200, 2018028, False, GraphDevModeError),
        (230, None, False, GraphPolicyError),
        (551, 1545041, False, GraphRecipientUnavailableError),
        (10, 2018108, False, GraphRecipientUnavailableError),
        (100, 2018001, False, GraphUnknownRecipientError),
        (100, None, False, GraphInvalidRequestError),
        (194, None, False, GraphInvalidRequestError),
        (613, None, True, GraphRateLimitError),
        (613, 2018338, False, GraphPolicyError),
        (4, 2018354, False, GraphPolicyError),
        (80006, None, False, GraphRateLimitError),
        (341, None, False, GraphRateLimitError),
        (1, None, False, GraphTransientError),
        (1, 99, False, GraphInvalidRequestError),
        (2, 2018344, False, GraphInvalidRequestError),
        (1200, 2018024, False, GraphTransientError),
        (100, None, True, GraphTransientError),
        (None, None, False, GraphInvalidRequestError),
    ],
)
def test_classification_follows_the_reference(
    code: int | None, subcode: int | None, transient: bool, expected: type[GraphError]
) -> None:
    assert classify(code, subcode, is_transient=transient, message="") is expected


def test_error_bodies() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "(#100) No matching user found",
                "code": "100",
                "error_subcode": 2018001,
                "fbtrace_id": "AbC",
            }
        }
    ).encode()
    err = error_from_answer(400, body)
    assert isinstance(err, GraphUnknownRecipientError)
    assert (err.code, err.subcode, err.fbtrace_id, err.http_status) == (100, 2018001, "AbC", 400)
    assert str(err) == "(#100) No matching user found (code 100/2018001)"
    assert isinstance(error_from_answer(502, b"<html>bad gateway</html>"), GraphTransientError)
    assert isinstance(error_from_answer(404, b"nope"), GraphInvalidRequestError)
    assert isinstance(
        error_from_answer(500, b'{"error": {"message": "x", "code": 100}}'), GraphTransientError
    )
    no_token = error_from_answer(
        400, b'{"error": {"message": "An active access token must be used", "code": 2500}}'
    )
    assert isinstance(no_token, GraphAuthError)
    odd = error_from_answer(400, b'{"error": {"message": "x", "code": true, "fbtrace_id": 5}}')
    assert (odd.code, odd.fbtrace_id, odd.code_text) == (None, None, "HTTP 400")
    assert GraphError("x").code_text == "no answer"


def test_usage_headers() -> None:
    buc = {
        PAGE_ID: [
            {
                "type": "messenger",
                "call_count": 97,
                "total_time": 3,
                "estimated_time_to_regain_access": 2,
            }
        ]
    }
    usage, wait = usage_from_headers(
        {
            "x-app-usage": '{"call_count": 12, "total_cputime": 40}',
            "x-business-use-case-usage": json.dumps(buc),
        }
    )
    assert (usage, wait) == (97, 120.0)
    assert usage_from_headers({"x-app-usage": "not json"}) == (0, 0.0)
    assert usage_from_headers(
        {"x-business-use-case-usage": '{"1": "x", "2": [1, {"call_count": true}]}'}
    ) == (0, 0.0)
    assert usage_from_headers({}) == (0, 0.0)


async def test_token_goes_in_a_header_and_proof_in_the_body(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    graph = client(simulator, session, app_secret=APP_SECRET)
    page = await graph.get_page()
    assert page.id == PAGE_ID
    result = await graph.send(text_to(ALICE))
    assert result.recipient_id == ALICE and result.message_id
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    me, send = simulator.requests
    assert me.query["appsecret_proof"] == proof
    assert send.body["appsecret_proof"] == proof
    assert {me.token_source, send.token_source} == {"header"}


async def test_multipart_upload_carries_the_proof_and_returns_the_id(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    graph = client(simulator, session, app_secret=APP_SECRET)
    attachment_id = await graph.upload_attachment(
        "image", Upload(b"\x89PNG....", "a.png", "image/png")
    )
    (request,) = simulator.requests
    assert request.body["appsecret_proof"]
    assert request.files["filedata"].content_type == "image/png"
    result = await graph.send(
        {
            "recipient": {"id": ALICE},
            "messaging_type": "UPDATE",
            "message": {
                "attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}
            },
        }
    )
    assert result.message_id


async def test_code_2_gets_fewer_attempts_than_other_transient_codes(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    graph = client(simulator, session)
    simulator.inject_error(2, count=10)
    with pytest.raises(GraphTransientError):
        await graph.send(text_to(ALICE))
    assert len(simulator.requests) == FAST.code2_attempts
    simulator.faults.clear()
    simulator.inject_error(1200, count=10)
    with pytest.raises(GraphTransientError):
        await graph.send(text_to(ALICE))
    assert len(simulator.requests) == FAST.code2_attempts + FAST.attempts


async def test_unreachable_graph_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    graph = GraphClient(session, TOKEN, base_url="http://127.0.0.1:9", retry=FAST)
    with pytest.raises(GraphConnectionError) as err:
        await graph.get_page()
    assert TOKEN not in str(err.value)
    assert "ClientConnectorError" in str(err.value)


async def test_meta_s_pause_request_is_honoured(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    graph = client(simulator, session)
    simulator.set_usage(call_count=100, estimated_time_to_regain_access=1)
    await graph.send(text_to(ALICE))  # accepted, but Meta asks for a one-minute pause
    calls = len(simulator.requests)
    with pytest.raises(GraphRateLimitError) as err:
        await graph.send(text_to(ALICE, "second"))
    assert err.value.retry_after is not None and 55 < err.value.retry_after <= 60
    assert len(simulator.requests) == calls  # not even tried: once limited, stop calling


async def test_short_pause_is_waited_out_in_the_call(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    graph = client(simulator, session)
    simulator.set_usage(call_count=50, estimated_time_to_regain_access=0.001)  # 60 ms
    await graph.send(text_to(ALICE))  # accepted; Meta asks for a short pause
    simulator.set_usage(call_count=None, estimated_time_to_regain_access=None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await graph.send(text_to(ALICE, "after the pause"))
    assert loop.time() - started >= 0.05  # waited out in the call, not refused
    assert [m.message["text"] for m in simulator.sent] == ["hi", "after the pause"]


async def test_high_usage_slows_the_page_down(
    simulator: Simulator, session: aiohttp.ClientSession
) -> None:
    limiter = PageRateLimiter(300, 10)
    graph = client(simulator, session, limiter=limiter)
    simulator.set_usage(call_count=99)
    await graph.send(text_to(ALICE))
    assert graph.usage == 99
    assert limiter.calls.limit == 150


async def test_answers_without_json_still_count_as_accepted(
    session: aiohttp.ClientSession, aiohttp_server: object
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok, not json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = await aiohttp_server(app)  # type: ignore[operator]
    graph = GraphClient(session, TOKEN, base_url=str(server.make_url("")), retry=FAST)
    result = await graph.send(text_to(ALICE))
    assert (result.recipient_id, result.message_id) == (None, None)
    with pytest.raises(GraphInvalidRequestError, match="without a page id"):
        await graph.get_page()
    with pytest.raises(GraphInvalidRequestError, match="without an attachment_id"):
        await graph.upload_attachment("file", Upload(b"x", "x.txt", "text/plain"))
