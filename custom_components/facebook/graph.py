"""Async client for Meta's Graph API (the Send API and its uploads).

No Home Assistant imports: the aiohttp session is injected, errors are typed and mapped from
Meta's codes, transient failures are retried with exponential backoff and jitter, and Meta's
usage headers are honoured. The page token travels only in the `Authorization` header, never
in a URL, so it cannot leak through a logged URL or an exception text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import hashlib
import hmac
import json
import logging
import random
from typing import Any, Final

import aiohttp

from .ratelimit import PageRateLimiter

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = 30.0
UPLOAD_TIMEOUT: Final = 120.0
# Usage percentage (x-app-usage / x-business-use-case-usage) above which we slow down.
USAGE_SLOWDOWN: Final = 95

type JSONDict = dict[str, Any]
# JSON encoders: the integration injects Home Assistant's (orjson) one; the standard library's
# is the fallback, so the client stays usable on its own.
type JSONEncoder = Callable[[Any], bytes]


def compact_json(value: Any) -> bytes:
    """JSON bytes without spaces (the standard library's encoder)."""
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class PageInfo:
    """The page a token belongs to (GET /me)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the Send API answered for one accepted message."""

    recipient_id: str | None
    message_id: str | None
    attachment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """Bytes to send as the multipart `filedata` part."""

    data: bytes = field(repr=False)
    filename: str
    content_type: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is retried within one request."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A wait Meta asks for (usage headers) is honoured in-call only up to this many seconds.
    max_wait: float = 30.0
    # Code 2 can also mean "the person blocked the page": retry it less.
    code2_attempts: int = 3

    def delay(self, attempt: int) -> float:
        """Exponential backoff with equal jitter for retry number `attempt` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))


# ---------------------------------------------------------------------------------------------
# Errors


class GraphError(Exception):
    """An error answered by the Graph API (or the way to it)."""

    retryable = False

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
    """The page token is invalid, expired or missing (190)."""


class GraphPolicyError(GraphError):
    """Meta's policy or the app's permissions refuse the message (10, 200-299, 230, 368)."""


class GraphWindowError(GraphPolicyError):
    """Outside the 24-hour window (10/2018278)."""


class GraphRecipientUnavailableError(GraphError):
    """The person can't receive messages from the page right now (551, 1545041)."""


class GraphUnknownRecipientError(GraphError):
    """No person with this id for this page (100/2018001)."""


class GraphInvalidRequestError(GraphError):
    """The request itself is wrong (100, 194, 2500, ...)."""


class GraphTransientError(GraphError):
    """A temporary failure: worth retrying (1, 2, 1200, HTTP 5xx, is_transient)."""

    retryable = True


class GraphConnectionError(GraphTransientError):
    """Meta could not be reached, or the answer was lost."""


class GraphRateLimitError(GraphTransientError):
    """A throttling answer (4, 17, 32, 341, 613, 80001, 80006)."""


AUTH_CODES: Final = frozenset({102, 190})
RATE_LIMIT_CODES: Final = frozenset({4, 17, 32, 341, 613, 80001, 80006})
# Subcodes of throttling codes that retrying does not help (frequency rules, abuse warnings).
RATE_LIMIT_PERMANENT_SUBCODES: Final = frozenset({1893016, 2018338, 2018354})
TRANSIENT_CODES: Final = frozenset({1, 2, 1200})
TRANSIENT_PERMANENT_SUBCODES: Final = frozenset({99, 2018344})
WINDOW_SUBCODES: Final = frozenset({2018278, 2018065, 2534022})
UNAVAILABLE_SUBCODES: Final = frozenset({1545041, 2018108})
UNKNOWN_RECIPIENT_SUBCODE: Final = 2018001


def classify(
    code: int | None, subcode: int | None, *, is_transient: bool, message: str
) -> type[GraphError]:
    """Map Meta's code and subcode to an error class (reference §3.3, §3.4)."""
    if code in AUTH_CODES or (code == 2500 and "access token" in message):
        return GraphAuthError
    if code in RATE_LIMIT_CODES:
        if subcode in RATE_LIMIT_PERMANENT_SUBCODES:
            return GraphPolicyError
        return GraphRateLimitError
    if code == 551 or subcode in UNAVAILABLE_SUBCODES:
        return GraphRecipientUnavailableError
    if code == 10 and subcode in WINDOW_SUBCODES:
        return GraphWindowError
    if code == 100 and subcode == UNKNOWN_RECIPIENT_SUBCODE:
        return GraphUnknownRecipientError
    if code in TRANSIENT_CODES and subcode not in TRANSIENT_PERMANENT_SUBCODES:
        return GraphTransientError
    if is_transient:
        return GraphTransientError
    if code is not None and (code in (10, 230, 368) or 200 <= code <= 299):
        return GraphPolicyError
    return GraphInvalidRequestError


def error_from_answer(status: int, body: bytes) -> GraphError:
    """Build the typed error for a non-2xx answer (Meta's error JSON, or anything else)."""
    try:
        parsed = json.loads(body)
        error = parsed["error"]
        message = str(error.get("message") or "Unknown Graph API error")
    except (ValueError, TypeError, KeyError, AttributeError):
        cls: type[GraphError] = GraphTransientError if status >= 500 else GraphInvalidRequestError
        return cls("The Graph API answered without a Graph error", http_status=status)
    code = _as_int(error.get("code"))
    subcode = _as_int(error.get("error_subcode"))
    is_transient = error.get("is_transient") is True
    cls = classify(code, subcode, is_transient=is_transient, message=message)
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


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# ---------------------------------------------------------------------------------------------
# Usage headers


def usage_from_headers(headers: Mapping[str, str]) -> tuple[int, float]:
    """Highest usage percentage and the wait Meta asks for (seconds) from the usage headers."""
    highest = 0
    wait_minutes = 0.0
    app = _load_header(headers.get("x-app-usage"))
    if isinstance(app, dict):
        highest = max([highest, *(_percent(app.get(k)) for k in _USAGE_KEYS)])
    buc = _load_header(headers.get("x-business-use-case-usage"))
    if isinstance(buc, dict):
        for entries in buc.values():
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                highest = max([highest, *(_percent(entry.get(k)) for k in _USAGE_KEYS)])
                regain = entry.get("estimated_time_to_regain_access")
                if isinstance(regain, int | float) and not isinstance(regain, bool):
                    wait_minutes = max(wait_minutes, float(regain))
    return highest, wait_minutes * 60


_USAGE_KEYS: Final = ("call_count", "total_cputime", "total_time")


def _load_header(value: str | None) -> object:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _percent(value: object) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return 0


# ---------------------------------------------------------------------------------------------
# The client


class GraphClient:
    """One page's Graph API client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        app_secret: str | None = None,
        version: str = "v25.0",
        base_url: str = "https://graph.facebook.com",
        retry: RetryPolicy | None = None,
        limiter: PageRateLimiter | None = None,
        timeout: float = REQUEST_TIMEOUT,
        encode_json: JSONEncoder = compact_json,
    ) -> None:
        """Create a client; nothing is sent until a method is called."""
        self._session = session
        self._encode_json = encode_json
        self._headers = {"Authorization": f"Bearer {token}"}
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        self._proof = (
            hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if app_secret
            else None
        )
        self._base = f"{base_url.rstrip('/')}/{version}"
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._blocked_until = 0.0
        self.usage = 0

    @property
    def request_timeout(self) -> float | None:
        """Seconds a call may take (uploads have their own, longer limit)."""
        return self._timeout.total

    @request_timeout.setter
    def request_timeout(self, seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=seconds)

    async def get_page(self) -> PageInfo:
        """Look up the page the token belongs to."""
        params = {"fields": "id,name"}
        if self._proof:
            params["appsecret_proof"] = self._proof
        data = await self._call("GET", "/me", params=params, paced=False)
        page_id, name = data.get("id"), data.get("name")
        if not isinstance(page_id, str | int) or isinstance(page_id, bool):
            raise GraphInvalidRequestError("GET /me answered without a page id")
        return PageInfo(id=str(page_id), name=str(name or ""))

    async def send(
        self, body: JSONDict, upload: Upload | None = None, *, media: bool = False
    ) -> SendResult:
        """Send one message (or sender action); with `upload`, as multipart `filedata`."""
        if upload is None:
            data = await self._call("POST", "/me/messages", json_body=body, media=media)
        else:
            data = await self._call(
                "POST",
                "/me/messages",
                form=lambda: self._multipart(body, upload),
                media=media,
                time_limit=UPLOAD_TIMEOUT,
            )
        return SendResult(
            recipient_id=_opt_str(data.get("recipient_id")),
            message_id=_opt_str(data.get("message_id")),
            attachment_id=_opt_str(data.get("attachment_id")),
        )

    async def upload_attachment(self, attachment_type: str, upload: Upload) -> str:
        """Upload a reusable attachment once; its id can then go to many people."""
        body: JSONDict = {
            "message": {"attachment": {"type": attachment_type, "payload": {"is_reusable": True}}}
        }
        data = await self._call(
            "POST",
            "/me/message_attachments",
            form=lambda: self._multipart(body, upload),
            time_limit=UPLOAD_TIMEOUT,
        )
        attachment_id = _opt_str(data.get("attachment_id"))
        if attachment_id is None:
            raise GraphInvalidRequestError("The upload was answered without an attachment_id")
        return attachment_id

    def _multipart(self, body: JSONDict, upload: Upload) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for key, value in body.items():
            form.add_field(key, value if isinstance(value, str) else json.dumps(value))
        if self._proof:
            form.add_field("appsecret_proof", self._proof)
        form.add_field(
            "filedata", upload.data, filename=upload.filename, content_type=upload.content_type
        )
        return form

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: JSONDict | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
        paced: bool = True,
        media: bool = False,
        time_limit: float | None = None,
    ) -> JSONDict:
        """One Graph call with retries; returns the answer's JSON object."""
        policy = self.retry
        loop = asyncio.get_running_loop()
        url = self._base + path
        payload: bytes | None = None
        if json_body is not None:
            if self._proof:
                json_body = {**json_body, "appsecret_proof": self._proof}
            payload = self._encode_json(json_body)
        headers = self._headers if payload is None else self._json_headers
        timeout = self._timeout if time_limit is None else aiohttp.ClientTimeout(total=time_limit)
        attempt = 0
        while True:
            blocked_for = self._blocked_until - loop.time()
            if blocked_for > 0:
                if blocked_for > policy.max_wait:
                    raise GraphRateLimitError(
                        "Meta asked to pause calls for this page", retry_after=blocked_for
                    )
                await asyncio.sleep(blocked_for)
            if paced and self.limiter is not None:
                await self.limiter.acquire(media=media)
            try:
                async with self._session.request(
                    method,
                    url,
                    params=params,
                    data=form() if form is not None else payload,
                    headers=headers,
                    timeout=timeout,
                ) as response:
                    raw = await response.read()
                    status = response.status
                    self._note_usage(response.headers, loop.time())
            except (aiohttp.ClientError, TimeoutError) as err:
                error: GraphError = GraphConnectionError(
                    f"Could not reach the Graph API: {type(err).__name__}"
                )
            else:
                if 200 <= status < 300:
                    if paced and self.limiter is not None and self.usage < USAGE_SLOWDOWN:
                        self.limiter.succeeded()
                    return _json_object(raw)
                error = error_from_answer(status, raw)
            _LOGGER.debug(
                "%s %s attempt %d failed: %s", method, path, attempt + 1, error, exc_info=False
            )
            attempt += 1
            limit = policy.code2_attempts if error.code == 2 else policy.attempts
            if not error.retryable or attempt >= limit:
                raise error
            delay = policy.delay(attempt - 1)
            if isinstance(error, GraphRateLimitError) and paced and self.limiter is not None:
                self.limiter.throttled(delay, media=media)
            await asyncio.sleep(delay)

    def _note_usage(self, headers: Mapping[str, str], now: float) -> None:
        usage, wait = usage_from_headers(headers)
        self.usage = usage
        if wait > 0:
            self._blocked_until = max(self._blocked_until, now + wait)
            _LOGGER.warning("Meta asks to pause calls for %.0f seconds (usage headers)", wait)
        elif usage >= USAGE_SLOWDOWN and self.limiter is not None:
            self.limiter.throttled(1.0)


def _json_object(raw: bytes) -> JSONDict:
    """The JSON object of a 2xx answer; {} when there is none (the call still succeeded)."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _opt_str(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    return str(value)
