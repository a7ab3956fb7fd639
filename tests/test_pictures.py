"""Several pictures in one message (`data.images`) and the image grid (`data.grid`)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest

from custom_components.facebook.const import DOMAIN, EVENT_MESSAGE
from custom_components.facebook.grid import DATA_PICTURES
from custom_components.facebook.messenger import Upload
from simulator import Simulator

from .conftest import ALICE, BOB, JPEG, ClientFactory, SetupEntry, SetupFacebook, async_add_camera

CAMERAS = ("front_door", "garden", "garage")


async def notify(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call("notify", "facebook", data, blocking=True)


def sends(sim: Simulator) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/messages")]


def uploads(sim: Simulator) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/message_attachments")]


@pytest.fixture
async def cameras(hass: HomeAssistant, tmp_path: Path) -> list[str]:
    """Three local_file cameras, each showing its own picture."""
    return [
        await async_add_camera(hass, tmp_path / f"{name}.jpg", name, JPEG + bytes([index]))
        for index, name in enumerate(CAMERAS)
    ]


async def test_three_snapshots_in_one_message_to_two_people_are_uploaded_once(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, cameras: list[str]
) -> None:
    await setup_facebook()
    await notify(hass, message="", target=["alice", "bob"], data={"images": cameras})
    assert len(uploads(simulator)) == 3  # one per picture, whoever gets it
    ids = [u.response["attachment_id"] for u in uploads(simulator)]
    assert [u.files["filedata"].data for u in uploads(simulator)] == [
        JPEG + bytes([i]) for i in range(3)
    ]
    sent = sends(simulator)
    assert sorted(s.body["recipient"]["id"] for s in sent) == sorted([ALICE, BOB])
    for send in sent:  # one message each, the three pictures in order, by attachment id
        assert send.response.get("message_id")
        attachments = send.body["message"]["attachments"]
        assert [a["payload"]["attachment_id"] for a in attachments] == ids
        assert {a["type"] for a in attachments} == {"image"}


async def test_an_album_of_urls_goes_as_it_is_with_its_text_first(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    urls = [f"https://example.com/{i}.jpg" for i in range(30)]
    await notify(
        hass,
        message="Thirty",
        target=["alice"],
        data={"images": urls, "quick_replies": ["OK"]},
    )
    text, album = sends(simulator)
    assert text.body["message"] == {"text": "Thirty"}
    assert [a["payload"]["url"] for a in album.body["message"]["attachments"]] == urls
    assert album.body["message"]["quick_replies"][0]["title"] == "OK"
    assert uploads(simulator) == []


async def test_where_meta_refuses_the_album_each_picture_goes_alone_in_order(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    cameras: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.config.album_attachment_ids = False  # FIDELITY F-46: Meta takes URLs only
    await setup_facebook()
    with caplog.at_level(logging.WARNING):
        await notify(hass, message="", target=["alice"], data={"images": cameras})
        await notify(hass, message="", target=["bob"], data={"images": cameras[:2]})
    refused, *singles = [s for s in sends(simulator) if s.body["recipient"]["id"] == ALICE]
    assert refused.response["error"]["code"] == 100
    ids = [u.response["attachment_id"] for u in uploads(simulator)][:3]
    assert [s.body["message"]["attachment"]["payload"]["attachment_id"] for s in singles] == ids
    assert all(s.response.get("message_id") for s in singles)
    said = [r for r in caplog.records if "several pictures in one message" in r.getMessage()]
    assert len(said) == 1  # said once, although Bob's album was refused too
    assert "attachment_id is not supported" in said[0].getMessage()


async def test_validation_names_the_field_and_sends_nothing(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    url = "https://example.com/p.jpg"
    bad: list[tuple[dict[str, Any], str]] = [
        ({"images": [url]}, "images has 1 items"),
        ({"images": [url] * 31}, "images has 31 items"),
        ({"images": "camera.front_door"}, "images must be a list"),
        ({"images": [url, "ftp://x/y.jpg"]}, "images[1] URL must be http or https"),
        ({"images": [url, 7]}, "images[1] must be a URL"),
        ({"grid": {"images": [url]}}, "grid.images has 1 items"),
        ({"grid": {"images": [url] * 7}}, "grid.images has 7 items"),
        (
            {"grid": {"images": [{"image": url, "hero": True}, {"image": url, "hero": True}]}},
            "at most one image may be the hero",
        ),
        ({"grid": {"images": [url, url], "title": "t" * 46}}, "grid.title is 46 characters"),
        ({"grid": {"images": [url, url], "subtitle": "s" * 81}}, "grid.subtitle is 81"),
        (
            {"grid": {"images": [url, url], "buttons": [{"title": "A", "payload": "A"}] * 4}},
            "grid.buttons must be a list of 1 to 3",
        ),
        (
            {"grid": {"images": [{"image": url, "payload": "OPEN"}, url]}},
            "grid.images[0] needs a text with its payload",
        ),
        (
            {"grid": {"images": [{"image": url, "payload": "A", "url": url}, url]}},
            "grid.images[0] takes a payload (postback) or a url",
        ),
        ({"grid": {"images": [url, url], "colour": "red"}}, "grid has unknown key(s) colour"),
        (
            {"grid": {"images": [url, url]}, "buttons": [{"title": "A", "payload": "A"}]},
            "buttons go inside grid",
        ),
    ]
    for data, words in bad:
        with pytest.raises(ServiceValidationError) as err:
            await notify(hass, message="Look", target=["alice"], data=data)
        assert words in str(err.value), (data, str(err.value))
    assert sends(simulator) == [] and uploads(simulator) == []


@pytest.fixture
async def served(hass: HomeAssistant, hass_client_no_auth: ClientFactory) -> str:
    """Home Assistant's HTTP on 127.0.0.1 as its external URL (Meta fetches the grid's
    pictures there), with what a page's entities need set up before the server starts."""
    for domain in ("repairs", "notify", "image", DOMAIN):
        assert await async_setup_component(hass, domain, {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.port}"
    await hass.config.async_update(external_url=url)
    return url


async def send_to_alice(hass: HomeAssistant, message: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"entity_id": "notify.alice", "message": message, "data": data},
        blocking=True,
    )


async def test_a_grid_of_snapshots_at_signed_links_and_its_tap_comes_back(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    cameras: list[str],
    served: str,
) -> None:
    await setup_entry()
    taps: list[Event] = []
    hass.bus.async_listen(EVENT_MESSAGE, taps.append)
    grid = {
        "title": "Someone is at the door",
        "subtitle": "Front door, garden and garage",
        "images": [
            {"image": cameras[0], "hero": True, "payload": "OPEN_GATE", "text": "Open gate"},
            {"image": cameras[1], "payload": "IGNORE", "text": "Ignore"},
            {"image": cameras[2], "url": "https://example.com/garage"},
        ],
        "buttons": [{"title": "Open gate", "payload": "OPEN_GATE"}],
    }
    await send_to_alice(hass, "", {"grid": grid})
    (send,) = sends(simulator)
    payload = send.body["message"]["attachment"]["payload"]
    assert payload["template_type"] == "image_grid"
    (element,) = payload["elements"]
    urls = [image["url"] for image in element["images"]]
    assert all(u.startswith(f"{served}/api/facebook/picture/") and "authSig=" in u for u in urls)
    assert element["images"][0]["is_hero_image"] is True
    assert element["images"][1]["action"] == {
        "type": "postback",
        "payload": "IGNORE",
        "text": "Ignore",
    }
    assert element["title"] == "Someone is at the door"
    # Meta fetched each picture at its signed link, and got the camera's picture.
    assert simulator.state.fetches == [(url, True) for url in urls]
    # The tap on the front door comes back as a postback with the picture's text.
    status, _ = await simulator.user_taps_grid_image(ALICE, send.response["message_id"], 0)
    assert status == 200
    await hass.async_block_till_done()
    (tap,) = [e for e in taps if e.data["type"] == "postback"]
    assert (tap.data["message"], tap.data["payload"]) == ("Open gate", "OPEN_GATE")


async def test_a_signed_link_that_does_not_answer_fails_as_at_meta(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    cameras: list[str],
    served: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await setup_entry()
    store = hass.data[DATA_PICTURES]
    monkeypatch.setattr(store, "get", lambda key: None)  # every link already expired
    with pytest.raises(HomeAssistantError) as err:
        await send_to_alice(hass, "", {"grid": {"images": cameras[:2]}})
    assert "2018008" in str(err.value)
    assert [ok for _url, ok in simulator.state.fetches] == [False, False]


async def test_a_signed_link_needs_its_signature(
    hass: HomeAssistant, setup_entry: SetupEntry, served: str
) -> None:
    await setup_entry()
    key = hass.data[DATA_PICTURES].add(Upload(JPEG, "x.jpg", "image/jpeg"))
    url = f"{served}/api/facebook/picture/{key}"
    async with aiohttp.ClientSession() as plain, plain.get(url) as response:
        assert response.status == 401


async def test_a_grid_of_local_pictures_needs_an_external_url(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, cameras: list[str]
) -> None:
    await setup_facebook()
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, message="Hi", target=["alice"], data={"grid": {"images": cameras}})
    assert "external URL" in str(err.value)
    assert sends(simulator) == []


async def test_audio_to_many_people_keeps_meta_s_ten_per_second(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.config.media_rate_cap = 10  # Meta refuses the 11th audio send in a second
    await setup_facebook()
    audio = {"audio": "https://example.com/chime.mp3"}
    calls = [notify(hass, message="", target=["alice", "bob"], data=audio) for _ in range(8)]
    await asyncio.gather(*calls)
    accepted = sorted(s.received_at for s in simulator.sent if s.message and s.recipient_id)
    assert len(accepted) == 16  # every one delivered
    # Never more than 10 accepted in any one second. (On a loaded machine a call may still
    # arrive a little early and get 613; the client then backs off and sends it again.)
    assert max(sum(1 for t in accepted if start <= t < start + 1) for start in accepted) <= 10
    assert accepted[-1] - accepted[0] >= 1.0
