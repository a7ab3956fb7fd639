"""Keep the page's Messenger Profile as configured, spending as few of Meta's calls as it can.

At start (and after a change of the options) the wanted profile is compared with what was last
applied, by fingerprint, kept on disk: the same profile costs no call, a restart neither. A
change is one `POST`; properties dropped from the configuration one `DELETE`. Meta allows 10
calls per 10 minutes per page: a change that would go over waits for room (and says so), and the
record of calls is kept on disk too, so a restart cannot spend the budget twice. Meta's refusal
is a repair issue with its message.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback

from .background import BackgroundJob
from .const import ISSUE_PROFILE_REFUSED, LOGGER
from .events import PageRef
from .issues import async_clear_issue, async_raise_issue
from .messenger import (
    CallBudget,
    GraphClient,
    GraphError,
    GraphRateLimitError,
    JSONDict,
    delete_fields,
    fingerprint,
    set_profile,
)
from .store import async_load_field, page_store

PROFILE_DOCS = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "reference/messenger-profile-api"
)


class ProfileSync:
    """Applies one page's profile, once per change, within Meta's call budget."""

    def __init__(
        self, hass: HomeAssistant, client: GraphClient, page: PageRef, wanted: JSONDict, key: str
    ) -> None:
        """Make the page's profile `wanted` (its record kept as `facebook.profile.<key>`)."""
        self._hass = hass
        self._client = client
        self._page = page
        self._wanted = wanted
        self._store = page_store(hass, "profile", key, atomic=True)
        self._issue_id = f"{ISSUE_PROFILE_REFUSED}_{key}"
        self._job = BackgroundJob(hass, f"{page.label} messenger profile")

    @callback
    def async_start(self) -> None:
        """Apply the profile in the background (waiting for budget if need be)."""
        self._job.async_start(self.async_apply())

    @callback
    def async_stop(self) -> None:
        """Stop (a change still waiting is applied at the next start)."""
        self._job.async_stop()

    async def async_apply(self) -> None:
        """One POST for a change, one DELETE for what was dropped; nothing if nothing changed."""
        stored = await async_load_field(self._store, "applied")
        applied: dict[str, Any] = stored if isinstance(stored, dict) else {}
        budget = CallBudget(c for c in applied.get("calls", []) if isinstance(c, int | float))
        wanted_print = fingerprint(self._wanted)
        if applied.get("fingerprint") == wanted_print or (not applied and not self._wanted):
            return  # as applied already, or never used: not one call, not one write
        dropped = [f for f in applied.get("fields", []) if f not in self._wanted]
        calls = int(bool(self._wanted)) + int(bool(dropped))
        if wait := budget.wait(time.time(), calls):
            LOGGER.warning(
                "%s: the Messenger Profile changed, and waits %.0f s for Meta's budget of 10 "
                "profile calls per 10 minutes",
                self._page.label,
                wait,
            )
            await asyncio.sleep(wait)
        try:
            await self._async_send(budget, dropped)
        except GraphError as err:
            self._async_refused(err)
            return
        async_clear_issue(self._hass, self._issue_id)
        record = {"fingerprint": wanted_print, "fields": list(self._wanted), "calls": budget.calls}
        await self._store.async_save({"applied": record})
        LOGGER.info("%s: the Messenger Profile is up to date", self._page.label)

    async def _async_send(self, budget: CallBudget, dropped: list[str]) -> None:
        if self._wanted:
            budget.note(time.time())
            await set_profile(self._client, self._wanted)
        if dropped:
            budget.note(time.time())
            await delete_fields(self._client, dropped)

    @callback
    def _async_refused(self, err: GraphError) -> None:
        # The repair issue's text says what to do: wait for Meta's budget, or fix the items.
        key = "profile_budget" if isinstance(err, GraphRateLimitError) else ISSUE_PROFILE_REFUSED
        LOGGER.error("%s: Meta refused the Messenger Profile: %s", self._page.label, err)
        async_raise_issue(
            self._hass,
            self._issue_id,
            key,
            {"page": self._page.label, "error": str(err)},
            learn_more_url=PROFILE_DOCS,
        )
