"""The soak's cast: the sizes of a run, the people, the config dir, and `hass` as a process.

Home Assistant runs as ``python -m homeassistant`` (``tests.e2e.harness.HassProcess``) on a
temporary config dir, so it can be SIGKILLed and started again on the same dir, and everything
the soak does to it goes over HTTP with a real user's token (onboarded through the REST API).

How ``custom_components`` resolves: Home Assistant puts the config dir first on ``sys.path`` and
imports ``custom_components``, then scans every directory of that package's ``__path__``. The
harness also puts the repository on PYTHONPATH (and runs ``hass`` from it), and the repository's
``custom_components`` is a regular package (it has an ``__init__.py``). A config-dir
``custom_components`` without an ``__init__.py`` would only be a namespace portion, and the
repository's regular package would win: the probe would never be found. So the config dir gets
a regular package of its own, found first, holding the probe (copied from ``bench/soak_probe``)
and a symlink to the repository's ``custom_components/facebook`` (without it Home Assistant would
load its own built-in ``facebook``). ``check_loaded`` proves both loaded: the log names both
custom integrations, the probe answers, and the webhook handshake (which the built-in
``facebook`` does not have) answers the challenge.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
import time
from typing import Any

import aiohttp

from bench import common
from bench.common import VERIFY_TOKEN, SimProcess
from tests.e2e.harness import HassProcess, HassUser, onboard, write_hass_config

PROBE = Path(__file__).resolve().parent / "soak_probe"
SERVICE = "facebook"
READY_TIMEOUT = 180.0
TOKEN_REFRESH = 20 * 60.0  # access tokens live 30 minutes


@dataclass(frozen=True)
class Plan:
    """The sizes and the rhythm of one run (seconds and events per second)."""

    duration: float
    notify_rate: float
    webhook_rate: float
    broadcast_every: float
    broadcast_first: float
    fault_every: float
    fault_seconds: float
    faults: int
    warmup: float
    tail: float
    drain_timeout: float
    settle: float
    slow_seconds: float = 2.5
    # The kill comes this long into its HTTP 500 fault: past the in-call retries (about 3.5 s),
    # so the calls made in the fault's first seconds already wait in the outbox, on disk.
    kill_after: float = 6.0
    stall_stacks: bool = False  # the probe also records where the loop was stuck
    allowed: int = 50
    strangers: int = 450
    latency: float = 0.1
    max_in_flight: int = 200

    @classmethod
    def full(cls, minutes: float) -> Plan:
        """The soak: 20 notifications/s, 100 webhook events/s, a fault every 30 s."""
        duration = minutes * 60
        return cls(
            duration=duration,
            notify_rate=20,
            webhook_rate=100,
            broadcast_every=60,
            broadcast_first=45,
            fault_every=30,
            fault_seconds=5,
            faults=max(6, int(duration // 30) - 2),
            warmup=60,
            tail=30,
            drain_timeout=600,
            settle=15,
        )

    @classmethod
    def quick(cls) -> Plan:
        """The smoke test's run: lower rates, every fault kind once, still one kill."""
        return cls(
            duration=24,
            notify_rate=5,
            webhook_rate=20,
            broadcast_every=30,
            broadcast_first=5,
            fault_every=2.5,
            fault_seconds=1.5,
            faults=6,
            warmup=5,
            tail=3,
            drain_timeout=90,
            settle=2,
            kill_after=4.5,
        )


@dataclass(frozen=True)
class People:
    """Allowed people (by name) and strangers who write to the page."""

    allowed: dict[str, str]  # name -> PSID
    strangers: list[str]

    @classmethod
    def make(cls, plan: Plan) -> People:
        """``plan.allowed`` named people and ``plan.strangers`` strangers, distinct PSIDs."""
        ids = common.psids(plan.allowed + plan.strangers)
        allowed = {f"person_{n:02d}": psid for n, psid in enumerate(ids[: plan.allowed])}
        return cls(allowed, ids[plan.allowed :])

    @property
    def everyone(self) -> list[str]:
        """Every PSID (the simulator knows them all)."""
        return [*self.allowed.values(), *self.strangers]


def prepare_config(
    config_dir: Path, port: int, sim: SimProcess, people: People, *, stall_stacks: bool = False
) -> None:
    """The YAML (one page, the allowed people, the probe) and the custom_components layout."""
    notify = common.notify_entry(sim, SERVICE, allowed_chat_ids=dict(people.allowed))
    probe = {"stall_stacks": True} if stall_stacks else {}
    write_hass_config(config_dir, port, {"notify": [notify], "soak_probe": probe})
    install_custom_components(config_dir)


def install_custom_components(config_dir: Path) -> Path:
    """``<config>/custom_components``: a regular package with the probe and a facebook link."""
    target = config_dir / "custom_components"
    target.mkdir(parents=True, exist_ok=True)
    (target / "__init__.py").write_text(
        '"""The soak\'s custom integrations: found before the repository\'s package."""\n',
        encoding="utf-8",
    )
    shutil.copytree(PROBE, target / "soak_probe", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "facebook").symlink_to(common.ROOT / "custom_components" / "facebook")
    return target


@dataclass
class Hass:
    """The `hass` process under test, its user, and whether the load may talk to it (``up``)."""

    process: HassProcess
    session: aiohttp.ClientSession
    user: HassUser | None = None
    up: asyncio.Event = field(default_factory=asyncio.Event)
    dead: bool = False  # killed and not started again yet: nothing listens on its port
    stall_stacks: bool = False  # the probe records where the loop was stuck
    token_at: float = 0.0

    @property
    def url(self) -> str:
        """Its HTTP server."""
        return self.process.url

    @property
    def headers(self) -> dict[str, str]:
        """The user's Authorization header."""
        assert self.user is not None
        return self.user.headers

    async def start(self) -> float:
        """Start `hass` (onboarding it the first time) and wait until it is ready (not ``up``:
        the caller says when the load may come); returns that moment."""
        self.process.start()
        self.dead = False
        await asyncio.to_thread(self.process.wait_http, READY_TIMEOUT)
        if self.user is None:
            self.user = await asyncio.to_thread(onboard, self.url, username="soak")
            self.token_at = time.monotonic()
        await self.wait_ready()
        return time.monotonic()

    def kill(self) -> float:
        """SIGKILL now; returns the moment of the kill."""
        self.up.clear()
        self.dead = True
        killed = time.monotonic()
        self.process.kill()
        return killed

    async def get_json(self, path: str) -> Any:
        """An authenticated GET that must answer 200."""
        timeout = aiohttp.ClientTimeout(total=30)
        async with self.session.get(self.url + path, headers=self.headers, timeout=timeout) as r:
            if r.status != 200:
                raise RuntimeError(f"GET {path} answered {r.status}")
            return await r.json()

    async def wait_ready(self) -> None:
        """Until Home Assistant runs, ``notify.facebook`` exists and the probe answers."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self.process.check_alive()
            try:
                config = await self.get_json("/api/config")
                services = await self.get_json("/api/services")
                await self.get_json("/api/soak_probe/lag?since=1000000000")
            except (aiohttp.ClientError, RuntimeError, TimeoutError):
                await asyncio.sleep(0.2)
                continue
            notify = next((s for s in services if s["domain"] == "notify"), {})
            if config.get("state") == "RUNNING" and SERVICE in notify.get("services", {}):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"hass was not ready in {READY_TIMEOUT} s\n{self.process.log_tail()}")

    async def keep_token(self) -> None:
        """Refresh the access token before it expires (runs as long as the soak)."""
        while True:
            await asyncio.sleep(60)
            if self.user is not None and time.monotonic() - self.token_at > TOKEN_REFRESH:
                await asyncio.to_thread(self.user.refresh)
                self.token_at = time.monotonic()


async def check_loaded(hass: Hass) -> list[str]:
    """Both custom integrations really loaded (not Home Assistant's built-in facebook)."""
    log = hass.process.log.read_text(encoding="utf-8", errors="replace")
    found = [name for name in ("facebook", "soak_probe") if f"custom integration {name} " in log]
    query = f"hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=4242"
    async with hass.session.get(f"{hass.url}/api/facebook_webhooks?{query}") as answer:
        handshake = answer.status == 200 and await answer.text() == "4242"
    config = await hass.get_json("/api/config")
    missing = {"facebook", "soak_probe"} - set(config.get("components", []))
    if found != ["facebook", "soak_probe"] or not handshake or missing:
        raise RuntimeError(
            f"custom integrations: log names {found}, handshake {handshake}, "
            f"not loaded {sorted(missing)}\n{hass.process.log_tail()}"
        )
    return found


def outbox_waiting(config_dir: Path) -> int:
    """Messages waiting in the outbox file right now (what a kill leaves for the restart)."""
    path = config_dir / ".storage" / f"facebook.outbox.{SERVICE}"
    if not path.exists():
        return 0
    entries = json.loads(path.read_text(encoding="utf-8"))["data"]["entries"]
    return sum(len(entry["parts"]) for entry in entries)
