"""Several pictures in one message, the image grid, and the people's attachments (F-46 to F-49)."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, Graph, Receiver

URL = "https://example.com/p.jpg"


def album(*items: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"attachments": list(items)}
    if text is not None:
        message["text"] = text
    return {"recipient": {"id": ALICE}, "messaging_type": "UPDATE", "message": message}


def picture(**payload: Any) -> dict[str, Any]:
    return {"type": "image", "payload": payload or {"url": URL}}


def grid(images: list[dict[str, Any]], **element: Any) -> dict[str, Any]:
    payload = {"template_type": "image_grid", "elements": [{"images": images, **element}]}
    return {
        "recipient": {"id": ALICE},
        "messaging_type": "UPDATE",
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


async def test_an_album_takes_up_to_thirty_images(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(album(*[picture()] * 30))
    assert reply.status == 200, reply.body
    assert sim.sent[-1].message["attachments"][29] == picture()
    too_many = await graph.send(album(*[picture()] * 31))
    assert too_many.body["error"]["code"] == 100
    assert "message[attachments]" in too_many.body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (album({"type": "video", "payload": {"url": URL}}), "message[attachments][0][type]"),
        (album(picture(), text="Hi"), ""),
        (album(picture(), {"type": "image", "payload": {}}), ""),
        (album(), "message[attachments]"),
    ],
)
async def test_album_refusals(graph: Graph, body: dict[str, Any], words: str) -> None:
    reply = await graph.send(body)
    assert reply.status == 400 and reply.body["error"]["code"] in (100, 194)
    assert words in reply.body["error"]["message"]


async def test_album_attachment_ids_as_the_simulator_is_told(graph: Graph, sim: Simulator) -> None:
    upload = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={"message": {"attachment": {"type": "image", "payload": {"url": URL}}}},
    )
    attachment_id = upload.body["attachment_id"]
    body = album(picture(attachment_id=attachment_id), picture())
    assert (await graph.send(body)).status == 200
    sim.config.album_attachment_ids = False  # FIDELITY F-46: Meta may take URLs only
    refused = await graph.send(body)
    assert refused.body["error"]["code"] == 100
    assert "attachment_id is not supported" in refused.body["error"]["message"]
    unknown = await graph.send(album(picture(attachment_id="9" * 16), picture()))
    assert unknown.body["error"]["code"] == 100


@pytest.mark.parametrize(
    ("images", "element", "words"),
    [
        ([{"url": URL}], {}, "[images]"),
        ([{"url": URL}] * 7, {}, "[images]"),
        ([{"url": URL, "is_hero_image": True}] * 2, {}, "is_hero_image"),
        ([{"url": URL}, {}], {}, "[images][1][url]"),
        ([{"url": URL}] * 2, {"title": "t" * 46}, "[title]"),
        ([{"url": URL}] * 2, {"subtitle": "s" * 81}, "[subtitle]"),
        (
            [{"url": URL, "action": {"type": "postback", "payload": "P"}}, {"url": URL}],
            {},
            "[action][text]",
        ),
        (
            [{"url": URL}] * 2,
            {"buttons": [{"type": "phone_number", "title": "Call", "payload": "+1"}]},
            "URL and postback",
        ),
    ],
)
async def test_grid_refusals(
    graph: Graph, images: list[dict[str, Any]], element: dict[str, Any], words: str
) -> None:
    reply = await graph.send(grid(images, **element))
    assert reply.status == 400, reply.body
    assert words in reply.body["error"]["message"]


async def test_a_grid_with_two_elements_is_refused(graph: Graph) -> None:
    body = grid([{"url": URL}] * 2)
    payload = body["message"]["attachment"]["payload"]
    payload["elements"] = payload["elements"] * 2
    reply = await graph.send(body)
    assert "[elements]" in reply.body["error"]["message"]


async def test_meta_fetches_the_grid_s_pictures(graph: Graph, sim: Simulator) -> None:
    good = sim.attachment_url(b"\xff\xd8jpeg", "image/jpeg", "a.jpg")
    not_a_picture = sim.attachment_url(b"hello", "text/plain", "a.txt")
    ok = await graph.send(grid([{"url": good}, {"url": good, "is_hero_image": True}]))
    assert ok.status == 200, ok.body
    failed = await graph.send(grid([{"url": good}, {"url": not_a_picture}]))
    assert (failed.body["error"]["code"], failed.body["error"]["error_subcode"]) == (100, 2018008)
    sim.config.fetch_timeout = 0.5
    gone = await graph.send(grid([{"url": good}, {"url": "http://127.0.0.1:9/x.jpg"}]))
    assert gone.body["error"]["error_subcode"] == 2018008
    # Each distinct URL of a send is fetched once.
    assert [ok for _url, ok in sim.state.fetches] == [True, True, False, True, False]


async def test_a_grid_tap_posts_the_picture_s_postback(
    graph: Graph, sim: Simulator, receiver: Receiver
) -> None:
    sim.config.webhook_url = receiver.url
    url = sim.attachment_url(b"\xff\xd8jpeg", "image/jpeg", "a.jpg")
    action = {"type": "postback", "payload": "OPEN_GATE", "text": "Open gate"}
    reply = await graph.send(grid([{"url": url, "action": action}, {"url": url}]))
    mid = reply.body["message_id"]
    status, _ = await sim.user_taps_grid_image(ALICE, mid, 0)
    assert status == 200
    (event,) = receiver.events()
    assert event["postback"]["title"] == "Open gate"
    assert event["postback"]["payload"] == "OPEN_GATE"
    assert await sim.user_taps_grid_image(ALICE, mid, 1) == (
        0,
        "no action: the picture is not tappable",
    )
    with pytest.raises(ValueError, match="no picture 5"):
        await sim.user_taps_grid_image(ALICE, mid, 5)


async def test_attachment_urls_answer_until_they_expire(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    sim.config.webhook_url = receiver.url
    audio = b"\0\0\0\x18ftypM4A "
    body = {
        "type": "audio",
        "content_type": "audio/mp4",
        "data": base64.b64encode(audio).decode(),
        "name": "audioclip.mp4",
    }
    async with http.post(f"{sim.url}/_sim/users/{ALICE}/attachment", json=body) as response:
        assert response.status == 200
    (event,) = receiver.events()
    (attachment,) = event["message"]["attachments"]
    assert attachment["type"] == "audio"
    url = attachment["payload"]["url"]
    async with http.get(url) as response:
        assert response.status == 200 and await response.read() == audio
        assert response.headers["Content-Type"] == "audio/mp4"
    sim.advance(sim.config.attachment_url_ttl + 1)
    async with http.get(url) as response:
        assert response.status == 403 and await response.text() == "URL signature expired"
    bad = {**body, "type": "sticker"}
    async with http.post(f"{sim.url}/_sim/users/{ALICE}/attachment", json=bad) as response:
        assert response.status == 400
