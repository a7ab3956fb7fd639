"""End to end: an outage longer than Meta's hour, on a real `hass` and a real simulator.

Home Assistant (a YAML page: verify token, app secret, Alice allowed) is stopped while Alice
writes; the simulator's clock moves past an hour of failed deliveries, so it unsubscribes the
page (Meta's one-hour rule, simulator/FIDELITY.md F-01). At the next start Home Assistant
subscribes the page again by itself (`facebook_webhook_resubscribed`) and reads back what Alice
wrote while it was down (the Conversations API, F-10): each message fires `facebook_message`
once, in order, with `catch_up: true`; her next message fires as usual. Another restart fires
none of them again.

What fires during a start, before any API client could have subscribed, is read from the
recorder's database (`recorded_events`); what fires once Home Assistant runs, from the websocket
API. The second restart's barrier is a message Alice writes while it is down: it is read back in
the same pass (and fired after anything older), so once it is recorded, a second firing of the
earlier ones would be recorded too.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import time
from typing import Any

import pytest

from tests.e2e.harness import (
    ALICE,
    PAGE_ID,
    START_TIMEOUT,
    HassProcess,
    HassUser,
    Stack,
    onboard,
    recorded_events,
    wait_until,
    yaml_page_stack,
)
from tests.e2e.ui_helpers import HassWebsocket

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MESSAGE = "facebook_message"
RESUBSCRIBED = "facebook_webhook_resubscribed"
AN_HOUR_OF_FAILURES = 3600 + 100  # seconds the simulator's clock moves (F-01: one hour)
WAIT = 180.0  # generous: Home Assistant's start, its first check and the recorder's commit
STOP_WITHIN = 90.0  # a clean stop (SIGTERM), recorder's final commit included
BEFORE = "the heating is on"
WHILE_DOWN = ("the door is open", "never mind, closed it")
AFTER = "back home"
DURING_RESTART = "the kettle is on"  # the second restart's barrier
WEBHOOK_SENSOR = "binary_sensor.home_webhook"  # the page "Home": does Meta deliver to it?


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[tuple[Stack, HassProcess]]:
    """The simulator (running) and a `hass` with the recorder on a fresh config dir (not
    started yet)."""
    with yaml_page_stack(tmp_path, {"recorder": {"commit_interval": 1}}, STOP_WITHIN) as running:
        yield running


def page_subscription(stack: Stack) -> dict[str, Any]:
    """The simulator's view of the page's webhook subscription (fields, failing since, dropped
    at)."""
    pages = stack.sim("GET", "/_sim/subscriptions")["pages"]
    return dict(next(page for page in pages if page["page_id"] == PAGE_ID))


def subscribed(stack: Stack) -> bool:
    """Whether the simulator delivers the page's events (subscribed through the API)."""
    page = page_subscription(stack)
    return bool(page["subscribed_fields"]) and page["unsubscribed_at"] is None


def fired(config_dir: Path) -> list[tuple[str, str, bool | None]]:
    """Every `facebook_message` recorded so far: (text, mid, catch_up), in firing order."""
    return [
        (event["message"], event["mid"], event.get("catch_up"))
        for event in recorded_events(config_dir, MESSAGE)
    ]


def alice_says(stack: Stack, text: str) -> tuple[int, str]:
    """Alice writes `text`: the status Home Assistant's webhook answered (0: nobody listened)
    and the message's mid, as the simulator's webhook post carried it."""
    status = int(stack.user(ALICE, "say", text=text)["status"])
    posts = stack.sim("GET", "/_sim/webhooks")["data"]
    (mid,) = [
        messaging["message"]["mid"]
        for post in posts
        for entry in json.loads(post["body"] or "{}").get("entry", [])
        for messaging in entry["messaging"]
        if messaging.get("message", {}).get("text") == text
    ]
    return status, str(mid)


def fires_live(hass: HassProcess, user: HassUser, stack: Stack, text: str) -> dict[str, Any]:
    """Alice writes `text` to a running Home Assistant; the `facebook_message` it fired (seen
    on the websocket API)."""
    with HassWebsocket(hass.url, user.access_token) as ws:
        ws.subscribe_events(MESSAGE)
        status, mid = alice_says(stack, text)
        assert status == 200, hass.log_tail()
        event = ws.wait_event(lambda e: e["data"].get("message") == text, text, WAIT)
    assert event["data"]["mid"] == mid, event
    return dict(event["data"])


def state_of(user: HassUser, entity_id: str) -> str:
    """An entity's state, through the REST API."""
    status, answer = user.call("GET", f"/api/states/{entity_id}")
    assert status == 200, (status, answer)
    return str(answer["state"])


def start(hass: HassProcess, user: HassUser | None = None) -> HassUser:
    """Start `hass` and wait until it runs (onboarding its first user on the first start)."""
    hass.start()
    hass.wait_http(START_TIMEOUT)
    user = user or onboard(hass.url)
    user.wait_running(START_TIMEOUT)
    return user


def test_outage_longer_than_an_hour_heals_at_start_and_catches_up_once(
    stack: tuple[Stack, HassProcess],
) -> None:
    running, hass = stack
    config_dir = running.config_dir
    began = time.monotonic()

    # 1. Running: the page is subscribed (the start's check does it: the simulator's page was
    # never subscribed through the API) and Alice's message fires as usual.
    user = start(hass)
    wait_until(lambda: subscribed(running), "the page's subscription", WAIT)
    live = fires_live(hass, user, running, BEFORE)
    assert (live["sender_id"], live["page_id"]) == (ALICE, PAGE_ID), live
    assert "catch_up" not in live, live
    mids = {BEFORE: str(live["mid"])}

    # 2. Stopped (cleanly) while Alice writes: deliveries fail; an hour later on the simulator's
    # clock, Meta's rule drops the page's subscription.
    assert hass.stop(STOP_WITHIN) == 0, hass.log_tail()
    for text in WHILE_DOWN:
        status, mids[text] = alice_says(running, text)
        assert status == 0  # nobody listens
    failing = page_subscription(running)
    assert failing["failing_since"] is not None and subscribed(running), failing
    running.sim("POST", "/_sim/clock", {"advance": AN_HOUR_OF_FAILURES})
    dropped = page_subscription(running)
    assert dropped["unsubscribed_at"] is not None and not dropped["subscribed_fields"], dropped
    assert dropped["subscribed"] is False, dropped
    assert fired(config_dir) == [(BEFORE, mids[BEFORE], None)]  # the database, closed
    resubscribed_before = len(recorded_events(config_dir, RESUBSCRIBED))

    # 3. Started again: the page is subscribed again during the start, the two messages fire
    # once each, in order, as caught up; Alice's next message fires as usual.
    restarted = time.monotonic()
    start(hass, user)
    wait_until(
        lambda: len(recorded_events(config_dir, RESUBSCRIBED)) > resubscribed_before,
        RESUBSCRIBED,
        WAIT,
    )
    healed = time.monotonic()
    resubscribed = recorded_events(config_dir, RESUBSCRIBED)[resubscribed_before:]
    assert resubscribed == [{"page_id": PAGE_ID, "what": "page"}]
    assert subscribed(running), page_subscription(running)
    wait_until(lambda: len(fired(config_dir)) >= 3, "the caught-up messages", WAIT)
    caught_up = time.monotonic()
    assert fired(config_dir)[1:] == [(text, mids[text], True) for text in WHILE_DOWN]
    assert state_of(user, WEBHOOK_SENSOR) == "on"
    live = fires_live(hass, user, running, AFTER)
    assert "catch_up" not in live, live
    mids[AFTER] = str(live["mid"])

    # 4. Restarted once more (Alice writes meanwhile: the barrier): the caught-up messages do
    # not fire again, nor does her last live one (read back too: it is of the second the page
    # last heard from Meta; its mid is remembered across the restart).
    assert hass.stop(STOP_WITHIN) == 0, hass.log_tail()
    status, mids[DURING_RESTART] = alice_says(running, DURING_RESTART)
    assert status == 0
    start(hass, user)
    wait_until(
        lambda: DURING_RESTART in [text for text, _, _ in fired(config_dir)],
        "the message written during the restart",
        WAIT,
    )
    assert fired(config_dir) == [
        (BEFORE, mids[BEFORE], None),
        *[(text, mids[text], True) for text in WHILE_DOWN],
        (AFTER, mids[AFTER], None),
        (DURING_RESTART, mids[DURING_RESTART], True),
    ]
    assert len(recorded_events(config_dir, RESUBSCRIBED)) == resubscribed_before + 1
    assert subscribed(running), page_subscription(running)
    print(
        f"\noutage test: {time.monotonic() - began:.1f} s in all; an hour of failed deliveries "
        f"on the simulator's clock; started again, the page was re-subscribed after "
        f"{healed - restarted:.1f} s and both messages had fired after "
        f"{caught_up - restarted:.1f} s"
    )
