"""Meta's one-hour rule: a page whose webhook deliveries keep failing loses its subscription.

Messenger Platform > Webhooks: if delivery to the webhook continues to fail for 1 hour, the app
is unsubscribed from the webhooks for the Page and must subscribe again (``FIDELITY.md`` F-01).
The simulator keeps, per page, since when deliveries have failed on its own clock; the first
look at the clock after the hour (moving it, posting, reading ``subscribed_apps``) drops the
page's subscription. A delivery that works starts the count again.
"""

from __future__ import annotations

from .state import SimPage, State

FAILURE_LIMIT_SECONDS = 3600.0
DROPPED = "not delivered: the app was unsubscribed from page {page_id} after 1 hour of failures"


def record(page: SimPage, ok: bool, now: float) -> None:
    """Note one delivery of the page's events: a success clears the failure clock."""
    if ok:
        page.failing_since = None
    elif page.failing_since is None:
        page.failing_since = now


def is_dropped(page: SimPage) -> bool:
    """Whether the one-hour rule (or a test) dropped the page's subscription."""
    return page.unsubscribed_at is not None


def drop(page: SimPage, now: float) -> None:
    """Unsubscribe the app from the page: no fields, so no deliveries, until it subscribes.

    The app's own webhook (``/{app-id}/subscriptions``) stays active: FIDELITY F-19
    (UNCONFIRMED).
    """
    page.subscribed_fields = []
    page.unsubscribed_at = now
    page.failing_since = None


def resubscribed(page: SimPage) -> None:
    """The app subscribed the page again: deliveries resume and the failure clock restarts."""
    page.unsubscribed_at = None
    page.failing_since = None


def sweep(state: State) -> list[str]:
    """Drop every page that has failed for an hour by now; the ids of the pages dropped."""
    now = state.now()
    dropped = []
    for page in state.pages.values():
        if page.failing_since is not None and now - page.failing_since >= FAILURE_LIMIT_SECONDS:
            drop(page, now)
            dropped.append(page.page_id)
    return dropped
