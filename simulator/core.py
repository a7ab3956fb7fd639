"""The :class:`Simulator`: one object that plays Meta for tests, benchmarks and local work.

It owns the simulated world (:mod:`.state`), the recordings (:mod:`.recording`), the faults and
limits, and one aiohttp application serving the Graph API, the ``/_sim/`` control API and the chat
page (:mod:`.chat`). Tests drive it through this Python API; other processes through the control
API; people through the chat page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import random
import secrets
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from . import chat, control, webhook
from .control import SIM_KEY
from .faults import Fault, FaultQueue, edges_for
from .graph import GraphApi
from .limits import RateLimiter, UsageMeter
from .recording import RecordedRequest, Recorder, SentMessage, WebhookPost
from .state import TOKEN_STATES, SimPage, SimUser, State

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # reference §2.3
CLIENT_MAX_SIZE = 64 * 1024 * 1024  # bodies above this get aiohttp's 413


class Simulator:
    """A stand-in for Meta's Graph API and webhook sender."""

    def __init__(
        self,
        default_version: str = "v25.0",
        *,
        webhook_url: str | None = None,
        latency: float = 0.0,
        rate_cap: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.default_version = default_version
        self.webhook_url = webhook_url
        self.latency = latency
        self.rate_cap = rate_cap
        self.media_rate_cap: int | None = None
        self.usage_budget_per_minute = 18000
        self.max_attachment_bytes = MAX_ATTACHMENT_BYTES
        self.webhook_timeout = 20.0  # Meta's older FAQ: webhook calls time out after 20 s
        self.random = random.Random(seed)
        self.state = State()
        self.recorder = Recorder()
        self.faults = FaultQueue()
        self.limiter = RateLimiter()
        self.usage = UsageMeter()
        self.graph = GraphApi(self)
        self.chat = chat.ChatModel(self)
        # The last handshake with ``webhook_url``: {"url", "ok", "status", "body", "at"}.
        self.verification: dict[str, Any] | None = None
        self.app = self._build_app()
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    # ----------------------------------------------------------------------------- app

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=CLIENT_MAX_SIZE)
        app[SIM_KEY] = self
        # The chat page and its /_sim/ routes come before the control API's /_sim/ catch-all;
        # the Graph catch-all below must stay last.
        chat.setup_routes(app)
        control.setup_routes(app)
        app.router.add_route("*", "/{path:.*}", self.graph.handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port`` (0 picks a free port); ``self.url`` says where."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"

    async def stop(self) -> None:
        """Stop serving and close the webhook client."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ----------------------------------------------------------------------------- world

    @property
    def pages(self) -> dict[str, SimPage]:
        """Pages by id."""
        return self.state.pages

    @property
    def users(self) -> dict[str, SimUser]:
        """Users by PSID."""
        return self.state.users

    @property
    def attachments(self) -> dict[str, Any]:
        """Saved attachments by id."""
        return self.state.attachments

    @property
    def clock_offset(self) -> float:
        """Seconds added to wall time to make the simulated time."""
        return self.state.clock_offset

    @clock_offset.setter
    def clock_offset(self, value: float) -> None:
        self.state.clock_offset = value

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.state.now()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (windows close, attachment ids expire)."""
        self.state.clock_offset += seconds

    def add_page(
        self,
        page_id: str = "1000000000000001",
        name: str = "Home",
        token: str = "sim-page-token",  # noqa: S107 - the demo page's made-up token
        app_secret: str | None = None,
        require_appsecret_proof: bool = False,
        dev_mode: bool = False,
        token_state: str = "valid",  # noqa: S107 - not a secret
        *,
        phone_matching: bool = False,
        app_id: str = "1517776481860111",
    ) -> SimPage:
        """Add (or replace) a page whose ``token`` authenticates Graph calls."""
        page_id = str(page_id)
        if token_state not in TOKEN_STATES:
            raise ValueError(f"token_state must be one of {TOKEN_STATES}")
        if require_appsecret_proof and not app_secret:
            raise ValueError("require_appsecret_proof needs an app_secret")
        if not page_id.isdigit():
            raise ValueError("page ids are numeric strings")
        page = SimPage(
            page_id=page_id,
            name=name,
            token=token,
            app_secret=app_secret,
            require_appsecret_proof=require_appsecret_proof,
            dev_mode=dev_mode,
            token_state=token_state,
            phone_matching=phone_matching,
            app_id=str(app_id),
        )
        self.state.pages[page_id] = page
        return page

    def add_user(
        self,
        psid: str,
        name: str | None = None,
        page: SimPage | str | None = None,
        last_inbound: float | None = None,
        blocked: bool = False,
        has_role: bool = True,
        phone: str | None = None,
    ) -> SimUser:
        """Add (or replace) a person of ``page`` (default: the first page)."""
        psid = str(psid)
        if isinstance(page, SimPage):
            page_id = page.page_id
        elif page is None:
            page_id = self.state.first_page().page_id
        else:
            page_id = str(page)
        if page_id not in self.state.pages:
            raise ValueError(f"unknown page {page_id}")
        user = SimUser(
            psid=psid,
            name=name or f"User {psid[-4:]}",
            page_id=page_id,
            last_inbound=self.now() if last_inbound is None else float(last_inbound),
            blocked=blocked,
            has_role=has_role,
            phone=phone,
        )
        self.state.users[psid] = user
        self.recorder.emit("user", user)
        return user

    # ----------------------------------------------------------------------------- recordings

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every Graph API request, in arrival order."""
        return self.recorder.requests

    @property
    def sent(self) -> list[SentMessage]:
        """Every Send API call the simulator accepted."""
        return self.recorder.sent

    @property
    def webhook_posts(self) -> list[WebhookPost]:
        """Every webhook POST the simulator made."""
        return self.recorder.webhook_posts

    def messages_to(self, psid: str) -> list[SentMessage]:
        """Accepted messages (sender actions excluded) sent to ``psid``."""
        return self.recorder.messages_to(psid)

    def peak_rate(self, window: float = 1.0, page_id: str | None = None) -> int:
        """Most accepted Send API calls in any sliding window of ``window`` seconds."""
        return self.recorder.peak_rate(window, page_id)

    def count_errors(self, code: int) -> int:
        """How many Graph answers carried error ``code``."""
        return self.recorder.count_errors(code)

    def clear(self) -> None:
        """Forget recordings, pending faults, rate windows and usage (pages and users stay)."""
        self.recorder.clear()
        self.faults.clear()
        self.limiter.clear()
        self.usage.clear()

    # ----------------------------------------------------------------------------- faults

    def inject_error(
        self,
        code: int,
        subcode: int | None = None,
        message: str | None = None,
        *,
        count: int | None = 1,
        http_status: int | None = None,
        is_transient: bool | None = None,
        error_type: str = "OAuthException",
        paths: str | Iterable[str] | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching calls with this Graph error."""
        return self.faults.add(
            Fault(
                kind="error",
                edges=edges_for(paths),
                count=count,
                code=code,
                subcode=subcode,
                message=message,
                http_status=http_status,
                is_transient=is_transient,
                error_type=error_type,
            )
        )

    def inject_http_status(
        self,
        status: int,
        *,
        count: int | None = 1,
        body: str | dict[str, Any] | None = None,
        paths: str | Iterable[str] | None = None,
    ) -> Fault:
        """Answer with a bare HTTP status (an HTML page unless ``body`` is given)."""
        return self.faults.add(
            Fault(kind="http", edges=edges_for(paths), count=count, status=status, body=body)
        )

    def inject_disconnect(
        self,
        *,
        count: int | None = 1,
        after_accept: bool = False,
        paths: str | Iterable[str] | None = None,
    ) -> Fault:
        """Drop the connection without answering (after accepting the message, if asked)."""
        return self.faults.add(
            Fault(kind="disconnect", edges=edges_for(paths), count=count, after_accept=after_accept)
        )

    def inject_delay(
        self, seconds: float, *, count: int | None = 1, paths: str | Iterable[str] | None = None
    ) -> Fault:
        """Hold the answer of the next matching calls for ``seconds`` more."""
        return self.faults.add(
            Fault(kind="delay", edges=edges_for(paths), count=count, seconds=seconds)
        )

    def set_usage(
        self, call_count: int | None = None, estimated_time_to_regain_access: int | None = None
    ) -> None:
        """Override the usage headers' percentage and regain time (None: computed again)."""
        self.usage.call_count = call_count
        self.usage.estimated_time_to_regain_access = estimated_time_to_regain_access

    # ----------------------------------------------------------------------------- webhook events

    def _now_ms(self) -> int:
        return int(self.now() * 1000)

    def _page_of(self, psid: str, page_id: str | None) -> str:
        if page_id is not None:
            return str(page_id)
        user = self.state.users.get(psid)
        return user.page_id if user is not None else self.state.first_page().page_id

    def _touch(self, psid: str, timestamp_ms: int) -> None:
        """A user action sets the start of that user's 24-hour window to the event time.

        Set, not maxed: an event built with an old ``timestamp`` stands for a user who last
        wrote back then, which is how tests make a closed window.
        """
        user = self.state.users.get(psid)
        if user is not None:
            user.last_inbound = timestamp_ms / 1000

    def message_event(
        self,
        psid: str,
        text: str | None = None,
        *,
        quick_reply_payload: str | None = None,
        attachments: Iterable[Any] | None = None,
        mid: str | None = None,
        timestamp: int | None = None,
        page_id: str | None = None,
    ) -> dict[str, Any]:
        """A message from ``psid``; attachments are (type, url) pairs or dicts."""
        stamp = self._now_ms() if timestamp is None else timestamp
        self._touch(psid, stamp)
        return webhook.message_event(
            self._page_of(psid, page_id),
            psid,
            stamp,
            text,
            quick_reply_payload=quick_reply_payload,
            attachments=attachments,
            mid=mid,
        )

    def postback_event(
        self,
        psid: str,
        title: str,
        payload: str,
        *,
        mid: str | None = None,
        timestamp: int | None = None,
        page_id: str | None = None,
    ) -> dict[str, Any]:
        """A button tap from ``psid``."""
        stamp = self._now_ms() if timestamp is None else timestamp
        self._touch(psid, stamp)
        return webhook.postback_event(
            self._page_of(psid, page_id), psid, stamp, title, payload, mid=mid
        )

    def delivery_event(
        self,
        psid: str,
        mids: Sequence[str] | None = None,
        watermark: int | None = None,
        *,
        page_id: str | None = None,
    ) -> dict[str, Any]:
        """A delivery receipt (watermark defaults to now)."""
        stamp = self._now_ms()
        mark = stamp if watermark is None else watermark
        return webhook.delivery_event(self._page_of(psid, page_id), psid, stamp, mids, mark)

    def read_event(
        self, psid: str, watermark: int | None = None, *, page_id: str | None = None
    ) -> dict[str, Any]:
        """A read receipt (watermark defaults to now)."""
        stamp = self._now_ms()
        mark = stamp if watermark is None else watermark
        return webhook.read_event(self._page_of(psid, page_id), psid, stamp, mark)

    def reaction_event(
        self,
        psid: str,
        mid: str,
        reaction: str = "love",
        emoji: str = "\u2764\ufe0f",
        action: str = "react",
        *,
        page_id: str | None = None,
    ) -> dict[str, Any]:
        """A reaction by ``psid`` to the page's message ``mid``."""
        stamp = self._now_ms()
        self._touch(psid, stamp)
        return webhook.reaction_event(
            self._page_of(psid, page_id), psid, stamp, mid, reaction, emoji, action
        )

    def echo_event(
        self,
        psid: str,
        text: str,
        app_id: str | int | None = None,
        *,
        mid: str | None = None,
        metadata: str | None = None,
        page_id: str | None = None,
    ) -> dict[str, Any]:
        """An echo of a page message to ``psid`` (default app id: the page's app)."""
        page = self.state.pages[self._page_of(psid, page_id)]
        return webhook.echo_event(
            page.page_id,
            psid,
            self._now_ms(),
            text,
            app_id=page.app_id if app_id is None else app_id,
            mid=mid,
            metadata=metadata,
        )

    # ----------------------------------------------------------------------------- webhook delivery

    def _secret_for(self, page_id: str | None) -> str | None:
        page = self.state.pages.get(page_id or "")
        return page.app_secret if page is not None else None

    def build_webhook(
        self,
        events: dict[str, Any] | Iterable[dict[str, Any]],
        *,
        page_id: str | None = None,
        secret: str | None = None,
        sign: bool = True,
        duplicate: bool | int = False,
        shuffle: bool = False,
        escape_slashes: bool = False,
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers Meta would POST for these events.

        Events are grouped into one entry per page. The signing secret defaults to the app
        secret of the first entry's page; no signature headers without a secret or with
        ``sign=False``. ``escape_slashes`` also writes ``/`` as ``\\/`` (as PHP-made JSON does).
        """
        items = [events] if isinstance(events, dict) else list(events)
        items = webhook.expand(items, duplicate=duplicate, shuffle=shuffle, rng=self.random)
        document = webhook.envelope(items, now_ms=self._now_ms(), page_id=page_id)
        body = webhook.encode(document, escape_slashes=escape_slashes)
        first = document["entry"][0]["id"] if document["entry"] else page_id
        key = (secret or self._secret_for(first)) if sign else None
        return body, webhook.signature_headers(body, key)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def post_webhook(
        self,
        events: dict[str, Any] | Iterable[dict[str, Any]],
        *,
        url: str | None = None,
        batch_size: int = webhook.MAX_BATCH,
        **build_kwargs: Any,
    ) -> list[tuple[int, str]]:
        """POST the events in batches of at most 1000; returns (status, text) per batch.

        ``duplicate`` and ``shuffle`` apply to the whole list before it is cut into batches.
        Status 0 means no HTTP answer (the text says why).
        """
        target = url or self.webhook_url
        if not target:
            raise RuntimeError("no webhook URL: pass url= or set sim.webhook_url")
        items = [events] if isinstance(events, dict) else list(events)
        items = webhook.expand(
            items,
            duplicate=build_kwargs.pop("duplicate", False),
            shuffle=build_kwargs.pop("shuffle", False),
            rng=self.random,
        )
        size = max(1, min(batch_size, webhook.MAX_BATCH))
        results: list[tuple[int, str]] = []
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            body, headers = self.build_webhook(batch, **build_kwargs)
            self.recorder.emit("posting", body)
            status, text = await webhook.post(
                self._client(), target, body, headers, self.webhook_timeout
            )
            self.recorder.add_webhook_post(
                WebhookPost(target, body, headers, len(batch), status, text, self.now())
            )
            results.append((status, text))
        return results

    async def verify_webhook(
        self, url: str, verify_token: str, *, challenge: str | int | None = None
    ) -> tuple[int, str]:
        """Meta's GET handshake; the caller checks that the body equals the challenge.

        A handshake with ``webhook_url`` is remembered in ``verification`` (shown by
        ``/_sim/state`` and the chat page).
        """
        value = str(challenge if challenge is not None else secrets.randbelow(9 * 10**9) + 10**9)
        status, body = await webhook.verify(
            self._client(), url, verify_token, value, self.webhook_timeout
        )
        if url == self.webhook_url:
            self.verification = {
                "url": url,
                "ok": status == 200 and body == value,
                "status": status,
                "body": body[:200],
                "at": self.now(),
            }
            self.recorder.emit("verification", self.verification)
        return status, body

    async def _post_one(self, event: dict[str, Any]) -> tuple[int, str]:
        return (await self.post_webhook([event]))[0]

    async def user_says(self, psid: str, text: str) -> tuple[int, str]:
        """``psid`` writes ``text`` to the page."""
        return await self._post_one(self.message_event(psid, text))

    async def user_taps_quick_reply(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """``psid`` taps a quick reply: a message with the title as text and the payload."""
        return await self._post_one(self.message_event(psid, title, quick_reply_payload=payload))

    async def user_taps_button(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """``psid`` taps a postback button."""
        return await self._post_one(self.postback_event(psid, title, payload))

    async def user_reacts(self, psid: str, mid: str, emoji: str) -> tuple[int, str]:
        """``psid`` reacts to the page's message ``mid`` with ``emoji``."""
        event = self.reaction_event(psid, mid, webhook.reaction_name(emoji), emoji)
        return await self._post_one(event)
