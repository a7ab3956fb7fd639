"""Warn before a person's 24-hour window closes, so an automation can ask them to reopen it.

One timer per allowed person (never per stranger), set from the remembered last action at
startup and after an action; a timer that finds the window moved on sets itself again.
`facebook_window_closing` fires once per window.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HassJob, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import EVENT_WINDOW_CLOSING

if TYPE_CHECKING:
    from .page import MessengerPage


class WindowWatch:
    """The closing-window timers of one page."""

    def __init__(self, page: MessengerPage) -> None:
        """Watch the windows of `page`'s allowed people."""
        self._page = page
        self._timers: dict[str, CALLBACK_TYPE] = {}

    @callback
    def async_start(self) -> None:
        """Set a timer for every allowed person with a known, still open window."""
        for psid in self._page.allowed:
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
        page = self._page
        if psid not in page.allowed or psid in self._timers:
            return
        closes_at = page.audience.window_closes_at(psid)
        if closes_at is None or page.audience.was_warned(psid):
            return
        now = dt_util.utcnow()
        if closes_at <= now:
            return
        warn_at = closes_at - page.window_warning
        if warn_at <= now:
            self._fire(psid, closes_at)
            return
        self._timers[psid] = async_track_point_in_utc_time(
            page.hass, HassJob(partial(self._on_timer, psid), cancel_on_shutdown=True), warn_at
        )

    @callback
    def _on_timer(self, psid: str, _now: datetime) -> None:
        self._timers.pop(psid, None)
        self.async_schedule(psid)  # fires now, or re-arms if the window moved since

    @callback
    def _fire(self, psid: str, closes_at: datetime) -> None:
        page = self._page
        page.audience.mark_warned(psid)
        page.hass.bus.async_fire(
            EVENT_WINDOW_CLOSING,
            {
                "page_id": page.page_id,
                "sender_id": psid,
                "sender_name": page.display_name(psid),
                "closes_at": closes_at.isoformat(),
            },
        )
