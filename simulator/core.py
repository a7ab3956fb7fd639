"""The :class:`Simulator`: one object that plays Meta for tests, benchmarks and local work.

It composes the layers below it: the settings (:mod:`.config`), the simulated world
(:mod:`.world`), the Graph API (:mod:`.graph`), the webhook sender (:mod:`.webhook`), the chat
page (:mod:`.chat`) and the control API (:mod:`.control`), and serves them from one aiohttp
application. Tests drive it through this Python API; other processes through the control API;
people through the chat page. It is the only module that imports the route modules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
import random
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import cdn, chat, control, outage, tokens, webhook
from .chat_model import ChatModel
from .config import SimConfig
from .faults import Fault, FaultQueue, edges_for
from .graph import GraphApi
from .people import People
from .recording import RecordedRequest, Recorder, SentMessage, WebhookPost
from .state import (
    DEFAULT_SCOPES,
    TOKEN_STATES,
    AppSubscription,
    MessageRef,
    SimAdmin,
    SimPage,
    SimTemplate,
    SimToken,
    SimUser,
    State,
)
from .world import World

CLIENT_MAX_SIZE = 64 * 1024 * 1024  # bodies above this get aiohttp's 413
Paths = str | Iterable[str] | None


def _knob(name: str) -> Any:
    """A property that reads and writes ``self.config.<name>`` (the old loose attributes)."""

    def get(self: Simulator) -> Any:
        return getattr(self.config, name)

    def set_(self: Simulator, value: Any) -> None:
        setattr(self.config, name, value)

    return property(get, set_, doc=f"``config.{name}``.")


class Simulator:
    """A stand-in for Meta's Graph API and webhook sender."""

    default_version = _knob("default_version")
    webhook_url = _knob("webhook_url")
    latency = _knob("latency")
    rate_cap = _knob("rate_cap")
    media_rate_cap = _knob("media_rate_cap")
    usage_budget_per_minute = _knob("usage_budget_per_minute")
    max_attachment_bytes = _knob("max_attachment_bytes")
    webhook_timeout = _knob("webhook_timeout")

    def __init__(
        self,
        default_version: str = "v25.0",
        *,
        webhook_url: str | None = None,
        latency: float = 0.0,
        rate_cap: int | None = None,
        seed: int | None = None,
        config: SimConfig | None = None,
    ) -> None:
        self.config = config or SimConfig(
            default_version=default_version,
            webhook_url=webhook_url,
            latency=latency,
            rate_cap=rate_cap,
        )
        self.config.check()
        self.world = World(random=random.Random(seed))
        self.sender = webhook.WebhookSender(self.world, self.config)
        self.graph = GraphApi(self.world, self.config, self._verify_callback)
        self.people = People(self.world, self.sender)
        self.chat = ChatModel(self.world, self.sender)
        self.cdn = cdn.Cdn(self.world)
        self.app = self._build_app()
        self.url = ""
        # Shown by /_sim/state and `python -m simulator`: what a person pastes into a UI setup.
        self.ui_setup: dict[str, str] | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.world.template_listeners.append(self._template_changed)

    # ----------------------------------------------------------------------------- app

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=CLIENT_MAX_SIZE)
        # The chat page and its /_sim/ routes come before the control API's /_sim/ catch-all;
        # the Graph catch-all below must stay last.
        chat.setup_routes(app, self.chat)
        cdn.setup_routes(app, self.cdn)
        control.setup_routes(app, self)
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
        """Stop serving and close the webhook client (pending status webhooks are dropped)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sender.close()
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
    def state(self) -> State:
        """The simulated world's state (pages, users, attachments, tokens, clock)."""
        return self.world.state

    @property
    def recorder(self) -> Recorder:
        """The recordings and their listeners."""
        return self.world.recorder

    @property
    def faults(self) -> FaultQueue:
        """The queue of pending faults."""
        return self.world.faults

    @property
    def random(self) -> random.Random:
        """The seeded random source (webhook shuffles, handshake challenges)."""
        return self.world.random

    @property
    def pages(self) -> dict[str, SimPage]:
        """Pages by id."""
        return self.world.state.pages

    @property
    def users(self) -> dict[str, SimUser]:
        """Users by PSID."""
        return self.world.state.users

    @property
    def attachments(self) -> dict[str, Any]:
        """Saved attachments by id."""
        return self.world.state.attachments

    @property
    def clock_offset(self) -> float:
        """Seconds added to wall time to make the simulated time."""
        return self.world.state.clock_offset

    @clock_offset.setter
    def clock_offset(self, value: float) -> None:
        self.world.state.clock_offset = value
        outage.sweep(self.world.state)

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.world.now()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (windows close, attachment ids expire)."""
        self.world.advance(seconds)

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
        scopes: Iterable[str] = DEFAULT_SCOPES,
        human_agent_approved: bool = False,
        restricted: bool = False,
    ) -> SimPage:
        """Add (or replace) a page whose ``token`` authenticates Graph calls (it never expires;
        ``token_state`` says whether it still works)."""
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
            scopes=tuple(scopes),
            human_agent_approved=human_agent_approved,
            restricted=restricted,
        )
        state = self.world.state
        previous = state.pages.get(page_id)
        if previous is not None:  # what the Graph API managed stays with the page
            page.subscribed_fields = previous.subscribed_fields
            page.profile = previous.profile
            page.failing_since = previous.failing_since
            page.unsubscribed_at = previous.unsubscribed_at
        state.pages[page_id] = page
        tokens.register_page(state, page, previous)
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
        state = self.world.state
        if isinstance(page, SimPage):
            page_id = page.page_id
        elif page is None:
            page_id = state.first_page().page_id
        else:
            page_id = str(page)
        if page_id not in state.pages:
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
        state.users[psid] = user
        self.world.recorder.emit("user", user)
        return user

    # ----------------------------------------------------------------------------- recordings

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every Graph API request, in arrival order."""
        return self.world.recorder.requests

    @property
    def sent(self) -> list[SentMessage]:
        """Every Send API call the simulator accepted."""
        return self.world.recorder.sent

    @property
    def webhook_posts(self) -> list[WebhookPost]:
        """Every webhook POST the simulator made."""
        return self.world.recorder.webhook_posts

    def messages_to(self, psid: str) -> list[SentMessage]:
        """Accepted messages (sender actions excluded) sent to ``psid``."""
        return self.world.recorder.messages_to(psid)

    def peak_rate(self, window: float = 1.0, page_id: str | None = None) -> int:
        """Most accepted Send API calls in any sliding window of ``window`` seconds."""
        return self.world.recorder.peak_rate(window, page_id)

    def count_errors(self, code: int) -> int:
        """How many Graph answers carried error ``code``."""
        return self.world.recorder.count_errors(code)

    def clear(self) -> None:
        """Forget recordings, pending faults, rate windows and usage (pages and users stay)."""
        world = self.world
        world.recorder.clear()
        world.faults.clear()
        world.limiter.clear()
        world.profile_calls.clear()
        world.conversation_calls.clear()
        world.usage.clear()

    # ----------------------------------------------------------------------------- faults

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults waiting for a matching call."""
        return self.world.faults.pending

    def clear_faults(self) -> None:
        """Drop pending faults."""
        self.world.faults.clear()

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
        paths: Paths = None,
    ) -> Fault:
        """Answer the next ``count`` matching calls with this Graph error."""
        return self._inject(
            "error",
            paths,
            count,
            code=code,
            subcode=subcode,
            message=message,
            http_status=http_status,
            is_transient=is_transient,
            error_type=error_type,
        )

    def inject_http_status(
        self,
        status: int,
        *,
        count: int | None = 1,
        body: str | dict[str, Any] | None = None,
        paths: Paths = None,
    ) -> Fault:
        """Answer with a bare HTTP status (an HTML page unless ``body`` is given)."""
        return self._inject("http", paths, count, status=status, body=body)

    def inject_disconnect(
        self, *, count: int | None = 1, after_accept: bool = False, paths: Paths = None
    ) -> Fault:
        """Drop the connection without answering (after accepting the message, if asked)."""
        return self._inject("disconnect", paths, count, after_accept=after_accept)

    def inject_delay(self, seconds: float, *, count: int | None = 1, paths: Paths = None) -> Fault:
        """Hold the answer of the next matching calls for ``seconds`` more."""
        return self._inject("delay", paths, count, seconds=seconds)

    def _inject(self, kind: str, paths: Paths, count: int | None, **details: Any) -> Fault:
        """Queue a fault of ``kind`` for the calls ``paths`` names (default: sends)."""
        return self.world.faults.add(
            Fault(kind=kind, edges=edges_for(paths), count=count, **details)
        )

    def set_usage(
        self, call_count: int | None = None, estimated_time_to_regain_access: int | None = None
    ) -> None:
        """Override the usage headers' percentage and regain time (None: computed again)."""
        self.world.usage.call_count = call_count
        self.world.usage.estimated_time_to_regain_access = estimated_time_to_regain_access

    # ----------------------------------------------------------------------------- webhook events

    def message_event(self, psid: str, text: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """A message from ``psid`` (see :meth:`WebhookSender.message_event`)."""
        return self.sender.message_event(psid, text, **kwargs)

    def unsend(self, mid: str) -> None:
        """The person unsends their message ``mid``: quoting it is refused from now on."""
        self.world.state.forget(mid)

    def postback_event(self, psid: str, title: str, payload: str, **kwargs: Any) -> dict[str, Any]:
        """A button tap from ``psid``."""
        return self.sender.postback_event(psid, title, payload, **kwargs)

    def delivery_event(
        self,
        psid: str,
        mids: Sequence[str] | None = None,
        watermark: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A delivery receipt (watermark defaults to now)."""
        return self.sender.delivery_event(psid, mids, watermark, **kwargs)

    def read_event(self, psid: str, watermark: int | None = None, **kwargs: Any) -> dict[str, Any]:
        """A read receipt (watermark defaults to now)."""
        return self.sender.read_event(psid, watermark, **kwargs)

    def reaction_event(self, psid: str, mid: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """A reaction by ``psid`` to the page's message ``mid``."""
        return self.sender.reaction_event(psid, mid, *args, **kwargs)

    def echo_event(self, psid: str, text: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """An echo of a page message to ``psid`` (default app id: the page's app)."""
        return self.sender.echo_event(psid, text, *args, **kwargs)

    # ----------------------------------------------------------------------------- webhook delivery

    @property
    def verification(self) -> dict[str, Any] | None:
        """The last handshake with ``webhook_url``: {"url", "ok", "status", "body", "at"}."""
        return self.sender.verification

    def random_challenge(self) -> str:
        """A handshake challenge from the seeded random source."""
        return str(self.world.random.randrange(10**9, 10**10))

    def build_webhook(
        self, events: dict[str, Any] | Iterable[dict[str, Any]], **kwargs: Any
    ) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers Meta would POST (see :meth:`WebhookSender.build`)."""
        return self.sender.build(events, **kwargs)

    async def post_webhook(
        self, events: dict[str, Any] | Iterable[dict[str, Any]], **kwargs: Any
    ) -> list[tuple[int, str]]:
        """POST the events in batches of at most 1000; (status, text) per batch."""
        return await self.sender.post_events(events, **kwargs)

    async def verify_webhook(
        self, url: str, verify_token: str, *, challenge: str | int | None = None
    ) -> tuple[int, str]:
        """Meta's GET handshake; one with ``webhook_url`` is remembered in ``verification``."""
        return await self.sender.verify(url, verify_token, challenge=challenge)

    async def user_says(self, psid: str, text: str) -> tuple[int, str]:
        """``psid`` writes ``text`` to the page."""
        return await self.people.says(psid, text)

    def attachment_url(
        self, data: bytes, content_type: str, name: str = "file", ttl: float | None = None
    ) -> str:
        """A URL on the simulator's CDN serving ``data`` until it expires (F-47)."""
        lifetime = self.config.attachment_url_ttl if ttl is None else ttl
        return self.cdn.add(self.url, data, content_type, name, lifetime)

    async def user_sends_attachment(
        self, psid: str, kind: str, data: bytes, content_type: str, name: str = "file"
    ) -> tuple[int, str]:
        """``psid`` sends a picture, voice note (``audio``), video or file: a message whose
        attachment URL the simulator serves (and expires)."""
        url = self.attachment_url(data, content_type, name)
        event = self.sender.message_event(psid, None, attachments=[(kind, url)])
        return await self.sender.post_one(event)

    async def user_taps_grid_image(self, psid: str, message_id: str, index: int) -> tuple[int, str]:
        """``psid`` taps picture ``index`` of the page's image grid ``message_id``: a postback
        action posts ``messaging_postbacks`` titled with its ``text``; a link sends nothing."""
        sent = next((s for s in self.sent if s.message_id == message_id), None)
        payload = ((sent.message or {}).get("attachment") or {}).get("payload") if sent else None
        if not isinstance(payload, dict) or payload.get("template_type") != "image_grid":
            raise ValueError(f"{message_id} is not an image grid")
        images = payload["elements"][0]["images"]
        if not 0 <= int(index) < len(images):
            raise ValueError(f"the grid has no picture {index}")
        action = images[int(index)].get("action")
        if not isinstance(action, dict):
            return 0, "no action: the picture is not tappable"
        if action.get("type") != "postback":
            return 0, "web_url: no webhook"
        return await self.user_taps_button(psid, str(action["text"]), str(action["payload"]))

    async def user_taps_quick_reply(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """``psid`` taps a quick reply: a message with the title as text and the payload."""
        return await self.people.taps_quick_reply(psid, title, payload)

    async def user_taps_button(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """``psid`` taps a postback button."""
        return await self.people.taps_button(psid, title, payload)

    async def user_reacts(self, psid: str, mid: str, emoji: str) -> tuple[int, str]:
        """``psid`` reacts to the page's message ``mid`` with ``emoji``."""
        return await self.people.reacts(psid, mid, emoji)

    async def user_replies(self, psid: str, mid: str, text: str) -> tuple[int, str]:
        """``psid`` answers ``text`` quoting the message ``mid`` (either side's)."""
        return await self.people.replies(psid, mid, text)

    async def user_taps_menu(self, psid: str, title: str) -> tuple[int, str]:
        """``psid`` taps the persistent-menu item ``title`` (web_url: ``(0, NO_WEBHOOK)``)."""
        return await self.people.taps_menu(psid, title)

    async def user_taps_ice_breaker(self, psid: str, question: str) -> tuple[int, str]:
        """``psid`` taps the ice breaker ``question``."""
        return await self.people.taps_ice_breaker(psid, question)

    async def user_taps_get_started(self, psid: str) -> tuple[int, str]:
        """``psid`` taps the Get Started button."""
        return await self.people.taps_get_started(psid)

    async def user_sends_command(self, psid: str, name: str) -> tuple[int, str]:
        """``psid`` chooses the command ``name`` (typed as "/name")."""
        return await self.people.sends_command(psid, name)

    def age_user(self, psid: str, seconds: float) -> None:
        """Move ``psid``'s last message ``seconds`` into the past, so their window closes."""
        self.people.age(psid, seconds)

    # ----------------------------------------------------------------------------- admins, tokens

    def add_admin(
        self,
        user_id: str = "100000000000001",
        name: str = "Dana",
        pages: Iterable[str] | None = None,
    ) -> SimAdmin:
        """Add (or replace) a Facebook user who administers ``pages`` (default: every page)."""
        state = self.world.state
        page_ids = [str(p) for p in (state.pages if pages is None else pages)]
        unknown = [p for p in page_ids if p not in state.pages]
        if unknown or not str(user_id).isdigit():
            raise ValueError(f"unknown pages {unknown}" if unknown else "user ids are numeric")
        admin = SimAdmin(str(user_id), name, page_ids)
        state.admins[admin.user_id] = admin
        return admin

    def issue_user_token(
        self,
        user_id: str = "100000000000001",
        *,
        app_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        long_lived: bool = False,
        token: str | None = None,
        lifetime: float | None = None,
    ) -> str:
        """A user token of admin ``user_id`` for ``app_id`` (default: their first page's app).

        Short-lived tokens expire after 1 hour of simulated time, long-lived ones after
        5183944 s; ``token`` and ``lifetime`` fix the value and the seconds (demos, docs).
        """
        state = self.world.state
        admin = state.admins.get(str(user_id))
        if admin is None:
            raise ValueError(f"unknown admin {user_id}: add_admin first")
        if app_id is None:
            pages = [state.pages[p] for p in admin.pages if p in state.pages]
            app_id = pages[0].app_id if pages else state.first_page().app_id
        record = tokens.issue_user_token(
            state, admin, str(app_id), scopes, long_lived=long_lived, value=token, lifetime=lifetime
        )
        return record.token

    @property
    def tokens(self) -> dict[str, SimToken]:
        """Every token the simulator issued, by value."""
        return self.world.state.tokens

    def token_status(self, token: str) -> str:
        """``valid``, ``expired`` or ``invalidated`` (KeyError for tokens it never issued)."""
        return self.world.state.token_status(self.world.state.tokens[token])

    @property
    def admins(self) -> dict[str, SimAdmin]:
        """Page admins by user id."""
        return self.world.state.admins

    def invalidate_token(self, token: str) -> None:
        """End a token early (password change: 190/460 from then on)."""
        self.world.state.tokens[token].invalidated = True

    # ----------------------------------------------------------------------------- templates

    @property
    def templates(self) -> dict[str, SimTemplate]:
        """Utility templates by id."""
        return self.world.state.templates

    def find_template(
        self, name: str, language: str | None = None, page_id: str | None = None
    ) -> SimTemplate:
        """The template named ``name`` (of that language and page, when given)."""
        for template in self.world.state.templates.values():
            if template.name != name or (language and template.language != language):
                continue
            if page_id is None or template.page_id == str(page_id):
                return template
        raise ValueError(f"no template {name!r}")

    def set_template_status(
        self, name: str, status: str, reason: str | None = None, language: str | None = None
    ) -> SimTemplate:
        """Switch a template's status (APPROVED, PAUSED, REJECTED, DISABLED, ...)."""
        template = self.find_template(name, language)
        self.world.set_template_status(template, status.upper(), reason)
        return template

    def template_status_event(
        self,
        name: str,
        status: str | None = None,
        reason: str | None = None,
        *,
        language: str | None = None,
    ) -> dict[str, Any]:
        """The status webhook event for a template (its current status unless given)."""
        template = self.find_template(name, language)
        event = self.sender.template_status_event(template)
        if status is not None:
            event["value"]["event"] = status
        if reason is not None:
            event["value"]["reason"] = reason
        return event

    def _template_changed(self, template: SimTemplate) -> None:
        """Post the status webhook for a change (in the background; none without a URL)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # changed outside the event loop: nobody to post it
            return
        if not self.config.webhook_url:
            return
        event = self.sender.template_status_event(template)
        task = loop.create_task(self.sender.post_one(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the status webhooks already under way."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ----------------------------------------------------------------------------- subscriptions

    async def _verify_callback(
        self, url: str, verify_token: str, challenge: str
    ) -> tuple[int, str]:
        """Meta's verification GET for an app webhook (``POST /{app-id}/subscriptions``)."""
        return await self.sender.verify(url, verify_token, challenge=challenge)

    def _page(self, page_id: str | None) -> SimPage:
        state = self.world.state
        return state.pages[str(page_id)] if page_id is not None else state.first_page()

    def subscription(self, page_id: str | None = None) -> dict[str, Any]:
        """The page's webhook subscription: fields, whether events are delivered, since when
        deliveries fail and when the one-hour rule dropped it (default: the first page)."""
        outage.sweep(self.world.state)
        page = self._page(page_id)
        return {
            "page_id": page.page_id,
            "app_id": page.app_id,
            "subscribed_fields": page.subscribed_fields,
            "subscribed": page.subscribed_fields is None or bool(page.subscribed_fields),
            "failing_since": page.failing_since,
            "unsubscribed_at": page.unsubscribed_at,
            "target": self.sender.target_for(page.page_id),
        }

    def drop_subscription(self, page_id: str | None = None) -> None:
        """Unsubscribe the app from the page now, as the one-hour rule does."""
        outage.drop(self._page(page_id), self.now())

    @property
    def app_subscriptions(self) -> dict[tuple[str, str], AppSubscription]:
        """The apps' webhooks by (app id, object)."""
        return self.world.state.app_subscriptions

    def set_app_subscription_active(self, app_id: str, active: bool, obj: str = "page") -> None:
        """Mark an app's webhook active or not (what ``GET /{app-id}/subscriptions`` shows);
        an inactive one gets no events."""
        self.world.state.app_subscriptions[(str(app_id), obj)].active = active

    @property
    def verifications(self) -> list[dict[str, Any]]:
        """Every verification GET sent for an app webhook, with the callback's answer."""
        return self.world.state.verifications

    def set_remote_size(self, url: str, size: int) -> None:
        """Tell the simulator how big the file behind ``url`` is (image URLs: 8 MB at most)."""
        self.world.state.remote_sizes[str(url)] = int(size)

    def restrict_page(self, page_id: str | None = None, restricted: bool = True) -> None:
        """Meta restricts the page from sending (10/1893063) or lifts the restriction."""
        self._page(page_id).restricted = restricted

    def approve_human_agent(self, page_id: str | None = None, approved: bool = True) -> None:
        """The page's app passed (or lost) App Review for the Human Agent permission."""
        self._page(page_id).human_agent_approved = approved

    def conversation(self, psid: str) -> list[MessageRef]:
        """The remembered messages between ``psid`` and their page, oldest first."""
        user = self.world.state.users[str(psid)]
        return self.world.state.conversation(user.page_id, user.psid)

    def profile(self, page_id: str | None = None) -> dict[str, Any]:
        """The page's Messenger Profile properties (default: the first page)."""
        return self._page(page_id).profile
