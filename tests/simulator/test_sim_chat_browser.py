"""The chat page's new controls in Debian's Chromium (Playwright), against the simulator alone.

A webhook receiver stands in for Home Assistant; the page's own Graph calls are made here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, Graph, Receiver, text_message

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium"),
]
PROFILE = {
    "get_started": {"payload": "START"},
    "persistent_menu": [
        {
            "locale": "default",
            "call_to_actions": [{"type": "postback", "title": "Status", "payload": "STATUS"}],
        }
    ],
    "ice_breakers": [{"question": "Is the door shut?", "payload": "DOOR"}],
    "commands": [{"locale": "default", "commands": [{"name": "lights", "description": "On"}]}],
}


@pytest.fixture
async def tab(tmp_path: Path) -> AsyncIterator[Page]:
    """A Chromium tab."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


def postbacks(receiver: Receiver) -> list[Any]:
    return [e["postback"]["payload"] for e in receiver.events() if "postback" in e]


async def test_profile_controls(
    tab: Page, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    from playwright.async_api import expect

    sim.webhook_url = receiver.url
    await graph.request("POST", "/me/messenger_profile", json=PROFILE)
    await tab.goto(f"{sim.url}/chat/#{ALICE}")
    await expect(tab.get_by_test_id("window-status").first).to_have_text("no window yet")
    await tab.get_by_test_id("ice-breaker").click()
    await expect(tab.locator(".row.user")).to_have_count(1)
    await expect(tab.get_by_test_id("window-status").first).to_contain_text("open until")
    assert postbacks(receiver) == ["DOOR"]
    await tab.get_by_test_id("menu-button").click()
    await tab.get_by_test_id("menu-item").click()
    await expect(tab.locator(".row.user")).to_have_count(2)
    assert postbacks(receiver) == ["DOOR", "STATUS"]
    await tab.fill("#text", "/")
    await expect(tab.get_by_test_id("command-item")).to_have_text("/lightsOn")
    await tab.get_by_test_id("command-item").click()
    await expect(tab.locator(".row.user")).to_have_count(3)
    assert receiver.events()[-1]["message"]["commands"] == [{"name": "lights"}]


async def test_get_started_replies_and_reactions(
    tab: Page, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    from playwright.async_api import expect

    sim.webhook_url = receiver.url
    await graph.request("POST", "/me/messenger_profile", json=PROFILE)
    await tab.goto(f"{sim.url}/chat/#{ALICE}")
    await tab.get_by_test_id("get-started").click()
    await expect(tab.locator(".row.user")).to_have_count(1)
    assert postbacks(receiver) == ["START"]
    await graph.send(text_message(text="Door is open"))
    page_row = tab.locator(".row.page", has_text="Door is open")
    await page_row.hover()
    await page_row.get_by_test_id("reply-button").click()
    await expect(tab.get_by_test_id("reply-bar")).to_contain_text("Door is open")
    await tab.fill("#text", "close it")
    await tab.press("#text", "Enter")
    await expect(tab.get_by_test_id("quote")).to_contain_text("Door is open")
    assert receiver.events()[-1]["message"]["reply_to"]["is_self_reply"] is False
    await page_row.hover()
    await page_row.get_by_test_id("react-button").click()
    await tab.get_by_test_id("react-option").first.click()
    await expect(page_row.locator(".reaction")).to_have_count(1)
    mid = receiver.events()[-2]["message"]["mid"]
    payload = {"message_id": mid, "reaction": "\U0001f44d"}
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "react", "payload": payload})
    await expect(tab.get_by_test_id("page-reaction")).to_have_text("\U0001f44d")


async def test_utility_card(tab: Page, sim: Simulator, graph: Graph) -> None:
    from playwright.async_api import expect

    body = {
        "name": "door",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "The front door is open."}],
    }
    await graph.request("POST", f"/{PAGE_ID}/message_templates", json=body)
    sim.age_user(ALICE, 2 * 24 * 3600)
    template = {"name": "door", "language": {"code": "en_US"}, "components": []}
    send = {
        "recipient": {"id": ALICE},
        "messaging_type": "UTILITY",
        "message": {"template": template},
    }
    assert (await graph.send(send)).status == 200
    await tab.goto(f"{sim.url}/chat/#{ALICE}")
    card = tab.get_by_test_id("utility-card")
    await expect(card).to_contain_text("The front door is open.")
    await expect(card.get_by_test_id("utility-label")).to_have_text("Utility")
    await expect(tab.get_by_test_id("window-status").first).to_have_text("closed")
