"""What the Chromium tests share: the browser, its flags, the sandbox stack, one tab each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.harness import ROOT, Stack, running_stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
# The flags this machine's Chromium needs (no sandbox as root, no calls home on a closed network).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
WAIT_MS = 20_000
# Every browser test module's marks (pytestmark = BROWSER_MARKS).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is not at /usr/bin/chromium (install: scripts/setup --browser)",
    ),
]


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[Stack]:
    """The simulator and Home Assistant, up and verified; stopped afterwards."""
    with running_stack(tmp_path) as running:
        yield running


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A Chromium tab (a fresh profile; Playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1100, "height": 900},
        )
        try:
            tab = context.pages[0] if context.pages else context.new_page()
            tab.set_default_timeout(WAIT_MS)
            yield tab
        finally:
            context.close()
