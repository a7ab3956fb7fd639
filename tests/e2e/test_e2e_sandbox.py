"""End to end: a real `hass` process with the sandbox configuration, driven through the simulator.

Every step is what Meta and a person would do: the simulator verifies the webhook, posts signed
events, and records what Home Assistant sends back through the Graph API.
"""

from __future__ import annotations

from collections.abc import Iterator
import hashlib
import hmac
import json
from pathlib import Path
import time
from typing import Any

import pytest

from tests.e2e.harness import (
    ALICE,
    BOB,
    CONFIG,
    PAGE_ID,
    SECRETS,
    Stack,
    http,
    running_stack,
    texts,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CAROL = "5550001112223334"  # writes to the page but is not in allowed_chat_ids


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[Stack]:
    """The simulator and Home Assistant, up and verified; stopped afterwards."""
    with running_stack(tmp_path) as running:
        yield running


def to(psid: str, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages (not sender actions) the automations sent to ``psid``.

    Assist's answers (replies quoting the question) are left out.
    """
    return [
        s
        for s in sent
        if s["recipient_id"] == psid and s["message"] is not None and s["reply_to"] is None
    ]


def assisted(psid: str, sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assist's answers to ``psid``: replies quoting the question, ``messaging_type: RESPONSE``."""
    return [s for s in sent if s["recipient_id"] == psid and s["reply_to"] is not None]


def test_sandbox_end_to_end(stack: Stack) -> None:
    # Start-up: the handshake passed (a wrong token is refused) and the greeting went out.
    state = stack.sim("GET", "/_sim/state")
    assert state["verification"]["ok"] is True
    refused = stack.sim(
        "POST", "/_sim/verify", {"url": stack.webhook_url, "verify_token": "not-the-token"}
    )
    assert (refused["status"], refused["ok"]) == (403, False)
    greeting = to(ALICE, stack.sent())[0]["message"]
    assert greeting["text"].startswith("Hello from Home Assistant!")
    assert [r["payload"] for r in greeting["quick_replies"]] == [
        "colour",
        "buttons",
        "snapshot",
        "broadcast",
        "long",
    ]

    # "get my id" works for anyone, even someone who is not in allowed_chat_ids.
    stack.sim("POST", "/_sim/users", {"psid": CAROL, "name": "Carol"})
    mark = stack.count_sent()
    assert stack.user(CAROL, "say", text="  Get My ID ")["status"] == 200
    sent = stack.wait_sent(mark, lambda s: bool(to(CAROL, s)), "the ID reply")
    assert texts(to(CAROL, sent)) == [f"Your ID is {CAROL}"]
    assert to(CAROL, sent)[0]["messaging_type"] == "RESPONSE"

    # Quick replies: "colour" asks, the Red chip (payload FOO) answers "Received red".
    mark = stack.count_sent()
    stack.user(ALICE, "say", text="colour")
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "the colour question")
    question = to(ALICE, sent)[0]["message"]
    assert question["text"] == "Pick a colour"
    assert [(r["title"], r["payload"]) for r in question["quick_replies"]] == [
        ("Red", "FOO"),
        ("Blue", "BAR"),
    ]
    mark = stack.count_sent()
    stack.user(ALICE, "quick_reply", title="Red", payload="FOO")
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "Received red")
    assert texts(to(ALICE, sent)) == ["Received red"]
    mark = stack.count_sent()
    stack.user(BOB, "quick_reply", title="Blue", payload="BAR")
    sent = stack.wait_sent(mark, lambda s: bool(to(BOB, s)), "Received blue")
    assert texts(to(BOB, sent)) == ["Received blue"]

    # A button template; the postback switches a real entity and reports its new state.
    mark = stack.count_sent()
    stack.user(ALICE, "say", text="buttons")
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "the buttons")
    template = to(ALICE, sent)[0]["message"]["attachment"]["payload"]
    assert template["template_type"] == "button"
    assert template["text"] == "The hall light is off. Switch it?"
    assert [b["type"] for b in template["buttons"]] == ["postback", "postback", "web_url"]
    mark = stack.count_sent()
    stack.user(ALICE, "postback", title="Turn on", payload="HALL_LIGHT_ON")
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "the light's new state")
    assert texts(to(ALICE, sent)) == ["Done: the hall light is on."]

    # BROADCAST: everyone the page can reach, which includes Carol, who wrote to the page.
    mark = stack.count_sent()
    stack.user(ALICE, "say", text="broadcast")
    everyone = {ALICE, BOB, CAROL}
    sent = stack.wait_sent(
        mark, lambda s: {m["recipient_id"] for m in s} >= everyone, "the broadcast"
    )
    announcement = "Announcement for everyone, asked for by Alice: dinner is ready!"
    for psid in everyone:
        assert texts(to(psid, sent)) == [announcement]

    # A camera snapshot: the local_file camera's picture, uploaded as multipart filedata.
    mark = stack.count_sent()
    stack.user(BOB, "say", text="snapshot")
    sent = stack.wait_sent(mark, lambda s: len(to(BOB, s)) >= 2, "the snapshot")
    caption, image = to(BOB, sent)[:2]
    assert caption["message"]["text"].startswith("Front door, ")
    assert image["message"]["attachment"]["type"] == "image"
    assert image["files"]["filedata"]["content_type"] == "image/jpeg"
    status, picture = http("GET", f"{stack.sim_url}/_sim/sent/{image['index']}/file")
    assert status == 200
    assert picture == (CONFIG / "www" / "front_door.jpg").read_bytes()

    # A long text arrives as several messages, in order, with nothing added.
    mark = stack.count_sent()
    stack.user(BOB, "say", text="long")
    sent = stack.wait_sent(mark, lambda s: len(to(BOB, s)) >= 2, "the long text")
    parts = texts(to(BOB, sent))
    assert len(parts) == 2
    assert all(part and len(part) < 2000 for part in parts)
    assert parts[0].startswith("Line 1 of 40")
    assert parts[1].endswith("adding nothing.")

    # "help" gets the list of things to try.
    mark = stack.count_sent()
    stack.user(BOB, "say", text="help")
    sent = stack.wait_sent(mark, lambda s: bool(to(BOB, s)), "the help")
    assert texts(to(BOB, sent))[0].startswith('Hi Bob! Write "turn on the hall light"')

    # Assist: the built-in agent switches the exposed hall light (on since the button) and
    # answers, quoting the question (a typing indicator first only after half a second).
    mark = stack.count_sent()
    stack.user(BOB, "say", text="turn off the hall light")
    sent = stack.wait_sent(mark, lambda s: bool(assisted(BOB, s)), "Assist's answer")
    (answer,) = assisted(BOB, sent)
    assert answer["messaging_type"] == "RESPONSE"
    assert answer["message"]["text"].startswith("Turned off"), answer
    assert to(BOB, sent) == []  # no automation answered it
    # The menu's Lights item (a postback) shows the light's state: the agent switched it off.
    mark = stack.count_sent()
    assert stack.user(BOB, "menu", title="Lights")["status"] == 200
    sent = stack.wait_sent(mark, lambda s: bool(to(BOB, s)), "the menu's Lights")
    lights = to(BOB, sent)[0]["message"]["attachment"]["payload"]
    assert lights["text"] == "The hall light is off. Switch it?"
    assert assisted(BOB, sent) == []  # a postback never goes to the agent

    # The page's Messenger Profile: the menu, ice breakers and Get Started were applied.
    profile = stack.sim("GET", f"/_sim/profile?page_id={PAGE_ID}")
    menu = profile["persistent_menu"][0]["call_to_actions"]
    assert [(item["title"], item["payload"]) for item in menu] == [
        ("Lights", "LIGHTS"),
        ("Cameras", "CAMERAS"),
        ("Help", "HELP"),
    ]
    assert [q["question"] for q in profile["ice_breakers"][0]["call_to_actions"]] == [
        "What can you do?",
        "Is the hall light on?",
    ]
    assert profile["get_started"] == {"payload": "GET_STARTED"}

    # Assist answered only the one question: the keywords were left to the automations.
    everything = stack.sent()
    assert [s["message"]["text"] for s in everything if s["reply_to"]] == [
        answer["message"]["text"]
    ]

    # Delivery and read receipts are accepted.
    assert stack.user(BOB, "delivered")["status"] == 200
    assert stack.user(BOB, "read")["status"] == 200

    # Forged events are refused: only the copy signed with the app secret is acted on.
    mark = stack.count_sent()
    secret = SECRETS["fb_app_secret"].encode()
    for mid, key in (("m_unsigned", None), ("m_forged", b"not-the-secret"), ("m_real", secret)):
        body = webhook_body(ALICE, "colour", mid)
        headers = {}
        if key is not None:
            digest = hmac.new(key, body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature-256"] = f"sha256={digest}"
        status, answer = http("POST", stack.webhook_url, body, headers)
        assert status == (200 if key == secret else 403), answer
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "the colour question")
    time.sleep(1.0)  # room for replies to the forged copies, had they been accepted
    assert texts(to(ALICE, stack.sent(mark))) == ["Pick a colour"]

    # Beyond the 24-hour window: Alice last wrote 25 hours ago (the simulator ages her
    # conversation; Home Assistant does not know). Bob's BROADCAST still reaches her: Meta refuses
    # the plain message (10/2018278) and it goes again as a utility message, the page's template
    # with the text as its parameter, which her chat page shows.
    stack.sim("POST", f"/_sim/users/{ALICE}/age", {"seconds": 25 * 3600})
    mark = stack.count_sent()
    stack.user(BOB, "say", text="broadcast")
    sent = stack.wait_sent(mark, lambda s: bool(to(ALICE, s)), "Alice's utility message")
    (utility,) = to(ALICE, sent)
    assert utility["messaging_type"] == "UTILITY", utility
    assert "dinner is ready" in json.dumps(utility["message"])
    chat = stack.sim("GET", f"/_sim/conversations/{ALICE}")
    assert "dinner is ready" in json.dumps(chat["items"][-1])

    # All along, Home Assistant's log never showed the page token or the app secret.
    log = stack.logs["hass"].read_text(encoding="utf-8", errors="replace")
    log += (stack.config_dir / "home-assistant.log").read_text(encoding="utf-8", errors="replace")
    assert "notify.facebook sends as page Home" in log
    for secret in (SECRETS["fb_page_token"], SECRETS["fb_app_secret"]):
        assert secret not in log
    # ... nor any error of the integration's, nor of the example automations.
    errors = [
        line
        for line in log.splitlines()
        if " ERROR " in line and ("facebook" in line or "automation" in line)
    ]
    assert errors == []


def webhook_body(psid: str, text: str, mid: str) -> bytes:
    """A Messenger webhook body with one quick-reply tap, as Meta would POST it."""
    event = {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        # A quick-reply tap: it fires facebook_message but never goes to Assist, whose answer
        # would quote a message the simulator has never seen (a forged mid).
        "message": {"mid": mid, "text": text, "quick_reply": {"payload": text}},
    }
    document = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": [event]}]}
    return json.dumps(document).encode()
