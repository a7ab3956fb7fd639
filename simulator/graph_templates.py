"""``/{page-id}/message_templates``: create, list and delete utility templates, and their review
(``FIDELITY.md`` F-32).

A new template starts ``PENDING``; the simulated review decides after
``config.template_review_delay`` seconds (0: at once, so the create answer already says the
outcome) as ``config.template_review`` says, and rejects badly formatted ones whatever it says.
A delay uses a real asyncio timer so tests can wait a fraction of a second.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from . import templates
from .config import SimConfig
from .errors import fail
from .graph_request import Answer, Context, list_fields
from .paging import paginate
from .state import SimTemplate
from .validation import blank
from .world import World

NEEDED = "pages_utility_messaging"
FIELDS = (
    "id",
    "name",
    "language",
    "category",
    "components",
    "status",
    "rejected_reason",
    "specific_rejection_reasons",
    "parameter_format",
    "creation_time",
)
DEFAULT_FIELDS = ("name", "language", "category", "components", "id")  # FIDELITY F-32 (UNCONFIRMED)
REJECTED_BY_CHOICE = "TAG_SHOULD_BE_MARKETING"


def review(world: World, config: SimConfig, template: SimTemplate) -> None:
    """The automatic review's decision (formatting problems are always rejected)."""
    if template.status != "PENDING":
        return
    if template.problem is not None:
        reason = templates.INCORRECT_PARAMS
        template.specific_rejection_reasons = [template.problem]
        world.set_template_status(template, "REJECTED", reason)
    elif config.template_review == "approve":
        world.set_template_status(template, "APPROVED")
    elif config.template_review == "reject":
        world.set_template_status(template, "REJECTED", REJECTED_BY_CHOICE)


def _schedule_review(ctx: Context, template: SimTemplate) -> None:
    delay = ctx.config.template_review_delay
    if delay <= 0:
        review(ctx.world, ctx.config, template)
        return
    loop = asyncio.get_running_loop()
    loop.call_later(delay, review, ctx.world, ctx.config, template)


def create(ctx: Context) -> Answer:
    """POST: a new template (PENDING until reviewed)."""
    ctx.require(NEEDED, what="Creating message templates")
    draft = templates.check_creation(ctx.call.params)
    state, page = ctx.world.state, ctx.page
    if state.template(page.page_id, draft.name, draft.language) is not None:
        raise fail("template_exists", name=draft.name, language=draft.language)
    template = SimTemplate(
        template_id=str(secrets.randbelow(9 * 10**14) + 10**14),
        page_id=page.page_id,
        name=draft.name,
        language=draft.language,
        category="UTILITY",
        components=draft.components,
        parameter_format=draft.parameter_format,
        status="PENDING",
        created_at=ctx.world.now(),
        problem=draft.problem,
    )
    state.templates[template.template_id] = template
    _schedule_review(ctx, template)
    return {"id": template.template_id, "status": template.status, "category": "UTILITY"}, None


def template_json(template: SimTemplate, wanted: list[str]) -> dict[str, Any]:
    """A template as the Graph API shows it, with the fields asked for."""
    values = {
        "id": template.template_id,
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "components": template.components,
        "status": template.status,
        "rejected_reason": template.rejected_reason,
        "specific_rejection_reasons": template.specific_rejection_reasons,
        "parameter_format": template.parameter_format,
        "creation_time": int(template.created_at),
    }
    return {name: values[name] for name in wanted} | {"id": template.template_id}


def _matches(template: SimTemplate, params: dict[str, Any]) -> bool:
    for name in ("name", "language", "status", "category"):
        wanted = params.get(name)
        if not blank(wanted) and str(getattr(template, name)).lower() != str(wanted).lower():
            return False
    return True


def listing(ctx: Context) -> Answer:
    """GET: the page's templates, filtered by name, language, status and category."""
    ctx.require(NEEDED, what="Reading message templates")
    params = ctx.call.params
    wanted = list_fields(params, FIELDS, DEFAULT_FIELDS, "MessengerBusinessTemplate")
    page_id = ctx.page.page_id
    found = [
        t
        for t in ctx.world.state.templates.values()
        if t.page_id == page_id and _matches(t, params)
    ]
    result = paginate(
        found, lambda t: t.template_id, lambda t: template_json(t, wanted), params, ctx.call.url
    )
    return result, None


def delete(ctx: Context) -> Answer:
    """DELETE ?name= (every language) or ?template_id= (one)."""
    ctx.require(NEEDED, what="Deleting message templates")
    params, page_id = ctx.call.params, ctx.page.page_id
    name, template_id = params.get("name"), params.get("template_id") or params.get("hsm_id")
    if blank(name) and blank(template_id):
        raise fail("param_required", name="name")
    state = ctx.world.state
    doomed = [
        t.template_id
        for t in state.templates.values()
        if t.page_id == page_id
        and (blank(name) or t.name == str(name))
        and (blank(template_id) or t.template_id == str(template_id))
    ]
    if not doomed:
        raise fail("template_not_found", name=name or template_id, language="any language")
    for key in doomed:
        del state.templates[key]
    return {"success": True}, None
