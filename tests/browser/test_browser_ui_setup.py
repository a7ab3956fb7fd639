"""The UI setup in Debian's Chromium, driven by Playwright, on Home Assistant's real frontend.

The sandbox (`running_stack`) has "Home" in YAML; "Garden club" is the simulator's page left for
the UI setup. In the browser: onboarding (the user form and the steps after it), then
Settings > Devices & services > Add integration > "Facebook Messenger": the simulator's demo
user token with the app's id and secret (and, in the folded Advanced section, the Graph API URL
pointed at the simulator), the page (Garden club), the webhook (defaults), the
people (Grace and Henry), and the entry on the integration's page; last, Grace's device page.
Each step's screenshot is kept in test-artifacts/ui-<n>-<step>.png (and, with
UPDATE_DOCS_SCREENSHOT=1, copied to docs/).
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
from typing import TYPE_CHECKING

from tests.browser.conftest import ARTIFACTS, BROWSER_MARKS, WAIT_MS
from tests.e2e.harness import ROOT, Stack
from tests.e2e.ui_helpers import GARDEN_ID, GARDEN_NAME, sim_page

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

DOCS = ROOT / "docs"
ICON = ROOT / "custom_components" / "facebook" / "brand" / "icon.png"
PASSWORD = "dana-password-0123"

pytestmark = BROWSER_MARKS


def brands(route: Route) -> None:
    """brands.home-assistant.io is out of reach here: our own icon, nothing for the others."""
    if "/facebook/" in route.request.url:
        route.fulfill(path=ICON, content_type="image/png")
    else:
        route.abort()


class Shots:
    """Numbered screenshots: test-artifacts/ui-<n>-<step>.png, copied to docs/ when asked."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.taken: list[Path] = []

    def __call__(self, step: str) -> None:
        """The next numbered screenshot, named after the step."""
        self.page.mouse.move(1090, 890)  # no hover effects in the picture
        self.page.wait_for_timeout(300)  # the dialog's transition, for the picture only
        path = ARTIFACTS / f"ui-{len(self.taken) + 1}-{step}.png"
        self.page.screenshot(path=str(path))
        self.taken.append(path)

    def single(self, name: str) -> None:
        """A screenshot outside the numbered steps: test-artifacts/<name>.png."""
        path = ARTIFACTS / f"{name}.png"
        self.page.mouse.move(1090, 890)
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path))
        self.taken.append(path)

    def publish(self) -> None:
        """With UPDATE_DOCS_SCREENSHOT=1, every screenshot taken is copied to docs/."""
        if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
            DOCS.mkdir(exist_ok=True)
            for path in self.taken:
                shutil.copyfile(path, DOCS / path.name)


def onboard_in_browser(page: Page, ha_url: str, shot: Shots) -> None:
    """Home Assistant's onboarding: the owner's account, location, country, analytics."""
    from playwright.sync_api import expect

    page.goto(ha_url)
    page.wait_for_url("**/onboarding.html*")
    page.get_by_role("button", name="Create my smart home").click()
    page.get_by_role("textbox", name="Name*", exact=True).fill("Dana")
    page.get_by_role("textbox", name="Username*").fill("dana")
    page.get_by_role("textbox", name="Password*", exact=True).fill(PASSWORD)
    page.get_by_role("textbox", name="Confirm password*").fill(PASSWORD)
    shot("onboarding")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Home location")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("We would like to know the country")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Help us help you")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Finish").click()
    page.wait_for_url("**/lovelace/**")


def test_ui_setup_in_the_browser(stack: Stack, page: Page) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"{page.url}: {err.name}: {err.message}"))
    page.route("https://brands.home-assistant.io/**", brands)
    setup = stack.sim("GET", "/_sim/state")["ui_setup"]
    shot = Shots(page)

    onboard_in_browser(page, stack.ha_url, shot)
    # The onboarding's map (Leaflet, with no tiles to load here) can throw while it zooms as the
    # step is left ("_leaflet_pos"): the frontend's, not the integration's; from here on, none.
    errors.clear()

    # Settings > Devices & services > Add integration, searched by name.
    page.goto(stack.ha_url + "/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.get_by_label("Search for a brand name").fill("Facebook Messenger")
    # (The sandbox's YAML page is imported already: the dashboard has a Facebook Messenger card.)
    brand = page.locator("ha-integration-list-item").get_by_text("Facebook Messenger", exact=True)
    expect(brand).to_be_visible()
    shot("search")
    # The dashboard's first render can throw in the frontend's list code ("reading 'domain'")
    # before anything of the integration's is on screen; from the flow on, nothing may.
    errors.clear()
    brand.click()

    # user: the token, the app's id and secret, and (folded, Advanced) the Graph API URL.
    dialog = page.locator("dialog-data-entry-flow")
    expect(dialog.get_by_text("Connect a Facebook page")).to_be_visible()
    dialog.get_by_text("Advanced", exact=True).click()
    graph_url = page.get_by_role("textbox", name="Graph API URL")
    expect(graph_url).to_have_value("https://graph.facebook.com")
    page.get_by_role("textbox", name="Access token*").fill(setup["user_token"])
    page.get_by_role("textbox", name="App secret").fill(setup["app_secret"])
    page.get_by_role("textbox", name="App ID").fill(setup["app_id"])
    graph_url.fill(stack.sim_url)
    shot("user")
    dialog.get_by_role("button", name="Submit").click()

    # page: Dana's two pages; Garden club.
    expect(dialog.get_by_text("Choose the page")).to_be_visible()
    page.get_by_role("radio", name=f"{GARDEN_NAME} ({GARDEN_ID})").check()
    shot("page")
    dialog.get_by_role("button", name="Submit").click()

    # webhook: the callback URL and verify token to paste into Meta's dashboard; defaults kept.
    expect(dialog.get_by_text("/api/facebook_webhooks")).to_be_visible()
    shot("webhook")
    dialog.get_by_role("button", name="Submit").click()

    # people: Grace and Henry wrote to the page.
    grace = page.get_by_role("checkbox", name="Grace")
    expect(grace).to_be_visible()
    grace.check()
    henry = page.get_by_role("checkbox", name="Henry")
    if henry.count():
        henry.check()
    shot("people")
    dialog.get_by_role("button", name="Submit").click()

    # The entry is created: the success dialog, then the integration's page lists it.
    created = dialog.get_by_text(f"Created configuration for {GARDEN_NAME}.")
    expect(created).to_be_visible()
    expect(dialog.get_by_text("Grace", exact=True)).to_be_visible()  # her device
    shot("created")
    dialog.get_by_role("button", name="Finish").click()
    expect(created).to_be_hidden()
    assert "messages" in (sim_page(stack, GARDEN_ID)["subscribed_fields"] or [])

    # In the app from here on (a reload drops the websocket under pending calls, which the
    # frontend reports as unhandled rejections): the card, the integration's page, the entry.
    page.get_by_text("Facebook Messenger", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/config/integrations/integration/facebook\b"))
    expect(page.get_by_text(GARDEN_NAME, exact=True)).to_be_visible()
    expect(page.get_by_text("Grace", exact=True)).to_be_visible()
    expect(page.get_by_text("Henry", exact=True)).to_be_visible()
    shot("entry")

    # Grace's device page: her row's "1 service" link (Grace comes before Henry).
    page.get_by_role("link", name="1 service").first.click()
    expect(page).to_have_url(re.compile(r"/config/devices/device/"))
    expect(page.get_by_text("Grace", exact=True).first).to_be_visible()  # Henry's is not
    expect(page.get_by_text("Messenger conversation")).to_be_visible()
    expect(page.get_by_text("Notifiers")).to_be_visible()
    shot.single("ui-device")
    shot.publish()

    assert errors == [], errors
