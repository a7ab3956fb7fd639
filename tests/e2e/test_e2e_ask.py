"""End to end: `facebook.ask` through Home Assistant's REST API on a real `hass` process.

The sandbox (its YAML page Home, Alice and Bob), a user onboarded through the REST API, and the
simulator as Meta and as the people: the call waits in `POST /api/services/facebook/ask`
while Alice taps the question's quick reply on the simulator, then answers with the response.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ALICE, BOB, Stack, onboard, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[Stack]:
    """The simulator and Home Assistant, up and verified; stopped afterwards."""
    with running_stack(tmp_path) as running:
        yield running


def questions(sent: list[dict[str, Any]], psid: str) -> list[dict[str, Any]]:
    return [
        s for s in sent if s["recipient_id"] == psid and "quick_replies" in (s["message"] or {})
    ]


def test_ask_over_the_rest_api(stack: Stack) -> None:
    user = onboard(stack.ha_url)
    call = {
        "entity_id": ["notify.alice", "notify.bob"],
        "question": "The garage has been open for 30 minutes. Close it?",
        "answers": [
            {"id": "close", "title": "Close it", "sentences": ["yes"]},
            {"id": "leave", "title": "Leave it"},
        ],
        "timeout": 60,
    }
    mark = stack.count_sent()
    with ThreadPoolExecutor(1) as pool:
        asking = pool.submit(user.call, "POST", "/api/services/facebook/ask?return_response", call)
        sent = stack.wait_sent(
            mark, lambda s: len(questions(s, ALICE) + questions(s, BOB)) == 2, "the questions"
        )
        (question,) = questions(sent, ALICE)
        chip = question["message"]["quick_replies"][0]
        assert chip["title"] == "Close it"
        mark = stack.count_sent()
        assert (
            stack.user(ALICE, "quick_reply", title="Close it", payload=chip["payload"])["status"]
            == 200
        )
        status, answer = asking.result(timeout=30)
    assert status == 200, answer
    assert answer["service_response"] == {
        "id": "close",
        "title": "Close it",
        "text": "Close it",
        "entity_id": "notify.alice",
        "psid": ALICE,
        "question_mid": question["message_id"],
        "timed_out": False,
    }
    # Bob is told who answered, quoting the question he got; Assist heard nothing of it.
    told = stack.wait_sent(mark, lambda s: any(m["recipient_id"] == BOB for m in s), "Bob told")
    (notice,) = [m for m in told if m["recipient_id"] == BOB]
    assert notice["message"]["text"] == "Answered by Alice: Close it"
    (bobs,) = questions(sent, BOB)
    assert notice["reply_to"] == bobs["message_id"]

    # facebook.send_message answers with the message it sent, to quote it later.
    status, answer = user.call(
        "POST",
        "/api/services/facebook/send_message?return_response",
        {"entity_id": "notify.alice", "message": "Closing it now."},
    )
    assert status == 200, answer
    (message,) = answer["service_response"]["notify.alice"]["messages"]
    assert (message["entity_id"], message["psid"]) == ("notify.alice", ALICE)
    assert message["message_id"] == stack.sent(psid=ALICE)[-1]["message_id"]
