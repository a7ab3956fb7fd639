"""Questions waiting for an answer (`facebook.ask`): which are open, what answers them, the wait.

Each page keeps its own open asks. The router offers every message and tap of an allowed person
to `Asks.async_answer` once `facebook_message` has fired; what answers an ask goes no further
(not to Assist). An ask is answered, only by a person it asked:
- by a tap on one of its quick replies: each ask has payloads of its own, so two asks to the same
  person never take each other's taps, and a tap on an old question's chip answers nothing;
- by a typed message that reads as an answer's title or one of its `sentences` (compared by
  `normalize_answer`): the newest open ask to that person offering it takes it; failing that,
  the newest that takes any text (`allow_text`).
The first answer ends the wait for everyone asked. Unloading the page (or Home Assistant
stopping) ends every wait with an error; a wait leaves no task, listener or timer behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
import secrets
from typing import Any

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .messenger import MessagingEvent, normalize_answer

PAYLOAD_PREFIX = "FACEBOOK_ASK_"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer a question offers: its quick reply, and the phrases that type it."""

    id: str
    title: str
    payload: str
    phrases: frozenset[str]


def make_answers(answers: Iterable[Mapping[str, Any]]) -> tuple[Answer, ...]:
    """The answers of one ask (`id`, `title`, `sentences`), with payloads no other ask has."""
    key = secrets.token_hex(6)
    made = []
    for item in answers:
        answer_id, title = str(item["id"]), str(item["title"])
        sentences = [str(s) for s in item.get("sentences") or ()]
        phrases = frozenset(normalize_answer(text) for text in (title, *sentences)) - {""}
        made.append(Answer(answer_id, title, f"{PAYLOAD_PREFIX}{key}_{answer_id}", phrases))
    return tuple(made)


@dataclass(frozen=True, slots=True)
class Reply:
    """What answered an ask: who, what they tapped or typed, and which answer (None: any text,
    taken with `allow_text`)."""

    psid: str
    text: str
    answer: Answer | None


@dataclass(eq=False, slots=True)
class OpenAsk:
    """A question to some people of a page, waiting for the first answer."""

    people: dict[str, str]  # PSID -> the person's notify entity
    answers: tuple[Answer, ...]
    allow_text: bool
    future: asyncio.Future[Reply]
    question_mids: dict[str, str | None] = field(default_factory=dict)  # PSID -> question's mid
    listening: bool = False  # typed replies count once the question went out

    def typed(self, said: str) -> Answer | None:
        """The answer a normalized typed reply reads as, if any (the first one offered)."""
        return next((a for a in self.answers if said in a.phrases), None) if said else None


class Asks:
    """A page's open asks, oldest first."""

    def __init__(self) -> None:
        """No ask is open."""
        self._open: list[OpenAsk] = []
        self._taps: dict[str, tuple[OpenAsk, Answer]] = {}
        self._ended: str | None = None  # the page's label, once it stopped

    def __len__(self) -> int:
        """How many asks wait."""
        return len(self._open)

    @callback
    def async_open(
        self, people: dict[str, str], answers: tuple[Answer, ...], *, allow_text: bool
    ) -> OpenAsk:
        """Open an ask (its taps count at once, typed replies once it is `listening`)."""
        if self._ended is not None:
            raise ask_ended(self._ended)
        ask = OpenAsk(people, answers, allow_text, asyncio.get_running_loop().create_future())
        self._open.append(ask)
        for answer in answers:
            self._taps[answer.payload] = (ask, answer)
        return ask

    @callback
    def async_close(self, ask: OpenAsk) -> None:
        """The ask waits no more (a second close does nothing)."""
        if ask in self._open:
            self._open.remove(ask)
            for answer in ask.answers:
                self._taps.pop(answer.payload, None)
        if ask.future.done() and not ask.future.cancelled():
            ask.future.exception()  # retrieved: an ask that ended unheard logs nothing

    @callback
    def async_answer(self, event: MessagingEvent) -> bool:
        """Let a person's message or tap answer the ask it belongs to; True if it did."""
        if not self._open:
            return False
        found = self._find(event)
        if found is None:
            return False
        ask, reply = found
        self.async_close(ask)
        ask.future.set_result(reply)
        return True

    def _find(self, event: MessagingEvent) -> tuple[OpenAsk, Reply] | None:
        psid = event.sender_id
        if event.payload is not None:  # a tap answers only the ask whose chip it was
            ask, answer = self._taps.get(event.payload, (None, None))
            if ask is None or answer is None or psid not in ask.people or ask.future.done():
                return None
            return ask, Reply(psid, event.text or answer.title, answer)
        if event.kind != "message" or not event.text or event.catch_up:
            return None
        mine = [
            ask
            for ask in reversed(self._open)
            if ask.listening and psid in ask.people and not ask.future.done()
        ]
        said = normalize_answer(event.text)
        for ask in mine:
            if (answer := ask.typed(said)) is not None:
                return ask, Reply(psid, event.text, answer)
        for ask in mine:
            if ask.allow_text:
                return ask, Reply(psid, event.text, None)
        return None

    async def async_wait(self, ask: OpenAsk, seconds: float) -> Reply | None:
        """The first answer, or None when nobody answered within `seconds`."""
        future = ask.future
        try:
            async with asyncio.timeout(seconds):
                return await future
        except TimeoutError:
            # Answered in the very turn of the loop the time ran out: the answer counts.
            answered = future.done() and not future.cancelled() and future.exception() is None
            return future.result() if answered else None
        finally:
            self.async_close(ask)

    @callback
    def async_stop(self, label: str) -> None:
        """The page stops: every wait ends with an error, and no new ask opens."""
        self._ended = label
        for ask in list(self._open):
            self.async_close(ask)
            if not ask.future.done():
                ask.future.set_exception(ask_ended(label))


def ask_ended(label: str) -> HomeAssistantError:
    """Why a wait ended without an answer: its page was unloaded, or Home Assistant stops."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="ask_ended",
        translation_placeholders={"page": label},
    )
