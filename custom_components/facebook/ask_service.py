"""`facebook.ask`: a question with its answers as quick replies; the first answer is the response.

The call resolves its people (person notify entities of one page), refuses a known closed window
before anything goes out, sends the question through the page like any notification (turns,
retries, outbox, errors), and waits (`asks.Asks`). The response says what was answered, by whom,
or that the time ran out (`timed_out`: a result, not an error). The others asked are told, in
their language's words, who answered, quoting the question they got, so nobody taps a stale one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import homeassistant.helpers.config_validation as cv
from homeassistant.helpers.translation import async_get_translations
import voluptuous as vol

from .asks import Answer, OpenAsk, Reply, make_answers
from .const import CONF_PSID, DOMAIN, LOGGER
from .messenger import (
    KEY_QUICK_REPLIES,
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    DeliveryOutcome,
    GraphWindowError,
)
from .runtime import FacebookConfigEntry, FacebookRuntime
from .sending import SendFailed, async_send, async_send_quoting, validate_call

SERVICE_ASK = "ask"
LABEL = f"{DOMAIN}.{SERVICE_ASK}"
ATTR_QUESTION = "question"
ATTR_ANSWERS = "answers"
ATTR_ALLOW_TEXT = "allow_text"
ATTR_TIMEOUT = "timeout"
ATTR_DATA = "data"
DEFAULT_TIMEOUT = 300
MAX_TIMEOUT = 86400  # a day
ANSWERED_BY = "ask_answered_by"  # what the others asked are told (translated)
ANSWER_ID_MAX = 100  # it travels in the quick reply's payload (at most 1000 characters)


def _unique_ids(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    for answer in answers:
        if answer["id"] in seen:
            raise vol.Invalid(f"answer ids must differ: {answer['id']!r} is there twice")
        seen.add(answer["id"])
    return answers


def _seconds(period: timedelta) -> float:
    """A timeout (seconds, or any time period Home Assistant reads: "00:05:00", {minutes: 5})."""
    seconds = period.total_seconds()
    if not 1 <= seconds <= MAX_TIMEOUT:
        raise vol.Invalid(f"timeout: 1 to {MAX_TIMEOUT} seconds (a day), not {seconds:g}")
    return seconds


def _own_quick_replies(data: dict[str, Any]) -> dict[str, Any]:
    if KEY_QUICK_REPLIES in data:
        raise vol.Invalid("data.quick_replies: facebook.ask makes the quick replies from answers")
    return data


ANSWER_SCHEMA = vol.Schema(
    {
        vol.Required("id"): vol.All(
            cv.string,
            vol.Length(
                min=1, max=ANSWER_ID_MAX, msg=f"an answer id has 1 to {ANSWER_ID_MAX} characters"
            ),
        ),
        vol.Required("title"): vol.All(
            cv.string,
            vol.Length(
                min=1,
                max=QUICK_REPLY_TITLE_MAX,
                msg=f"an answer's title is a quick reply: 1 to {QUICK_REPLY_TITLE_MAX} characters",
            ),
        ),
        vol.Optional("sentences", default=list): vol.All(cv.ensure_list, [cv.string]),
    }
)
ASK_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_ENTITY_ID): vol.All(
            cv.entity_ids, vol.Length(min=1, msg="entity_id: nobody to ask")
        ),
        vol.Required(ATTR_QUESTION): vol.All(
            cv.string, vol.Length(min=1, msg="the question is empty")
        ),
        vol.Required(ATTR_ANSWERS): vol.All(
            cv.ensure_list,
            vol.Length(
                min=1,
                max=QUICK_REPLIES_MAX,
                msg=f"answers: 1 to {QUICK_REPLIES_MAX} (Messenger shows at most "
                f"{QUICK_REPLIES_MAX} quick replies)",
            ),
            [ANSWER_SCHEMA],
            _unique_ids,
        ),
        vol.Optional(ATTR_ALLOW_TEXT, default=False): cv.boolean,
        vol.Optional(ATTR_TIMEOUT, default=DEFAULT_TIMEOUT): vol.All(cv.time_period, _seconds),
        vol.Optional(ATTR_DATA): vol.All(dict, _own_quick_replies),
    }
)


@callback
def async_register(hass: HomeAssistant) -> None:
    """Register `facebook.ask` (response only: the answer is what it is for)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_ASK,
        async_ask,
        schema=ASK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


async def async_ask(call: ServiceCall) -> ServiceResponse:
    """Ask, wait for the first answer (or the timeout), and say what it was."""
    hass = call.hass
    entry, people = _people_asked(hass, call.data[ATTR_ENTITY_ID])
    runtime = entry.runtime_data
    answers = make_answers(call.data[ATTR_ANSWERS])
    question: str = call.data[ATTR_QUESTION]
    data = {
        **call.data.get(ATTR_DATA, {}),
        KEY_QUICK_REPLIES: [{"title": a.title, "payload": a.payload} for a in answers],
    }
    options = validate_call(runtime, question, title=None, data=data, label=LABEL).options
    _refuse_closed_windows(runtime, people, options.tag)
    ask = runtime.asks.async_open(people, answers, allow_text=call.data[ATTR_ALLOW_TEXT])
    try:
        outcomes = await _async_send_question(runtime, ask, question, data)
        ask.question_mids = {str(o.target.psid): _first_mid(o) for o in outcomes}
        ask.listening = True
        reply = await runtime.asks.async_wait(ask, call.data[ATTR_TIMEOUT])
    finally:
        runtime.asks.async_close(ask)
    if reply is None:
        first = next(iter(ask.people))
        return _response(reply, None, ask.question_mids.get(first))
    LOGGER.debug("%s: %s answered %r", LABEL, reply.psid, reply.text)
    others = [p for p in ask.people if p != reply.psid]
    if others:
        entry.async_create_background_task(
            hass, _async_tell_the_others(runtime, ask, reply, others), f"{LABEL} answered"
        )
    return _response(reply, ask.people[reply.psid], ask.question_mids.get(reply.psid))


def _people_asked(
    hass: HomeAssistant, entity_ids: list[str]
) -> tuple[FacebookConfigEntry, dict[str, str]]:
    """The page and its people (PSID -> notify entity) the call names; or why not."""
    registry = er.async_get(hass)
    entry: FacebookConfigEntry | None = None
    people: dict[str, str] = {}
    for entity_id in entity_ids:
        found = _person(hass, registry, entity_id)
        if found is None:
            raise _invalid("ask_not_a_person", entity_id=entity_id)
        owner, psid = found
        if entry is not None and owner.entry_id != entry.entry_id:
            raise _invalid("ask_one_page", entity_ids=", ".join(entity_ids))
        entry, people[psid] = owner, entity_id
    assert entry is not None  # the schema wants one entity at least
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid("page_not_loaded", reason=entry.reason or entry.state.value)
    return entry, people


def _person(
    hass: HomeAssistant, registry: er.EntityRegistry, entity_id: str
) -> tuple[FacebookConfigEntry, str] | None:
    """The page and PSID of a person's notify entity (None: not one)."""
    found = registry.async_get(entity_id)
    if found is None or found.platform != DOMAIN or found.domain != "notify":
        return None
    owner = hass.config_entries.async_get_entry(found.config_entry_id or "")
    subentry = owner.subentries.get(found.config_subentry_id or "") if owner else None
    if owner is None or subentry is None:  # Everyone (the page's own entity) is no person
        return None
    return owner, str(subentry.data[CONF_PSID])


def _refuse_closed_windows(
    runtime: FacebookRuntime, people: dict[str, str], tag: str | None
) -> None:
    """Nothing goes out when someone asked is known to be past their window."""
    closed = [psid for psid in people if runtime.audience.is_closed(psid, tag)]
    if closed:
        names = ", ".join(f"{runtime.book.name_of(p) or p} ({people[p]})" for p in closed)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="window_closed",
            translation_placeholders={"service": LABEL, "people": names},
        )


async def _async_send_question(
    runtime: FacebookRuntime, ask: OpenAsk, question: str, data: dict[str, Any]
) -> list[DeliveryOutcome]:
    """Send the question to everyone asked; those Meta refused are asked no more. Raises only
    when nobody got it (or will: a question in the outbox still counts)."""
    targets = list(ask.people)
    try:
        return await async_send(
            runtime, question, title=None, targets=targets, data=data, label=LABEL
        )
    except SendFailed as err:
        reached = [o for o in err.outcomes if o.sent or o.leftover]
        if not reached:
            if all(isinstance(o.error, GraphWindowError) for o in err.outcomes):
                people = ", ".join(o.target.describe() for o in err.outcomes)
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="window_closed",
                    translation_placeholders={"service": LABEL, "people": people},
                ) from err
            raise
        LOGGER.warning("%s: asked only %s of them: %s", LABEL, len(reached), err)
        for outcome in err.outcomes:
            if outcome not in reached:
                ask.people.pop(str(outcome.target.psid), None)
        return reached


def _first_mid(outcome: DeliveryOutcome) -> str | None:
    """The question's message id (its first message; a picture with it comes after)."""
    return next((r.message_id for r in outcome.sent if r.message_id), None)


def _response(
    reply: Reply | None, entity_id: str | None, question_mid: str | None
) -> ServiceResponse:
    answer: Answer | None = reply.answer if reply else None
    return {
        "id": answer.id if answer else None,
        "title": answer.title if answer else None,
        "text": reply.text if reply else None,
        "entity_id": entity_id,
        "psid": reply.psid if reply else None,
        "question_mid": question_mid,
        "timed_out": reply is None,
    }


async def _async_tell_the_others(
    runtime: FacebookRuntime, ask: OpenAsk, reply: Reply, others: list[str]
) -> None:
    """ "Answered by Alice: Close it", quoting the question each of the others got."""
    hass = runtime.hass
    words = await async_get_translations(hass, hass.config.language, "exceptions", [DOMAIN])
    key = f"component.{DOMAIN}.exceptions.{ANSWERED_BY}.message"
    text = words.get(key, key).format(
        name=runtime.book.name_of(reply.psid) or reply.psid,
        answer=reply.answer.title if reply.answer else reply.text,
    )
    for psid in others:
        try:
            await async_send_quoting(runtime, psid, text, ask.question_mids.get(psid), label=LABEL)
        except HomeAssistantError as err:
            LOGGER.warning("%s: could not tell %s the question was answered: %s", LABEL, psid, err)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"service": LABEL, **placeholders},
    )
