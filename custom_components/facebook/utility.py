"""The page's utility template: found or made at start, its review followed, used after 24 h.

`utility_template` (off by default). Meta reviews Page-owned templates (automatically, in
seconds); only an APPROVED one may be sent after a person's window closed. Its status comes from
`GET /{page_id}/message_templates` at start and from the template-status webhook after; a
rejected or paused template is a repair issue with Meta's reason, gone once it is approved again.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback

from .background import BackgroundJob
from .const import (
    ISSUE_TEMPLATE_REFUSED,
    ISSUE_TEMPLATE_REVIEWS,
    ISSUE_TEMPLATE_UNAVAILABLE,
    LOGGER,
)
from .events import PageRef
from .issues import async_clear_issue, async_raise_issue
from .messenger import (
    APPROVED,
    PENDING_STATUSES,
    SUBSCRIBED_FIELDS,
    TEMPLATE_NAME,
    TEMPLATE_STATUS_FIELDS,
    GraphClient,
    GraphError,
    TemplateState,
    TemplateStatusChange,
    create_template,
    find_template,
    subscribe,
)

TEMPLATE_DOCS = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/utility-messages"
)


class UtilityTemplate:
    """The template of one page, as far as Meta has told us."""

    def __init__(
        self, hass: HomeAssistant, client: GraphClient, page: PageRef, language: str, key: str
    ) -> None:
        """The page's template in `language` (its repair issue named after `key`)."""
        self._hass = hass
        self._client = client
        self._page = page
        self.language = language
        self._issue_id = f"{ISSUE_TEMPLATE_REFUSED}_{key}"
        self._reviews_issue = f"{ISSUE_TEMPLATE_REVIEWS}_{key}"
        self._unavailable_issue = f"{ISSUE_TEMPLATE_UNAVAILABLE}_{key}"
        self.review_field: str | None = None  # the reviews' webhook field, once subscribed
        self.state: TemplateState | None = None
        self._job = BackgroundJob(hass, f"{page.label} utility template")

    @property
    def usable(self) -> bool:
        """Approved: a closed window can still be reached."""
        return self.state is not None and self.state.usable

    @callback
    def async_start(self) -> None:
        """Find or create the template in the background (the page works meanwhile)."""
        self._job.async_start(self.async_prepare())

    @callback
    def async_stop(self) -> None:
        """Stop preparing the template."""
        self._job.async_stop()

    async def async_prepare(self) -> None:
        """Follow the template's reviews, and find (or create) the page's own template: two
        steps, each failing on its own (a refused subscription never stops the template)."""
        page_id = self._page.id
        if page_id is None:
            return
        await self._async_follow_reviews(page_id)
        await self._async_find_or_create(page_id)

    async def _async_follow_reviews(self, page_id: str) -> None:
        """Subscribe the page to its template reviews. Meta's pages spell the field two ways:
        each is tried in turn; a refusal of both is a repair issue."""
        refusal: GraphError | None = None
        for field in TEMPLATE_STATUS_FIELDS:
            try:
                await subscribe(self._client, page_id, (*SUBSCRIBED_FIELDS, field))
            except GraphError as err:
                refusal = err
                continue
            self.review_field = field
            async_clear_issue(self._hass, self._reviews_issue)
            return
        LOGGER.warning(
            "%s: Meta refused to send the utility template's reviews (%s): its status is read "
            "at each start only",
            self._page.label,
            refusal,
        )
        async_raise_issue(
            self._hass,
            self._reviews_issue,
            ISSUE_TEMPLATE_REVIEWS,
            {"page": self._page.label, "error": str(refusal)},
            learn_more_url=TEMPLATE_DOCS,
        )

    async def _async_find_or_create(self, page_id: str) -> None:
        """The page's own template: found by name, or created (then reviewed by Meta)."""
        try:
            state = await find_template(self._client, page_id, self.language)
            if state is None:
                state = await self._async_create(page_id)
        except GraphError as err:
            LOGGER.warning(
                "%s: could not find or create the utility template (%s); notifications after "
                "the 24-hour window fail until it exists",
                self._page.label,
                err,
            )
            async_raise_issue(
                self._hass,
                self._unavailable_issue,
                ISSUE_TEMPLATE_UNAVAILABLE,
                {"page": self._page.label, "error": str(err)},
                learn_more_url=TEMPLATE_DOCS,
            )
            return
        async_clear_issue(self._hass, self._unavailable_issue)
        self._async_set(state)

    async def _async_create(self, page_id: str) -> TemplateState:
        state = await create_template(self._client, page_id, self.language)
        if not state.usable and state.status not in PENDING_STATUSES:
            # The create answer says the status only: the reason comes with a read.
            state = await find_template(self._client, page_id, self.language) or state
        LOGGER.info(
            "%s: created the utility template %s (%s): %s",
            self._page.label,
            TEMPLATE_NAME,
            self.language,
            state.status,
        )
        return state

    @callback
    def async_on_status(self, change: TemplateStatusChange) -> None:
        """Meta's template-status webhook: the review changed."""
        if change.name != TEMPLATE_NAME or (change.language and change.language != self.language):
            return
        state = TemplateState(change.name, change.language or self.language, change.status)
        state.reason = change.reason
        self._async_set(state)

    @callback
    def _async_set(self, state: TemplateState) -> None:
        self.state = state
        if state.status == APPROVED or state.status in PENDING_STATUSES:
            async_clear_issue(self._hass, self._issue_id)
            return
        LOGGER.error(
            "%s: Meta set the utility template %s to %s (%s)",
            self._page.label,
            state.name,
            state.status,
            state.reason,
        )
        placeholders = {"page": self._page.label, "template": state.name, "status": state.status}
        key = ISSUE_TEMPLATE_REFUSED
        if state.reason:
            placeholders["reason"] = state.reason
        else:
            key = f"{ISSUE_TEMPLATE_REFUSED}_unexplained"  # Meta gave no reason
        async_raise_issue(
            self._hass, self._issue_id, key, placeholders, learn_more_url=TEMPLATE_DOCS
        )
