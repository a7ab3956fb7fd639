"""Multipart uploads, the Attachment Upload API, attachment ids and file checks (reference §2)."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, OTHER_TOKEN, PAGE_ID, Graph, text_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, including CR/LF and dashes


def form(
    message: dict[str, Any] | None,
    data: bytes = PNG,
    content_type: str | None = "image/png",
    *,
    recipient: str | None = ALICE,
    filename: str = "snapshot.png",
) -> aiohttp.FormData:
    """A multipart Send API (or upload) body with a ``filedata`` part."""
    body = aiohttp.FormData()
    if recipient is not None:
        body.add_field("recipient", json.dumps({"id": recipient}))
        body.add_field("messaging_type", "UPDATE")
    if message is not None:
        body.add_field("message", json.dumps(message))
    # A stream, not bytes: aiohttp warns that large raw bytes bodies block the event loop.
    if content_type is None:
        body.add_field("filedata", io.BytesIO(data), filename=filename)
    else:
        body.add_field("filedata", io.BytesIO(data), filename=filename, content_type=content_type)
    return body


def media(kind: str, **payload: Any) -> dict[str, Any]:
    return {"attachment": {"type": kind, "payload": payload}}


async def test_multipart_send_reusable(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request(
        "POST", "/v25.0/me/messages", data=form(media("image", is_reusable=True))
    )
    assert reply.status == 200, reply.body
    assert reply.body["recipient_id"] == ALICE
    attachment_id = reply.body["attachment_id"]
    assert attachment_id.isdigit()
    sent = sim.sent[0]
    assert sent.attachment_id == attachment_id
    file = sent.files["filedata"]
    assert (file.filename, file.content_type, file.data) == ("snapshot.png", "image/png", PNG)
    recorded = sim.requests[-1]
    assert recorded.body["message"] == media("image", is_reusable=True)
    assert recorded.body["recipient"] == {"id": ALICE}
    assert recorded.files["filedata"].data == PNG
    assert sim.attachments[attachment_id].file == file


async def test_multipart_send_not_reusable(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request("POST", "/v25.0/me/messages", data=form(media("image")))
    assert reply.status == 200
    assert "attachment_id" not in reply.body
    assert sim.sent[0].attachment_id is None
    assert sim.attachments == {}


async def test_reuse_attachment_id(graph: Graph, sim: Simulator) -> None:
    first = await graph.request(
        "POST", "/v25.0/me/messages", data=form(media("image", is_reusable=True))
    )
    attachment_id = first.body["attachment_id"]
    again = await graph.send(
        {
            "recipient": {"id": BOB},
            "messaging_type": "UPDATE",
            "message": media("image", attachment_id=attachment_id),
        }
    )
    assert again.status == 200
    assert "attachment_id" not in again.body
    assert sim.sent[-1].attachment_id == attachment_id


async def test_unknown_attachment_id(graph: Graph) -> None:
    reply = await graph.send(text_message(message=media("image", attachment_id="123456789")))
    assert reply.status == 400
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018074)


async def test_attachment_id_of_another_page(graph: Graph, sim: Simulator) -> None:
    upload = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={"message": media("image", url="https://e.com/a.png", is_reusable=True)},
        token=OTHER_TOKEN,
    )
    foreign = upload.body["attachment_id"]
    reply = await graph.send(text_message(message=media("image", attachment_id=foreign)))
    assert reply.error["error_subcode"] == 2018074


async def test_attachment_ids_expire_after_90_days(graph: Graph, sim: Simulator) -> None:
    upload = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={"message": media("image", url="https://e.com/a.png", is_reusable=True)},
    )
    attachment_id = upload.body["attachment_id"]
    sim.advance(91 * 24 * 3600)
    sim.message_event(ALICE, "hi")  # keep the window open
    reply = await graph.send(text_message(message=media("image", attachment_id=attachment_id)))
    assert reply.error["error_subcode"] == 2018074


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("audio", "image/png"),
        ("image", "application/octet-stream"),
        ("video", "audio/mpeg"),
        ("image", None),
    ],
)
async def test_content_type_mismatch(
    graph: Graph, sim: Simulator, kind: str, content_type: str | None
) -> None:
    reply = await graph.request(
        "POST", "/v25.0/me/messages", data=form(media(kind), content_type=content_type)
    )
    assert reply.status == 400
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018047)
    assert sim.sent == []


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("audio", "audio/mpeg"),
        ("image", "image/jpeg"),
        ("video", "video/mp4"),
        ("file", "application/pdf"),
        ("file", "application/octet-stream"),
    ],
)
async def test_content_type_match(graph: Graph, kind: str, content_type: str) -> None:
    reply = await graph.request(
        "POST", "/v25.0/me/messages", data=form(media(kind), content_type=content_type)
    )
    assert reply.status == 200, reply.body


async def test_file_over_25_mb(graph: Graph, sim: Simulator) -> None:
    big = b"\0" * (25 * 1024 * 1024 + 1)
    reply = await graph.request("POST", "/v25.0/me/messages", data=form(media("file"), big))
    assert reply.status == 400
    assert reply.error["message"] == "(#100) Attachment size exceeds allowable limit"
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018109)
    assert sim.sent == []


async def test_size_limit_boundary(graph: Graph, sim: Simulator) -> None:
    sim.max_attachment_bytes = 1000
    exact = await graph.request("POST", "/v25.0/me/messages", data=form(media("file"), b"x" * 1000))
    assert exact.status == 200
    over = await graph.request("POST", "/v25.0/me/messages", data=form(media("file"), b"x" * 1001))
    assert over.error["error_subcode"] == 2018109


async def test_upload_api_multipart(graph: Graph, sim: Simulator) -> None:
    body = form(media("image", is_reusable=True), recipient=None)
    reply = await graph.request("POST", f"/v25.0/{PAGE_ID}/message_attachments", data=body)
    assert reply.status == 200, reply.body
    assert list(reply.body) == ["attachment_id"]
    saved = sim.attachments[reply.body["attachment_id"]]
    assert saved.file is not None
    assert saved.file.data == PNG
    assert saved.page_id == PAGE_ID
    assert sim.sent == []  # an upload is not a message


async def test_upload_api_without_message_part(graph: Graph) -> None:
    reply = await graph.request(
        "POST", "/v25.0/me/message_attachments", data=form(None, recipient=None)
    )
    assert reply.status == 400
    assert reply.error["message"] == "(#100) The parameter message is required"
    assert reply.error["code"] == 100


async def test_upload_api_content_type_mismatch(graph: Graph) -> None:
    body = form(media("audio", is_reusable=True), content_type="text/plain", recipient=None)
    reply = await graph.request("POST", "/v25.0/me/message_attachments", data=body)
    assert reply.error["error_subcode"] == 2018047


async def test_upload_api_by_url_then_send(graph: Graph, sim: Simulator) -> None:
    upload = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={"message": media("video", url="https://e.com/clip.mp4", is_reusable=True)},
    )
    attachment_id = upload.body["attachment_id"]
    assert sim.attachments[attachment_id].url == "https://e.com/clip.mp4"
    reply = await graph.send(text_message(message=media("video", attachment_id=attachment_id)))
    assert reply.status == 200


async def test_upload_api_rejects_templates(graph: Graph) -> None:
    reply = await graph.request(
        "POST",
        "/v25.0/me/message_attachments",
        json={
            "message": {"attachment": {"type": "template", "payload": {"template_type": "button"}}}
        },
    )
    assert reply.error["code"] == 100
    assert "must be one of {IMAGE, VIDEO, AUDIO, FILE}" in reply.error["message"]


async def test_send_by_url_records_url(graph: Graph, sim: Simulator) -> None:
    url = "http://192.0.2.10/camera/snapshot.jpg"
    reply = await graph.send(text_message(message=media("image", url=url, is_reusable=True)))
    assert reply.status == 200
    assert sim.sent[0].message == media("image", url=url, is_reusable=True)
    assert sim.attachments[reply.body["attachment_id"]].url == url
