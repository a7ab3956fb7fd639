"""What people send, kept: attachments saved in the media folder, on the event, Last photo."""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging
import os
from pathlib import Path
import re
import time
import tracemalloc
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import EVENT_MESSAGE, WEBHOOK_PATH
from simulator import Simulator

from .conftest import ALICE, JPEG, PAGE_ID, ClientFactory, SetupFacebook, post_events

SAFE_NAME = re.compile(r"^\d{8}-\d{6}_[0-9a-f]{12}_\d+\.[a-z0-9]{1,5}$")


async def send_picture(
    hass: HomeAssistant, client: TestClient, sim: Simulator, data: bytes = JPEG, **kw: Any
) -> dict[str, Any]:
    url = sim.attachment_url(data, kw.pop("content_type", "image/jpeg"), kw.pop("name", "p.jpg"))
    event = sim.message_event(ALICE, None, attachments=[(kw.pop("kind", "image"), url)])
    status, _ = await post_events(client, sim, [event])
    assert status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    return event


async def test_a_photo_is_saved_on_the_event_and_shown_as_last_photo(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    hass_client: ClientFactory,
) -> None:
    await setup_facebook()
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    assert hass.states.get("image.alice_last_photo").state == "unknown"
    await send_picture(hass, client, simulator)
    (event,) = events
    (item,) = event.data["media"]
    path = Path(item["path"])
    assert path.parent == media / "facebook" / PAGE_ID / ALICE
    assert SAFE_NAME.match(path.name) and path.suffix == ".jpg"
    assert path.read_bytes() == JPEG
    relative = path.relative_to(media).as_posix()
    assert item == {
        "type": "image",
        "path": str(path),
        "media_content_id": f"media-source://media_source/local/{relative}",
    }
    assert event.data["attachments"][0]["type"] == "image"
    assert "transcript" not in event.data  # no voice note in it
    state = hass.states.get("image.alice_last_photo")
    assert state.state != "unknown"
    user = await hass_client()
    response = await user.get("/api/image_proxy/image.alice_last_photo")
    assert response.status == 200 and await response.read() == JPEG


async def test_messages_stay_in_order_behind_a_download(
    hass: HomeAssistant, simulator: Simulator, media: Path, client: TestClient
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    url = simulator.attachment_url(JPEG, "image/jpeg", "p.jpg")
    picture = simulator.message_event(ALICE, None, attachments=[("image", url)])
    words = simulator.message_event(ALICE, "look at this")
    await post_events(client, simulator, [picture])
    await post_events(client, simulator, [words])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["mid"] for e in events] == [picture["message"]["mid"], words["message"]["mid"]]
    assert len(events[0].data["media"]) == 1


class Streamer:
    """A server sending `size` bytes in small chunks, without a Content-Length."""

    def __init__(self, size: int, *, declare: bool = False) -> None:
        self.size = size
        self.declare = declare
        self.requests = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        if self.declare:
            response.content_length = self.size
        await response.prepare(request)
        chunk = b"\0" * 65536
        sent = 0
        try:
            while sent < self.size:
                await response.write(chunk)
                sent += len(chunk)
        except ConnectionError:
            pass
        return response


@pytest.fixture
async def streamer(socket_enabled: None) -> AsyncIterator[tuple[Streamer, str]]:
    server = Streamer(30 * 1024 * 1024)
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield server, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_an_oversized_file_is_refused_without_filling_memory(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    client: TestClient,
    streamer: tuple[Streamer, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, base = streamer
    events = async_capture_events(hass, EVENT_MESSAGE)
    event = simulator.message_event(ALICE, None, attachments=[("video", f"{base}/big.mp4")])
    tracemalloc.start()
    try:
        await post_events(client, simulator, [event])
        await hass.async_block_till_done(wait_background_tasks=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert server.requests == 1
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 30 MiB file"
    (fired,) = events
    assert fired.data["media"] == []  # it still fires, without the file
    folder = media / "facebook" / PAGE_ID / ALICE
    assert not folder.exists() or list(folder.iterdir()) == []  # no file, no leftover .part
    assert "was not saved: larger than 25 MB" in caplog.text
    # Declared too large: refused before reading a byte of it.
    server.declare = True
    await post_events(
        client,
        simulator,
        [simulator.message_event(ALICE, None, attachments=[("video", f"{base}/b.mp4")])],
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2 and events[1].data["media"] == []


async def test_a_hostile_file_name_stays_inside_the_folder(
    hass: HomeAssistant, simulator: Simulator, media: Path, client: TestClient
) -> None:
    events = async_capture_events(hass, EVENT_MESSAGE)
    await send_picture(
        hass,
        client,
        simulator,
        b"#!/bin/sh\n",
        content_type="application/x-sh; name=../../evil.sh",
        name="../../../../etc/evil.sh",
        kind="file",
    )
    (item,) = events[0].data["media"]
    path = Path(item["path"])
    assert path.parent == media / "facebook" / PAGE_ID / ALICE
    assert SAFE_NAME.match(path.name), path.name
    assert "evil" not in path.name and ".." not in item["media_content_id"]
    assert [p for p in media.rglob("*") if p.is_file()] == [path]


async def test_an_unsigned_body_never_causes_a_download(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    streamer: tuple[Streamer, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, base = streamer
    await setup_facebook(app_secret=None)  # no app secret: bodies are not signed
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    for name in ("a.mp4", "b.mp4"):
        event = simulator.message_event(ALICE, None, attachments=[("video", f"{base}/{name}")])
        body, _headers = simulator.build_webhook([event])
        headers = {"Content-Type": "application/json"}
        response = await client.post(WEBHOOK_PATH, data=body, headers=headers)
        assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert server.requests == 0
    assert [e.data["media"] for e in events] == [[], []]  # fired, without files
    assert caplog.text.count("attachments are not downloaded") == 1  # said once


async def test_saving_off_keeps_nothing(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(save_attachments=False)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    await send_picture(hass, client, simulator)
    assert events[0].data["media"] == []
    assert list(media.rglob("*")) == []


async def test_old_files_are_cleaned(
    hass: HomeAssistant, simulator: Simulator, media: Path, setup_facebook: SetupFacebook
) -> None:
    folder = media / "facebook" / PAGE_ID / ALICE
    folder.mkdir(parents=True)
    old, recent, other_page = folder / "old.jpg", folder / "recent.jpg", media / "keep.jpg"
    for path in (old, recent, other_page):
        path.write_bytes(JPEG)
    eleven_days_ago = time.time() - 11 * 86400
    os.utime(old, (eleven_days_ago, eleven_days_ago))
    os.utime(other_page, (eleven_days_ago, eleven_days_ago))
    await setup_facebook(attachments_keep_days=10)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not old.exists()
    assert recent.exists() and other_page.exists()  # only the page's folder is cleaned
    # Last photo shows the newest picture left after a restart.
    assert hass.states.get("image.alice_last_photo").state != "unknown"


async def test_the_log_is_quiet_about_a_working_download(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        await send_picture(hass, client, simulator)
    assert "not saved" not in caplog.text
