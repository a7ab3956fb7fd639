"""What the simulator saw and did: every Graph request, every accepted send, every webhook post.

Appending is O(1) per request (a list, a per-PSID index and a per-code counter), so benchmarks that
push thousands of calls do not slow down as the recordings grow; the scans live in the queries.
Listeners (the chat page's live stream, the console transcript) hear of every accepted send, every
webhook post and every reset; with none registered, telling them costs one empty loop.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .state import RecordedFile


def peak_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """Most moments in any half-open span ``[t, t + window)`` (the benchmarks count with it too)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass(slots=True)
class RecordedRequest:
    """One Graph API request and the simulator's answer (status 0: connection dropped)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    body: dict[str, Any]
    files: dict[str, RecordedFile]
    token: str | None
    token_source: str | None
    appsecret_proof: str | None
    page_id: str | None
    status: int
    response: dict[str, Any]
    received_at: float


@dataclass(slots=True)
class SentMessage:
    """A Send API call the simulator accepted."""

    page_id: str
    recipient: dict[str, Any]
    recipient_id: str | None
    message: dict[str, Any] | None
    sender_action: str | None
    messaging_type: str | None
    tag: str | None
    notification_type: str | None
    message_id: str | None
    attachment_id: str | None
    files: dict[str, RecordedFile]
    received_at: float
    sent_at: float
    payload: dict[str, Any] | None = None  # a reaction's {message_id, reaction}
    reply_to: str | None = None  # the quoted message's mid
    rendered: dict[str, Any] | None = None  # a utility template: {header, body, buttons}

    @property
    def text(self) -> str | None:
        """What the person reads: the text, or a utility template's rendered body."""
        if self.rendered is not None:
            return str(self.rendered.get("body") or "")
        message = self.message or {}
        text = message.get("text")
        return str(text) if text is not None else None


@dataclass(slots=True)
class WebhookPost:
    """One webhook POST the simulator made and what came back (status 0: no answer)."""

    url: str
    body: bytes
    headers: dict[str, str]
    events: int
    status: int
    text: str
    posted_at: float
    skipped: bool = False  # not posted: the page is not subscribed to the events' field
    # time.monotonic() as the POST began (one clock for every process: benchmarks measure from it)
    started_at: float = 0.0


Listener = Callable[[str, Any], None]


@dataclass
class Recorder:
    """The recordings plus the small indexes that keep queries cheap."""

    requests: list[RecordedRequest] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    webhook_posts: list[WebhookPost] = field(default_factory=list)
    # Bumped by clear(): indexes into the lists above are only valid within one generation.
    generation: int = 0
    # Called as listener(kind, item): ("sent", SentMessage), ("posting", body bytes) just before
    # a webhook POST, ("webhook", WebhookPost) once it was answered, ("clear", None), and the
    # simulator's own kinds: ("user", SimUser), ("verification", dict).
    listeners: list[Listener] = field(default_factory=list)
    _by_recipient: defaultdict[str, list[SentMessage]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _error_codes: Counter[int] = field(default_factory=Counter)

    def emit(self, kind: str, item: Any = None) -> None:
        """Tell every listener; a failing listener is dropped rather than failing the caller."""
        if not self.listeners:
            return
        for listener in list(self.listeners):
            try:
                listener(kind, item)
            except Exception:  # a listener must never break a Graph answer
                self.listeners.remove(listener)

    def add_request(self, request: RecordedRequest) -> None:
        """Record a Graph request; error answers are counted by their Graph code."""
        self.requests.append(request)
        error = request.response.get("error") if request.response else None
        if isinstance(error, dict) and isinstance(error.get("code"), int):
            self._error_codes[error["code"]] += 1

    def add_sent(self, sent: SentMessage) -> None:
        """Record an accepted Send API call."""
        self.sent.append(sent)
        if sent.recipient_id is not None:
            self._by_recipient[sent.recipient_id].append(sent)
        self.emit("sent", sent)

    def add_webhook_post(self, post: WebhookPost) -> None:
        """Record a webhook POST the simulator made."""
        self.webhook_posts.append(post)
        self.emit("webhook", post)

    def messages_to(self, psid: str) -> list[SentMessage]:
        """Accepted messages (not sender actions) sent to ``psid``, in order."""
        return [s for s in self._by_recipient.get(psid, ()) if s.message is not None]

    def count_errors(self, code: int) -> int:
        """How many answers carried this Graph error code."""
        return self._error_codes[code]

    def peak_rate(self, window: float = 1.0, page_id: str | None = None) -> int:
        """The most accepted Send API calls in any window of ``window`` seconds (by received_at)."""
        return peak_in_window(
            (s.received_at for s in self.sent if page_id is None or s.page_id == page_id), window
        )

    def clear(self) -> None:
        """Forget everything."""
        self.requests.clear()
        self.sent.clear()
        self.webhook_posts.clear()
        self._by_recipient.clear()
        self._error_codes.clear()
        self.generation += 1
        self.emit("clear")
