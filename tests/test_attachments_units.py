"""The edges of keeping attachments: where, what is refused, expired links, the picture store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
import pytest

from custom_components.facebook.attachments import (
    AttachmentRefused,
    clean_old_files,
    media_root,
    newest_picture,
    person_folder,
    safe_name,
)
from custom_components.facebook.const import EVENT_MESSAGE
from custom_components.facebook.grid import PictureStore
from custom_components.facebook.messenger import Upload
from simulator import Simulator

from .conftest import ALICE, post_events

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16 + b"\xff\xd9"


def test_the_media_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.media_dirs = {"pictures": str(tmp_path)}
    assert media_root(hass) == ("pictures", tmp_path)
    hass.config.media_dirs = {}
    assert media_root(hass) == ("local", Path(hass.config.path("media")))
    with pytest.raises(AttachmentRefused):
        person_folder(hass, "1", "../../etc")
    assert newest_picture(tmp_path / "nobody") is None
    assert clean_old_files(tmp_path / "nobody", timedelta(days=1)) == 0


def test_safe_names() -> None:
    name = safe_name("audio", "m_1", 0, None, "https://cdn/x/clip.MP4?sig=1")
    assert name.endswith("_0.mp4")
    assert safe_name("file", None, 2, None, "https://cdn/x/../../evil.sh.").endswith("_2.bin")
    assert safe_name("image", "m", 1, "image/png; q=1", "https://cdn/a").endswith("_1.png")


def test_the_picture_store_forgets_expired_pictures() -> None:
    store = PictureStore(timedelta(seconds=-1))
    key = store.add(Upload(JPEG, "a.jpg", "image/jpeg"))
    assert store.get(key) is None and len(store) == 0


async def test_expired_and_unknown_links_are_not_saved(
    hass: HomeAssistant,
    simulator: Simulator,
    client: TestClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.config.media_dirs = {"local": str(tmp_path)}
    events: list[Event] = []
    hass.bus.async_listen(EVENT_MESSAGE, events.append)
    expired = simulator.attachment_url(JPEG, "image/jpeg", "a.jpg", ttl=-1)
    unknown = f"{simulator.url}/_sim/cdn/nothing/a.jpg"
    event = simulator.message_event(
        ALICE, None, attachments=[("image", expired), ("image", unknown), ("fallback", None)]
    )
    await post_events(client, simulator, [event])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[0].data["media"] == []
    assert "answered HTTP 403" in caplog.text and "answered HTTP 404" in caplog.text
    assert hass.states.get("image.alice_last_photo").state == "unknown"
