"""End to end: what a kill or a restart of a real `hass` process does to messages and events.

1. A notification whose Send API calls all fail (the simulator answers HTTP 500) returns once it
   is in the durable outbox; Home Assistant is SIGKILLed right after the call returns, the fault
   is cleared and Home Assistant started again on the same config dir: the message arrives
   exactly once.
2. A webhook event fires `facebook_message` (seen through an automation that answers it); after a
   graceful restart Meta redelivers the same body (same `mid`): it fires nothing, while a new
   event still fires.

Home Assistant runs as `python -m homeassistant` on a temporary config dir with the integration
configured in YAML against `python -m simulator`; the notify call goes through the REST API as
a real user (onboarded through the REST API).
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import time
from typing import Any
import uuid

import pytest

from simulator.webhook import signature_headers
from tests.e2e.harness import (
    ALICE,
    SECRETS,
    HassProcess,
    Stack,
    http,
    onboard,
    texts,
    wait_until,
    yaml_page_stack,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

KILL_WITHIN = 0.050  # seconds from the call's return to SIGKILL
DELIVERY_TIMEOUT = 120.0  # Home Assistant's start plus the outbox's first send
NO_SECOND_COPY = 5.0  # seconds during which a second copy would have to show up
OUTBOX = Path(".storage") / "facebook.outbox.facebook"
SEEN = Path(".storage") / "facebook.webhook_seen"
# Answers every facebook_message, in order (queued): "fired <mid>" back to the sender.
ECHO_AUTOMATION = {
    "id": "echo_facebook_message",
    "alias": "Answer every facebook_message with its mid",
    "mode": "queued",
    "max": 100,
    "triggers": [{"trigger": "event", "event_type": "facebook_message"}],
    "actions": [
        {
            "action": "notify.facebook",
            "data": {
                "target": ["{{ trigger.event.data.sender_id }}"],
                "message": "fired {{ trigger.event.data.mid }}",
            },
        }
    ],
}


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[tuple[Stack, HassProcess]]:
    """The simulator (running) and a `hass` on a fresh config dir (not started yet)."""
    with yaml_page_stack(tmp_path, {"automation": [ECHO_AUTOMATION]}) as running:
        yield running


def copies(stack: Stack, text: str) -> int:
    """How many times the simulator accepted a message with this text."""
    return texts(stack.sent(psid=ALICE)).count(text)


def outbox_texts(config_dir: Path) -> list[str]:
    """The texts waiting in the outbox file (what survives a kill)."""
    path = config_dir / OUTBOX
    if not path.exists():
        return []
    entries = json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]
    return [part["message"]["text"] for entry in entries for part in entry["parts"]]


def answered_500(stack: Stack) -> int:
    """Send API calls the simulator answered with its injected HTTP 500."""
    requests = stack.sim("GET", "/_sim/requests")["data"]
    return sum(1 for r in requests if r["path"].endswith("/messages") and r["status"] == 500)


def test_kill_right_after_the_call_returns_loses_nothing(stack: tuple[Stack, HassProcess]) -> None:
    running, hass = stack
    hass.start()
    hass.wait_http()
    user = onboard(hass.url)
    user.wait_running()
    running.sim("POST", "/_sim/faults", {"kind": "http", "status": 500, "count": None})
    text = f"crash test {uuid.uuid4().hex[:12]}"

    called = time.monotonic()
    status, answer = user.call(
        "POST", "/api/services/notify/facebook", {"message": text, "target": ["alice"]}
    )
    returned = time.monotonic()
    hass.process.kill()  # SIGKILL, before anything else
    killed = time.monotonic()
    hass.process.wait(10)
    assert status == 200, answer
    assert killed - returned < KILL_WITHIN, f"the kill came {killed - returned:.3f} s late"

    # What the kill left behind: the message on disk in the outbox, nothing accepted by Meta.
    assert outbox_texts(running.config_dir) == [text]
    assert copies(running, text) == 0
    refused = answered_500(running)
    assert refused >= 1

    running.sim("DELETE", "/_sim/faults")
    restarted = time.monotonic()
    hass.start()
    wait_until(lambda: copies(running, text) >= 1, "the delivery", DELIVERY_TIMEOUT)
    delivered = time.monotonic()
    wait_until(lambda: outbox_texts(running.config_dir) == [], "the outbox to empty")
    deadline = time.monotonic() + NO_SECOND_COPY
    while time.monotonic() < deadline:  # a second copy would show up here
        assert copies(running, text) == 1, running.sent(psid=ALICE)
        time.sleep(0.2)
    print(
        f"\ncrash test: notify call returned 200 after {returned - called:.2f} s "
        f"(in-call retries, {refused} Send API call(s) answered 500 before the kill); "
        f"SIGKILL {(killed - returned) * 1000:.2f} ms after the call returned; "
        f"delivered {delivered - restarted:.1f} s after hass was started again; "
        f"copies delivered: {copies(running, text)}"
    )


def test_redelivered_event_after_restart_fires_nothing(stack: tuple[Stack, HassProcess]) -> None:
    running, hass = stack
    hass.start()
    hass.wait_http()
    user = onboard(hass.url)
    user.wait_running()

    mark = running.count_sent()
    assert running.user(ALICE, "say", text="before the restart")["status"] == 200
    body = last_webhook_body(running)
    first_mid = body_mid(body)
    running.wait_sent(mark, lambda s: f"fired {first_mid}" in texts(s), "the first firing")

    stopping = time.monotonic()
    assert hass.stop() == 0, hass.log_tail()
    stopped = time.monotonic()
    assert (running.config_dir / SEEN).exists()
    hass.start()
    hass.wait_http()
    user.wait_running()

    mark = running.count_sent()
    secret = SECRETS["fb_app_secret"]
    status, answer = http("POST", running.webhook_url, body, signature_headers(body, secret))
    assert status == 200, answer
    assert running.user(ALICE, "say", text="after the restart")["status"] == 200
    new_mid = body_mid(last_webhook_body(running))
    assert new_mid != first_mid
    # The automation runs queued, in order: had the redelivery fired, its answer came first.
    sent = running.wait_sent(mark, lambda s: f"fired {new_mid}" in texts(s), "the new event")
    assert texts(sent) == [f"fired {new_mid}"]
    print(
        f"\nredelivery test: graceful stop took {stopped - stopping:.1f} s; the same body "
        f"(mid {first_mid[:12]}...) redelivered after the restart was answered {status} and "
        f"fired 0 times; a new event fired once"
    )


def last_webhook_body(stack: Stack) -> bytes:
    """The exact bytes of the simulator's latest webhook post (to redeliver them as they are)."""
    posts: list[dict[str, Any]] = stack.sim("GET", "/_sim/webhooks")["data"]
    return str(posts[-1]["body"]).encode("ascii")


def body_mid(body: bytes) -> str:
    """The `mid` of a one-message webhook body."""
    return str(json.loads(body)["entry"][0]["messaging"][0]["message"]["mid"])
