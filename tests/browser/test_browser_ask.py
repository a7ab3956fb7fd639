"""Ask and wait in Debian's Chromium: the sandbox's demo script (`facebook.ask`) on the chat page.

Alice writes "garage"; the automation runs the script `messenger_garage_question` for her, whose
question arrives with its quick replies; her tap is the answer, and the script takes its branch
(the garage door closes, and she is told). The screenshot is kept in test-artifacts/ (and, with
UPDATE_DOCS_SCREENSHOT=1, refreshed at docs/chat-ask.png for the docs).
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from tests.browser.conftest import ARTIFACTS, BROWSER_MARKS, WAIT_MS
from tests.e2e.harness import ALICE, ROOT, Stack, onboard

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCS_SCREENSHOT = ROOT / "docs" / "chat-ask.png"

pytestmark = BROWSER_MARKS


def test_the_demo_script_asks_and_takes_the_branch_of_the_tap(stack: Stack, page: Page) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    user = onboard(stack.ha_url)
    status, door = user.call("GET", "/api/states/input_boolean.garage_door")
    assert (status, door["state"]) == (200, "on")  # open
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{stack.sim_url}/chat/#{ALICE}")
    messages = page.locator("#messages")
    chips = page.locator("#quick-replies button")
    expect(messages).to_contain_text("Hello from Home Assistant!")

    page.fill("#text", "garage")
    page.press("#text", "Enter")
    question = messages.locator(".row.page", has_text="The garage door is open. Close it?")
    expect(question).to_be_visible()
    expect(chips).to_have_text(["Close it", "Leave it"])
    # Let the receipts settle (they re-render the conversation), then picture and tap.
    expect(question).to_have_attribute("data-status", "read")
    page.mouse.move(700, 20)
    page.screenshot(path=str(ARTIFACTS / "chat-ask.png"))
    chips.get_by_text("Close it", exact=True).click()

    expect(chips).to_have_count(0)
    expect(messages.locator(".row.page", has_text="Closing the garage door.")).to_be_visible()
    status, door = user.call("GET", "/api/states/input_boolean.garage_door")
    assert (status, door["state"]) == (200, "off")  # the script's branch for "Close it"
    assert errors == []
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "chat-ask.png", DOCS_SCREENSHOT)
