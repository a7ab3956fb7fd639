"""Pictures and voice on the chat page in Debian's Chromium, against the real sandbox.

Alice asks for the doorbell's image grid and taps its hero picture, gets three pictures in one
message, then sends a voice note (espeak-ng's "turn on the hall light", uploaded as Messenger
sends it) and reads Assist's answer. The screenshot is kept in test-artifacts/ (and, with
UPDATE_DOCS_SCREENSHOT=1, refreshed at docs/pictures-and-voice.png).
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
from typing import TYPE_CHECKING

from tests.browser.conftest import ARTIFACTS, BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS, WAIT_MS
from tests.e2e.harness import ALICE, ROOT, Stack
from tests.voice_helpers import need_tools, voice_note

if TYPE_CHECKING:
    from playwright.sync_api import Page

DOCS_SCREENSHOT = ROOT / "docs" / "pictures-and-voice.png"

pytestmark = BROWSER_MARKS


def test_grid_album_and_a_voice_note_on_the_chat_page(
    stack: Stack, page: Page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    need_tools()
    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{stack.sim_url}/chat/#{ALICE}")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("Hello from Home Assistant!")

    # The doorbell: an image grid whose pictures Meta (the simulator) fetched from Home
    # Assistant's signed links; the hero comes first, and tapping it opens the gate.
    page.fill("#text", "doorbell")
    page.press("#text", "Enter")
    grid = messages.locator('[data-testid="grid"]')
    expect(grid.locator('[data-testid="grid-cell"]')).to_have_count(3)
    expect(grid).to_contain_text("Someone is at the door")
    hero = grid.locator(".grid-cell.hero img")
    expect(hero).to_have_js_property("complete", True)
    assert hero.evaluate("img => img.naturalWidth") == 640
    read = page.locator('.row.page[data-status="read"]', has=page.locator('[data-testid="grid"]'))
    expect(read).to_be_visible()
    grid.get_by_role("button", name="Open gate").first.click()
    expect(messages).to_contain_text("Opening the gate.")

    # Three pictures in one message.
    page.fill("#text", "album")
    page.press("#text", "Enter")
    album = messages.locator('[data-testid="album"]')
    expect(album.locator("img")).to_have_count(3)

    # A voice note, uploaded as Messenger sends one (AAC in MP4): Assist answers it.
    clip = voice_note("turn on the hall light", tmp_path)
    files = {"name": "audioclip.mp4", "mimeType": "audio/mp4", "buffer": clip}
    page.set_input_files('[data-testid="attach-input"]', files=files)
    expect(messages.locator('[data-testid="voice-note"]')).to_have_count(1)
    expect(messages).to_contain_text("Turned on the switch")

    shot = ARTIFACTS / "pictures-and-voice.png"
    page.screenshot(path=str(shot))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_SCREENSHOT)
    assert errors == []


def test_a_voice_note_recorded_on_the_chat_page(stack: Stack, tmp_path: Path) -> None:
    """The Mic button records from the microphone (Chromium's fake one, playing espeak-ng's
    speech) and sends the recording; Assist answers it."""
    from playwright.sync_api import expect, sync_playwright

    need_tools()
    speech = tmp_path / "speech.wav"
    voice_note("turn on the hall light", tmp_path)  # makes voice.wav beside it
    padded = ["-af", "apad=pad_dur=4", "-ar", "48000", "-ac", "1"]
    wav = tmp_path / "voice.wav"
    subprocess.run(  # noqa: S603 (our own arguments)
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(wav),
            *padded,
            str(speech),
        ],
        check=True,
    )
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech}",
    ]
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=args,
            headless=True,
            viewport={"width": 1100, "height": 900},
            permissions=["microphone"],
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(WAIT_MS)
            expect.set_options(timeout=WAIT_MS)
            page.goto(f"{stack.sim_url}/chat/#{ALICE}")
            messages = page.locator("#messages")
            expect(messages).to_contain_text("Hello from Home Assistant!")
            record = page.locator('[data-testid="record-button"]')
            record.click()
            expect(record).to_have_attribute("aria-pressed", "true")
            page.wait_for_timeout(2600)  # the sentence (about 1.6 s), then silence
            record.click()
            expect(messages.locator('[data-testid="voice-note"]')).to_have_count(1)
            expect(messages).to_contain_text("Turned on the switch")
        finally:
            context.close()
