"""Assist over Messenger: plain text from allowed people goes to the agent, answers come back.

The built-in agent with real intents switches a real entity; a recording test agent shows the
conversation ids, contexts, and what happens when an agent fails or is slow.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.facebook.const import EVENT_MESSAGE, EVENT_MESSAGE_SENT, WEBHOOK_PATH
from simulator import Simulator

from .conftest import (
    ALICE,
    BOB,
    CAROL,
    PAGE_ID,
    ClientFactory,
    SetTiming,
    SetupEntry,
    SetupFacebook,
    person,
    wait_until,
)


class RecordingAgent(conversation.AbstractConversationAgent):
    """Answers "You said: <text>"; or fails, or takes its time, when told to."""

    def __init__(self) -> None:
        self.inputs: list[conversation.ConversationInput] = []
        self.behaviour = "echo"
        self.release = asyncio.Event()  # a "thinking" agent answers once this is set

    @property
    def supported_languages(self) -> Any:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.inputs.append(user_input)
        if self.behaviour == "fail":
            raise RuntimeError("the agent broke")
        if self.behaviour == "slow":
            await asyncio.Event().wait()  # never answers
        if self.behaviour == "thinking":
            await self.release.wait()
        response = intent.IntentResponse(language=user_input.language)
        if self.behaviour == "mute":  # an error with nothing to say
            response.async_set_error(intent.IntentResponseErrorCode.UNKNOWN, "")
        else:
            response.async_set_speech(f"You said: {user_input.text}")
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )


@pytest.fixture
async def agent(hass: HomeAssistant) -> RecordingAgent:
    assert await async_setup_component(hass, "homeassistant", {})  # conversation needs it
    assert await async_setup_component(hass, "conversation", {})
    entry = MockConfigEntry(domain="test_agent")
    entry.add_to_hass(hass)
    recording = RecordingAgent()
    conversation.async_set_agent(hass, entry, recording)
    return recording


async def say(client: TestClient, sim: Simulator, event: dict[str, Any]) -> None:
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


def answers(sim: Simulator, psid: str) -> list[str]:
    return [m.message["text"] for m in sim.messages_to(psid)]


async def test_the_built_in_agent_switches_the_hall_light_and_answers(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"hall_light": {"name": "Hall light"}}}
    )
    async_expose_entity(hass, "conversation", "input_boolean.hall_light", True)
    await setup_facebook(conversation_agent="conversation.home_assistant")
    client = await hass_client_no_auth()
    messages = async_capture_events(hass, EVENT_MESSAGE)
    sent = async_capture_events(hass, EVENT_MESSAGE_SENT)
    question = simulator.message_event(ALICE, "turn on the hall light")
    await say(client, simulator, question)
    await wait_until(lambda: bool(sent))  # the answer reached Meta, and its event fired
    assert hass.states.get("input_boolean.hall_light").state == "on"
    (answer,) = simulator.messages_to(ALICE)
    assert answer.messaging_type == "RESPONSE"
    assert answer.reply_to == question["message"]["mid"]  # it quotes the question
    assert answer.message["text"]  # the agent's plain speech
    assert [e.data["message"] for e in messages] == ["turn on the hall light"]  # still fired
    assert [e.data["recipient_id"] for e in sent] == [ALICE]
    actions = [s.sender_action for s in simulator.sent if s.recipient_id == ALICE]
    assert actions == ["typing_on", None]  # typing before the answer, and only then


async def test_one_conversation_per_person_kept_across_messages(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
) -> None:
    await setup_facebook(conversation_agent=agent_id(hass))
    client = await hass_client_no_auth()
    for text in ("what is on?", "and in the kitchen?"):
        await say(client, simulator, simulator.message_event(ALICE, text))
    await say(client, simulator, simulator.message_event(BOB, "hello"))
    await wait_until(lambda: len(agent.inputs) == 3 and len(answers(simulator, BOB)) == 1)
    await wait_until(lambda: len(answers(simulator, ALICE)) == 2)
    # People are answered side by side, so only each person's own order is fixed.
    by_person = {
        psid: [i for i in agent.inputs if i.text in texts]
        for psid, texts in ((ALICE, {"what is on?", "and in the kitchen?"}), (BOB, {"hello"}))
    }
    alice, follow_up = by_person[ALICE]
    (bob,) = by_person[BOB]
    assert [alice.text, follow_up.text] == ["what is on?", "and in the kitchen?"]
    assert alice.conversation_id == follow_up.conversation_id == f"facebook_{PAGE_ID}_{ALICE}"
    assert bob.conversation_id == f"facebook_{PAGE_ID}_{BOB}"
    assert alice.language == hass.config.language
    assert answers(simulator, ALICE) == ["You said: what is on?", "You said: and in the kitchen?"]


async def test_only_plain_text_from_allowed_people_goes_to_the_agent(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
) -> None:
    await setup_facebook(conversation_agent=agent_id(hass))
    client = await hass_client_no_auth()
    await say(client, simulator, simulator.message_event(CAROL, "let me in"))  # a stranger
    await say(client, simulator, simulator.message_event(ALICE, "Red", quick_reply_payload="FOO"))
    await say(client, simulator, simulator.postback_event(ALICE, "Close it", "CLOSE"))
    await say(client, simulator, simulator.message_event(ALICE, "get my id"))
    await say(
        client,
        simulator,
        simulator.message_event(ALICE, None, attachments=[("image", "http://127.0.0.1:9/y.jpg")]),
    )
    await say(client, simulator, simulator.message_event(ALICE, "last one"))
    await wait_until(lambda: len(answers(simulator, ALICE)) == 2)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [i.text for i in agent.inputs] == ["last one"]
    assert answers(simulator, CAROL) == []
    assert answers(simulator, ALICE) == [f"Your ID is {ALICE}", "You said: last one"]
    typing = [s for s in simulator.sent if s.sender_action == "typing_on"]
    assert len(typing) == 1  # only for the agent's answer


async def test_a_quick_answer_comes_alone_a_slow_one_after_a_typing_indicator(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
    set_timing: SetTiming,
) -> None:
    set_timing(typing_after=5.0)  # on the loop's clock, which the test moves
    await setup_facebook(conversation_agent=agent_id(hass))
    client = await hass_client_no_auth()

    def actions() -> list[str | None]:
        return [s.sender_action for s in simulator.sent if s.recipient_id == ALICE]

    # Answered before typing_after: no indicator, nothing holds the answer back.
    await say(client, simulator, simulator.message_event(ALICE, "quick"))
    await wait_until(lambda: bool(answers(simulator, ALICE)))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))  # past typing_after
    await hass.async_block_till_done(wait_background_tasks=True)
    assert actions() == [None]  # the cancelled indicator never goes out

    # Still thinking after typing_after: the indicator reaches Meta first, then the answer.
    agent.behaviour = "thinking"
    await say(client, simulator, simulator.message_event(ALICE, "slow"))
    await wait_until(lambda: len(agent.inputs) == 2)
    assert actions() == [None]  # not typing yet
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await wait_until(lambda: actions() == [None, "typing_on"])
    agent.release.set()
    await wait_until(lambda: len(answers(simulator, ALICE)) == 2)
    assert actions() == [None, "typing_on", None]
    assert answers(simulator, ALICE) == ["You said: quick", "You said: slow"]


async def test_an_answer_to_an_unsent_question_goes_unquoted_not_lost(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_facebook(conversation_agent=agent_id(hass))
    client = await hass_client_no_auth()
    sent = async_capture_events(hass, EVENT_MESSAGE_SENT)
    question = simulator.message_event(ALICE, "still there?")
    simulator.unsend(question["message"]["mid"])  # before the answer is ready
    caplog.set_level(logging.INFO, logger="custom_components.facebook")
    await say(client, simulator, question)
    await wait_until(lambda: bool(sent))
    (answer,) = simulator.messages_to(ALICE)
    assert (answer.message["text"], answer.reply_to) == ("You said: still there?", None)
    refused = [r for r in simulator.requests if r.path.endswith("/messages") and r.status != 200]
    assert len(refused) == 1  # the quoted try, refused as Meta would
    assert "sending it without the quote" in caplog.text


async def test_an_answer_meta_refuses_for_another_reason_is_not_sent_twice(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_facebook(conversation_agent=agent_id(hass))
    client = await hass_client_no_auth()
    # The app lacks a permission (a policy refusal): dropping the quote would not help.
    simulator.inject_error(200, message="(#200) Requires pages_messaging permission", count=None)
    await say(client, simulator, simulator.message_event(ALICE, "hello?"))
    await wait_until(lambda: "Could not answer" in caplog.text)
    tries = [r for r in simulator.requests if r.path.endswith("/messages") and "message" in r.body]
    assert [(r.status, "reply_to" in r.body) for r in tries] == [(400, True)]  # no unquoted one


@pytest.mark.parametrize(
    ("behaviour", "answer", "logged"),
    [
        ("fail", "could not answer that", "failed to answer"),
        ("slow", "took too long to answer", "took over"),
        ("mute", "could not answer that", ""),
    ],
)
async def test_a_failing_or_slow_agent_gets_a_short_answer_never_a_crash(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
    set_timing: SetTiming,
    caplog: pytest.LogCaptureFixture,
    behaviour: str,
    answer: str,
    logged: str,
) -> None:
    set_timing(agent_timeout=5.0)  # on the loop's clock, which the test moves
    await setup_facebook(conversation_agent=agent_id(hass))
    agent.behaviour = behaviour
    client = await hass_client_no_auth()
    await say(client, simulator, simulator.message_event(ALICE, "are you there?"))
    if behaviour == "slow":
        await wait_until(lambda: bool(agent.inputs))  # thinking, for ever
        assert answers(simulator, ALICE) == []
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await wait_until(lambda: bool(answers(simulator, ALICE)))
    assert answer in answers(simulator, ALICE)[0]
    assert logged in caplog.text
    agent.behaviour = "echo"
    await say(client, simulator, simulator.message_event(ALICE, "still there?"))
    await wait_until(lambda: len(answers(simulator, ALICE)) == 2)  # the bridge still works


async def test_an_automation_that_answers_itself_silences_the_agent(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    # The built-in agent runs a sentence trigger whose response is set empty: the automation
    # answered the person itself, so Assist sends nothing (no "Sorry", no "Done").
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "triggers": {"trigger": "conversation", "command": "colour"},
                "actions": [
                    {"action": "notify.facebook", "data": {"message": "Pick", "target": [ALICE]}},
                    {"set_conversation_response": ""},
                ],
            }
        },
    )
    await setup_facebook(conversation_agent="conversation.home_assistant")
    client = await hass_client_no_auth()
    await say(client, simulator, simulator.message_event(ALICE, "colour"))
    await wait_until(lambda: bool(answers(simulator, ALICE)))
    await hass.async_block_till_done(wait_background_tasks=True)
    await say(client, simulator, simulator.message_event(ALICE, "what is the time?"))
    await wait_until(lambda: len(answers(simulator, ALICE)) == 2)  # the agent still answers
    first, second = simulator.messages_to(ALICE)
    assert (first.message["text"], first.reply_to) == ("Pick", None)  # the automation's only
    assert second.reply_to is not None  # Assist's answer to the second question


async def test_a_linked_user_s_context_and_a_yaml_person_s_empty_one(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
    agent: RecordingAgent,
) -> None:
    user = await hass.auth.async_create_user("Alice at home")
    alice = person(ALICE, "Alice")
    alice["data"] = {**alice["data"], "user_id": user.id}
    entry = await setup_entry(people=[alice, person(BOB, "Bob")])
    hass.config_entries.async_update_entry(entry, options={"conversation_agent": agent_id(hass)})
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    await say(client, simulator, simulator.message_event(ALICE, "mine"))
    await say(client, simulator, simulator.message_event(BOB, "his"))
    await wait_until(lambda: len(agent.inputs) == 2)
    contexts = {i.text: i.context.user_id for i in agent.inputs}
    assert contexts == {"mine": user.id, "his": None}


def agent_id(hass: HomeAssistant) -> str:
    """The test agent's id (its config entry's)."""
    return next(e.entry_id for e in hass.config_entries.async_entries("test_agent"))
