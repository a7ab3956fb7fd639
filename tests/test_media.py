"""Media: local uploads, downloads through Home Assistant, camera snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from simulator import Simulator

from .conftest import ALICE, BOB, JPEG, SetupFacebook, async_add_camera

# A real 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000105e2d6a40000000049454e44ae426082"
)


async def notify(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call("notify", "facebook", data, blocking=True)


def message_requests(sim: Simulator) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/messages")]


@pytest.fixture
def media_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    return folder


async def test_local_file_is_uploaded_as_multipart_filedata(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, media_dir: Path
) -> None:
    (media_dir / "door.png").write_bytes(PNG)
    await setup_facebook()
    await notify(
        hass,
        message="Someone at the door",
        target=["alice"],
        data={"image": str(media_dir / "door.png")},
    )
    text, upload = message_requests(simulator)
    assert text.body["message"] == {"text": "Someone at the door"}
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert upload.body["recipient"] == {"id": ALICE}
    assert upload.body["messaging_type"] == "UPDATE"
    assert upload.body["message"] == {
        "attachment": {"type": "image", "payload": {"is_reusable": True}}
    }
    part = upload.files["filedata"]
    assert (part.filename, part.content_type, part.data) == ("door.png", "image/png", PNG)
    assert upload.token_source == "header"
    assert [m.message for m in simulator.sent][1]["attachment"]["type"] == "image"


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [
        ("audio", "bell.mp3", "audio/mpeg"),
        ("file", "report.pdf", "application/pdf"),
        ("video", "clip.mp4", "video/mp4"),
    ],
)
async def test_each_media_kind_gets_its_mime_type(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    media_dir: Path,
    kind: str,
    name: str,
    content_type: str,
) -> None:
    (media_dir / name).write_bytes(b"data-" + name.encode())
    await setup_facebook()
    await notify(hass, message="", target=["alice"], data={kind: str(media_dir / name)})
    (upload,) = message_requests(simulator)
    assert upload.files["filedata"].content_type == content_type
    assert upload.body["message"]["attachment"]["type"] == kind


async def test_file_outside_the_allowlist_is_refused_and_nothing_sent(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    tmp_path: Path,
    media_dir: Path,
) -> None:
    secret_file = tmp_path / "secret.png"
    secret_file.write_bytes(PNG)
    await setup_facebook()
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, message="text", target=["alice"], data={"image": str(secret_file)})
    assert "not in allowlist_external_dirs" in str(err.value)
    assert message_requests(simulator) == []


async def test_missing_wrong_type_and_oversized_files_are_refused(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, media_dir: Path
) -> None:
    await setup_facebook()
    with pytest.raises(ServiceValidationError, match="does not exist"):
        await notify(
            hass, message="x", target=["alice"], data={"image": str(media_dir / "nope.png")}
        )
    (media_dir / "notes.txt").write_text("hello")
    with pytest.raises(ServiceValidationError, match="is text/plain, not image"):
        await notify(
            hass, message="x", target=["alice"], data={"image": str(media_dir / "notes.txt")}
        )
    big = media_dir / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(25 * 1024 * 1024 + 1)
    with pytest.raises(ServiceValidationError, match="at most 25 MB"):
        await notify(hass, message="x", target=["alice"], data={"video": str(big)})
    assert message_requests(simulator) == []


async def test_relative_paths_are_under_the_config_dir(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    www = Path(hass.config.path("www"))
    www.mkdir(exist_ok=True)
    (www / "rel.png").write_bytes(PNG)
    hass.config.allowlist_external_dirs = {str(www)}
    await setup_facebook()
    await notify(hass, message="", target=["alice"], data={"image": "www/rel.png"})
    (upload,) = message_requests(simulator)
    assert upload.files["filedata"].data == PNG


async def test_one_file_to_several_people_is_uploaded_once(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, media_dir: Path
) -> None:
    (media_dir / "door.png").write_bytes(PNG)
    await setup_facebook()
    await notify(
        hass, message="", target=["alice", "bob"], data={"image": str(media_dir / "door.png")}
    )
    uploads = [r for r in simulator.requests if r.path.endswith("/message_attachments")]
    assert len(uploads) == 1
    assert uploads[0].files["filedata"].data == PNG
    attachment_id = uploads[0].response["attachment_id"]
    sends = message_requests(simulator)
    assert sorted(r.body["recipient"]["id"] for r in sends) == sorted([ALICE, BOB])
    for request in sends:
        assert request.body["message"] == {
            "attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}
        }


@pytest.fixture
async def lan_server(socket_enabled: None) -> AsyncIterator[str]:
    """A LAN-only image server (Meta could not fetch from it; Home Assistant can)."""

    async def image(request: web.Request) -> web.Response:
        return web.Response(body=JPEG, content_type="image/jpeg")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/snap.jpg", image)
    app.router.add_get("/gone.jpg", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_upload_true_downloads_through_home_assistant(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, lan_server: str
) -> None:
    await setup_facebook()
    await notify(
        hass,
        message="",
        target=["alice"],
        data={"image": f"{lan_server}/snap.jpg?sig=abc", "upload": True},
    )
    (upload,) = message_requests(simulator)
    part = upload.files["filedata"]
    assert (part.filename, part.content_type, part.data) == ("snap.jpg", "image/jpeg", JPEG)


async def test_failed_download_sends_nothing(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, lan_server: str
) -> None:
    await setup_facebook()
    with pytest.raises(HomeAssistantError) as err:
        await notify(
            hass,
            message="text",
            target=["alice"],
            data={"image": f"{lan_server}/gone.jpg?token=s3cr3t", "upload": True},
        )
    assert "HTTP 404" in str(err.value)
    assert "s3cr3t" not in str(err.value)
    assert message_requests(simulator) == []


async def test_seed_camera_snapshot(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, tmp_path: Path
) -> None:
    camera = await async_add_camera(hass, tmp_path / "front_door.jpg", "front_door", JPEG)
    assert hass.states.get(camera) is not None
    await setup_facebook()
    await notify(
        hass,
        message="Motion at the front door",
        target=["alice"],
        data={"camera": "camera.front_door"},
    )
    text, upload = message_requests(simulator)
    assert text.body["message"] == {"text": "Motion at the front door"}
    part = upload.files["filedata"]
    assert (part.content_type, part.data) == ("image/jpeg", JPEG)
    assert part.filename.startswith("snapshot.")
    assert upload.body["message"]["attachment"]["type"] == "image"
