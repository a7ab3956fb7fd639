"""Talk to your home from Messenger: an allowed person's plain text goes to Assist.

`conversation_agent` (unset: off). A plain text message (not a quick reply, not a postback, not
"get my id", not attachments alone) goes to that agent in Home Assistant's language (a typing
indicator shows once it has thought for half a second); the answer's plain speech goes back as a
reply to the question (quoting it; `sending.async_answer` sends it unquoted if Meta refuses the
quote), with `messaging_type: RESPONSE`, split like any long text.
Each person keeps one conversation (follow-ups work) in the context of the Home Assistant user
their person is linked to (or none). The webhook never waits: each person's questions
are answered in the background, in order. An agent that fails or takes longer than
`Timing.agent_timeout` (30 s) gets the person a short answer saying so, and an error in the log.
An answer with no speech that is not an error (an automation's sentence trigger set it empty: it
answered the person itself) sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import intent

from .const import DOMAIN, LOGGER
from .events import PageRef
from .messenger import (
    MESSAGING_TYPE_RESPONSE,
    AddressBook,
    DeliveryOutcome,
    GraphClient,
    MessagingEvent,
    OutgoingMessage,
    SendOptions,
    deliver_one,
)

SORRY_FAILED = "Sorry, Home Assistant could not answer that (its assistant failed)."
SORRY_SLOW = "Sorry, Home Assistant took too long to answer that."
TYPING = OutgoingMessage(sender_action="typing_on")

# Sends an answer to a person: (psid, text, the mid of the question it quotes).
type Reply = Callable[[str, str, str | None], Awaitable[None]]


class Patience(Protocol):
    """How long the agent may think before the person sees typing, and before it gives up."""

    @property
    def typing_after(self) -> float:
        """Seconds before the typing indicator (0: at once)."""

    @property
    def agent_timeout(self) -> float:
        """Seconds before the person hears the agent could not answer."""


@dataclass(slots=True)
class _Person:
    """One person's questions waiting for answers, and the task answering them."""

    queue: asyncio.Queue[MessagingEvent] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


def asks_assist(event: MessagingEvent) -> bool:
    """A plain text message: what goes to the agent (quick replies and postbacks do not)."""
    return event.kind == "message" and bool(event.text and event.text.strip())


class Assist:
    """One page's bridge to a conversation agent."""

    def __init__(
        self,
        hass: HomeAssistant,
        agent_id: str,
        client: GraphClient,
        book: AddressBook,
        page: PageRef,
        users: Mapping[str, str],
        timing: Patience,
        *,
        reply: Reply,
    ) -> None:
        """Ask `agent_id` for `page` (its people ask as their `users`); answers go by `reply`."""
        self._hass = hass
        self._agent_id = agent_id
        self._client = client
        self._book = book
        self._page = page
        self._users = users
        self._timing = timing
        self._reply = reply
        self._people: dict[str, _Person] = {}

    @callback
    def async_ask(self, event: MessagingEvent) -> None:
        """Queue a person's question (answered in order, never holding the webhook)."""
        person = self._people.setdefault(event.sender_id, _Person())
        person.queue.put_nowait(event)
        if person.task is None or person.task.done():
            person.task = self._hass.async_create_background_task(
                self._async_answer_all(event.sender_id, person),
                f"{DOMAIN} assist for {event.sender_id}",
            )

    @callback
    def async_stop(self) -> None:
        """Stop answering (the page is going away)."""
        for person in self._people.values():
            if person.task is not None:
                person.task.cancel()

    async def _async_answer_all(self, psid: str, person: _Person) -> None:
        while not person.queue.empty():
            event = person.queue.get_nowait()
            try:
                await self._async_answer(psid, event)
            except Exception:
                LOGGER.exception("Could not answer %s through Assist", psid)

    async def _async_answer(self, psid: str, event: MessagingEvent) -> None:
        """Thinking, typing if it takes a while, answering (a reply quoting the question).

        The typing indicator goes out once the agent has thought for `typing_after` (a quicker
        answer comes alone, not held back by the indicator's round trip), and has reached Meta
        before the answer is sent, so it always comes first.
        """
        typing: list[asyncio.Task[DeliveryOutcome]] = []
        start_typing = partial(self._start_typing, psid, typing)
        delay = self._timing.typing_after
        timer = self._hass.loop.call_later(delay, start_typing) if delay > 0 else None
        if timer is None:
            start_typing()
        try:
            answer = await self._async_think(psid, str(event.text).strip())
        finally:
            if timer is not None:
                timer.cancel()
            for task in typing:
                await task
        if answer is not None:
            await self._reply(psid, answer, event.mid)

    @callback
    def _start_typing(self, psid: str, started: list[asyncio.Task[DeliveryOutcome]]) -> None:
        """Send the typing indicator to `psid`; its task joins `started`."""
        target = self._book.person(psid)
        options = SendOptions(MESSAGING_TYPE_RESPONSE)
        started.append(
            self._hass.async_create_task(
                deliver_one(self._client, target, [TYPING], options),
                f"{DOMAIN} typing for {psid}",
                eager_start=True,
            )
        )

    async def _async_think(self, psid: str, text: str) -> str | None:
        """The agent's plain speech, the short answer that says why there is none, or None when
        the agent answered with nothing to say (an automation's sentence trigger answering it)."""
        # Imported here, as media.py imports camera: conversation's packages (hassil, intents)
        # are installed only where it is set up, and a page without an agent loads without them.
        from homeassistant.components import conversation

        limit = self._timing.agent_timeout
        try:
            async with asyncio.timeout(limit):
                result = await conversation.async_converse(
                    hass=self._hass,
                    text=text,
                    conversation_id=f"{DOMAIN}_{self._page.id}_{psid}",
                    context=Context(user_id=self._users.get(psid)),
                    language=self._hass.config.language,
                    agent_id=self._agent_id,
                )
        except TimeoutError:
            LOGGER.error("The agent %s took over %.1f s to answer", self._agent_id, limit)
            return SORRY_SLOW
        except Exception:  # an agent's failure, whatever it is, must not end the conversation
            LOGGER.exception("The agent %s failed to answer", self._agent_id)
            return SORRY_FAILED
        speech = str(result.response.speech.get("plain", {}).get("speech", "")).strip()
        if speech or result.response.response_type == intent.IntentResponseType.ERROR:
            return speech or SORRY_FAILED
        return None  # the agent chose silence (a sentence trigger's empty response)
