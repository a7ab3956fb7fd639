"""Async client for Meta's Graph API (the Send API, its uploads, and the page look-up).

The aiohttp session and the JSON encoder are injected; transient failures are retried with
exponential backoff and jitter; Meta's usage headers are honoured. The token travels only in the
`Authorization` header, never in a URL, so it cannot leak through a logged URL or an exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import hashlib
import hmac
import json
import logging
from typing import Any, Final

import aiohttp

from .backoff import Backoff
from .coerce import as_opt_str, is_number
from .const import DEFAULT_GRAPH_API_VERSION, DEFAULT_GRAPH_URL
from .errors import (
    GraphConnectionError,
    GraphError,
    GraphInvalidRequestError,
    GraphRateLimitError,
    error_from_answer,
)
from .models import JSONDict, PageInfo, SendResult, Upload
from .pacing import PageRateLimiter

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = 30.0
UPLOAD_TIMEOUT: Final = 120.0
# Usage percentage (x-app-usage / x-business-use-case-usage) above which we slow down.
USAGE_SLOWDOWN: Final = 95
_USAGE_KEYS: Final = ("call_count", "total_cputime", "total_time")

# JSON encoders: Home Assistant injects its (orjson) one; the standard library's is the default.
type JSONEncoder = Callable[[Any], bytes]
type FormFactory = Callable[[], aiohttp.FormData]
# Hears how every call ended (None: Meta answered 2xx), once, after the retries, and whether it
# was a send (a Send API call): one place learns from all of them whether the token still works
# and whether the page may send.
type ResultObserver = Callable[[GraphError | None, bool], None]


def compact_json(value: Any) -> bytes:
    """JSON bytes without spaces (the standard library's encoder)."""
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is retried within one request."""

    attempts: int = 4
    backoff: Backoff = field(default_factory=lambda: Backoff(0.5, 8.0, jitter=True))
    # A wait Meta asks for (usage headers) is honoured in-call only up to this many seconds.
    max_wait: float = 30.0
    # Code 2 can also mean "the person blocked the page": retry it less.
    code2_attempts: int = 3

    def allows_another(self, error: GraphError, attempts_made: int) -> bool:
        """Whether `error`, after `attempts_made` attempts, is worth one more."""
        limit = self.code2_attempts if error.code == 2 else self.attempts
        return error.retryable and attempts_made < limit


def usage_from_headers(headers: Mapping[str, str]) -> tuple[int, float]:
    """Highest usage percentage and the wait Meta asks for (seconds) from the usage headers."""
    entries: list[object] = [_load_header(headers.get("x-app-usage"))]
    buc = _load_header(headers.get("x-business-use-case-usage"))
    if isinstance(buc, dict):
        for per_business in buc.values():
            if isinstance(per_business, list):
                entries.extend(per_business)
    highest, wait_minutes = 0, 0.0
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        highest = max([highest, *(_percent(entry.get(k)) for k in _USAGE_KEYS)])
        regain = entry.get("estimated_time_to_regain_access")
        if is_number(regain):
            wait_minutes = max(wait_minutes, float(regain))
    return highest, wait_minutes * 60


def _load_header(value: str | None) -> object:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _percent(value: object) -> int:
    return int(value) if is_number(value) else 0


@dataclass(slots=True)
class _Request:
    """One Graph call, ready to be attempted as many times as the retry policy allows."""

    method: str
    path: str
    url: str
    params: dict[str, str] | None
    payload: bytes | None
    form: FormFactory | None
    headers: dict[str, str]
    timeout: aiohttp.ClientTimeout
    paced: bool
    media: bool


class GraphClient:
    """One page's Graph API client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        app_secret: str | None = None,
        version: str = DEFAULT_GRAPH_API_VERSION,
        base_url: str = DEFAULT_GRAPH_URL,
        retry: RetryPolicy | None = None,
        limiter: PageRateLimiter | None = None,
        timeout: float = REQUEST_TIMEOUT,
        encode_json: JSONEncoder = compact_json,
        on_result: ResultObserver | None = None,
    ) -> None:
        """Create a client; nothing is sent until a method is called."""
        self._session = session
        self._on_result = on_result
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
        self._upload_timeout = aiohttp.ClientTimeout(total=max(timeout, UPLOAD_TIMEOUT))
        self._blocked_until = 0.0
        self.usage = 0

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session the client sends with (another client may share it)."""
        return self._session

    async def get_page(self) -> PageInfo:
        """Look up the page the token belongs to."""
        data = await self.get("/me", {"fields": "id,name"})
        page_id, name = data.get("id"), data.get("name")
        if not isinstance(page_id, str | int) or isinstance(page_id, bool):
            raise GraphInvalidRequestError("GET /me answered without a page id")
        return PageInfo(id=str(page_id), name=str(name or ""))

    async def get(self, path: str, params: dict[str, str] | None = None) -> JSONDict:
        """A GET on the Graph API (unpaced: not a Send API call)."""
        params = dict(params or {})
        if self._proof:
            params["appsecret_proof"] = self._proof
        return await self._call(self._request("GET", path, params=params, paced=False))

    async def write(self, method: str, path: str, body: JSONDict) -> JSONDict:
        """A POST or DELETE on the Graph API with a JSON body (unpaced: not a Send API call)."""
        return await self._call(self._request(method, path, json_body=body, paced=False))

    async def send(
        self, body: JSONDict, upload: Upload | None = None, *, media: bool = False
    ) -> SendResult:
        """Send one message (or sender action); with `upload`, as multipart `filedata`."""
        if upload is None:
            request = self._request("POST", "/me/messages", json_body=body, media=media)
        else:
            request = self._request(
                "POST", "/me/messages", form=self._form(body, upload), media=media, upload=True
            )
        data = await self._call(request)
        return SendResult(
            recipient_id=as_opt_str(data.get("recipient_id")),
            message_id=as_opt_str(data.get("message_id")),
            attachment_id=as_opt_str(data.get("attachment_id")),
        )

    async def upload_attachment(self, attachment_type: str, upload: Upload) -> str:
        """Upload a reusable attachment once; its id can then go to many people."""
        body: JSONDict = {
            "message": {"attachment": {"type": attachment_type, "payload": {"is_reusable": True}}}
        }
        request = self._request(
            "POST", "/me/message_attachments", form=self._form(body, upload), upload=True
        )
        attachment_id = as_opt_str((await self._call(request)).get("attachment_id"))
        if attachment_id is None:
            raise GraphInvalidRequestError("The upload was answered without an attachment_id")
        return attachment_id

    def _form(self, body: JSONDict, upload: Upload) -> FormFactory:
        """A multipart body, made afresh for every attempt (aiohttp consumes it)."""

        def make() -> aiohttp.FormData:
            form = aiohttp.FormData()
            for key, value in body.items():
                form.add_field(key, value if isinstance(value, str) else json.dumps(value))
            if self._proof:
                form.add_field("appsecret_proof", self._proof)
            form.add_field(
                "filedata", upload.data, filename=upload.filename, content_type=upload.content_type
            )
            return form

        return make

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: JSONDict | None = None,
        form: FormFactory | None = None,
        paced: bool = True,
        media: bool = False,
        upload: bool = False,
    ) -> _Request:
        """Everything one call needs, encoded once (the body, the proof, the headers)."""
        payload: bytes | None = None
        if json_body is not None:
            if self._proof:
                json_body = {**json_body, "appsecret_proof": self._proof}
            payload = self._encode_json(json_body)
        return _Request(
            method=method,
            path=path,
            url=self._base + path,
            params=params,
            payload=payload,
            form=form,
            headers=self._headers if payload is None else self._json_headers,
            timeout=self._upload_timeout if upload else self._timeout,
            paced=paced,
            media=media,
        )

    async def _call(self, request: _Request) -> JSONDict:
        """One Graph call with retries; returns the answer's JSON object."""
        try:
            answer = await self._call_with_retries(request)
        except GraphError as error:
            if self._on_result is not None:
                self._on_result(error, request.paced)
            raise
        if self._on_result is not None:
            self._on_result(None, request.paced)
        return answer

    async def _call_with_retries(self, request: _Request) -> JSONDict:
        attempts = 0
        while True:
            await self._wait_turn(request)
            try:
                return await self._attempt(request)
            except GraphError as error:
                attempts += 1
                _LOGGER.debug(
                    "%s %s attempt %d failed: %s", request.method, request.path, attempts, error
                )
                if not self.retry.allows_another(error, attempts):
                    raise
                delay = self.retry.backoff.delay(attempts - 1)
                if isinstance(error, GraphRateLimitError) and request.paced and self.limiter:
                    self.limiter.throttled(delay, media=request.media)
                await asyncio.sleep(delay)

    async def _wait_turn(self, request: _Request) -> None:
        """Wait out a pause Meta asked for, then take a pacing slot."""
        blocked_for = self._blocked_until - asyncio.get_running_loop().time()
        if blocked_for > 0:
            if blocked_for > self.retry.max_wait:
                raise GraphRateLimitError(
                    "Meta asked to pause calls for this page", retry_after=blocked_for
                )
            await asyncio.sleep(blocked_for)
        if request.paced and self.limiter is not None:
            await self.limiter.acquire(media=request.media)

    async def _attempt(self, request: _Request) -> JSONDict:
        """One HTTP request: the answer's JSON object, or the typed error."""
        try:
            async with self._session.request(
                request.method,
                request.url,
                params=request.params,
                data=request.form() if request.form is not None else request.payload,
                headers=request.headers,
                timeout=request.timeout,
            ) as response:
                raw = await response.read()
                status = response.status
                self._note_usage(response.headers)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise GraphConnectionError(
                f"Could not reach the Graph API: {type(err).__name__}"
            ) from None
        if not 200 <= status < 300:
            raise error_from_answer(status, raw)
        if request.paced and self.limiter is not None and self.usage < USAGE_SLOWDOWN:
            self.limiter.succeeded()
        return _json_object(raw)

    def _note_usage(self, headers: Mapping[str, str]) -> None:
        usage, wait = usage_from_headers(headers)
        self.usage = usage
        if wait > 0:
            now = asyncio.get_running_loop().time()
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
