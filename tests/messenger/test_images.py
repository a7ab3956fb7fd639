"""`data.images` and `data.grid`: validation naming the field, and the messages built."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.facebook.messenger import MessageError, OutgoingMessage, Upload
from custom_components.facebook.messenger.fanout import album_parts, needs_upload, with_album
from custom_components.facebook.messenger.images import (
    album_request,
    grid_message,
    grid_request,
    picture_source,
)

URL = "https://example.com/p.jpg"


def test_picture_sources() -> None:
    assert picture_source("x", URL).source == "url"
    assert picture_source("x", " camera.door ").value == "camera.door"
    assert picture_source("x", "www/a.jpg").source == "path"
    for bad in ("", None, 5, "ftp://x/y"):
        with pytest.raises(MessageError, match=r"^x"):
            picture_source("x", bad)


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        ("nope", "grid must be a mapping"),
        ({"images": "x"}, "grid.images has no items"),
        ({"images": [URL, URL], "title": 5.5, "subtitle": True}, "grid.subtitle must be text"),
        ({"images": [{"image": URL, "hero": "yes"}, URL]}, "grid.images[0].hero must be true"),
        ({"images": [{"image": URL, "url": "ftp://x"}, URL]}, "grid.images[0].url must be"),
        ({"images": [{"image": URL, "text": "Hi"}, URL]}, "grid.images[0].text goes with"),
        ({"images": [{"image": URL, "payload": ""}, URL]}, "grid.images[0].payload must be"),
        (
            {"images": [{"image": URL, "payload": "p" * 1001, "text": "t"}, URL]},
            "grid.images[0].payload is 1001",
        ),
        ({"images": [URL, URL], "buttons": ["x"]}, "grid.buttons[0] must be a mapping"),
        ({"images": [URL, URL], "buttons": [{"payload": "A"}]}, "grid.buttons[0] needs a title"),
        (
            {"images": [URL, URL], "buttons": [{"title": "t" * 21, "payload": "A"}]},
            "grid.buttons[0].title",
        ),
        ({"images": [URL, URL], "buttons": [{"title": "A"}]}, "needs either a payload"),
        (
            {"images": [URL, URL], "buttons": [{"title": "A", "url": "x"}]},
            "grid.buttons[0].url must be",
        ),
        (
            {"images": [URL, URL], "buttons": [{"title": "A", "url": URL, "x": 1}]},
            "unknown key(s) x",
        ),
    ],
)
def test_grid_refusals(grid: Any, words: str) -> None:
    with pytest.raises(MessageError) as err:
        grid_request(grid)
    assert words in str(err.value)


def test_the_grid_message() -> None:
    grid = grid_request(
        {
            "images": [
                {"image": URL, "hero": True, "payload": 7, "text": "Open"},
                {"image": URL, "url": URL},
                URL,
            ],
            "title": 45 * "t",
            "subtitle": "",
            "buttons": [{"title": "Site", "url": URL}, {"title": "No", "payload": "NO"}],
        }
    )
    message = grid_message(grid, ["a", "b", "c"], {"metadata": "m"})
    payload = message["attachment"]["payload"]
    (element,) = payload["elements"]
    assert element["images"] == [
        {
            "url": "a",
            "is_hero_image": True,
            "action": {"type": "postback", "payload": "7", "text": "Open"},
        },
        {"url": "b", "action": {"type": "web_url", "url": URL}},
        {"url": "c"},
    ]
    assert "subtitle" not in element and element["title"] == 45 * "t"
    assert element["buttons"][0] == {"type": "web_url", "title": "Site", "url": URL}
    assert message["metadata"] == "m"


def test_an_album_split_keeps_its_quote_and_fields() -> None:
    parts = [
        OutgoingMessage(message={"attachment": {"type": "image", "payload": {"url": u}}})
        for u in ("a", "b")
    ]
    album = with_album(
        OutgoingMessage(media_kind="image", pending_fields={"quick_replies": [1]}, reply_to="m1"),
        parts,
    )
    assert album.message == {
        "attachments": [p.message["attachment"] for p in parts if p.message],
        "quick_replies": [1],
    }
    first, last = album_parts(album)
    assert first.reply_to == "m1" and last.reply_to is None
    assert last.message is not None and last.message["quick_replies"] == [1]
    assert not needs_upload([album])
    with_file = with_album(album, [OutgoingMessage(upload=Upload(b"x", "x.jpg", "image/jpeg"))])
    assert needs_upload([with_file])
    assert len(album_request([URL] * 30).requests) == 30
