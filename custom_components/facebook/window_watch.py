"""The audience of a page kept on disk, and the warning before an allowed person's window closes.

One timer per allowed person (never per stranger), set from the remembered last action at start
and after an action; a timer that finds the window moved on sets itself again.
`facebook_window_closing` fires once per window, across restarts too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .events import PageRef, async_fire_window_closing
from .messenger import AddressBook, Audience
from .store import async_load_field, page_store

# The audience is saved at most this many seconds after it changed (a burst: one write). A kill
# loses at most these seconds of window knowledge, which only ever lags: an unknown window
# counts as open.
AUDIENCE_SAVE_DELAY = 10.0


class StoredAudience:
    """A page's audience, saved with Home Assistant's storage helper: the one owner of who can
    be reached and when each person's window closes."""

    def __init__(self, hass: HomeAssistant, key: str) -> None:
        """The audience of a page, kept on disk as `facebook.audience.<key>`."""
        self._audience = Audience()
        self._store = page_store(hass, "audience", key)
        self._save_pending = False

    def __len__(self) -> int:
        """How many people are known."""
        return len(self._audience)

    @property
    def people(self) -> list[str]:
        """Everyone who acted on the page, longest-silent first."""
        return self._audience.people

    def closes_at(self, psid: str) -> datetime | None:
        """When the 24-hour window of `psid` closes (or closed), if known."""
        return self._audience.closes_at(psid)

    def is_closed(self, psid: str | None, tag: str | None = None) -> bool:
        """Whether the window of `psid` for such a message is known to be closed now (a
        phone number or an unknown person counts as open: our knowledge may lag)."""
        return psid is not None and self._audience.is_closed(psid, dt_util.utcnow(), tag)

    def was_warned(self, psid: str) -> bool:
        """Whether the current window of `psid` already had its closing warning."""
        return self._audience.was_warned(psid)

    async def async_load(self) -> None:
        """Read what was saved (a missing or damaged file means nobody is known yet)."""
        self._audience.load(await async_load_field(self._store, "people"))

    def record(self, psid: str, stamp: float) -> bool:
        """A person acted at `stamp` (epoch s); True if it moved their window."""
        if not self._audience.record(psid, stamp):
            return False
        self._schedule_save()
        return True

    def mark_warned(self, psid: str, *, now: bool = False) -> None:
        """The closing warning of the current window of `psid` was given; with `now`, it is
        written at once (a message goes out with it: a restart must not send it again)."""
        self._audience.mark_warned(psid)
        if now:
            self._save_pending = False
            self._store.async_delay_save(self._data, 0)
        else:
            self._schedule_save()

    def _schedule_save(self) -> None:
        """One delayed write for a burst of changes (re-arming a timer per message is costly)."""
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._data, AUDIENCE_SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._save_pending = False
        return self._audience.to_json()


class WindowWatch:
    """The closing-window timers of one page's allowed people."""

    def __init__(
        self,
        hass: HomeAssistant,
        stored: StoredAudience,
        book: AddressBook,
        warning: timedelta,
        page: PageRef,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        """Warn `warning` before the windows of `book`'s people close (and tell `on_warning`:
        the keep-alive message goes out then)."""
        self._hass = hass
        self._stored = stored
        self._book = book
        self._warning = warning
        self._page = page
        self._on_warning = on_warning
        self._timers: dict[str, CALLBACK_TYPE] = {}

    @callback
    def async_start(self) -> None:
        """Set a timer for every allowed person with a known, still open window."""
        for psid in self._book:
            self.async_schedule(psid)

    @callback
    def async_stop(self) -> None:
        """Cancel every timer."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    @callback
    def async_schedule(self, psid: str) -> None:
        """Make sure the warning of one allowed person fires on time for their latest window.

        Cheap on the webhook's hot path: a person who writes again keeps their timer; when it
        fires it looks again and, if the window moved on, sets itself for the new time.
        """
        stored = self._stored
        if psid not in self._book or psid in self._timers or stored.was_warned(psid):
            return
        closes_at = stored.closes_at(psid)
        now = dt_util.utcnow()
        if closes_at is None or closes_at <= now:
            return
        warn_at = closes_at - self._warning
        if warn_at <= now:
            self._fire(psid, closes_at)
            return
        job = HassJob(partial(self._on_timer, psid), cancel_on_shutdown=True)
        self._timers[psid] = async_track_point_in_utc_time(self._hass, job, warn_at)

    @callback
    def _on_timer(self, psid: str, _now: datetime) -> None:
        self._timers.pop(psid, None)
        self.async_schedule(psid)  # fires now, or re-arms if the window moved since

    @callback
    def _fire(self, psid: str, closes_at: datetime) -> None:
        self._stored.mark_warned(psid, now=self._on_warning is not None)
        name = self._book.name_of(psid)
        async_fire_window_closing(self._hass, self._page.id, psid, name, closes_at)
        if self._on_warning is not None:
            self._on_warning(psid)
