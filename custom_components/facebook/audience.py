"""The people a page can reach, and when each one's 24-hour window closes.

Every PSID that acts on the page through the webhook (message, quick reply, postback,
reaction) is remembered with the time of that action, across restarts, with Home Assistant's
storage helper (saved with a delay, so a burst of messages costs one write).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import LOGGER, WINDOW
from .storage import async_load_field, page_store

SAVE_DELAY = 10.0
# Bound on remembered people (forged events without an app_secret must not grow it forever);
# past it, the longest-silent tenth is forgotten.
MAX_PEOPLE = 50_000


class _Person(TypedDict, total=False):
    last: float  # epoch seconds of the last action
    warned: float  # the `last` whose window-closing warning was already fired


class Audience:
    """PSID -> last action, for one page."""

    def __init__(self, hass: HomeAssistant, key: str) -> None:
        """Create the store for one page (`key`: the notify service name)."""
        self._store = page_store(hass, "audience", key)
        self.people: dict[str, _Person] = {}
        self._save_pending = False

    async def async_load(self) -> None:
        """Read what was saved (a missing or damaged file means nobody is known yet)."""
        people = await async_load_field(self._store, "people")
        if not isinstance(people, dict):
            return
        for psid, person in people.items():
            if not isinstance(psid, str) or not isinstance(person, dict):
                continue
            last = person.get("last")
            if isinstance(last, int | float) and not isinstance(last, bool):
                entry: _Person = {"last": float(last)}
                warned = person.get("warned")
                if isinstance(warned, int | float) and not isinstance(warned, bool):
                    entry["warned"] = float(warned)
                self.people[psid] = entry

    def record(self, psid: str, stamp: float) -> bool:
        """Remember an action of `psid` at `stamp` (epoch s); True if it moved their window."""
        person = self.people.get(psid)
        if person is not None and person.get("last", 0.0) >= stamp:
            return False
        if person is None:
            if len(self.people) >= MAX_PEOPLE:
                self._forget_oldest()
            self.people[psid] = {"last": stamp}
        else:
            person["last"] = stamp
        self._schedule_save()
        return True

    def _forget_oldest(self) -> None:
        by_age = sorted(self.people, key=lambda psid: self.people[psid].get("last", 0.0))
        for psid in by_age[: max(1, MAX_PEOPLE // 10)]:
            del self.people[psid]
        LOGGER.warning(
            "The audience reached %d people; the longest-silent were forgotten", MAX_PEOPLE
        )

    def mark_warned(self, psid: str) -> None:
        """The closing warning for the current window of `psid` was fired."""
        person = self.people.get(psid)
        if person is not None and "last" in person:
            person["warned"] = person["last"]
            self._schedule_save()

    def was_warned(self, psid: str) -> bool:
        """Whether the current window of `psid` already had its warning."""
        person = self.people.get(psid)
        return person is not None and person.get("warned") == person.get("last")

    def last_action(self, psid: str) -> datetime | None:
        """When `psid` last acted, if known."""
        person = self.people.get(psid)
        if person is None or "last" not in person:
            return None
        return dt_util.utc_from_timestamp(person["last"])

    def window_closes_at(self, psid: str, window: timedelta = WINDOW) -> datetime | None:
        """When the window of `psid` closes (or closed), if known."""
        last = self.last_action(psid)
        return None if last is None else last + window

    def window_closed(self, psid: str, now: datetime, window: timedelta = WINDOW) -> bool:
        """Known to be closed (an unknown window counts as open: our knowledge may lag)."""
        closes = self.window_closes_at(psid, window)
        return closes is not None and closes <= now

    async def async_flush(self) -> None:
        """Write now (shutdown and tests)."""
        await self._store.async_save(self._data())

    def _schedule_save(self) -> None:
        """One delayed write for a burst of changes (re-arming a timer per message is costly)."""
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        return {"people": {psid: dict(person) for psid, person in self.people.items()}}
