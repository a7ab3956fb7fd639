"""Every way a Messenger call can fail, as types with a stable `key`.

The key names the kind of failure ("token_invalid", "outside_window", ...), so the code around
this library can say what to do in its own words and language, while `str(error)` keeps Meta's
own message and code. Meta's codes are mapped by `classify`:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/error-codes
https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

import json
from typing import ClassVar, Final

from .coerce import as_int


class MessengerError(Exception):
    """Something the Messenger Platform (or the call itself) refused."""

    key: ClassVar[str] = "messenger_error"


class MessageError(MessengerError, ValueError):
    """The call's content is not something Meta would accept; nothing was sent."""

    key = "invalid_message"


class TextOnlyError(MessengerError):
    """After the 24-hour window only a utility message gets through, and it carries only text."""

    key = "outside_window_text_only"


class TargetError(MessengerError, ValueError):
    """A target that is not a PSID, a known name, a phone number or BROADCAST."""

    key = "invalid_target"


class GraphError(MessengerError):
    """An error answered by the Graph API (or met on the way to it)."""

    key = "invalid_request"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        fbtrace_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Keep Meta's message and codes."""
        super().__init__(message)
        self.graph_message = message
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.retry_after = retry_after

    @property
    def code_text(self) -> str:
        """Meta's code and subcode as `code 10/2018278`, or the HTTP status."""
        if self.code is None:
            return f"HTTP {self.http_status}" if self.http_status else "no answer"
        if self.subcode:
            return f"code {self.code}/{self.subcode}"
        return f"code {self.code}"

    def __str__(self) -> str:
        """Meta's own message with its code."""
        return f"{self.graph_message} ({self.code_text})"


class GraphAuthError(GraphError):
    """The token is invalid, expired or missing (190)."""

    key = "token_invalid"


class GraphPolicyError(GraphError):
    """Meta's policy or the app's permissions refuse the message (10, 200-299, 230, 368)."""

    key = "policy_refused"


class GraphDevModeError(GraphPolicyError):
    """The app is in development mode and the person has no role on it (200/2018028)."""

    key = "dev_mode"


class GraphPageRestrictedError(GraphPolicyError):
    """Meta restricted the page from sending for a while (10/1893063): retrying does not help.
    https://developers.facebook.com/docs/messenger-platform/changelog (2026-06-25)
    """

    key = "page_restricted"


class GraphWindowError(GraphPolicyError):
    """Outside the 24-hour window (10/2018278)."""

    key = "outside_window"


class GraphRecipientUnavailableError(GraphError):
    """The person can't receive messages from the page right now (551, 1545041)."""

    key = "recipient_unavailable"


class GraphUnknownRecipientError(GraphError):
    """No person with this id for this page (100/2018001)."""

    key = "unknown_recipient"


class GraphInvalidRequestError(GraphError):
    """The request itself is wrong (100, 194, 2500, ...)."""


class GraphTransientError(GraphError):
    """A temporary failure: worth retrying (1, 2, 1200, HTTP 5xx, is_transient)."""

    key = "meta_unavailable"
    retryable = True


class GraphConnectionError(GraphTransientError):
    """Meta could not be reached, or the answer was lost."""

    key = "cannot_connect"


class GraphRateLimitError(GraphTransientError):
    """A throttling answer (4, 17, 32, 341, 613, 80001, 80006)."""

    key = "rate_limited"


AUTH_CODES: Final = frozenset({102, 190})
RATE_LIMIT_CODES: Final = frozenset({4, 17, 32, 341, 613, 80001, 80006})
# Subcodes of throttling codes that retrying does not help (frequency rules, abuse warnings).
RATE_LIMIT_PERMANENT_SUBCODES: Final = frozenset({1893016, 2018338, 2018354})
TRANSIENT_CODES: Final = frozenset({1, 2, 1200})
TRANSIENT_PERMANENT_SUBCODES: Final = frozenset({99, 2018344})
WINDOW_SUBCODES: Final = frozenset({2018278, 2018065, 2534022})
PAGE_RESTRICTED_SUBCODE: Final = 1893063
# 1545041: "the person isn't available"; Meta's pages also give it for a closed window.
RECIPIENT_UNAVAILABLE_SUBCODE: Final = 1545041
UNAVAILABLE_SUBCODES: Final = frozenset({RECIPIENT_UNAVAILABLE_SUBCODE, 2018108})
UNKNOWN_RECIPIENT_SUBCODE: Final = 2018001
DEV_MODE_SUBCODES: Final = frozenset({2018028})
POLICY_CODES: Final = frozenset({10, 230, 368})


def classify(
    code: int | None, subcode: int | None, *, is_transient: bool, message: str
) -> type[GraphError]:
    """Map Meta's code and subcode to an error class (the pages in the module docstring)."""
    if code in AUTH_CODES or (code == 2500 and "access token" in message):
        return GraphAuthError
    if code in RATE_LIMIT_CODES:
        permanent = subcode in RATE_LIMIT_PERMANENT_SUBCODES
        return GraphPolicyError if permanent else GraphRateLimitError
    if code == 551 or subcode in UNAVAILABLE_SUBCODES:
        return GraphRecipientUnavailableError
    if code == 10 and subcode == PAGE_RESTRICTED_SUBCODE:
        return GraphPageRestrictedError
    if code == 10 and subcode in WINDOW_SUBCODES:
        return GraphWindowError
    if code == 100 and subcode == UNKNOWN_RECIPIENT_SUBCODE:
        return GraphUnknownRecipientError
    if (code in TRANSIENT_CODES and subcode not in TRANSIENT_PERMANENT_SUBCODES) or is_transient:
        return GraphTransientError
    if code is not None and (code in POLICY_CODES or 200 <= code <= 299):
        return GraphDevModeError if subcode in DEV_MODE_SUBCODES else GraphPolicyError
    return GraphInvalidRequestError


def error_from_answer(status: int, body: bytes) -> GraphError:
    """Build the typed error for a non-2xx answer (Meta's error JSON, or anything else)."""
    try:
        error = json.loads(body)["error"]
        message = str(error.get("message") or "Unknown Graph API error")
    except (ValueError, TypeError, KeyError, AttributeError):
        cls: type[GraphError] = GraphTransientError if status >= 500 else GraphInvalidRequestError
        return cls("The Graph API answered without a Graph error", http_status=status)
    code, subcode = as_int(error.get("code")), as_int(error.get("error_subcode"))
    cls = classify(code, subcode, is_transient=error.get("is_transient") is True, message=message)
    if status >= 500 and cls is GraphInvalidRequestError:
        cls = GraphTransientError
    trace = error.get("fbtrace_id")
    return cls(
        message,
        code=code,
        subcode=subcode,
        http_status=status,
        fbtrace_id=trace if isinstance(trace, str) else None,
    )
