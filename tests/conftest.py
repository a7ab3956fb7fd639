"""Shared fixtures: a real Home Assistant (`hass`) with this repository's integration, and the
Messenger simulator on 127.0.0.1 standing in for Meta."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

# Import our package before the `hass` fixture exists: otherwise Home Assistant silently loads
# its own built-in `facebook` integration instead of this one.
import custom_components.facebook
from custom_components.facebook import graph, page as page_module
from custom_components.facebook.const import DOMAIN
from custom_components.facebook.hub import DATA_HUB, FacebookHub
from custom_components.facebook.page import MessengerPage
from simulator import Simulator

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

FAST_RETRY = graph.RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_wait=1.0)


@pytest.fixture(autouse=True)
def _custom_integrations(request: pytest.FixtureRequest) -> None:
    """Enable custom integrations for every test that runs Home Assistant."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the real retry paths, with millisecond backoff instead of seconds."""
    monkeypatch.setattr(page_module, "DEFAULT_RETRY", FAST_RETRY)
    monkeypatch.setattr(page_module, "IDENTIFY_RETRY_DELAYS", (0.05, 0.1))


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


type SetupFacebook = Callable[..., Awaitable[MessengerPage]]


@pytest.fixture
def setup_facebook(hass: HomeAssistant, simulator: Simulator) -> SetupFacebook:
    """Set up notify entries (default: one page against the simulator); returns the page."""

    async def setup(*entries: dict[str, Any], **overrides: Any) -> MessengerPage:
        configs = list(entries) or [page_config(simulator, **overrides)]
        assert await async_setup_component(hass, "notify", {"notify": configs})
        await hass.async_block_till_done(wait_background_tasks=True)
        hub = hub_of(hass)
        return hub.pages[-1]

    return setup


def hub_of(hass: HomeAssistant) -> FacebookHub:
    """The integration's shared state."""
    return hass.data[DATA_HUB]
