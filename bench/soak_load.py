"""The soak's load and its observers: everything that talks to Home Assistant while it runs.

Load: notifications and BROADCASTs through the REST API (``POST /api/services/notify/facebook``
with the user's token), and signed webhook posts as Meta makes them (a post Home Assistant did
not answer with 200 is delivered again once it is back, as Meta does). Observers: the
websocket API (``subscribe_events``: what fired), the probe's event-loop lag, the process's
resident memory, and the simulator's recordings (what Meta accepted, and how each Graph call was
answered; read after the load, see ``Collector``). Everything records ``time.monotonic()``: one
clock for every process on Linux, so these moments and the simulator's ``received_at`` can be
compared.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Coroutine
import contextlib
from dataclasses import dataclass, field
import json
import random
import time
from typing import Any

import aiohttp

from bench import common
from bench.common import APP_SECRET, PAGE_ID, SimProcess
from bench.soak_stack import SERVICE, Hass, People, Plan, outbox_waiting
from simulator import webhook

CALL_TIMEOUT = 120.0  # a notify call that takes longer than this counts as not answered
POLL_EVERY = 2.0  # lag probe and memory
NOTIFY_PREFIX = "soak n"  # every notification's text starts so (broadcasts: "soak broadcast")
DUPLICATE_SHARE = 0.1  # webhook posts that redeliver an event already answered 200
RECENT_ANSWERED = 5.0  # seconds back from which a deliberate duplicate is picked
# The mix of new webhook events: (kind, share).
EVENT_MIX = (("message", 0.45), ("stranger", 0.20), ("quick_reply", 0.15), ("read", 0.20))


async def sleep_until(moment: float, stop: asyncio.Event | None = None) -> None:
    """Sleep until ``moment`` (monotonic), or until ``stop`` is set."""
    delay = moment - time.monotonic()
    if delay <= 0:
        return
    if stop is None:
        await asyncio.sleep(delay)
        return
    try:
        async with asyncio.timeout(delay):
            await stop.wait()
    except TimeoutError:
        pass


def spawn(tasks: set[asyncio.Task[Any]], job: Coroutine[Any, Any, Any]) -> None:
    """Run ``job`` in the background, keeping a reference until it is done."""
    task = asyncio.create_task(job)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


# ------------------------------------------------------------------------------ notify calls


@dataclass
class Call:
    """One ``notify.facebook`` call through the REST API."""

    text: str
    target: str  # a name from allowed_chat_ids, or BROADCAST
    psid: str | None
    started: float
    ended: float = 0.0
    status: int | None = None  # None: no HTTP answer
    reason: str | None = None  # why it was not a 200

    @property
    def asked(self) -> bool:
        """Only a call that returned 200 counts as asked."""
        return self.status == 200


async def call_notify(hass: Hass, call: Call) -> None:
    """Make the call and record how it ended."""
    body = {"message": call.text, "target": [call.target]}
    url = f"{hass.url}/api/services/notify/{SERVICE}"
    timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT)
    try:
        async with hass.session.post(url, json=body, headers=hass.headers, timeout=timeout) as r:
            call.status = r.status
            text = await r.text()
            if r.status != 200:
                call.reason = f"HTTP {r.status}: {' '.join(text.split())[:80]}"
    except (aiohttp.ClientError, TimeoutError) as err:
        call.reason = f"no answer: {type(err).__name__}"
    call.ended = time.monotonic()


class Notifier:
    """Notifications at ``plan.notify_rate``, to the allowed people in turn, unique texts."""

    def __init__(self, hass: Hass, plan: Plan, people: People) -> None:
        """Load ``hass`` at the plan's rate, at most ``plan.max_in_flight`` calls at once."""
        self.hass, self.plan, self.people = hass, plan, people
        self.calls: list[Call] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._slots = asyncio.Semaphore(plan.max_in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: one call every 1/rate s (paused while Home Assistant is down)."""
        names = list(self.people.allowed)
        interval = 1 / self.plan.notify_rate
        tasks: set[asyncio.Task[Any]] = set()
        next_at = time.monotonic()
        while not stop.is_set():
            if not self.hass.up.is_set():
                await self.hass.up.wait()
                next_at = time.monotonic()  # no catch-up burst after the restart
            await self._slots.acquire()
            name = names[len(self.calls) % len(names)]
            psid = self.people.allowed[name]
            text = f"{NOTIFY_PREFIX}{len(self.calls):06d} to {name}"
            call = Call(text, name, psid, time.monotonic())
            self.calls.append(call)
            spawn(tasks, self._one(call))
            next_at += interval
            await sleep_until(next_at, stop)
        await asyncio.gather(*tasks)

    async def _one(self, call: Call) -> None:
        """One call, holding one of the bounded slots (and counting the concurrency)."""
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await call_notify(self.hass, call)
        finally:
            self.in_flight -= 1
            self._slots.release()


class Broadcaster:
    """A BROADCAST every ``plan.broadcast_every`` seconds, to everyone who wrote to the page."""

    def __init__(self, hass: Hass, plan: Plan) -> None:
        """Broadcast through ``hass``."""
        self.hass, self.plan = hass, plan
        self.calls: list[Call] = []

    async def run(self, t0: float, stop: asyncio.Event) -> None:
        """Until ``stop``; a broadcast due while Home Assistant is down waits for it."""
        next_at = t0 + self.plan.broadcast_first
        while True:
            await sleep_until(next_at, stop)
            if stop.is_set():
                return
            await self.hass.up.wait()
            number = len(self.calls)
            call = Call(f"soak broadcast {number:03d}", "BROADCAST", None, time.monotonic())
            self.calls.append(call)
            await call_notify(self.hass, call)
            next_at += self.plan.broadcast_every


# ------------------------------------------------------------------------------ webhook traffic


@dataclass
class Posted:
    """One webhook event (one per body) and every time it was posted."""

    key: str  # what identifies its firing: the mid, or sender|watermark for a read
    kind: str
    fires: bool  # from an allowed person, so it must fire exactly once
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    # (started, ended, status, deliberate duplicate); status 0 = no HTTP answer
    attempts: list[tuple[float, float, int, bool]] = field(default_factory=list)
    answered: float | None = None  # the first 200

    def sign(self) -> None:
        """Signature headers for the body, as Meta sends them."""
        self.headers = webhook.signature_headers(self.body, APP_SECRET)


class WebhookTraffic:
    """Webhook events at ``plan.webhook_rate`` posts/s; redelivery of what was not answered."""

    def __init__(self, hass: Hass, plan: Plan, people: People, seed: int = 20260) -> None:
        """Post to ``hass``'s webhook; the mix is reproducible (``seed``)."""
        self.hass, self.plan, self.people = hass, plan, people
        self.url = hass.url + "/api/facebook_webhooks"
        self.random = random.Random(seed)
        self.events: list[Posted] = []
        self.pending: deque[Posted] = deque()  # waiting for Home Assistant to be back
        self.recent: deque[Posted] = deque()  # answered lately: the duplicates' pool
        self.duplicates = 0
        self._slots = asyncio.Semaphore(64)
        self._stamp = int(time.time() * 1000)

    def make(self, kind: str, psid: str) -> Posted:
        """A new event of ``kind`` from ``psid``, in a body of its own, signed as Meta does."""
        key, event = self._event(kind, psid)
        body = webhook.encode(webhook.envelope([event], now_ms=self._stamp))
        posted = Posted(key, kind, kind != "stranger", body, {})
        posted.sign()
        self.events.append(posted)
        return posted

    def _event(self, kind: str, psid: str) -> tuple[str, dict[str, Any]]:
        """The event (a message, quick reply or read) and the key its firing carries."""
        number = len(self.events)
        self._stamp = max(self._stamp + 1, int(time.time() * 1000))
        if kind == "read":  # unique watermarks: each read is a new one
            return f"{psid}|{self._stamp}", webhook.read_event(
                PAGE_ID, psid, self._stamp, self._stamp
            )
        mid = f"m_soak{number:07d}{self.random.getrandbits(40):010x}"
        payload = f"SOAK_{number % 7}" if kind == "quick_reply" else None
        text = f"soak webhook {number} ({kind})"
        event = webhook.message_event(
            PAGE_ID, psid, self._stamp, text, quick_reply_payload=payload, mid=mid
        )
        return mid, event

    def next_event(self) -> tuple[Posted, bool]:
        """A new event by the mix, or (one post in ten) a redelivery of an answered one."""
        now = time.monotonic()
        while self.recent and self.recent[0].answered is not None:
            if self.recent[0].answered >= now - RECENT_ANSWERED:
                break
            self.recent.popleft()
        if self.recent and self.hass.up.is_set() and self.random.random() < DUPLICATE_SHARE:
            return self.random.choice(self.recent), True
        kinds, shares = zip(*EVENT_MIX, strict=True)
        kind = self.random.choices(kinds, shares)[0]
        if kind == "stranger":
            return self.make(kind, self.random.choice(self.people.strangers)), False
        return self.make(kind, self.random.choice(list(self.people.allowed.values()))), False

    async def seed_strangers(self) -> None:
        """Every stranger writes to the page once (bodies of 50), so a BROADCAST reaches them.

        These first messages are the set-up, not part of the traffic counted afterwards.
        """
        strangers = self.people.strangers
        for start in range(0, len(strangers), 50):
            events = [self._event("stranger", psid)[1] for psid in strangers[start : start + 50]]
            body = webhook.encode(webhook.envelope(events, now_ms=self._stamp))
            seed = Posted("seed", "seed", False, body, {})
            seed.sign()
            if not await self.post(seed, duplicate=False):
                raise RuntimeError(f"the strangers' first messages were refused: {seed.attempts}")
        self.pending.clear()
        self.recent.clear()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: one post every 1/rate s.

        While Home Assistant is dead the posts go out anyway and fail (nothing listens), so
        they wait for redelivery; while it starts again, events wait without a try (a post
        answered before the websocket observer is back would fire unseen).
        """
        interval = 1 / self.plan.webhook_rate
        tasks: set[asyncio.Task[Any]] = set()
        next_at = time.monotonic()
        while not stop.is_set():
            event, duplicate = self.next_event()
            if self.hass.up.is_set() or self.hass.dead:
                await self._slots.acquire()
                spawn(tasks, self._bounded(event, duplicate))
            else:
                self.pending.append(event)
            next_at = max(next_at + interval, time.monotonic() - 1.0)
            await sleep_until(next_at, stop)
        await asyncio.gather(*tasks)

    async def _bounded(self, event: Posted, duplicate: bool) -> None:
        """One post, holding one of the bounded slots."""
        try:
            await self.post(event, duplicate)
        finally:
            self._slots.release()

    async def post(self, event: Posted, duplicate: bool) -> bool:
        """POST the body once; a failed first delivery goes to ``pending`` for redelivery."""
        self.duplicates += duplicate
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with self.hass.session.post(
                self.url, data=event.body, headers=event.headers, timeout=timeout
            ) as answer:
                status = answer.status
                await answer.read()
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        event.attempts.append((started, time.monotonic(), status, duplicate))
        if status == 200:
            if event.answered is None:
                event.answered = time.monotonic()
                self.recent.append(event)
            return True
        if event.answered is None and not duplicate:
            self.pending.append(event)
        return False

    async def redeliver(self, done: asyncio.Event) -> None:
        """Post again, in order, what was not answered, whenever Home Assistant is up."""
        while not done.is_set():
            await sleep_until(time.monotonic() + 0.2, done)
            while self.pending and self.hass.up.is_set():
                event = self.pending.popleft()
                if event.answered is None and not await self.post(event, duplicate=False):
                    await asyncio.sleep(0.5)  # post() queued it again
                    break


# ------------------------------------------------------------------------------ observers


SUBSCRIBED = (
    "facebook_message",
    "facebook_read",
    "facebook_broadcast_finished",
    "facebook_send_failed",
)


class Observer:
    """What fired, through the websocket API: messages and reads from the webhook, and what the
    integration reports about its sending (BROADCAST results, outbox give-ups)."""

    def __init__(self, hass: Hass) -> None:
        """Observe ``hass`` (connect after every start)."""
        self.hass = hass
        self.fired: defaultdict[str, list[float]] = defaultdict(list)
        self.broadcasts: list[tuple[float, dict[str, Any]]] = []  # facebook_broadcast_finished
        self.send_failed: list[tuple[float, dict[str, Any]]] = []  # facebook_send_failed
        self.connections = 0
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Log in, ask for coalesced messages, subscribe; then read in the background."""
        assert self.hass.user is not None
        ws = await self.hass.session.ws_connect(self.hass.url + "/api/websocket", max_msg_size=0)
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": self.hass.user.access_token})
        if (answer := await ws.receive_json()).get("type") != "auth_ok":
            raise RuntimeError(f"websocket login refused: {answer}")
        features = {"coalesce_messages": 1}
        await ws.send_json({"id": 1, "type": "supported_features", "features": features})
        for number, event_type in enumerate(SUBSCRIBED, start=2):
            await ws.send_json({"id": number, "type": "subscribe_events", "event_type": event_type})
        results = 0
        while results < 1 + len(SUBSCRIBED):
            for item in self._items(await ws.receive()):
                if item.get("type") == "result":
                    if not item.get("success"):
                        raise RuntimeError(f"websocket subscription refused: {item}")
                    results += 1
        self.connections += 1
        self._reader = asyncio.create_task(self._read(ws))

    @staticmethod
    def _items(message: aiohttp.WSMessage) -> list[dict[str, Any]]:
        """The messages in one frame (coalesced frames hold a list)."""
        if message.type != aiohttp.WSMsgType.TEXT:
            return []
        data = json.loads(message.data)
        return data if isinstance(data, list) else [data]

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Note every event until the connection ends (a kill ends it)."""
        async with ws:
            async for message in ws:
                now = time.monotonic()
                for item in self._items(message):
                    if item.get("type") == "event":
                        self._note(item["event"], now)

    def _note(self, event: dict[str, Any], now: float) -> None:
        """Count a firing under the key its webhook event was posted with (or keep a report)."""
        data = event.get("data", {})
        kind = event.get("event_type")
        if kind == "facebook_message":
            self.fired[str(data.get("mid"))].append(now)
        elif kind == "facebook_read":
            self.fired[f"{data.get('sender_id')}|{data.get('watermark')}"].append(now)
        elif kind == "facebook_broadcast_finished":
            self.broadcasts.append((now, data))
        else:
            self.send_failed.append((now, data))

    async def close(self) -> None:
        """Stop reading."""
        if self._reader is not None:
            self._reader.cancel()


class Samplers:
    """Home Assistant's event-loop lag (the probe), resident memory and the outbox's size (its
    file, which the integration rewrites on every change), every 2 s."""

    def __init__(self, hass: Hass) -> None:
        """Sample ``hass``."""
        self.hass = hass
        self.lag: list[tuple[int, float, float]] = []  # (pid, monotonic time, ms late)
        self.rss: list[tuple[int, float, float]] = []  # (pid, monotonic time, MiB)
        self.outbox: list[tuple[float, int]] = []  # (monotonic time, messages waiting)
        self.stalls: list[dict[str, Any]] = []  # where the loop was stuck (--stall-stacks)
        self._next: dict[int, int] = {}
        self._stalls_after = 0.0

    async def run(self, done: asyncio.Event) -> None:
        """Until ``done``."""
        while not done.is_set():
            await self.sample()
            await sleep_until(time.monotonic() + POLL_EVERY, done)
        await self.sample()

    async def sample(self) -> None:
        """One memory and outbox reading, the probe's new lag samples (while it is up)."""
        with contextlib.suppress(OSError, ValueError, KeyError):
            self.outbox.append((time.monotonic(), outbox_waiting(self.hass.process.config_dir)))
        process = self.hass.process.process
        if process is None or process.poll() is not None:
            return
        pid = process.pid
        try:
            self.rss.append((pid, time.monotonic(), common.rss_mib(pid)))
        except (OSError, RuntimeError):
            return
        if not self.hass.up.is_set():
            return
        try:
            data = await self.hass.get_json(f"/api/soak_probe/lag?since={self._next.get(pid, 0)}")
        except (aiohttp.ClientError, RuntimeError, TimeoutError):
            return
        self._next[data["pid"]] = data["next"]
        self.lag += [(data["pid"], t, ms) for t, ms in data["samples"]]
        if self.hass.stall_stacks:
            await self._sample_stalls()

    async def _sample_stalls(self) -> None:
        """The probe's stall stacks recorded since the last read."""
        try:
            data = await self.hass.get_json(f"/api/soak_probe/stalls?after={self._stalls_after}")
        except (aiohttp.ClientError, RuntimeError, TimeoutError):
            return
        self.stalls += data["stalls"]
        if data["stalls"]:
            self._stalls_after = max(stall["at"] for stall in data["stalls"])


@dataclass
class Copy:
    """A Send API call the simulator accepted (one copy of a message)."""

    text: str
    recipient: str
    received_at: float


@dataclass
class Answer:
    """How the simulator answered one Send API call."""

    text: str | None
    recipient: str | None
    received_at: float
    status: int  # 0: no answer (the connection was dropped)
    code: int | None
    message: str | None


class Collector:
    """The simulator's recordings, read only once the load has stopped.

    Reading them costs the simulator's event loop about 25 ms per 1,000 recorded requests; done
    during the load, that stall bunches the arrivals behind it and eats into the pacer's 50 ms
    margin, so the soak would be measuring its own interference.
    """

    def __init__(self, sim: SimProcess) -> None:
        """Read ``sim``."""
        self.sim = sim
        self.copies: list[Copy] = []
        self.answers: list[Answer] = []
        self._sent = 0
        self._requests = 0

    async def poll_sent(self) -> None:
        """The accepted messages recorded since the last read."""
        sent = await self.sim.control("GET", f"sent?since={self._sent}")
        self._sent = sent["next"]
        for item in sent["data"]:
            text = (item.get("message") or {}).get("text")
            if text is not None:
                self.copies.append(Copy(text, item["recipient_id"], item["received_at"]))

    async def poll_requests(self) -> None:
        """How each Send API call recorded since the last read was answered."""
        requests = await self.sim.control("GET", f"requests?since={self._requests}")
        self._requests = requests["next"]
        for item in requests["data"]:
            if item["path"].endswith("/messages"):
                self.answers.append(answer_of(item))


def answer_of(request: dict[str, Any]) -> Answer:
    """The compact form of one recorded Send API request."""
    body = request.get("body") or {}
    message = body.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    recipient = body.get("recipient")
    error = (request.get("response") or {}).get("error")
    return Answer(
        text,
        recipient.get("id") if isinstance(recipient, dict) else None,
        request["received_at"],
        request["status"],
        common.error_code(request),
        error.get("message") if isinstance(error, dict) else None,
    )
