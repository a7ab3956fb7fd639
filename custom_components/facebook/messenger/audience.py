"""The people a page can reach, and when each one's messaging window closes.

Every PSID that acts on the page (message, quick reply, postback, reaction) is remembered with
the time of that action. Meta lets a page message a person for 24 hours after it (7 days with a
tag, for the messages a tag allows). Knowledge may lag: an unknown person counts as reachable.
The memory is bounded (a sender without an app secret could invent people forever): past it, the
longest-silent are forgotten first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
from typing import Any, Final

from .bounded import BoundedMap
from .coerce import is_number
from .const import TAG_WINDOWS, WINDOW

_LOGGER = logging.getLogger(__name__)

MAX_PEOPLE: Final = 50_000


@dataclass(slots=True)
class _Person:
    last: float  # epoch seconds of the last action
    warned: float | None = None  # the `last` whose window-closing warning was already given


def window_for(tag: str | None) -> timedelta:
    """How long after a person's last action a message with this tag (or none) may go out."""
    return TAG_WINDOWS.get(tag, WINDOW) if tag else WINDOW


class Audience:
    """PSID -> last action, for one page, longest-silent first."""

    def __init__(self, max_people: int = MAX_PEOPLE) -> None:
        """Remember at most `max_people` people."""
        self._people: BoundedMap[str, _Person] = BoundedMap(max_people)
        self._full_warned = False

    def __len__(self) -> int:
        """How many people are known."""
        return len(self._people)

    @property
    def people(self) -> list[str]:
        """Everyone known, longest-silent first."""
        return list(self._people)

    def record(self, psid: str, stamp: float) -> bool:
        """Remember an action of `psid` at `stamp` (epoch s); True if it moved their window."""
        person = self._people.get(psid)
        if person is not None and person.last >= stamp:
            return False
        if person is None and len(self._people) >= self._people.maxlen and not self._full_warned:
            self._full_warned = True
            _LOGGER.warning(
                "The audience reached %d people; the longest-silent are forgotten first",
                self._people.maxlen,
            )
        self._people.put(psid, _Person(stamp, person.warned if person else None))
        return True

    def mark_warned(self, psid: str) -> None:
        """The closing warning for the current window of `psid` was given."""
        person = self._people.get(psid)
        if person is not None:
            person.warned = person.last

    def was_warned(self, psid: str) -> bool:
        """Whether the current window of `psid` already had its warning."""
        person = self._people.get(psid)
        return person is not None and person.warned == person.last

    def last_action(self, psid: str) -> datetime | None:
        """When `psid` last acted, if known."""
        person = self._people.get(psid)
        return None if person is None else datetime.fromtimestamp(person.last, UTC)

    def closes_at(self, psid: str, tag: str | None = None) -> datetime | None:
        """When the window of `psid` for such a message closes (or closed), if known."""
        last = self.last_action(psid)
        return None if last is None else last + window_for(tag)

    def is_closed(self, psid: str, now: datetime, tag: str | None = None) -> bool:
        """Known to be closed (an unknown window counts as open: our knowledge may lag)."""
        closes = self.closes_at(psid, tag)
        return closes is not None and closes <= now

    def to_json(self) -> dict[str, Any]:
        """The stored form, longest-silent first."""
        people: dict[str, dict[str, float]] = {}
        for psid, person in self._people.items():
            people[psid] = {"last": person.last}
            if person.warned is not None:
                people[psid]["warned"] = person.warned
        return {"people": people}

    def load(self, people: object) -> None:
        """Take a stored form's people (anything damaged is skipped)."""
        if not isinstance(people, dict):
            return
        found = []
        for psid, person in people.items():
            if isinstance(psid, str) and isinstance(person, dict) and is_number(person.get("last")):
                warned = person.get("warned")
                found.append((psid, _Person(float(person["last"]), _number_or_none(warned))))
        for psid, person in sorted(found, key=lambda item: item[1].last):
            self._people.put(psid, person)


def _number_or_none(value: object) -> float | None:
    return float(value) if is_number(value) else None
