"""The chat page's routes: conversations folded from recordings, receipts, media, live stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import io
import json
from typing import Any

import aiohttp

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, CAROL, PAGE_ID, Graph, Receiver, text_message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def get(http: aiohttp.ClientSession, sim: Simulator, path: str) -> tuple[int, Any]:
    async with http.get(sim.url + path, allow_redirects=False) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


async def post(
    http: aiohttp.ClientSession, sim: Simulator, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.post(sim.url + path, json=body) as response:
        return response.status, await response.json()


async def conversation(http: aiohttp.ClientSession, sim: Simulator, psid: str) -> dict[str, Any]:
    status, body = await get(http, sim, f"/_sim/conversations/{psid}")
    assert status == 200
    return dict(body)


def with_message(psid: str, message: dict[str, Any]) -> dict[str, Any]:
    """A Send API body carrying ``message``."""
    return {"recipient": {"id": psid}, "messaging_type": "UPDATE", "message": message}


def with_attachment(psid: str, attachment: dict[str, Any]) -> dict[str, Any]:
    """A Send API body whose message is one attachment."""
    return with_message(psid, {"attachment": attachment})


def upload_form(message: dict[str, Any], psid: str = ALICE) -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field("recipient", json.dumps({"id": psid}))
    body.add_field("messaging_type", "UPDATE")
    body.add_field("message", json.dumps(message))
    body.add_field("filedata", io.BytesIO(PNG), filename="door.png", content_type="image/png")
    return body


# ----------------------------------------------------------------------------- the page


async def test_page_and_static_files(http: aiohttp.ClientSession, sim: Simulator) -> None:
    for path in ("/", "/chat"):
        status, _ = await get(http, sim, path)
        assert status == 302
    async with http.get(sim.url + "/") as response:
        assert response.url.path == "/chat/"
        html = await response.text()
    assert "<title>Messenger simulator</title>" in html
    for name, kind in (("chat.js", "javascript"), ("chat.css", "text/css"), ("icon.svg", "svg")):
        async with http.get(f"{sim.url}/chat/static/{name}") as response:
            assert response.status == 200
            assert kind in response.content_type
    assert sim.requests == []  # none of this reached the Graph catch-all
    status, error = await post(http, sim, "/", {})
    assert status == 400  # other methods on / are still Graph calls
    assert error["error"]["code"] == 2500


# ----------------------------------------------------------------------------- conversations


async def test_page_messages_render_like_messenger(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    replies = [{"content_type": "text", "title": "Red", "payload": "FOO"}]
    await graph.send(with_message(ALICE, {"text": "Pick a colour", "quick_replies": replies}))
    buttons = {
        "template_type": "button",
        "text": "Switch it?",
        "buttons": [
            {"type": "postback", "title": "On", "payload": "ON"},
            {"type": "web_url", "title": "Docs", "url": "https://example.com/docs"},
        ],
    }
    await graph.send(with_attachment(ALICE, {"type": "template", "payload": buttons}))
    url_image = {"type": "image", "payload": {"url": "https://example.com/a.jpg?x=1"}}
    await graph.send(with_attachment(ALICE, url_image))
    upload = {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
    reply = await graph.request("POST", "/v25.0/me/messages", data=upload_form(upload))
    saved = reply.body["attachment_id"]
    reused = {"type": "image", "payload": {"attachment_id": saved}}
    await graph.send(with_attachment(ALICE, reused))
    generic = {
        "template_type": "generic",
        "elements": [
            {
                "title": "Door",
                "subtitle": "Front",
                "buttons": [{"type": "postback", "title": "Open", "payload": "OPEN"}],
            }
        ],
    }
    await graph.send(with_attachment(ALICE, {"type": "template", "payload": generic}))
    await graph.send(text_message(BOB, "not for Alice"))

    chat = await conversation(http, sim, ALICE)
    items = chat["items"]
    assert [item["from"] for item in items] == ["page"] * 6
    assert [item["kind"] for item in items] == [
        "text",
        "buttons",
        "media",
        "media",
        "media",
        "generic",
    ]
    assert items[0]["text"] == "Pick a colour"
    assert items[0]["quick_replies"] == replies
    assert items[1]["text"] == "Switch it?"
    assert [b["title"] for b in items[1]["buttons"]] == ["On", "Docs"]
    assert (items[2]["url"], items[2]["filename"]) == ("https://example.com/a.jpg?x=1", "a.jpg")
    assert items[3]["url"] == f"/_sim/sent/{reply_index(sim, saved)}/file"
    assert (items[3]["content_type"], items[3]["size"]) == ("image/png", len(PNG))
    assert items[4]["url"] == f"/_sim/attachments/{saved}/file"
    assert items[5]["elements"][0]["title"] == "Door"
    assert all(item["status"] == "sent" for item in items)
    assert all(item["mid"].startswith("m_") for item in items)
    # Quick replies belong to the newest message only: they are gone once another one came.
    assert chat["quick_replies"] == []
    assert chat["unread"] == 6
    assert chat["user"]["name"] == "Alice"
    assert chat["page"] == {"page_id": PAGE_ID, "name": "Home"}

    status, data = await get(http, sim, items[3]["url"])
    assert (status, data) == (200, PNG)
    status, data = await get(http, sim, items[4]["url"])
    assert (status, data) == (200, PNG)


def reply_index(sim: Simulator, attachment_id: str) -> int:
    return next(i for i, s in enumerate(sim.sent) if s.attachment_id == attachment_id and s.files)


async def test_quick_replies_of_the_last_message(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    replies = [{"content_type": "text", "title": "Yes", "payload": "Y"}]
    await graph.send(with_message(ALICE, {"text": "Sure?", "quick_replies": replies}))
    assert (await conversation(http, sim, ALICE))["quick_replies"] == replies


async def test_person_side_and_statuses(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    await graph.send(text_message(ALICE, "Pick one"))
    await sim.user_says(ALICE, "hello")
    await sim.user_taps_quick_reply(ALICE, "Red", "FOO")
    await sim.user_taps_button(ALICE, "On", "ON")
    receiver.status = 403
    await sim.user_says(ALICE, "refused")
    receiver.status = 200
    await sim.post_webhook(sim.message_event(ALICE, "twice", mid="m_twice"), duplicate=True)
    await sim.post_webhook(sim.echo_event(ALICE, "an echo"))

    items = (await conversation(http, sim, ALICE))["items"]
    shown = [(i["from"], i.get("kind"), i["text"], i.get("payload"), i["status"]) for i in items]
    assert shown == [
        ("page", "text", "Pick one", None, "sent"),
        ("user", "message", "hello", None, "delivered"),
        ("user", "quick_reply", "Red", "FOO", "delivered"),
        ("user", "postback", "On", "ON", "delivered"),
        ("user", "message", "refused", None, "failed"),
        ("user", "message", "twice", None, "delivered"),  # a redelivery shows once
    ]
    failed = items[4]
    assert (failed["webhook_status"], failed["webhook_answer"]) == (403, "EVENT_RECEIVED")

    # mark_seen from the page: the person's messages up to then read "seen".
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "mark_seen"})
    statuses = [i["status"] for i in (await conversation(http, sim, ALICE))["items"]]
    assert statuses == ["sent", "seen", "seen", "seen", "failed", "seen"]


async def test_items_are_in_event_time_order(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    """A reply can be recorded before the webhook post it answers returns; time decides."""
    sim.webhook_url = receiver.url
    event = sim.message_event(ALICE, "question", timestamp=int(sim.now() * 1000) - 5)
    await graph.send(text_message(ALICE, "answer"))
    await sim.post_webhook(event)
    items = (await conversation(http, sim, ALICE))["items"]
    assert [i["text"] for i in items] == ["question", "answer"]


async def test_typing_indicator(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "typing_on"})
    typing = (await conversation(http, sim, ALICE))["typing_for"]
    assert 19 < typing <= 20
    sim.advance(21)
    assert (await conversation(http, sim, ALICE))["typing_for"] is None  # Messenger gave up
    await graph.send({"recipient": {"id": ALICE}, "sender_action": "typing_on"})
    await graph.send(text_message(ALICE, "here it is"))
    assert (await conversation(http, sim, ALICE))["typing_for"] is None  # a message ends it


async def test_window_and_people(http: aiohttp.ClientSession, sim: Simulator, graph: Graph) -> None:
    await graph.send(text_message(BOB, "for Bob"))
    chat = await conversation(http, sim, ALICE)
    assert 24 * 3600 - 5 < chat["window_closes_in"] <= 24 * 3600
    people = {p["psid"]: p for p in chat["users"]}
    assert people[BOB]["unread"] == 1
    assert people[BOB]["last"] == "for Bob"
    assert people[ALICE]["last"] is None
    assert people[CAROL]["page_id"] != PAGE_ID  # everyone, from every page
    status, listing = await get(http, sim, "/_sim/conversations")
    assert status == 200
    assert [p["psid"] for p in listing["data"]] == [p["psid"] for p in chat["users"]]
    sim.advance(25 * 3600)
    assert (await conversation(http, sim, ALICE))["window_closes_in"] == 0


async def test_unknown_person(http: aiohttp.ClientSession, sim: Simulator) -> None:
    for method, path in (
        ("GET", "/_sim/conversations/42"),
        ("GET", "/_sim/conversations/42/stream"),
        ("POST", "/_sim/users/42/delivered"),
        ("POST", "/_sim/users/42/read"),
    ):
        async with http.request(method, sim.url + path) as response:
            assert response.status == 404
            assert "unknown user 42" in (await response.json())["error"]


async def test_reset_empties_conversations(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    await graph.send(text_message(ALICE, "before"))
    assert len((await conversation(http, sim, ALICE))["items"]) == 1
    await post(http, sim, "/_sim/reset")
    assert (await conversation(http, sim, ALICE))["items"] == []
    await graph.send(text_message(ALICE, "after"))
    items = (await conversation(http, sim, ALICE))["items"]
    assert [(i["id"], i["text"]) for i in items] == [("p0", "after")]


# ----------------------------------------------------------------------------- receipts


async def test_delivery_and_read_receipts(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    first = (await graph.send(text_message(ALICE, "one"))).body["message_id"]
    second = (await graph.send(text_message(ALICE, "two"))).body["message_id"]

    status, result = await post(http, sim, f"/_sim/users/{ALICE}/delivered")
    assert status == 200
    assert (result["status"], result["mids"]) == (200, [first, second])
    delivery = receiver.events()[-1]
    assert delivery["sender"] == {"id": ALICE}
    assert delivery["delivery"]["mids"] == [first, second]
    newest = max(s.sent_at for s in sim.sent)
    assert delivery["delivery"]["watermark"] >= newest * 1000
    chat = await conversation(http, sim, ALICE)
    assert [i["status"] for i in chat["items"]] == ["delivered", "delivered"]
    assert chat["unread"] == 2
    # Nothing left to acknowledge: no second receipt.
    assert (await post(http, sim, f"/_sim/users/{ALICE}/delivered"))[1] == {
        "status": None,
        "mids": [],
    }

    status, result = await post(http, sim, f"/_sim/users/{ALICE}/read")
    assert (status, result["status"]) == (200, 200)
    read = receiver.events()[-1]
    assert read["read"]["watermark"] == result["watermark"] >= newest * 1000
    chat = await conversation(http, sim, ALICE)
    assert [i["status"] for i in chat["items"]] == ["read", "read"]
    assert chat["unread"] == 0
    assert (await post(http, sim, f"/_sim/users/{ALICE}/read"))[1]["status"] is None
    assert len(receiver.posts) == 2


async def test_receipts_need_a_webhook(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    await graph.send(text_message(ALICE, "one"))
    status, error = await post(http, sim, f"/_sim/users/{ALICE}/delivered")
    assert status == 409
    assert "webhook" in error["error"]


async def test_reactions_show_on_the_message(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    mid = (await graph.send(text_message(ALICE, "nice"))).body["message_id"]
    status, _ = await post(http, sim, f"/_sim/users/{ALICE}/react", {"mid": mid, "emoji": "👍"})
    assert status == 200
    assert (await conversation(http, sim, ALICE))["items"][0]["reaction"] == "👍"
    await sim.post_webhook(sim.reaction_event(ALICE, mid, "like", "👍", "unreact"))
    assert (await conversation(http, sim, ALICE))["items"][0]["reaction"] is None


# ----------------------------------------------------------------------------- media routes


async def test_media_routes_refuse_what_they_do_not_have(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    await graph.send(text_message(ALICE, "no file"))
    status, _ = await get(http, sim, "/_sim/sent/0/file")
    assert status == 404
    status, error = await get(http, sim, "/_sim/sent/7/file")
    assert status == 400
    assert "no such send" in error["error"]
    status, _ = await get(http, sim, "/_sim/attachments/123/file")
    assert status == 404


# ----------------------------------------------------------------------------- live stream


async def read_snapshot(stream: aiohttp.StreamReader) -> dict[str, Any]:
    """The next ``data:`` event of a Server-Sent Events stream."""
    async with asyncio.timeout(5):
        while True:
            line = await stream.readline()
            if line.startswith(b"data: "):
                return dict(json.loads(line[6:]))


async def read_until(
    stream: aiohttp.StreamReader, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Snapshots until one shows what is wanted (a change can come in more than one push: the
    person's window moves before their message is recorded, for one)."""
    async with asyncio.timeout(5):
        while not wanted(snapshot := await read_snapshot(stream)):
            pass
    return snapshot


def texts(snapshot: dict[str, Any]) -> list[str]:
    return [item["text"] for item in snapshot["items"]]


async def test_stream_pushes_each_change(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    async with http.get(f"{sim.url}/_sim/conversations/{ALICE}/stream") as response:
        assert response.status == 200
        assert response.content_type == "text/event-stream"
        assert (await read_snapshot(response.content))["items"] == []
        await graph.send(text_message(ALICE, "live"))
        assert texts(await read_until(response.content, lambda s: bool(s["items"]))) == ["live"]
        await sim.user_says(ALICE, "back")
        snapshot = await read_until(response.content, lambda s: len(s["items"]) > 1)
        assert texts(snapshot) == ["live", "back"]
        await post(http, sim, "/_sim/users", {"psid": "7777777777777777", "name": "Dora"})
        await read_until(response.content, lambda s: "Dora" in [p["name"] for p in s["users"]])
    # The stream's listener goes away with the browser (noticed at the next write).
    await graph.send(text_message(ALICE, "nobody listens"))
    for _ in range(250):
        if not sim.recorder.listeners:
            break
        await asyncio.sleep(0.02)
    assert sim.recorder.listeners == []


async def test_stopping_ends_open_streams(socket_enabled: None) -> None:
    sim = Simulator()
    sim.add_page()
    sim.add_user(ALICE, "Alice")
    await sim.start()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{sim.url}/_sim/conversations/{ALICE}/stream") as response,
    ):
        await read_snapshot(response.content)
        await sim.stop()
        # The stream ended cleanly: closed by the simulator, not cut at its shutdown timeout.
        assert (await response.content.read()).strip() == b""


# ----------------------------------------------------------------------------- listeners


def test_listeners_hear_everything_and_a_failing_one_is_dropped() -> None:
    sim = Simulator()
    heard: list[str] = []

    def broken(kind: str, item: Any) -> None:
        raise ValueError("boom")

    sim.recorder.listeners.extend([lambda kind, item: heard.append(kind), broken])
    sim.add_page()
    sim.add_user(ALICE)
    sim.clear()
    assert heard == ["user", "clear"]
    assert broken not in sim.recorder.listeners


async def test_verification_is_remembered(
    http: aiohttp.ClientSession, sim: Simulator, receiver: Receiver
) -> None:
    sim.webhook_url = receiver.url
    await sim.verify_webhook(receiver.url, "wrong")
    assert sim.verification is not None
    assert (sim.verification["ok"], sim.verification["status"]) == (False, 403)
    _, state = await get(http, sim, "/_sim/state")
    assert state["verification"]["ok"] is False
    await post(http, sim, "/_sim/verify", {"url": receiver.url, "verify_token": "let-me-in"})
    assert sim.verification["ok"] is True
    await sim.verify_webhook(receiver.url + "/elsewhere", "let-me-in")
    assert sim.verification["url"] == receiver.url  # only the configured webhook counts


async def test_phone_recipients_land_in_the_right_thread(
    http: aiohttp.ClientSession, sim: Simulator, graph: Graph
) -> None:
    psid = ALICE
    sim.users[psid].phone = "+1 212 555 2368"
    sim.pages[PAGE_ID].phone_matching = True
    body = {"recipient": {"phone_number": "+12125552368"}, "message": {"text": "by phone"}}
    body["messaging_type"] = "UPDATE"
    assert (await graph.send(body)).status == 200
    items = (await conversation(http, sim, psid))["items"]
    assert [i["text"] for i in items] == ["by phone"]
