"""Meta's utility messages: the integration's own template, and messages sent with it.

After a person's 24-hour window closes, a page may still send them a utility message: a
Page-owned template that Meta reviewed, with the notification's text as its one parameter. The
template's fixed words neither start nor end the body (a "dangling" parameter is refused), and
its example value is what review reads. Meta's utility guide ("the guide" below):
https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/utility-messages
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .client import GraphClient
from .coerce import as_id, as_text
from .errors import GraphError, GraphInvalidRequestError
from .models import JSONDict

TEMPLATE_NAME: Final = "home_assistant_notification"
MESSAGING_TYPE_UTILITY: Final = "UTILITY"
PARAMETER_MAX: Final = 1024  # the longest text parameter (the guide gives none: UNCONFIRMED)
FALLBACK_LANGUAGE: Final = "en_US"
EXAMPLE: Final = "The washing machine has finished"
# The body in the languages a household is likely to run Home Assistant in (Meta reviews the
# words; a template's language must be the language of its text).
BODIES: Final = {
    "en_US": "Home Assistant says: {{1}}. Reply to keep getting messages.",
    "en_GB": "Home Assistant says: {{1}}. Reply to keep getting messages.",
    "de_DE": "Home Assistant meldet: {{1}}. Antworte, um weiter Nachrichten zu erhalten.",
    "fr_FR": "Home Assistant signale : {{1}}. Répondez pour continuer à recevoir les messages.",
    "es_ES": "Home Assistant informa: {{1}}. Responde para seguir recibiendo mensajes.",
    "nl_NL": "Home Assistant meldt: {{1}}. Antwoord om berichten te blijven ontvangen.",
    "it_IT": "Home Assistant segnala: {{1}}. Rispondi per continuare a ricevere messaggi.",
    "pt_BR": "O Home Assistant avisa: {{1}}. Responda para continuar recebendo mensagens.",
    "pt_PT": "O Home Assistant avisa: {{1}}. Responda para continuar a receber mensagens.",
    "sv_SE": "Home Assistant meddelar: {{1}}. Svara för att fortsätta få meddelanden.",
    "da_DK": "Home Assistant melder: {{1}}. Svar for at blive ved med at få beskeder.",
    "pl_PL": "Home Assistant informuje: {{1}}. Odpowiedz, aby nadal otrzymywać wiadomości.",
}
_BY_LANGUAGE: Final = {code.split("_")[0]: code for code in reversed(list(BODIES))}
# Statuses in which Meta accepts sends with the template, and those that need the user.
APPROVED: Final = "APPROVED"
PENDING_STATUSES: Final = frozenset({"PENDING", "IN_APPEAL"})


@dataclass(slots=True)
class TemplateState:
    """The template as Meta last said it is."""

    name: str
    language: str
    status: str
    id: str | None = None
    reason: str | None = None

    @property
    def usable(self) -> bool:
        """Sends with it are accepted."""
        return self.status == APPROVED


def meta_language(ha_language: str) -> str:
    """Meta's locale for Home Assistant's language (`de` → `de_DE`, `pt-BR` → `pt_BR`)."""
    code = ha_language.replace("-", "_")
    if code in BODIES:
        return code
    return _BY_LANGUAGE.get(code.split("_")[0].lower(), FALLBACK_LANGUAGE)


def fit_parameter(text: str) -> tuple[str, bool]:
    """The text as the template's parameter: whole, or its first part (and True) if too long."""
    if len(text) <= PARAMETER_MAX:
        return text, False
    cut = text.rfind(" ", 0, PARAMETER_MAX - 1)
    return text[: cut if cut > PARAMETER_MAX // 2 else PARAMETER_MAX - 1] + "…", True


def utility_message(state: TemplateState, text: str) -> JSONDict:
    """The Send API `message` of a utility message with `text` as its parameter (the guide)."""
    return {
        "template": {
            "name": state.name,
            "language": {"code": state.language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}],
        }
    }


def _state(item: JSONDict) -> TemplateState | None:
    name, language = as_text(item.get("name"), 512), as_text(item.get("language"), 16)
    if not name or not language:
        return None
    return TemplateState(
        name=name,
        language=language,
        status=str(as_text(item.get("status"), 32) or "PENDING").upper(),
        id=as_id(item.get("id")),
        reason=as_text(item.get("rejected_reason"), 200),
    )


async def find_template(
    client: GraphClient, page_id: str, language: str, name: str = TEMPLATE_NAME
) -> TemplateState | None:
    """The page's template of that name and language, with its review status (the guide)."""
    answer = await client.get(
        f"/{page_id}/message_templates",
        {"name": name, "fields": "id,name,language,status,rejected_reason"},
    )
    items = answer.get("data")
    for item in items if isinstance(items, list) else []:
        state = _state(item) if isinstance(item, dict) else None
        if state is not None and state.name == name and state.language == language:
            return state
    return None


async def create_template(
    client: GraphClient, page_id: str, language: str, name: str = TEMPLATE_NAME
) -> TemplateState:
    """Create the template (category UTILITY, one text parameter and its example: the guide)."""
    body = {
        "name": name,
        "language": language,
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": BODIES.get(language, BODIES[FALLBACK_LANGUAGE]),
                "example": {"body_text": [[EXAMPLE]]},
            }
        ],
    }
    answer = await client.write("POST", f"/{page_id}/message_templates", body)
    status = str(as_text(answer.get("status"), 32) or "PENDING").upper()
    return TemplateState(name, language, status, id=as_id(answer.get("id")))


def refusal_kind(error: GraphError) -> str | None:
    """What kind of refusal of a utility message Meta's error is, if it is one.

    Meta lists no errors for utility messages: these are the wordings public code matches
    (UNCONFIRMED).
    """
    text = error.graph_message.lower()
    if "pages_utility_messaging" in text:
        return "utility_permission"
    if "template" in text and ("cannot be found" in text or "not approved" in text):
        return "utility_template_unusable"
    if "region" in text or "not available" in text or "country" in text:
        return "utility_region"
    if error.code in (613, 80006) or "frequency" in text or "limit" in text:
        return "utility_frequency"
    if isinstance(error, GraphInvalidRequestError) and "template" in text:
        return "utility_template_unusable"
    return None
