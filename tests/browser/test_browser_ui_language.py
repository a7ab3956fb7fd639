"""The setup in the household's language: Chromium on Home Assistant's real frontend, with the
user's profile language set to German; the flow's first step comes from translations/de.json.

The screenshot is kept in test-artifacts/ui-de-user.png (copied to docs/ with
UPDATE_DOCS_SCREENSHOT=1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.browser.conftest import ARTIFACTS, BROWSER_MARKS, WAIT_MS
from tests.browser.test_browser_ui_setup import Shots, brands, onboard_in_browser
from tests.e2e.harness import ROOT, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

GERMAN = json.loads(
    (ROOT / "custom_components/facebook/translations/de.json").read_text(encoding="utf-8")
)
USER_STEP = GERMAN["config"]["step"]["user"]

pytestmark = BROWSER_MARKS


def test_the_setup_speaks_the_user_s_language(stack: Stack, page: Page) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.route("https://brands.home-assistant.io/**", brands)
    shot = Shots(page)
    onboard_in_browser(page, stack.ha_url, shot)
    # The profile's language, as the frontend keeps it (Profile > Language: Deutsch).
    page.evaluate("localStorage.setItem('selectedLanguage', JSON.stringify('de'))")
    # Add integration > Facebook Messenger: the same clicks as in English, found by role.
    page.goto(stack.ha_url + "/config/integrations/dashboard")
    page.get_by_role("button", name="Integration hinzufügen").click()
    page.locator("search-input input").fill("Facebook Messenger")
    page.locator("ha-integration-list-item").get_by_text("Facebook Messenger", exact=True).click()
    dialog = page.locator("dialog-data-entry-flow")
    expect(dialog.get_by_text(USER_STEP["title"])).to_be_visible()
    expect(
        dialog.get_by_text(USER_STEP["sections"]["advanced"]["name"], exact=True)
    ).to_be_visible()
    label = USER_STEP["data"]["page_access_token"]
    expect(page.get_by_role("textbox", name=f"{label}*")).to_be_visible()
    shot.single("ui-de-user")
    shot.publish()
