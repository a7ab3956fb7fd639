"""Utility message templates: what creation accepts, what review rejects, how a send renders.

Rules from Meta's utility guide (components, parameter formats, buttons, the formatting rules
that get a template rejected, the send shape; ``FIDELITY.md`` F-32). Pure functions over
plain data, so the Graph routes and the tests share one reading of those rules.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Any

from .errors import fail
from .validation import blank, check_enum, objects, required_text

LOCALES = (
    "en_US", "en_GB", "en", "de_DE", "de", "fr_FR", "fr", "es_ES", "es", "es_LA", "it_IT", "it",
    "nl_NL", "nl", "pt_BR", "pt_PT", "pt", "pl_PL", "pl", "sv_SE", "sv", "da_DK", "da", "nb_NO",
    "fi_FI", "fi", "cs_CZ", "hu_HU", "ro_RO", "el_GR", "tr_TR", "ru_RU", "uk_UA", "ja_JP",
    "ko_KR", "zh_CN", "zh_TW", "vi_VN", "th_TH", "id_ID", "tl_PH", "ar_AR", "he_IL", "hi_IN",
)  # fmt: skip
NAME_RE = re.compile(r"[a-z0-9_]{1,512}")
PARAM_RE = re.compile(r"\{\{(.*?)\}\}")
SINGLE_BRACES_RE = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})")
NAMED_PARAM_RE = re.compile(r"[a-z][a-z0-9_]*")
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS")
HEADER_FORMATS = ("TEXT", "IMAGE")
BUTTON_TYPES = ("POSTBACK", "URL", "PHONE_NUMBER")
PARAMETER_FORMATS = ("POSITIONAL", "NAMED")
BODY_LIMIT = 1024  # as WhatsApp (FIDELITY F-32, UNCONFIRMED)
HEADER_LIMIT = 60
MAX_BUTTONS = 3  # 3P caps (FIDELITY F-32, UNCONFIRMED)
PARAMETER_LIMIT = 1024  # a send's text parameter (FIDELITY F-32, UNCONFIRMED)
INCORRECT_PARAMS = "INCORRECT_PARAMS"
MISSING_SAMPLES = "TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES"


@dataclass(slots=True)
class Draft:
    """A template that passed creation, and the formatting problem review will reject, if any."""

    name: str
    language: str
    components: list[dict[str, Any]]
    parameter_format: str
    problem: str | None


def params_of(text: str) -> list[str]:
    """The parameters of a text, in order, stripped (``{{ 1 }}`` is ``1``)."""
    return [match.strip() for match in PARAM_RE.findall(text)]


def _check_dangling(component: str, text: str) -> None:
    stripped = text.strip()
    if stripped.startswith("{{") or stripped.endswith("}}"):
        raise fail("template_dangling", component=component)


def _format_problem(texts: list[str], parameter_format: str) -> str | None:
    """INCORRECT_PARAMS for single braces, odd names, mixed formats or gaps (FIDELITY F-32).

    These get a template *rejected* by review (the utility guide's rejection reasons), unlike
    dangling parameters, which stop its creation.
    """
    params = [param for text in texts for param in params_of(text)]
    if any(SINGLE_BRACES_RE.search(PARAM_RE.sub("", text)) for text in texts):
        return INCORRECT_PARAMS
    if any(ch in param for param in params for ch in "#$%"):
        return INCORRECT_PARAMS
    if parameter_format == "NAMED":
        return None if all(NAMED_PARAM_RE.fullmatch(p) for p in params) else INCORRECT_PARAMS
    if not all(p.isdigit() for p in params):
        return INCORRECT_PARAMS
    for text in texts:
        numbers = list(dict.fromkeys(int(p) for p in params_of(text)))
        if numbers != list(range(1, len(numbers) + 1)):
            return INCORRECT_PARAMS  # parameters must be sequential
    return None


def _examples_missing(component: dict[str, Any], kind: str, parameter_format: str) -> bool:
    """Whether a component with parameters lacks its example values."""
    params = list(dict.fromkeys(params_of(str(component.get("text") or ""))))
    if not params:
        return False
    example = component.get("example")
    example = example if isinstance(example, dict) else {}
    if parameter_format == "NAMED":
        given = example.get(f"{kind}_text_named_params") or []
        names = {str(item.get("param_name")) for item in given if isinstance(item, dict)}
        return not set(params) <= names
    rows = example.get(f"{kind}_text") or []
    if kind == "header":
        return len(rows) < len(params)
    first = rows[0] if rows and isinstance(rows[0], list) else []
    return len(first) < len(params)


def _check_body(component: dict[str, Any]) -> str:
    text = required_text("components[BODY][text]", component.get("text"), BODY_LIMIT)
    _check_dangling("BODY", text)
    return text


def _check_header(component: dict[str, Any]) -> str | None:
    header_format = check_enum(
        "components[HEADER][format]", component.get("format") or "TEXT", HEADER_FORMATS
    )
    if header_format != "TEXT":
        return None
    text = required_text("components[HEADER][text]", component.get("text"), HEADER_LIMIT)
    if len(set(params_of(text))) > 1:
        raise fail("template_header_params")
    return text


def _check_buttons(component: dict[str, Any]) -> None:
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise fail("param_required", name="components[BUTTONS][buttons]")
    if len(buttons) > MAX_BUTTONS:
        raise fail("too_many", name="components[BUTTONS][buttons]")
    for where, button in objects("components[BUTTONS][buttons]", buttons):
        if str(button.get("type", "")).upper() == "QUICK_REPLY":
            raise fail("template_quick_reply")  # FIDELITY F-32 (UNCONFIRMED: a public report)
        kind = check_enum(f"{where}[type]", button.get("type"), BUTTON_TYPES)
        if blank(button.get("text")):
            raise fail("param_required", name=f"{where}[text]")
        needed = {"POSTBACK": "payload", "URL": "url", "PHONE_NUMBER": "phone_number"}[kind]
        if blank(button.get(needed)):
            raise fail("param_required", name=f"{where}[{needed}]")


def _components(value: Any) -> list[dict[str, Any]]:
    if blank(value):
        raise fail("param_required", name="components")
    if not isinstance(value, list):
        raise fail("not_array", name="components")
    for where, component in objects("components", value):
        component["type"] = check_enum(f"{where}[type]", component.get("type"), COMPONENT_TYPES)
    if [c["type"] for c in value].count("BODY") != 1:
        raise fail("template_body_count")
    return value


def _header_body(components: list[dict[str, Any]]) -> tuple[str | None, str]:
    header, body = None, ""
    for component in components:
        if component["type"] == "BODY":
            body = _check_body(component)
        elif component["type"] == "HEADER":
            header = _check_header(component)
        elif component["type"] == "BUTTONS":
            _check_buttons(component)
    return header, body


def check_creation(params: dict[str, Any]) -> Draft:
    """Validate ``POST /{page-id}/message_templates``; the first error Meta would answer."""
    for name in ("name", "language", "category", "components"):
        if blank(params.get(name)):
            raise fail("param_required", name=name)
    name = str(params["name"])
    if not NAME_RE.fullmatch(name):
        raise fail("template_bad_name")
    language = str(params["language"])
    if language not in LOCALES:
        raise fail("bad_enum", name="language", values=", ".join(LOCALES), value=language)
    check_enum("category", params["category"], ("UTILITY",))
    parameter_format = check_enum(
        "parameter_format", params.get("parameter_format") or "POSITIONAL", PARAMETER_FORMATS
    )
    components = _components(params["components"])
    header, body = _header_body(components)
    texts = [text for text in (header, body) if text]
    problem = _format_problem(texts, parameter_format)
    if problem is None and any(
        _examples_missing(c, c["type"].lower(), parameter_format)
        for c in components
        if c["type"] in ("HEADER", "BODY") and c.get("format", "TEXT") == "TEXT"
    ):
        problem = MISSING_SAMPLES
    return Draft(name, language, components, parameter_format, problem)


# ----------------------------------------------------------------------------- sending


def _component(components: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    return next((c for c in components if str(c.get("type", "")).upper() == kind), None)


def _values(
    template_name: str, kind: str, text: str, given: list[Any], parameter_format: str
) -> dict[str, str]:
    """The send's parameters of one component, by parameter, checked against the template."""
    wanted = list(dict.fromkeys(params_of(text)))
    if len(given) != len(wanted):
        raise fail(
            "template_param_count",
            component=kind,
            name=template_name,
            expected=len(wanted),
            given=len(given),
        )
    values: dict[str, str] = {}
    for index, parameter in enumerate(given):
        where = f"message[template][components][{kind}][parameters][{index}]"
        if not isinstance(parameter, dict):
            raise fail("not_object", name=where)
        value = str(parameter.get("text") or "")
        if len(value) > PARAMETER_LIMIT:
            raise fail("too_long", name=f"{where}[text]", limit=PARAMETER_LIMIT)
        key = (
            str(index + 1) if parameter_format != "NAMED" else str(parameter.get("parameter_name"))
        )
        if key not in wanted:
            raise fail("param_required", name=f"{where}[parameter_name]")
        values[key] = value
    return values


def _substitute(text: str, values: dict[str, str]) -> str:
    return PARAM_RE.sub(lambda match: values.get(match.group(1).strip(), match.group(0)), text)


def _sent_parameters(send: dict[str, Any], kind: str) -> list[Any]:
    for component in send.get("components") or []:
        if isinstance(component, dict) and str(component.get("type", "")).lower() == kind:
            parameters = component.get("parameters") or []
            return parameters if isinstance(parameters, list) else []
    return []


def render(
    name: str, components: list[dict[str, Any]], parameter_format: str, send: dict[str, Any]
) -> dict[str, Any]:
    """What the person sees: header, body and buttons with the send's parameters filled in."""
    out: dict[str, Any] = {"header": None, "body": "", "buttons": []}
    for kind in ("header", "body"):
        component = _component(components, kind.upper())
        if component is None or blank(component.get("text")):
            continue
        text = str(component["text"])
        values = _values(name, kind.upper(), text, _sent_parameters(send, kind), parameter_format)
        out[kind] = _substitute(text, values)
    buttons = _component(components, "BUTTONS")
    if buttons is not None:
        out["buttons"] = [dict(b) for b in buttons.get("buttons") or [] if isinstance(b, dict)]
    return out
