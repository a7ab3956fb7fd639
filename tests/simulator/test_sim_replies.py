"""reply_to, page reactions, quoted replies from people and closing windows (extra §4)."""

from __future__ import annotations

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, Graph, Receiver, text_message


async def test_reply_to_a_message_of_the_conversation(graph: Graph, sim: Simulator) -> None:
    theirs = sim.message_event(ALICE, "is the door shut?")["message"]["mid"]
    ours = (await graph.send(text_message())).body["message_id"]
    for mid in (theirs, ours):
        reply = await graph.send(text_message(text="yes", reply_to={"mid": mid}))
        assert reply.status == 200 and sim.sent[-1].reply_to == mid
    bob = sim.message_event(BOB, "hi")["message"]["mid"]
    wrong = await graph.send(text_message(text="no", reply_to={"mid": bob}))
    assert wrong.error["code"] == 100 and "reply_to" in wrong.error["message"]
    empty = await graph.send(text_message(reply_to={}))
    assert empty.status == 200  # an empty reply_to is no reply_to
    bad = await graph.send(text_message(reply_to={"id": "x"}))
    assert bad.error["message"] == "(#100) The parameter reply_to[mid] is required"
    sim.advance(25 * 3600)
    late = await graph.send(text_message(reply_to={"mid": theirs}))
    assert late.error["error_subcode"] == 2018278  # the window rule applies


async def test_an_unsent_message_can_no_longer_be_quoted(graph: Graph, sim: Simulator) -> None:
    mid = sim.message_event(ALICE, "oops")["message"]["mid"]
    sim.unsend(mid)
    quoted = await graph.send(text_message(text="ok", reply_to={"mid": mid}))
    assert quoted.error["code"] == 100 and "reply_to" in quoted.error["message"]
    assert (await graph.send(text_message(text="ok"))).status == 200  # unquoted: fine


async def test_page_reactions(graph: Graph, sim: Simulator) -> None:
    mid = sim.message_event(ALICE, "done!")["message"]["mid"]
    react = {"recipient": {"id": ALICE}, "sender_action": "react"}
    ok = await graph.send(react | {"payload": {"message_id": mid, "reaction": "\U0001f44d"}})
    assert ok.body == {"recipient_id": ALICE}
    assert sim.sent[-1].payload == {"message_id": mid, "reaction": "\U0001f44d"}
    unreact = {
        "recipient": {"id": ALICE},
        "sender_action": "unreact",
        "payload": {"message_id": mid},
    }
    assert (await graph.send(unreact)).body == {"recipient_id": ALICE}
    page_mid = (await graph.send(text_message())).body["message_id"]
    for target in (page_mid, "m_unknown"):
        wrong = await graph.send(react | {"payload": {"message_id": target, "reaction": "x"}})
        assert wrong.error["code"] == 100 and "payload[message_id]" in wrong.error["message"]
    no_emoji = await graph.send(react | {"payload": {"message_id": mid}})
    assert no_emoji.error["message"] == "(#100) The parameter payload[reaction] is required"


async def test_people_reply_with_quotes(sim: Simulator, receiver: Receiver) -> None:
    sim.webhook_url = receiver.url
    await sim.user_says(ALICE, "first")
    first = receiver.events()[-1]["message"]["mid"]
    await sim.user_replies(ALICE, first, "me again")
    assert receiver.events()[-1]["message"]["reply_to"] == {"mid": first, "is_self_reply": True}
    event = sim.message_event(BOB, "about that", reply_to=first)
    assert event["message"]["reply_to"] == {"mid": first, "is_self_reply": False}


async def test_age_closes_the_window(graph: Graph, sim: Simulator) -> None:
    sim.age_user(ALICE, 25 * 3600)
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278
    async with graph.session.post(
        sim.url + f"/_sim/users/{BOB}/age", json={"seconds": 90000}
    ) as response:
        assert (await response.json())["window_open"] is False


async def test_only_the_newest_messages_are_remembered(graph: Graph, sim: Simulator) -> None:
    from simulator.state import MESSAGE_MEMORY

    first = sim.message_event(ALICE, "old")["message"]["mid"]
    for number in range(MESSAGE_MEMORY):
        sim.message_event(ALICE, f"m{number}", mid=f"m_{number}")
    assert len(sim.state.messages) == MESSAGE_MEMORY and first not in sim.state.messages
    late = await graph.send(text_message(reply_to={"mid": first}))
    assert late.error["code"] == 100
    assert (await graph.send(text_message(reply_to={"mid": "m_0"}))).status == 200
