"""Fault injection, latency, the rate caps and peak_rate."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import (
    ALICE,
    BOB,
    CAROL,
    OTHER_TOKEN,
    PAGE_ID,
    Graph,
    HeldAnswers,
    SimClock,
    text_message,
    wait_for,
)


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        (613, 403, "(#613) Calls to this api have exceeded the rate limit."),
        (1200, 400, "(#1200) Temporary send message failure. Please try again later"),
        (2, 400, "(#2) An unexpected error has occurred. Please retry your request later."),
        (1, 400, "(#1) An unknown error occurred"),
        (4, 403, "(#4) Application request limit reached"),
        (17, 403, "(#17) User request limit reached"),
        (32, 403, "(#32) Page request limit reached"),
    ],
)
async def test_inject_error_defaults(
    graph: Graph, sim: Simulator, code: int, status: int, message: str
) -> None:
    sim.inject_error(code)
    reply = await graph.send(text_message())
    assert reply.status == status
    assert reply.error["code"] == code
    assert reply.error["message"] == message
    assert reply.error["is_transient"] is True
    assert reply.error["type"] == "OAuthException"
    assert len(reply.error["fbtrace_id"]) == 23
    assert "x-app-usage" in reply.headers
    assert sim.sent == []
    assert sim.count_errors(code) == 1
    assert (await graph.send(text_message())).status == 200  # count=1: used up


async def test_inject_80006(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(80006)
    reply = await graph.send(text_message())
    assert reply.status == 403
    assert reply.error["message"].startswith(
        "(#80006) There have been too many messages sent to this Page"
    )


async def test_inject_error_with_everything_given(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(
        100,
        2018001,
        "(#100) Custom",
        http_status=500,
        is_transient=False,
        error_type="FacebookApiException",
    )
    reply = await graph.send(text_message())
    assert reply.status == 500
    assert reply.error["message"] == "(#100) Custom"
    assert reply.error["error_subcode"] == 2018001
    assert reply.error["is_transient"] is False
    assert reply.error["type"] == "FacebookApiException"


async def test_inject_error_count(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(613, count=3)
    statuses = [(await graph.send(text_message())).status for _ in range(4)]
    assert statuses == [403, 403, 403, 200]
    assert len(sim.sent) == 1
    assert sim.count_errors(613) == 3


async def test_faults_skip_me_by_default(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(2)
    assert (await graph.request("GET", "/v25.0/me")).status == 200
    assert (await graph.send(text_message())).error["code"] == 2


async def test_faults_on_all_paths(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(190, 460, paths="all")
    reply = await graph.request("GET", "/v25.0/me")
    assert reply.error["code"] == 190
    assert reply.error["error_subcode"] == 460
    assert "is_transient" not in reply.error


async def test_faults_on_named_paths(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(2, paths=["conversations"])
    assert (await graph.send(text_message())).status == 200
    assert (await graph.request("GET", "/v25.0/me/conversations")).error["code"] == 2


async def test_faults_apply_to_uploads(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(1200)
    reply = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={"message": {"attachment": {"type": "image", "payload": {"url": "https://e.com/a"}}}},
    )
    assert reply.error["code"] == 1200


async def test_faults_are_fifo(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(613)
    sim.inject_http_status(503)
    sim.inject_error(1200)
    codes = []
    for _ in range(4):
        reply = await graph.send(text_message())
        codes.append(reply.error.get("code", reply.status))
    assert codes == [613, 503, 1200, 200]


async def test_inject_http_status_html(graph: Graph, sim: Simulator) -> None:
    sim.inject_http_status(502)
    reply = await graph.send(text_message())
    assert reply.status == 502
    assert "Bad Gateway" in reply.body["text"]
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "x-app-usage" not in reply.headers  # a bare proxy failure, not a Graph answer
    assert sim.requests[-1].status == 502
    assert sim.sent == []


async def test_inject_http_status_bodies(graph: Graph, sim: Simulator) -> None:
    sim.inject_http_status(500, body={"error": {"message": "boom", "code": 1}})
    json_reply = await graph.send(text_message())
    assert json_reply.status == 500
    assert json_reply.body == {"error": {"message": "boom", "code": 1}}
    sim.inject_http_status(503, body="upstream down", count=2)
    for _ in range(2):
        text_reply = await graph.send(text_message())
        assert (text_reply.status, text_reply.body) == (503, {"text": "upstream down"})
    assert (await graph.send(text_message())).status == 200


async def test_inject_disconnect(graph: Graph, sim: Simulator) -> None:
    sim.inject_disconnect()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await graph.send(text_message())
    assert sim.sent == []
    assert sim.requests[-1].status == 0
    assert (await graph.send(text_message())).status == 200


async def test_inject_disconnect_after_accept(graph: Graph, sim: Simulator) -> None:
    sim.inject_disconnect(after_accept=True, count=2)
    for psid in (ALICE, BOB):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await graph.send(text_message(psid, text="lost answer"))
    assert [s.recipient_id for s in sim.sent] == [ALICE, BOB]
    assert sim.sent[0].message == {"text": "lost answer"}
    assert (await graph.send(text_message())).status == 200
    assert len(sim.sent) == 3


async def test_disconnect_after_accept_of_invalid_request(graph: Graph, sim: Simulator) -> None:
    sim.inject_disconnect(after_accept=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await graph.send(text_message("1111111111111111"))
    assert sim.sent == []


async def test_inject_delay(graph: Graph, sim: Simulator) -> None:
    held = HeldAnswers(sim)
    sim.inject_delay(0.5)
    delayed = asyncio.create_task(graph.send(text_message()))
    await wait_for(lambda: held.waiting == 1)  # accepted, its answer held back
    assert held.delays == [0.5]
    assert (await graph.send(text_message())).status == 200  # the next one is not delayed
    assert held.delays == [0.5] and not delayed.done()
    held.release()
    assert (await delayed).status == 200


async def test_latency_applies_to_sends_only(graph: Graph, sim: Simulator) -> None:
    held = HeldAnswers(sim)
    held.release()
    sim.latency = 0.5
    await graph.send(text_message())
    await graph.request("GET", "/v25.0/me")
    assert held.delays == [0.5]  # the send waited; the read did not


async def test_latency_does_not_serialise_calls(graph: Graph, sim: Simulator) -> None:
    held = HeldAnswers(sim)
    sim.latency = 0.3
    replies = asyncio.gather(*(graph.send(text_message()) for _ in range(10)))
    await wait_for(lambda: held.waiting == 10)  # all ten wait out their latency at once
    held.release()
    assert all(r.status == 200 for r in await replies)


async def test_count_none_is_unlimited_until_clear(graph: Graph, sim: Simulator) -> None:
    sim.inject_error(2, count=None)
    for _ in range(3):
        assert (await graph.send(text_message())).error["code"] == 2
    sim.clear()
    assert (await graph.send(text_message())).status == 200


def test_bad_fault_arguments() -> None:
    sim = Simulator()
    with pytest.raises(ValueError, match="count"):
        sim.inject_error(2, count=0)
    with pytest.raises(ValueError, match="path"):
        sim.inject_error(2, paths=["nowhere"])


# ----------------------------------------------------------------------------- rate caps


async def test_rate_cap(graph: Graph, sim: Simulator) -> None:
    clock = SimClock(sim)
    sim.rate_cap = 5
    replies = await asyncio.gather(*(graph.send(text_message()) for _ in range(12)))
    accepted = [r for r in replies if r.status == 200]
    rejected = [r for r in replies if r.status != 200]
    assert len(accepted) == 5
    assert len(rejected) == 7
    for reply in rejected:
        assert reply.status == 403
        assert reply.error["code"] == 613
        assert reply.error["message"] == "(#613) Calls to this api have exceeded the rate limit."
        assert reply.error["is_transient"] is True
    assert len(sim.sent) == 5
    assert sim.peak_rate() == 5
    assert sim.count_errors(613) == 7
    clock.now += 0.99
    assert (await graph.send(text_message())).status == 403  # still within the second
    clock.now += 0.02
    assert (await graph.send(text_message())).status == 200


async def test_rate_cap_paced_client_never_rejected(graph: Graph, sim: Simulator) -> None:
    """A client that sends 4 every 0.25 s stays under a cap of 20/s; peak_rate agrees."""
    clock = SimClock(sim)
    sim.rate_cap = 20
    for _ in range(8):
        replies = await asyncio.gather(*(graph.send(text_message()) for _ in range(4)))
        assert all(r.status == 200 for r in replies)
        clock.now += 0.25
    assert sim.peak_rate() <= 20
    assert sim.peak_rate(window=0.1) == 4
    assert sim.count_errors(613) == 0


async def test_rate_cap_is_per_page(graph: Graph, sim: Simulator) -> None:
    sim.rate_cap = 2
    home = await asyncio.gather(*(graph.send(text_message()) for _ in range(3)))
    cabin = await asyncio.gather(
        *(graph.send(text_message(CAROL), token=OTHER_TOKEN) for _ in range(2))
    )
    assert sorted(r.status for r in home) == [200, 200, 403]
    assert [r.status for r in cabin] == [200, 200]
    assert sim.peak_rate(page_id=PAGE_ID) == 2
    assert sim.peak_rate() == 4


async def test_media_rate_cap(graph: Graph, sim: Simulator) -> None:
    sim.media_rate_cap = 2
    audio = {"attachment": {"type": "audio", "payload": {"url": "https://e.com/a.mp3"}}}
    replies = await asyncio.gather(*(graph.send(text_message(message=audio)) for _ in range(3)))
    assert sorted(r.status for r in replies) == [200, 200, 403]
    texts = await asyncio.gather(*(graph.send(text_message()) for _ in range(5)))
    assert all(r.status == 200 for r in texts)


async def test_usage_counts_sends(graph: Graph, sim: Simulator) -> None:
    sim.usage_budget_per_minute = 200
    for _ in range(4):
        reply = await graph.send(text_message())
    usage = json.loads(reply.headers["x-business-use-case-usage"])[PAGE_ID][0]
    assert usage["call_count"] == 2
