"""Plain-language hints for Meta's errors, so a failed notification says what to do."""

from __future__ import annotations

from datetime import datetime

from .graph import (
    GraphAuthError,
    GraphError,
    GraphPolicyError,
    GraphRateLimitError,
    GraphRecipientUnavailableError,
    GraphTransientError,
    GraphUnknownRecipientError,
    GraphWindowError,
)

TOKEN = (
    "the page access token is invalid or expired: make a new long-lived page token "
    "(README, 'Page token') and update page_access_token"
)
WINDOW = (
    "outside the 24-hour window: Meta delivers only within 24 hours of the person's last "
    "message, so they must write to the page first"
)
UNAVAILABLE = (
    "this person can't receive messages from the page right now (blocked the page, or left "
    "Messenger)"
)
UNKNOWN = (
    "no person with this ID has written to this page (wrong PSID, or one of another page): "
    "ask them to send 'get my id' to the page"
)
DEV_MODE = (
    "the app is in development mode and this person has no role on it: add them as a tester "
    "in the app dashboard, or take the app live"
)
PHONE = (
    "Meta restricts sending by phone number (Customer Matching, limited release): use the "
    "person's PSID instead; they get it by sending 'get my id' to the page"
)
RATE = "Meta's rate limit was reached and retries did not get through; try again later"
TRANSIENT = "Meta had a temporary problem and retries did not get through; try again later"
DEV_MODE_SUBCODES = frozenset({2018028})


def hint_for(error: GraphError, *, phone: bool = False, closed_at: datetime | None = None) -> str:
    """The hint for one failed recipient."""
    if isinstance(error, GraphAuthError):
        return TOKEN
    if phone and not isinstance(error, GraphTransientError):
        return PHONE
    if isinstance(error, GraphWindowError):
        if closed_at is not None:
            return f"{WINDOW} (their window closed at {closed_at.isoformat(timespec='minutes')})"
        return WINDOW
    if error.code == 10 and closed_at is not None:
        return f"{WINDOW} (their window closed at {closed_at.isoformat(timespec='minutes')})"
    if isinstance(error, GraphRecipientUnavailableError):
        return UNAVAILABLE
    if isinstance(error, GraphUnknownRecipientError):
        return UNKNOWN
    if isinstance(error, GraphPolicyError) and error.subcode in DEV_MODE_SUBCODES:
        return DEV_MODE
    if isinstance(error, GraphRateLimitError):
        return RATE
    if isinstance(error, GraphTransientError):
        return TRANSIENT
    return "Meta refused the request as it is"
