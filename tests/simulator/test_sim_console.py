"""`python -m simulator` for rehearsals: the transcript and the webhook verification at start."""

from __future__ import annotations

import asyncio
import io
import json
import re
import signal

import aiohttp
import pytest

from simulator import Simulator
from simulator.transcript import transcript
from tests.simulator.helpers import (
    ALICE,
    BOB,
    VERIFY_TOKEN,
    Graph,
    Receiver,
    simulator_process,
    text_message,
)

STDOUT = asyncio.subprocess.STDOUT  # one stream: the lines in the order a user sees them
HI = {"text": "hi"}


async def test_transcript_lines(
    sim: Simulator, graph: Graph, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.webhook_url = receiver.url
    sim.recorder.listeners.append(transcript(sim.users))
    replies = [{"content_type": "text", "title": "Red", "payload": "FOO"}]
    message = {"text": "Pick a colour", "quick_replies": replies}
    await graph.send({"recipient": {"id": ALICE}, "messaging_type": "UPDATE", "message": message})
    await sim.user_says(ALICE, "colour")
    await sim.user_taps_quick_reply(ALICE, "Red", "FOO")
    await sim.user_taps_button(BOB, "Turn on", "ON")
    template = {
        "template_type": "button",
        "text": "Switch?",
        "buttons": [{"type": "postback", "title": "On", "payload": "ON"}],
    }
    attachment = {"type": "template", "payload": template}
    await graph.send(
        {
            "recipient": {"id": BOB},
            "messaging_type": "UPDATE",
            "message": {"attachment": attachment},
        }
    )
    body = aiohttp.FormData()
    body.add_field("recipient", json.dumps({"id": BOB}))
    body.add_field("messaging_type", "UPDATE")
    body.add_field("message", json.dumps({"attachment": {"type": "image", "payload": {}}}))
    body.add_field(
        "filedata", io.BytesIO(b"\xff\xd8jpeg"), filename="door.jpg", content_type="image/jpeg"
    )
    await graph.request("POST", "/v25.0/me/messages", data=body)
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "typing_on"})  # no line
    await graph.send(text_message(ALICE, "x " * 80))
    receiver.status = 403
    await sim.user_says(ALICE, "refused")
    await sim.post_webhook(sim.read_event(ALICE))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "page -> Alice: Pick a colour [quick replies: Red]",
        "Alice -> page: colour",
        "Alice -> page: Red (quick reply FOO)",
        "Bob -> page: tapped 'Turn on' (postback ON)",
        "page -> Bob: Switch? [buttons: On]",
        "page -> Bob: [image] (uploaded door.jpg, 6 bytes)",
        "page -> Alice: " + "x " * 48 + "x...",
        "Alice -> page: refused",
        "  !! the webhook did not take 1 event(s): HTTP 403: EVENT_RECEIVED",
        "  !! the webhook did not take 1 event(s): HTTP 403: EVENT_RECEIVED",
    ]


async def read_until(process: asyncio.subprocess.Process, pattern: str) -> list[str]:
    """Output lines up to the first one matching ``pattern``."""
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(20):
        while True:
            line = (await process.stdout.readline()).decode()
            assert line, f"the simulator ended; it said: {lines}"
            lines.append(line.rstrip("\n"))
            if re.search(pattern, line):
                return lines


async def test_verifies_the_webhook_at_start(receiver: Receiver) -> None:
    async with simulator_process(
        "--webhook-url", receiver.url, "--verify-token", VERIFY_TOKEN, stderr=STDOUT
    ) as process:
        lines = await read_until(process, "Webhook verified")
        url = re.search(r"listening on (\S+)", lines[0])
        assert url
        assert f"  chat page: {url.group(1)}/chat/" in lines
        assert f"  webhook: {receiver.url}" in lines
        assert lines[-1] == f"Webhook verified: {receiver.url} answered the challenge"
        async with aiohttp.ClientSession() as http:
            async with http.get(url.group(1) + "/_sim/state") as response:
                state = await response.json()
            assert state["verification"]["ok"] is True
            async with http.post(f"{url.group(1)}/_sim/users/{ALICE}/say", json=HI) as said:
                assert said.status == 200
        assert (await read_until(process, "Alice"))[-1] == "Alice -> page: hi"


async def test_keeps_trying_with_a_reason(receiver: Receiver) -> None:
    async with simulator_process(
        "--webhook-url", receiver.url, "--verify-token", "wrong", "--quiet", stderr=STDOUT
    ) as process:
        lines = await read_until(process, "not verified")
        assert lines[-1] == (
            "Webhook not verified yet: HTTP 403 (is verify_token the same on both sides?); retrying"
        )
        url = re.search(r"listening on (\S+)", lines[0])
        assert url
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url.group(1)}/_sim/users/{ALICE}/say", json=HI) as said,
        ):
            assert said.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
        assert process.stdout is not None
        rest = (await process.stdout.read()).decode()
        assert "Alice -> page" not in rest  # --quiet: no transcript
        assert rest.count("not verified") == 0  # the same reason is said once
        assert "Messenger simulator stopped" in rest
