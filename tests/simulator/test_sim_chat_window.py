"""The chat page's window status: none before the person writes, as Home Assistant sees it.

The simulator lets the page message its people from the start, but on Messenger (and for
Home Assistant's Messaging window entity) someone who never wrote has no 24-hour window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, Graph, Receiver, text_message
from tests.simulator.test_sim_chat_browser import CHROMIUM, tab  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from playwright.async_api import Page


async def conversation(http: aiohttp.ClientSession, sim: Simulator, psid: str) -> dict[str, Any]:
    async with http.get(f"{sim.url}/_sim/conversations/{psid}") as response:
        assert response.status == 200
        return dict(await response.json())


async def test_who_wrote(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    await graph.send(text_message(ALICE, "Hello from the page"))  # the page writing opens nothing
    chat = await conversation(http, sim, ALICE)
    assert chat["user"]["wrote"] is False
    assert chat["now"] == pytest.approx(sim.now(), abs=5)
    await sim.user_taps_button(BOB, "On", "ON")  # a tap counts, as on Messenger
    await sim.user_says(ALICE, "hi")
    chat = await conversation(http, sim, ALICE)
    assert chat["user"]["wrote"] is True
    people = {p["psid"]: p["wrote"] for p in chat["users"]}
    assert people[ALICE] and people[BOB]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium")
async def test_the_page_says_no_window_yet_then_the_day_it_closes(
    tab: Page,  # noqa: F811 - the fixture imported above
    sim: Simulator,
    receiver: Receiver,
) -> None:
    from playwright.async_api import expect

    sim.webhook_url = receiver.url
    await tab.goto(f"{sim.url}/chat/#{ALICE}")
    status = tab.get_by_test_id("window-status").first  # Alice's, first in the list
    await expect(status).to_have_text("no window yet")
    await expect(tab.locator("#subtitle")).to_contain_text("no 24-hour window yet")
    await tab.fill("#text", "hi")
    await tab.press("#text", "Enter")
    # 24 hours from now is tomorrow: the day is shown with the time.
    closes = await tab.evaluate(
        "s => new Date(s * 1000).toLocaleDateString([], "
        "{weekday: 'short', day: 'numeric', month: 'short'})",
        sim.now() + 24 * 3600,
    )
    await expect(status).to_contain_text(f"open until {closes} ")
    await expect(tab.locator("#subtitle")).to_contain_text("24-hour window open")
