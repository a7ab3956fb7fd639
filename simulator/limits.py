"""Rate caps and Meta's usage headers.

Meta allows 300 Send API calls per second per page (10 for audio and video) and reports how much
of its budget an app has used in ``x-app-usage`` and ``x-business-use-case-usage``
(``FIDELITY.md`` F-26). Both are sliding windows kept in deques, so each
request costs O(1) amortised however many calls came before.
"""

from __future__ import annotations

from collections import defaultdict, deque
import json

RATE_WINDOW = 1.0
USAGE_WINDOW = 60.0


def _prune(times: deque[float], older_than: float) -> None:
    while times and times[0] <= older_than:
        times.popleft()


class RateLimiter:
    """Accepted Send API calls per page in the last second, all calls and media calls apart.

    A call at time t sees the calls in (t - 1 s, t]: the same windows ``peak_rate`` counts, so
    ``peak_rate()`` can never exceed the cap.
    """

    def __init__(self) -> None:
        self._calls: defaultdict[str, deque[float]] = defaultdict(deque)
        self._media: defaultdict[str, deque[float]] = defaultdict(deque)

    def admit(
        self, page_id: str, at: float, cap: int | None, *, media: bool, media_cap: int | None
    ) -> bool:
        """Count the call and return True, or return False (not counted) if over a cap."""
        calls = self._calls[page_id]
        _prune(calls, at - RATE_WINDOW)
        if cap is not None and len(calls) >= cap:
            return False
        if media:
            media_calls = self._media[page_id]
            _prune(media_calls, at - RATE_WINDOW)
            if media_cap is not None and len(media_calls) >= media_cap:
                return False
            media_calls.append(at)
        calls.append(at)
        return True

    def clear(self) -> None:
        """Forget past calls."""
        self._calls.clear()
        self._media.clear()


class UsageMeter:
    """Graph calls in the last minute, as a percentage of a per-minute budget."""

    def __init__(self) -> None:
        self._app: deque[float] = deque()
        self._pages: defaultdict[str, deque[float]] = defaultdict(deque)
        self.call_count: int | None = None
        self.estimated_time_to_regain_access: int | None = None

    def hit(self, page_id: str | None, at: float) -> None:
        """Count one Graph call (for its page too, when the page is known)."""
        self._app.append(at)
        _prune(self._app, at - USAGE_WINDOW)
        if page_id is not None:
            calls = self._pages[page_id]
            calls.append(at)
            _prune(calls, at - USAGE_WINDOW)

    @staticmethod
    def _percent(calls: int, budget: int) -> int:
        return calls * 100 // max(budget, 1)

    def headers(self, page_id: str | None, budget: int) -> dict[str, str]:
        """``x-app-usage`` always; ``x-business-use-case-usage`` when the page is known."""
        app_pct = self.call_count
        if app_pct is None:
            app_pct = self._percent(len(self._app), budget)
        headers = {
            "x-app-usage": json.dumps(
                {"call_count": app_pct, "total_cputime": app_pct // 4, "total_time": app_pct // 2},
                separators=(",", ":"),
            )
        }
        if page_id is not None:
            page_pct = self.call_count
            if page_pct is None:
                page_pct = self._percent(len(self._pages.get(page_id, ())), budget)
            usage = {
                "type": "messenger",
                "call_count": page_pct,
                "total_cputime": page_pct // 4,
                "total_time": page_pct // 2,
                "estimated_time_to_regain_access": self.estimated_time_to_regain_access or 0,
            }
            headers["x-business-use-case-usage"] = json.dumps(
                {page_id: [usage]}, separators=(",", ":")
            )
        return headers

    def clear(self) -> None:
        """Forget past calls and overrides."""
        self._app.clear()
        self._pages.clear()
        self.call_count = None
        self.estimated_time_to_regain_access = None


class WindowCounter:
    """Calls per key in a sliding window of the simulated clock (the Messenger Profile's
    10 calls per 10 minutes per page, FIDELITY F-27)."""

    def __init__(self) -> None:
        self._calls: defaultdict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str, at: float, cap: int, window: float) -> bool:
        """Count the call and return True, or return False (not counted) when at the cap."""
        calls = self._calls[key]
        _prune(calls, at - window)
        if len(calls) >= cap:
            return False
        calls.append(at)
        return True

    def clear(self) -> None:
        """Forget past calls."""
        self._calls.clear()
