"""Shared fixtures: a real Home Assistant (`hass`) with this repository's integration, and the
Messenger simulator on 127.0.0.1 standing in for Meta."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
import logging
from pathlib import Path
import traceback
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant import loader
from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry, ConfigSubentryData
from homeassistant.const import MATCH_ALL
from homeassistant.core import Event, HomeAssistant, ServiceRegistry, callback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

# Import our package before the `hass` fixture exists: otherwise Home Assistant silently loads
# its own built-in `facebook` integration instead of this one.
import custom_components.facebook
from custom_components.facebook import runtime as runtime_module
from custom_components.facebook.const import DOMAIN, WEBHOOK_PATH
from custom_components.facebook.log_filter import REDACTED
from custom_components.facebook.messenger import pacing
from custom_components.facebook.messenger.backoff import Backoff
from custom_components.facebook.messenger.client import RetryPolicy
from custom_components.facebook.router import DATA_ROUTER, WebhookRouter
from custom_components.facebook.runtime import FacebookRuntime, Timing
from simulator import Simulator
from simulator.webhook import signature_headers

from .clocks import ClockedPacer, StallingClock

assert custom_components.facebook.__file__

PAGE_ID = "1000000000000001"
PAGE_NAME = "Home"
TOKEN = "EAAG-test-page-token-0123456789abcdef"
APP_SECRET = "test-app-secret-fedcba9876543210"
VERIFY_TOKEN = "test-verify-token-5a5a5a"
ALICE = "6543210987654321"
BOB = "1234567890123456"
CAROL = "1111222233334444"  # a person who is not in allowed_chat_ids
SECRETS = (TOKEN, APP_SECRET, VERIFY_TOKEN)

FAST_RETRY = RetryPolicy(attempts=4, backoff=Backoff(0.01, 0.05, jitter=True), max_wait=1.0)
# The real retry paths, with millisecond waits instead of seconds.
FAST_TIMING = Timing(
    retry=FAST_RETRY,
    request_timeout=10.0,
    outbox_backoff=Backoff(0.05, 0.2),
    lookup_backoff=Backoff(0.05, 0.1),
    agent_timeout=30.0,  # the real limit: a first answer from the built-in agent loads its intents
    typing_after=0.0,  # typing at once, however quick the agent (test_assist checks the delay)
)


# The slowest tests (real processes: the benchmarks, Home Assistant, Chromium) start first, so
# that the workers (scripts/test runs two) end together, not one of them alone on a long test.
SLOW_FIRST = (
    "tests/test_bench_smoke.py::test_quick_run_prints_its_table_and_summary[soak]",
    "tests/e2e/",
    "tests/test_bench_smoke.py",
    "tests/browser/",
    "tests/test_webhook_attack.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest first (a stable sort: the rest keep their order)."""

    def rank(item: pytest.Item) -> int:
        starts = [n for n, prefix in enumerate(SLOW_FIRST) if item.nodeid.startswith(prefix)]
        return starts[0] if starts else len(SLOW_FIRST)

    items.sort(key=rank)


# A tiny JPEG (its markers only): what the cameras and the people's photos of the tests show.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 64 + b"\xff\xd9"


async def async_add_camera(hass: HomeAssistant, picture: Path, name: str, image: bytes) -> str:
    """A `local_file` camera showing `image` (written to `picture`); its entity id."""
    picture.write_bytes(image)
    entry = MockConfigEntry(
        domain="local_file",
        title=name,
        options={"name": name.replace("_", " ").title(), "file_path": str(picture)},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return f"camera.{name}"


@pytest.fixture
def media(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Home Assistant's media folder (`local`), where received attachments are kept."""
    folder = tmp_path / "media"
    folder.mkdir()
    hass.config.media_dirs = {"local": str(folder)}
    return folder


@pytest.fixture(autouse=True)
def _custom_integrations(request: pytest.FixtureRequest) -> None:
    """Enable custom integrations for every test that runs Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


class _LeakScanner(logging.Handler):
    """Checks every log record as it is emitted; keeps only the problems (memory stays flat)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.problems = problems

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (record.exc_text or "")
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        if leaked := _leaked(text, ours=record.name.startswith("custom_components")):
            self.problems.append(f"log record {record.name}: {leaked}")


def _leaked(text: str, *, ours: bool = True) -> list[str]:
    """The secrets in `text`; in our own output also the log filter's marker (a secret that
    had to be scrubbed means our code tried to log it). Other loggers may legitimately need
    the filter: Meta's handshake puts the verify token in the URL that aiohttp logs."""
    markers = (*SECRETS, REDACTED) if ours else SECRETS
    return [marker for marker in markers if marker in text]


def _exception_texts(err: BaseException) -> list[str]:
    texts, seen = [], set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), "".join(traceback.format_exception(current))]
        current = current.__cause__ or current.__context__
    return texts


@pytest.fixture(autouse=True)
def _no_secret_leaks(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Across the whole suite: no secret in any log record (the integration's logger at DEBUG),
    in any exception a service call raises, or in any event fired."""
    problems: list[str] = []
    scanner = _LeakScanner(problems)
    root = logging.getLogger()
    root.addHandler(scanner)
    ours = logging.getLogger("custom_components.facebook")
    old_level = ours.level
    ours.setLevel(logging.DEBUG)
    original_call = ServiceRegistry.async_call

    async def scanning_call(self: ServiceRegistry, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original_call(self, *args, **kwargs)
        except Exception as err:
            problems.extend(
                f"exception {type(err).__name__}: {leaked}"
                for text in _exception_texts(err)
                if (leaked := _leaked(text))
            )
            raise

    monkeypatch.setattr(ServiceRegistry, "async_call", scanning_call)

    @callback
    def scan_event(event: Event) -> None:
        if leaked := _leaked(repr(event.data)):
            problems.append(f"event {event.event_type}: {leaked}")

    if "hass" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        hass.bus.async_listen(MATCH_ALL, scan_event)
    yield
    root.removeHandler(scanner)
    ours.setLevel(old_level)
    assert not problems, problems


type SetTiming = Callable[..., None]


@pytest.fixture(autouse=True)
def set_timing(monkeypatch: pytest.MonkeyPatch) -> SetTiming:
    """Pages set up from now on use FAST_TIMING, with these changes (the one timing seam)."""

    def set_to(**changes: Any) -> None:
        monkeypatch.setattr(runtime_module, "DEFAULT_TIMING", replace(FAST_TIMING, **changes))

    set_to()
    return set_to


@pytest.fixture
def pace_clock(monkeypatch: pytest.MonkeyPatch) -> StallingClock:
    """Pages set up from now on pace their Send API calls on this clock (no stalls unless the
    test asks for them), and note when each call started (`tests.clocks.starts_of`)."""
    clock = StallingClock(seed=1234, stall_chance=0.0)
    monkeypatch.setattr(pacing, "Pacer", type("Clocked", (ClockedPacer,), {"clock": clock}))
    return clock


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Meta's stand-in with one page (with an app secret) and two people with open windows."""
    sim = Simulator()
    sim.add_page(page_id=PAGE_ID, name=PAGE_NAME, token=TOKEN, app_secret=APP_SECRET)
    sim.add_user(ALICE, name="Alice")
    sim.add_user(BOB, name="Bob")
    sim.add_user(CAROL, name="Carol")
    await sim.start(host="127.0.0.1", port=0)
    yield sim
    await sim.stop()
    for recorded in sim.requests:  # secrets never travel in a URL
        query = dict(recorded.query)
        if recorded.path.endswith("/debug_token"):
            # Meta's one read that takes a token as a query parameter: the token it inspects.
            # The app token (it holds the app secret) goes in the header.
            query.pop("input_token", None)
        if recorded.path.endswith("/oauth/access_token"):
            # The token exchange, a GET as Meta documents it, carries the app secret in its
            # query; the client never logs a query (the leak scanner checks every log line).
            query.pop("client_secret", None)
            query.pop("fb_exchange_token", None)
        url = recorded.path + repr(query)
        assert not [secret for secret in SECRETS if secret in url], url


def page_config(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    """A `notify:` entry for the simulator's page."""
    config: dict[str, Any] = {
        "platform": DOMAIN,
        "name": "facebook",
        "page_access_token": TOKEN,
        "verify_token": VERIFY_TOKEN,
        "app_secret": APP_SECRET,
        "allowed_chat_ids": {"alice": ALICE, "bob": BOB},
        "graph_url": sim.url,
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


type SetupFacebook = Callable[..., Awaitable[FacebookRuntime]]
type ClientFactory = Callable[[], Awaitable[TestClient]]


@pytest.fixture
def setup_facebook(hass: HomeAssistant, simulator: Simulator) -> SetupFacebook:
    """Set up notify entries (default: one page against the simulator); returns the page."""

    async def setup(*entries: dict[str, Any], **overrides: Any) -> FacebookRuntime:
        configs = list(entries) or [page_config(simulator, **overrides)]
        assert await async_setup_component(hass, "notify", {"notify": configs})
        await hass.async_block_till_done(wait_background_tasks=True)
        return runtime_of(hass, configs[-1].get("name", "notify"))

    return setup


@pytest.fixture
async def client(
    hass: HomeAssistant, setup_facebook: SetupFacebook, hass_client_no_auth: ClientFactory
) -> TestClient:
    """The default page set up, and an unauthenticated client for its webhook."""
    await setup_facebook()
    return await hass_client_no_auth()


def router_of(hass: HomeAssistant) -> WebhookRouter:
    """The integration's shared state: every page behind the webhook."""
    return hass.data[DATA_ROUTER]


def imported_entry(hass: HomeAssistant, service: str = "facebook") -> ConfigEntry:
    """The config entry the YAML entry of `notify.<service>` was imported into."""
    return next(
        e
        for e in hass.config_entries.async_entries(DOMAIN)
        if e.source == SOURCE_IMPORT and e.data.get("name") == service
    )


def runtime_of(hass: HomeAssistant, service: str = "facebook") -> FacebookRuntime:
    """The page behind `notify.<service>` (a YAML page's window onto its state)."""
    runtime: FacebookRuntime = imported_entry(hass, service).runtime_data
    return runtime


def sign(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    """Headers of a body signed the way Meta signs it."""
    return {**signature_headers(body, secret), "Content-Type": "application/json"}


async def post_events(
    client: TestClient, sim: Simulator, events: list[dict[str, Any]], **build: Any
) -> tuple[int, str]:
    """Post messaging events to the webhook view as Meta would (built and signed by the sim)."""
    body, headers = sim.build_webhook(events, **build)
    response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
    return response.status, await response.text()


@asynccontextmanager
async def restarted(hass: HomeAssistant) -> AsyncIterator[HomeAssistant]:
    """Stop `hass` and start a new Home Assistant on the same config and storage."""
    await hass.async_block_till_done()
    await hass.async_stop()
    async with async_test_home_assistant(config_dir=hass.config.config_dir) as new_hass:
        new_hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        await new_hass.config_entries.async_initialize()  # the entries saved before the stop
        try:
            yield new_hass
        finally:
            await new_hass.async_stop(force=True)


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll `condition` (for work that runs in the background) until it holds."""
    step = 0.005
    for _ in range(int(seconds / step)):
        if condition():
            return
        await asyncio.sleep(step)
    raise AssertionError("condition not reached in time")


# ---------------------------------------------------------------------------------------------
# Config entries (the UI setup)

APP_ID = "1517776481860111"  # the simulator page's app


def entry_data(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    """A config entry's data for the simulator's page (as the flow stores it)."""
    data: dict[str, Any] = {
        "page_id": PAGE_ID,
        "page_access_token": TOKEN,
        "app_secret": APP_SECRET,
        "app_id": APP_ID,
        "verify_token": VERIFY_TOKEN,
        "graph_url": sim.url,
    }
    data.update(overrides)
    return data


def person(psid: str, name: str) -> ConfigSubentryData:
    """A `person` subentry."""
    return ConfigSubentryData(
        data={"psid": psid, "name": name}, subentry_type="person", title=name, unique_id=psid
    )


type SetupEntry = Callable[..., Awaitable[MockConfigEntry]]


@pytest.fixture
def setup_entry(hass: HomeAssistant, simulator: Simulator) -> SetupEntry:
    """Add the simulator's page as a config entry (Alice and Bob as people) and set it up."""

    async def setup(
        *, people: list[ConfigSubentryData] | None = None, **overrides: Any
    ) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=PAGE_NAME,
            unique_id=PAGE_ID,
            data=entry_data(simulator, **overrides),
            subentries_data=[person(ALICE, "Alice"), person(BOB, "Bob")]
            if people is None
            else people,
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return entry

    return setup


@pytest.fixture
async def reachable(hass: HomeAssistant, hass_client_no_auth: ClientFactory) -> str:
    """Home Assistant's HTTP served on 127.0.0.1 and set as its external URL, so the simulator
    can call the webhook back (Meta checks the callback URL while the flow sets it)."""
    # Every view the tests' pages will need, before the server starts (its router is then
    # frozen): the webhook's, and those of repairs (which notify needs).
    for component in (DOMAIN, "repairs", "notify"):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.port}"
    await hass.config.async_update(external_url=url)
    return url
