"""`facebook.ask`: a question with quick replies, answered by a tap or by typing; its response.

Real Home Assistant, the real webhook view, and the simulator over HTTP: the question is what the
simulator recorded, and the person answers with the signed webhook events Meta would post.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
import voluptuous as vol

from custom_components.facebook.asks import Answer, Asks, OpenAsk, Reply
from custom_components.facebook.const import DOMAIN, EVENT_MESSAGE, WEBHOOK_PATH
from custom_components.facebook.messenger import MessagingEvent, normalize_answer
from custom_components.facebook.runtime import FacebookRuntime
from simulator import Simulator
from simulator.recording import SentMessage

from .conftest import ALICE, BOB, CAROL, ClientFactory, SetupEntry, page_config, wait_until

YES_NO = [
    {"id": "yes", "title": "Close it", "sentences": ["yes", "close the door"]},
    {"id": "no", "title": "Leave it open", "sentences": ["no"]},
]


@pytest.fixture
async def entry(setup_entry: SetupEntry) -> MockConfigEntry:
    return await setup_entry()


@pytest.fixture
async def webhook(entry: MockConfigEntry, hass_client_no_auth: ClientFactory) -> TestClient:
    return await hass_client_no_auth()


def runtime(entry: MockConfigEntry) -> FacebookRuntime:
    page: FacebookRuntime = entry.runtime_data
    return page


def ask(hass: HomeAssistant, **data: Any) -> asyncio.Task[ServiceResponse]:
    """Call facebook.ask in the background (it waits for the answer). Not a task Home Assistant
    tracks: `async_block_till_done` would wait for the answer."""
    call = {"entity_id": "notify.alice", "question": "Close the garage?", "answers": YES_NO}
    return asyncio.create_task(
        hass.services.async_call(
            DOMAIN, "ask", {**call, **data}, blocking=True, return_response=True
        )
    )


async def question_to(sim: Simulator, psid: str, count: int = 1) -> SentMessage:
    """The `count`th question with quick replies the person got (waits for it)."""

    def questions() -> list[SentMessage]:
        return [m for m in sim.messages_to(psid) if "quick_replies" in (m.message or {})]

    await wait_until(lambda: len(questions()) >= count)
    return questions()[count - 1]


def payload_of(question: SentMessage, title: str) -> str:
    return next(q["payload"] for q in question.message["quick_replies"] if q["title"] == title)


async def post(client: TestClient, sim: Simulator, event: dict[str, Any]) -> None:
    body, headers = sim.build_webhook(event)
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


async def tap(client: TestClient, sim: Simulator, psid: str, question: SentMessage, title: str):
    await post(
        client, sim, sim.message_event(psid, title, quick_reply_payload=payload_of(question, title))
    )


async def say(client: TestClient, sim: Simulator, psid: str, text: str) -> None:
    await post(client, sim, sim.message_event(psid, text))


async def answered(task: asyncio.Task[ServiceResponse]) -> dict[str, Any]:
    response = await asyncio.wait_for(task, 10)
    assert isinstance(response, dict)
    return response


# ------------------------------------------------------------------------------------ answering


async def test_a_tap_answers_and_the_response_says_who_and_what(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    messages = async_capture_events(hass, EVENT_MESSAGE)
    task = ask(hass)
    question = await question_to(simulator, ALICE)
    assert question.message["text"] == "Close the garage?"
    chips = question.message["quick_replies"]
    assert [c["title"] for c in chips] == ["Close it", "Leave it open"]
    assert len({c["payload"] for c in chips}) == 2
    await tap(webhook, simulator, ALICE, question, "Close it")
    assert await answered(task) == {
        "id": "yes",
        "title": "Close it",
        "text": "Close it",
        "entity_id": "notify.alice",
        "psid": ALICE,
        "question_mid": question.message_id,
        "timed_out": False,
    }
    # The tap still fired facebook_message (automations see it), naming the person's entity.
    (tapped,) = messages
    assert tapped.data["payload"] == payload_of(question, "Close it")
    assert tapped.data["entity_id"] == "notify.alice"
    assert len(runtime_asks(hass)) == 0


def runtime_asks(hass: HomeAssistant) -> Asks:
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return runtime(entry).asks  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "answer_id"),
    [
        ("close it", "yes"),  # the title, any case
        ("  CLOSE IT!  ", "yes"),  # punctuation and spaces at the ends
        ("Yés.", "yes"),  # a sentence, accents
        ("close   the door", "yes"),  # spaces inside count as one
        ("No", "no"),
    ],
)
async def test_a_typed_answer_by_title_or_sentence(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient, typed: str, answer_id: str
) -> None:
    task = ask(hass)
    question = await question_to(simulator, ALICE)
    await say(webhook, simulator, ALICE, typed)
    response = await answered(task)
    assert (response["id"], response["text"], response["question_mid"]) == (
        answer_id,
        typed,
        question.message_id,
    )


async def test_other_words_wait_unless_any_text_is_allowed(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    strict = ask(hass)
    await question_to(simulator, ALICE)
    await say(webhook, simulator, ALICE, "what garage?")
    await hass.async_block_till_done()
    assert not strict.done()  # not an answer it offered
    loose = ask(hass, allow_text=True, question="Anything to add?")
    await question_to(simulator, ALICE, 2)
    await say(webhook, simulator, ALICE, "Buy milk")
    response = await answered(loose)
    assert (response["id"], response["title"], response["text"]) == (None, None, "Buy milk")
    assert not strict.done()
    await say(webhook, simulator, ALICE, "yes")  # an offered answer still goes to its ask
    assert (await answered(strict))["id"] == "yes"


async def test_an_offered_answer_wins_over_any_text(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    older = ask(hass)
    await question_to(simulator, ALICE)
    newer = ask(hass, allow_text=True, answers=[{"id": "ok", "title": "OK"}])
    await question_to(simulator, ALICE, 2)
    await say(webhook, simulator, ALICE, "yes")  # the older ask offers "yes"
    assert (await answered(older))["id"] == "yes"
    await say(webhook, simulator, ALICE, "yes")  # now only the newer one waits: any text
    assert (await answered(newer))["id"] is None


async def test_nobody_answers_in_time(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    task = ask(hass, timeout=1)
    question = await question_to(simulator, ALICE)
    assert await answered(task) == {
        "id": None,
        "title": None,
        "text": None,
        "entity_id": None,
        "psid": None,
        "question_mid": question.message_id,
        "timed_out": True,
    }
    # A late tap answers nothing: it only fires facebook_message.
    messages = async_capture_events(hass, EVENT_MESSAGE)
    await tap(webhook, simulator, ALICE, question, "Close it")
    assert len(messages) == 1
    assert len(runtime_asks(hass)) == 0


async def test_two_asks_to_one_person_never_take_each_others_taps(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    garage = ask(hass)
    first = await question_to(simulator, ALICE)
    door = ask(hass, question="Lock the back door?", answers=YES_NO)
    second = await question_to(simulator, ALICE, 2)
    assert not {q["payload"] for q in first.message["quick_replies"]} & {
        q["payload"] for q in second.message["quick_replies"]
    }
    await tap(webhook, simulator, ALICE, first, "Leave it open")  # the older question's chip
    assert (await answered(garage))["id"] == "no"
    assert not door.done()
    await say(webhook, simulator, ALICE, "yes")  # typed: the newest open ask offering it
    response = await answered(door)
    assert (response["id"], response["question_mid"]) == ("yes", second.message_id)


async def test_a_typed_answer_goes_to_the_newest_ask_offering_it(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    older = ask(hass)
    await question_to(simulator, ALICE)
    newer = ask(hass, question="Lock the back door?")
    await question_to(simulator, ALICE, 2)
    await say(webhook, simulator, ALICE, "close it")
    assert (await answered(newer))["id"] == "yes"
    assert not older.done()
    older.cancel()
    with pytest.raises(asyncio.CancelledError):
        await older
    assert len(runtime_asks(hass)) == 0  # a cancelled call leaves nothing waiting


async def test_only_the_people_asked_can_answer(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    task = ask(hass)
    question = await question_to(simulator, ALICE)
    await tap(webhook, simulator, BOB, question, "Close it")  # Bob was not asked
    await say(webhook, simulator, BOB, "yes")
    await tap(webhook, simulator, CAROL, question, "Close it")  # nor is Carol a person here
    await hass.async_block_till_done()
    assert not task.done()
    await tap(webhook, simulator, ALICE, question, "Leave it open")
    assert (await answered(task))["psid"] == ALICE


async def test_several_people_the_first_answer_wins_and_the_others_are_told(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    task = ask(hass, entity_id=["notify.alice", "notify.bob"])
    to_alice = await question_to(simulator, ALICE)
    to_bob = await question_to(simulator, BOB)
    assert payload_of(to_alice, "Close it") == payload_of(to_bob, "Close it")
    await tap(webhook, simulator, BOB, to_bob, "Leave it open")
    response = await answered(task)
    assert (response["entity_id"], response["psid"], response["id"]) == ("notify.bob", BOB, "no")
    assert response["question_mid"] == to_bob.message_id

    def told() -> list[SentMessage]:
        return [m for m in simulator.messages_to(ALICE) if m.message_id != to_alice.message_id]

    await wait_until(lambda: bool(told()))
    (notice,) = told()
    assert notice.message == {"text": "Answered by Bob: Leave it open"}
    assert notice.reply_to == to_alice.message_id  # it quotes the question she got
    assert [m.message_id for m in simulator.messages_to(BOB)] == [to_bob.message_id]
    messages = async_capture_events(hass, EVENT_MESSAGE)
    await tap(webhook, simulator, ALICE, to_alice, "Close it")  # too late: an event, no answer
    assert len(messages) == 1


async def test_the_others_are_told_unquoted_when_meta_refuses_the_quote(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    task = ask(hass, entity_id=["notify.alice", "notify.bob"])
    to_alice = await question_to(simulator, ALICE)
    await question_to(simulator, BOB)
    simulator.unsend(to_alice.message_id)  # (as if it were gone from the thread)
    await say(webhook, simulator, BOB, "yes")
    assert (await answered(task))["text"] == "yes"
    await wait_until(lambda: len(simulator.messages_to(ALICE)) == 2)
    notice = simulator.messages_to(ALICE)[-1]
    assert (notice.text, notice.reply_to) == ("Answered by Bob: Close it", None)


async def test_an_answer_fires_facebook_message_and_does_not_go_to_assist(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    agent = await _recording_agent(hass)
    entry = await setup_entry()
    hass.config_entries.async_update_entry(entry, options={"conversation_agent": agent.id})
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    messages = async_capture_events(hass, EVENT_MESSAGE)
    task = ask(hass)
    await question_to(simulator, ALICE)
    await say(client, simulator, ALICE, "what garage?")  # not an answer: Assist hears it
    await say(client, simulator, ALICE, "yes")  # the answer: Assist does not
    assert (await answered(task))["id"] == "yes"
    await say(client, simulator, ALICE, "thanks")  # no question waits: Assist hears it
    # Assist takes a person's messages in turn: "yes" would have come before "thanks".
    await wait_until(lambda: len(agent.inputs) == 2)
    assert [i.text for i in agent.inputs] == ["what garage?", "thanks"]
    assert [e.data["message"] for e in messages] == ["what garage?", "yes", "thanks"]
    assert all(e.data["entity_id"] == "notify.alice" for e in messages)


class _Agent(conversation.AbstractConversationAgent):
    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.inputs: list[conversation.ConversationInput] = []

    @property
    def supported_languages(self) -> Any:
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        self.inputs.append(user_input)
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech("Noted")
        return conversation.ConversationResult(response=response)


async def _recording_agent(hass: HomeAssistant) -> _Agent:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    owner = MockConfigEntry(domain="test_agent")
    owner.add_to_hass(hass)
    agent = _Agent(owner.entry_id)
    conversation.async_set_agent(hass, owner, agent)
    return agent


async def test_a_picture_goes_with_the_question(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    task = ask(
        hass, data={"image": "https://example.com/garage.jpg", "notification_type": "NO_PUSH"}
    )
    picture = await question_to(simulator, ALICE)  # the chips go on the last message
    text, _ = simulator.messages_to(ALICE)
    assert text.message == {"text": "Close the garage?"}
    assert picture.message["attachment"]["type"] == "image"
    assert {text.notification_type, picture.notification_type} == {"NO_PUSH"}
    await tap(webhook, simulator, ALICE, picture, "Close it")
    assert (await answered(task))["question_mid"] == text.message_id  # the question's text


# --------------------------------------------------------------------------------- refusals


async def test_a_closed_window_sends_nothing(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    two_days_ago = int((dt_util.utcnow().timestamp() - 2 * 86400) * 1000)
    await post(webhook, simulator, simulator.message_event(BOB, "hi", timestamp=two_days_ago))
    simulator.clear()
    with pytest.raises(HomeAssistantError, match="24-hour window of Bob") as err:
        await hass.services.async_call(
            DOMAIN,
            "ask",
            {
                "entity_id": ["notify.alice", "notify.bob"],
                "question": "?",
                "answers": YES_NO,
                "timeout": 5,  # (were it asked: not for long)
            },
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "window_closed"
    assert not isinstance(err.value, ServiceValidationError)  # a state, not bad input
    assert simulator.sent == []
    assert len(runtime_asks(hass)) == 0


async def test_meta_refusing_for_a_closed_window_is_window_closed(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    simulator.age_user(ALICE, 2 * 86400)  # Meta knows; Home Assistant has not heard from her
    with pytest.raises(HomeAssistantError) as err:
        await ask(hass)
    assert err.value.translation_key == "window_closed"
    assert len(runtime_asks(hass)) == 0


async def test_someone_meta_refuses_is_not_asked_the_others_are(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.add_user(BOB, name="Bob", blocked=True)
    task = ask(hass, entity_id=["notify.alice", "notify.bob"])
    question = await question_to(simulator, ALICE)
    await wait_until(lambda: "asked only 1 of them" in caplog.text)
    await tap(webhook, simulator, ALICE, question, "Close it")
    assert (await answered(task))["psid"] == ALICE
    await hass.async_block_till_done()
    assert simulator.messages_to(BOB) == []  # no "Answered by" for someone never asked


async def test_nobody_reached_raises_the_send_error(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    simulator.add_user(ALICE, name="Alice", blocked=True)
    with pytest.raises(HomeAssistantError, match="could not deliver") as err:
        await ask(hass)
    assert err.value.translation_key == "send_failed"


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("no answers", {"answers": []}, "answers: 1 to 13"),
    ("14 answers", {"answers": [{"id": str(i), "title": str(i)} for i in range(14)]}, "1 to 13"),
    ("long title", {"answers": [{"id": "a", "title": "x" * 21}]}, "1 to 20 characters"),
    ("no title", {"answers": [{"id": "a"}]}, "required key not provided"),
    ("same ids", {"answers": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]}, "twice"),
    ("timeout 0", {"timeout": 0}, "timeout: 1 to 86400"),
    ("timeout over a day", {"timeout": 86401}, "timeout: 1 to 86400"),
    ("own quick replies", {"data": {"quick_replies": ["x"]}}, "makes the quick replies"),
    ("empty question", {"question": ""}, "the question is empty"),
    ("nobody", {"entity_id": []}, "nobody to ask"),
]


@pytest.mark.parametrize(("name", "call", "error"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_input_fails_validation(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    name: str,
    call: dict[str, Any],
    error: str,
) -> None:
    with pytest.raises(vol.Invalid, match=error):
        await ask(hass, **call)
    assert simulator.sent == []


@pytest.mark.parametrize(
    ("call", "key"),
    [
        ({"entity_id": "notify.home_everyone"}, "ask_not_a_person"),
        ({"entity_id": "notify.nobody"}, "ask_not_a_person"),
        ({"data": {"messaging_type": "SOMETIMES"}}, "invalid_message"),
    ],
)
async def test_who_and_what_is_checked_before_anything_goes_out(
    hass: HomeAssistant,
    simulator: Simulator,
    entry: MockConfigEntry,
    call: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, **call)
    assert err.value.translation_key == key
    assert simulator.sent == []


async def test_the_people_asked_are_on_one_page(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    simulator.add_page(page_id="2000000000000002", name="Club", token="club-token-1234")
    simulator.add_user("2222333344445555", name="Zoe", page="2000000000000002")
    club = page_config(
        simulator,
        name="club",
        page_access_token="club-token-1234",
        verify_token="club-verify",
        app_secret=None,
        allowed_chat_ids={"zoe": "2222333344445555"},
    )
    assert await async_setup_component(hass, "notify", {"notify": [club]})  # a YAML page
    await hass.async_block_till_done(wait_background_tasks=True)
    await setup_entry()  # and a page from the UI
    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, entity_id=["notify.alice", "notify.zoe"])
    assert err.value.translation_key == "ask_one_page"
    assert "notify.alice, notify.zoe" in str(err.value)
    assert simulator.sent == []


async def test_someone_who_cannot_be_told_is_only_logged(
    hass: HomeAssistant,
    simulator: Simulator,
    webhook: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    task = ask(hass, entity_id=["notify.alice", "notify.bob"])
    await question_to(simulator, BOB)
    simulator.add_user(ALICE, name="Alice", blocked=True)  # she blocks the page meanwhile
    await say(webhook, simulator, BOB, "no")
    assert (await answered(task))["id"] == "no"
    await wait_until(lambda: "could not tell 6543210987654321" in caplog.text)


# --------------------------------------------------------------------------- nothing lingers


async def test_unloading_ends_the_wait_with_an_error(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    task = ask(hass)
    await question_to(simulator, ALICE)
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(HomeAssistantError, match="Stopped waiting for an answer") as err:
        await asyncio.wait_for(task, 10)
    assert err.value.translation_key == "ask_ended"
    with pytest.raises(ServiceValidationError) as err:  # an unloaded page asks nothing
        await ask(hass)
    assert err.value.translation_key == "page_not_loaded"


def _timers(hass: HomeAssistant) -> int:
    return sum(not handle.cancelled() for handle in hass.loop._scheduled)  # type: ignore[attr-defined]


async def test_reloading_while_waiting_leaves_nothing_behind(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    async def ask_and_reload() -> None:
        task = ask(hass, timeout=3600)
        await question_to(simulator, ALICE)
        assert await hass.config_entries.async_reload(entry.entry_id)
        with pytest.raises(HomeAssistantError, match="Stopped waiting"):
            await asyncio.wait_for(task, 10)
        await hass.async_block_till_done(wait_background_tasks=True)
        simulator.clear()

    await ask_and_reload()  # the first round settles what only exists once
    before = len(asyncio.all_tasks()), sum(hass.bus.async_listeners().values()), _timers(hass)
    for _ in range(5):
        await ask_and_reload()
    after = len(asyncio.all_tasks()), sum(hass.bus.async_listeners().values()), _timers(hass)
    print(f"\ntasks, listeners, timers: {before} -> {after}")
    assert after[0] <= before[0] and after[1] <= before[1] and after[2] <= before[2]
    assert len(runtime_asks(hass)) == 0


async def test_home_assistant_stopping_ends_the_wait(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    task = ask(hass)
    await question_to(simulator, ALICE)
    await hass.async_stop()
    assert task.done()
    assert isinstance(task.exception(), HomeAssistantError)
    assert "Home Assistant is stopping" in str(task.exception())


# ---------------------------------------------------------------------- facebook.send_message


async def test_send_message_returns_the_messages_it_sent(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "entity_id": ["notify.alice", "notify.bob"],
            "message": "Door",
            "data": {"image": "https://example.com/door.jpg"},
        },
        blocking=True,
        return_response=True,
    )
    sent = {(s.recipient_id, s.message_id) for s in simulator.sent}
    assert response == {
        entity_id: {
            "messages": [
                {"entity_id": entity_id, "psid": psid, "message_id": m.message_id}
                for m in simulator.messages_to(psid)
            ]
        }
        for entity_id, psid in (("notify.alice", ALICE), ("notify.bob", BOB))
    }
    assert len(sent) == 4  # a text and a picture each
    quiet = await hass.services.async_call(
        DOMAIN, "send_message", {"entity_id": "notify.alice", "message": "x"}, blocking=True
    )
    assert quiet is None  # no response asked for: none given


async def test_everyone_returns_each_persons_messages(
    hass: HomeAssistant, simulator: Simulator, webhook: TestClient
) -> None:
    await post(webhook, simulator, simulator.message_event(CAROL, "hello"))  # a stranger wrote
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.home_everyone", "message": "Power is back"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    messages = response["notify.home_everyone"]["messages"]  # type: ignore[index]
    assert sorted((m["psid"], m["entity_id"]) for m in messages) == sorted(  # type: ignore[index]
        [(ALICE, "notify.alice"), (BOB, "notify.bob"), (CAROL, None)]
    )


# ----------------------------------------------------------------------------- the pieces


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Close it", "close it"),
        ("  ÇA VA?! ", "ca va"),
        ("Straße", "strasse"),
        ("don't", "dont"),
        ("a \t b", "a b"),
        ("👍", "👍"),
        ("?!", ""),
        ("ｙｅｓ", "yes"),  # full width
    ],
)
def test_normalize_answer(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


async def test_an_answer_in_the_turn_the_time_runs_out_counts(hass: HomeAssistant) -> None:
    asks = Asks()
    answer = Answer("yes", "Yes", "P", frozenset({"yes"}))
    open_ask = asks.async_open({ALICE: "notify.alice"}, (answer,), allow_text=False)
    reply = Reply(ALICE, "Yes", answer)
    asyncio.get_running_loop().call_soon(open_ask.future.set_result, reply)
    assert await asks.async_wait(open_ask, 0) == reply  # answered as the timeout fired
    assert len(asks) == 0


async def test_a_stopped_page_opens_no_ask(hass: HomeAssistant) -> None:
    asks = Asks()
    asks.async_stop("Home")
    with pytest.raises(HomeAssistantError):
        asks.async_open({ALICE: "notify.alice"}, (), allow_text=True)


def test_an_ask_takes_no_catch_up_and_no_attachment() -> None:
    asks = Asks()
    loop = asyncio.new_event_loop()
    try:
        asks._open.append(  # the matching alone, with no loop running
            OpenAsk({ALICE: "notify.alice"}, (), True, loop.create_future(), listening=True)
        )
        old = MessagingEvent("message", "p", ALICE, 0, text="yes", catch_up=True)
        photo = MessagingEvent("message", "p", ALICE, 0)
        assert not asks.async_answer(old)
        assert not asks.async_answer(photo)
        assert asks.async_answer(MessagingEvent("message", "p", ALICE, 0, text="yes"))
    finally:
        loop.close()
