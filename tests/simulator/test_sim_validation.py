"""Send API request validation: each row of reference §1.7 and the limits the brief adds."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, Graph, text_message

R = {"id": ALICE}


def msg(message: Any, **extra: Any) -> dict[str, Any]:
    """A Send API body with ``message`` for Alice."""
    return {"recipient": R, "messaging_type": "UPDATE", "message": message, **extra}


def button(**fields: Any) -> dict[str, Any]:
    return {"type": "postback", "title": "Yes", "payload": "YES", **fields}


def button_template(buttons: Any, text: Any = "Pick one") -> dict[str, Any]:
    payload: dict[str, Any] = {"template_type": "button", "buttons": buttons}
    if text is not None:
        payload["text"] = text
    return {"attachment": {"type": "template", "payload": payload}}


def qr(**fields: Any) -> dict[str, Any]:
    return {"content_type": "text", "title": "Yes", "payload": "YES", **fields}


REJECTED: list[tuple[str, dict[str, Any], int, int | None, str]] = [
    (
        "no recipient",
        {"messaging_type": "UPDATE", "message": {"text": "hi"}},
        100,
        None,
        "(#100) The parameter recipient is required",
    ),
    (
        "neither message nor sender_action",
        {"recipient": R, "messaging_type": "UPDATE"},
        100,
        2018015,
        "(#100) Must send either message or state",
    ),
    (
        "both message and sender_action",
        msg({"text": "hi"}, sender_action="typing_on"),
        100,
        2018014,
        "(#100) Cannot send both message and state at the same time.",
    ),
    (
        "empty message object",
        msg({}),
        100,
        2018034,
        "(#100) Message cannot be empty, must provide valid attachment or text",
    ),
    (
        "empty text",
        msg({"text": ""}),
        100,
        2018034,
        "(#100) Message cannot be empty, must provide valid attachment or text",
    ),
    (
        "attachment without type",
        msg({"attachment": {"payload": {"url": "https://example.com/a.png"}}}),
        100,
        None,
        "(#100) The parameter message[attachment][type] is required",
    ),
    (
        "attachment without payload",
        msg({"attachment": {"type": "image"}}),
        100,
        None,
        "(#100) The parameter message[attachment][payload] is required",
    ),
    (
        "bad attachment type",
        msg({"attachment": {"type": "hologram", "payload": {"url": "https://e.com/x"}}}),
        100,
        None,
        "(#100) param message[attachment][type] must be one of {IMAGE, VIDEO, AUDIO, FILE, "
        'TEMPLATE} - got "hologram".',
    ),
    (
        "bad template type",
        msg({"attachment": {"type": "template", "payload": {"template_type": "poster"}}}),
        100,
        None,
        "(#100) Invalid template type",
    ),
    (
        "button template without text",
        msg(button_template([button()], text=None)),
        100,
        None,
        "(#100) The parameter message[attachment][payload][text] is required",
    ),
    (
        "button template text over 640",
        msg(button_template([button()], text="x" * 641)),
        100,
        None,
        "(#100) param message[attachment][payload][text] must be at most 640 characters long.",
    ),
    (
        "button template without buttons",
        msg(button_template([])),
        194,
        None,
        "(#194) param message[attachment][payload][buttons] has too few elements.",
    ),
    (
        "button template with four buttons",
        msg(button_template([button()] * 4)),
        100,
        None,
        "(#100) param message[attachment][payload][buttons] has too many elements.",
    ),
    (
        "postback button without payload",
        msg(button_template([{"type": "postback", "title": "Yes"}])),
        100,
        2018040,
        "(#100) Payload cannot be empty for postback type button",
    ),
    (
        "url button without url",
        msg(button_template([{"type": "web_url", "title": "Open"}])),
        100,
        2018041,
        "(#100) Web url cannot be empty for url type button",
    ),
    (
        "button without title",
        msg(button_template([{"type": "postback", "payload": "P"}])),
        100,
        2018053,
        "(#100) Element button title cannot be empty.",
    ),
    (
        "button title over 20",
        msg(button_template([button(title="x" * 21)])),
        100,
        None,
        "(#100) param message[attachment][payload][buttons][0][title] must be at most 20 "
        "characters long.",
    ),
    (
        "generic element with only a title",
        msg(
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "generic", "elements": [{"title": "T"}]},
                }
            }
        ),
        100,
        2018035,
        "(#100) Incomplete element data: title and at least one other field (image url, "
        "subtitle or buttons) is required with non-empty value",
    ),
    (
        "empty quick_replies",
        msg({"text": "hi", "quick_replies": []}),
        194,
        None,
        "(#194) param message[quick_replies] has too few elements.",
    ),
    (
        "fourteen quick replies",
        msg({"text": "hi", "quick_replies": [qr(payload=str(i)) for i in range(14)]}),
        100,
        None,
        "(#100) param message[quick_replies] has too many elements.",
    ),
    (
        "quick reply without content_type",
        msg({"text": "hi", "quick_replies": [{"title": "Yes", "payload": "Y"}]}),
        100,
        None,
        "(#100) The parameter message[quick_replies][0][content_type] is required",
    ),
    (
        "text quick reply without title",
        msg({"text": "hi", "quick_replies": [qr(), {"content_type": "text", "payload": "N"}]}),
        100,
        2018098,
        "(#100) Title is required for this quick reply content type",
    ),
    (
        "text quick reply without payload",
        msg({"text": "hi", "quick_replies": [{"content_type": "text", "title": "No"}]}),
        100,
        2018099,
        "(#100) Payload is required for this quick reply content type",
    ),
    (
        "quick reply payload over 1000",
        msg({"text": "hi", "quick_replies": [qr(payload="p" * 1001)]}),
        100,
        None,
        "(#100) param message[quick_replies][0][payload] must be at most 1000 characters long.",
    ),
    (
        "text and attachment together",
        msg({"text": "hi", "attachment": {"type": "image", "payload": {"url": "https://e.com/a"}}}),
        100,
        None,
        "(#100) Only one of message[text] and message[attachment] can be specified.",
    ),
    (
        "text of 2000 characters",
        msg({"text": "x" * 2000}),
        100,
        None,
        "(#100) param message[text] must be less than 2000 characters.",
    ),
    (
        "missing messaging_type",
        {"recipient": R, "message": {"text": "hi"}},
        100,
        None,
        "(#100) The parameter messaging_type is required",
    ),
    (
        "unknown messaging_type",
        msg({"text": "hi"}, messaging_type="PROMO"),
        100,
        None,
        "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG, UTILITY} - "
        'got "PROMO".',
    ),
    (
        "MESSAGE_TAG without tag",
        msg({"text": "hi"}, messaging_type="MESSAGE_TAG"),
        100,
        None,
        "(#100) The parameter tag is required for MESSAGE_TAG messages",
    ),
    (
        "unknown tag",
        msg({"text": "hi"}, messaging_type="MESSAGE_TAG", tag="PARTY_TIME"),
        100,
        None,
        "(#100) param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK, ACCOUNT_UPDATE, "
        'CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE} - got "PARTY_TIME".',
    ),
    (
        "unknown notification_type",
        msg({"text": "hi"}, notification_type="LOUD"),
        100,
        None,
        "(#100) param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH} - "
        'got "LOUD".',
    ),
    (
        "metadata of 1000 characters",
        msg({"text": "hi", "metadata": "m" * 1000}),
        100,
        None,
        "(#100) param message[metadata] must be at most 999 characters long.",
    ),
    (
        "unknown sender_action",
        {"recipient": R, "sender_action": "dance"},
        100,
        None,
        "(#100) param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN, REACT, "
        'UNREACT} - got "dance".',
    ),
    (
        "media without url, attachment_id or file",
        msg({"attachment": {"type": "image", "payload": {"is_reusable": True}}}),
        100,
        None,
        "(#100) param message[attachment][payload] must contain url or attachment_id, or the "
        "request must upload filedata",
    ),
    (
        "media url that is not http(s)",
        msg({"attachment": {"type": "image", "payload": {"url": "file:///etc/passwd"}}}),
        100,
        2018008,
        "(#100) Failed to fetch the file from the url",
    ),
]


@pytest.mark.parametrize(
    ("body", "code", "subcode", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in REJECTED],
)
async def test_rejected(
    graph: Graph,
    sim: Simulator,
    body: dict[str, Any],
    code: int,
    subcode: int | None,
    message: str,
) -> None:
    """Each invalid request gets Meta's envelope, code, subcode and message; nothing is sent."""
    reply = await graph.send(body)
    assert reply.status == 400
    error = reply.error
    assert error["message"] == message
    assert error["code"] == code
    assert error.get("error_subcode") == subcode
    assert error["type"] == "OAuthException"
    assert len(error["fbtrace_id"]) == 23
    assert sim.sent == []
    assert sim.requests[-1].status == 400
    assert sim.count_errors(code) == 1


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("plain text", msg({"text": "hi"})),
    ("text of 1999 characters", msg({"text": "x" * 1999})),
    ("RESPONSE type", msg({"text": "hi"}, messaging_type="RESPONSE")),
    ("lower-case messaging_type", msg({"text": "hi"}, messaging_type="update")),
    (
        "thirteen quick replies at the limits",
        msg(
            {
                "text": "hi",
                "quick_replies": [qr(title="t" * 20, payload="p" * 1000) for _ in range(13)],
            }
        ),
    ),
    (
        "phone and email quick replies need no title",
        msg(
            {
                "text": "hi",
                "quick_replies": [
                    {"content_type": "user_phone_number"},
                    {"content_type": "user_email"},
                ],
            }
        ),
    ),
    (
        "button template with three buttons",
        msg(
            button_template(
                [
                    button(title="x" * 20),
                    button(),
                    {"type": "web_url", "title": "Go", "url": "https://e.com"},
                ],
                text="t" * 640,
            )
        ),
    ),
    (
        "generic template",
        msg(
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "generic",
                        "elements": [{"title": "T", "subtitle": "S", "buttons": [button()]}],
                    },
                }
            }
        ),
    ),
    (
        "image by url",
        msg({"attachment": {"type": "image", "payload": {"url": "https://e.com/a.png"}}}),
    ),
    ("silent push", msg({"text": "hi"}, notification_type="SILENT_PUSH")),
    ("metadata of 999 characters", msg({"text": "hi", "metadata": "m" * 999})),
    ("sticker", msg({"sticker_id": 369239263222822})),
]


@pytest.mark.parametrize("body", [pytest.param(row[1], id=row[0]) for row in ACCEPTED])
async def test_accepted(graph: Graph, sim: Simulator, body: dict[str, Any]) -> None:
    """Valid requests are accepted, answered with recipient_id + m_ message_id, and recorded."""
    reply = await graph.send(body)
    assert reply.status == 200, reply.body
    assert reply.body["recipient_id"] == ALICE
    assert reply.body["message_id"].startswith("m_")
    assert "attachment_id" not in reply.body
    assert len(sim.sent) == 1
    sent = sim.sent[0]
    assert sent.message == body["message"]
    assert sent.message_id == reply.body["message_id"]
    assert sent.recipient == {"id": ALICE}
    assert sent.recipient_id == ALICE
    assert sim.messages_to(ALICE) == [sent]


async def test_validation_order_content_before_messaging_type(graph: Graph) -> None:
    """Message content is checked before messaging_type, quick replies before text length."""
    too_long = {"recipient": R, "message": {"text": "x" * 2500}}
    reply = await graph.send(too_long)
    assert reply.error["message"] == "(#100) param message[text] must be less than 2000 characters."
    bad_qr = {"recipient": R, "message": {"text": "x" * 2500, "quick_replies": []}}
    assert (await graph.send(bad_qr)).error["code"] == 194
    no_recipient = {"message": {}, "sender_action": "typing_on"}
    assert (await graph.send(no_recipient)).error["message"] == (
        "(#100) The parameter recipient is required"
    )


async def test_validation_before_recipient_lookup(graph: Graph) -> None:
    """An invalid body to an unknown PSID reports the body error, not the unknown user."""
    reply = await graph.send(msg({"text": "hi", "quick_replies": []}, recipient={"id": "42"}))
    assert reply.error["code"] == 194


@pytest.mark.parametrize("action", ["typing_on", "typing_off", "mark_seen"])
async def test_sender_actions(graph: Graph, sim: Simulator, action: str) -> None:
    """Sender actions answer only recipient_id and need no messaging_type."""
    reply = await graph.send({"recipient": R, "sender_action": action})
    assert reply.status == 200
    assert reply.body == {"recipient_id": ALICE}
    assert sim.sent[-1].sender_action == action
    assert sim.sent[-1].message_id is None
    assert sim.messages_to(ALICE) == []  # messages_to lists messages, not sender actions


async def test_react_sender_action_needs_message_id(graph: Graph, sim: Simulator) -> None:
    """The react action carries payload.message_id and payload.reaction."""
    sim.message_event(ALICE, "hi", mid="m_1")  # the message reacted to: Alice's
    reply = await graph.send({"recipient": R, "sender_action": "react"})
    assert reply.error["message"] == "(#100) The parameter payload[message_id] is required"
    ok = await graph.send(
        {
            "recipient": R,
            "sender_action": "react",
            "payload": {"message_id": "m_1", "reaction": "love"},
        }
    )
    assert ok.body == {"recipient_id": ALICE}


async def test_form_encoded_with_single_quotes(graph: Graph, sim: Simulator) -> None:
    """Meta's own curl sample: form fields holding single-quoted JSON."""
    form = {
        "recipient": "{'id':'" + ALICE + "'}",
        "messaging_type": "RESPONSE",
        "message": "{'text':'hello, world'}",
    }
    reply = await graph.request(
        "POST", f"/v25.0/{sim.pages['1000000000000001'].page_id}/messages", data=form
    )
    assert reply.status == 200, reply.body
    assert sim.sent[0].message == {"text": "hello, world"}
    recorded = sim.requests[-1]
    assert recorded.body == {
        "recipient": {"id": ALICE},
        "messaging_type": "RESPONSE",
        "message": {"text": "hello, world"},
    }
    assert recorded.raw_body.startswith(b"recipient=")


async def test_params_in_query_string(graph: Graph, sim: Simulator) -> None:
    """Meta's Python sample sends everything as query parameters with JSON-string values."""
    params = {
        "recipient": '{"id": "' + ALICE + '"}',
        "message": '{"text": "from the query"}',
        "messaging_type": "UPDATE",
    }
    reply = await graph.request("POST", "/v25.0/me/messages", params=params)
    assert reply.status == 200, reply.body
    assert sim.sent[0].message == {"text": "from the query"}


async def test_json_string_values_in_json_body(graph: Graph, sim: Simulator) -> None:
    """Object parameters given as JSON strings inside a JSON body are decoded too."""
    reply = await graph.send(
        {
            "recipient": '{"id":"' + ALICE + '"}',
            "messaging_type": "UPDATE",
            "message": '{"text":"x"}',
        }
    )
    assert reply.status == 200
    assert sim.sent[0].message == {"text": "x"}


async def test_bad_json_body(graph: Graph, sim: Simulator) -> None:
    """A JSON body that does not parse is a (#100) error."""
    reply = await graph.request(
        "POST",
        "/v25.0/me/messages",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400
    assert reply.error["code"] == 100
    assert sim.sent == []


async def test_numeric_recipient_id(graph: Graph, sim: Simulator) -> None:
    """A PSID given as a JSON number is accepted and answered as a string."""
    reply = await graph.send(text_message(recipient={"id": int(ALICE)}))
    assert reply.body["recipient_id"] == ALICE
    assert sim.sent[0].recipient_id == ALICE


async def test_a_long_quick_reply_title_is_accepted_and_shown_cut(
    sim: Simulator, graph: Graph
) -> None:
    """Meta truncates quick-reply titles past 20 characters (reference §1.4): no error."""
    title = "Keep notifications on"  # 21 characters
    reply = {"content_type": "text", "title": title, "payload": "KEEP"}
    reply_ = await graph.send(msg({"text": "hi", "quick_replies": [reply]}))
    assert reply_.status == 200
    assert sim.sent[-1].message["quick_replies"][0]["title"] == title  # as sent
    shown = sim.chat.conversation(ALICE)["quick_replies"]
    assert [r["title"] for r in shown] == ["Keep notifications o"]  # as Messenger shows it
