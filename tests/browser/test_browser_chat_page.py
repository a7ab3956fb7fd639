"""The chat page in Debian's Chromium, driven by Playwright, against the real sandbox.

A person opens the page, taps quick replies and buttons, writes, and sees Home Assistant's
answers arrive live; the screenshot is kept in test-artifacts/ (and, with
UPDATE_DOCS_SCREENSHOT=1, refreshed at docs/chat-page.png for the README).
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import ARTIFACTS, BROWSER_MARKS, WAIT_MS
from tests.e2e.harness import ALICE, BOB, ROOT, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCS_SCREENSHOT = ROOT / "docs" / "chat-page.png"

pytestmark = BROWSER_MARKS


def webhook_events(stack: Stack) -> list[tuple[int, dict[str, Any]]]:
    """(HTTP status, event) for every messaging event the simulator posted to the webhook."""
    posts = stack.sim("GET", "/_sim/webhooks")["data"]
    return [
        (post["status"], event)
        for post in posts
        for entry in json.loads(post["body"])["entry"]
        for event in entry.get("messaging", [])  # (template reviews come as "changes")
    ]


def test_chat_page_quick_reply_round_trip(stack: Stack, page: Page) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{stack.sim_url}/chat/#{ALICE}")
    messages = page.locator("#messages")
    chips = page.locator("#quick-replies button")

    # Home Assistant's greeting is there, with its quick replies as chips.
    expect(messages).to_contain_text("Hello from Home Assistant!")
    expect(chips).to_have_text(["colour", "buttons", "snapshot", "broadcast", "long"])
    expect(page.locator("#subtitle")).to_contain_text("You are Alice")
    expect(page.locator("#webhook")).to_have_text("Webhook verified")

    # A button template as a card; tapping a postback button gets Home Assistant's answer.
    page.fill("#text", "buttons")
    page.press("#text", "Enter")
    card = messages.locator(".card", has_text="Switch it?")
    expect(card.locator(".button")).to_have_text(["Turn on", "Turn off", "Read the docs"])
    # Let the page settle first: the card's receipts (delivered, then read) re-render the
    # conversation, and a tap during that can miss the button.
    expect(messages.locator('.row.page[data-status="read"]', has_text="Switch it?")).to_be_visible()
    card.get_by_role("button", name="Turn on").click()
    expect(messages).to_contain_text("Done: the hall light is on.")

    # Writing: the camera snapshot arrives as an image that actually loads.
    page.fill("#text", "snapshot")
    page.press("#text", "Enter")
    image = messages.locator(".media img")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 640

    # The quick-reply round trip.
    page.fill("#text", "colour")
    page.press("#text", "Enter")
    bubbles = messages.locator(".row.page .stack")
    expect(bubbles.last).to_have_text("Pick a colour")
    expect(chips).to_have_text(["Red", "Blue"])
    expect(messages.locator('.row.page[data-status="read"] .stack').last).to_have_text(
        "Pick a colour"
    )
    expect(messages.locator(".media img")).to_have_js_property("complete", True)
    page.mouse.move(700, 20)  # no hover effects in the picture
    page.screenshot(path=str(ARTIFACTS.joinpath("chat-page-chips.png")))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / "chat-page-chips.png", DOCS_SCREENSHOT)

    chips.get_by_text("Red", exact=True).click()
    expect(chips).to_have_count(0)  # Messenger hides the chips once one is tapped
    answer = messages.locator(".row.page", has_text="Received red")
    expect(answer).to_be_visible()
    # The person's Messenger acknowledged it: delivery, then read (the tab is visible).
    expect(answer).to_have_attribute("data-status", "read")
    expect(messages.locator(".row.user").last).to_contain_text("quick reply \u00b7 FOO")

    # Live: Bob's broadcast (driven from outside the page) shows up without a reload.
    stack.user(BOB, "say", text="broadcast")
    expect(bubbles.last).to_contain_text("asked for by Bob")
    expect(page.locator('[data-psid="1234567890123456"]')).to_contain_text("Bob")

    page.mouse.move(700, 20)
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"))
    assert errors == []

    # What Home Assistant got were signed webhook events, exactly as Meta sends them.
    events = webhook_events(stack)
    taps = [e for _, e in events if (e.get("message") or {}).get("quick_reply")]
    tap = taps[-1]["message"]
    assert (tap["text"], tap["quick_reply"]["payload"]) == ("Red", "FOO")
    postbacks = [e["postback"] for _, e in events if "postback" in e]
    assert postbacks[-1]["payload"] == "HALL_LIGHT_ON"
    receipts = [
        e for _, e in events if e["sender"]["id"] == ALICE and ("read" in e or "delivery" in e)
    ]
    assert {"read", "delivery"} <= {key for e in receipts for key in e}
    assert all(status == 200 for status, _ in events)


CHARLIE = "7777000011112222"  # in allowed_chat_ids, has not written yet
DOCS_ASSIST = ROOT / "docs" / "chat-assist.png"
DOCS_WELCOME = ROOT / "docs" / "chat-welcome.png"


def test_chat_page_assist_menu_and_ice_breakers(stack: Stack, page: Page) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    # Charlie has not written: the page's ice breakers and Get Started (its Messenger Profile).
    page.goto(f"{stack.sim_url}/chat/#{CHARLIE}")
    messages = page.locator("#messages")
    breakers = page.get_by_test_id("ice-breaker")
    expect(breakers).to_have_text(["What can you do?", "Is the hall light on?"])
    expect(page.get_by_test_id("get-started")).to_be_visible()
    page.mouse.move(700, 20)
    page.screenshot(path=str(ARTIFACTS / "chat-welcome.png"))
    breakers.first.click()  # a postback with payload HELP: the help automation answers
    expect(messages).to_contain_text('Write "turn on the hall light"')

    # Assist: the built-in agent switches the hall light and answers, quoting the question.
    page.fill("#text", "turn on the hall light")
    page.press("#text", "Enter")
    answer = messages.locator(".row.page", has_text="Turned on")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("turn on the hall light")  # the quoted question
    page.mouse.move(700, 20)
    page.screenshot(path=str(ARTIFACTS / "chat-assist.png"))

    # The menu beside the composer: Lights shows the light's state (now on) as buttons.
    expect(messages.locator('.row.page[data-status="read"]', has_text="Turned on")).to_be_visible()
    page.locator("#menu-button").click()
    items = page.get_by_test_id("menu-item")
    expect(items).to_have_text(["Lights", "Cameras", "Help"])
    items.first.click()
    expect(messages.locator(".card", has_text="The hall light is on. Switch it?")).to_be_visible()
    assert errors == []

    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "chat-assist.png", DOCS_ASSIST)
        shutil.copyfile(ARTIFACTS / "chat-welcome.png", DOCS_WELCOME)
    # What Home Assistant got: a signed message and two postbacks (the ice breaker, the menu).
    postbacks = [e["postback"]["payload"] for _, e in webhook_events(stack) if "postback" in e]
    assert postbacks[-2:] == ["HELP", "LIGHTS"]
