"""Building Send API messages from a call's message, title and data (pure, no I/O)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.facebook.messenger.builder import build_call, check_tag, split_text
from custom_components.facebook.messenger.const import TEXT_LIMIT
from custom_components.facebook.messenger.errors import MessageError
from custom_components.facebook.messenger.models import SendOptions


def build(message: str = "hi", title: str | None = None, **data: Any):
    return build_call(
        message, title, data or None, default_messaging_type="UPDATE", default_tag=None
    )


def messages(content) -> list[dict[str, Any] | None]:
    return [part.message for part in content.messages]


def test_plain_text_and_title() -> None:
    assert messages(build("hello")) == [{"text": "hello"}]
    assert messages(build("body", "Title")) == [{"text": "Title\nbody"}]
    assert messages(build("", "Only title")) == [{"text": "Only title"}]


def test_attachment_passthrough_drops_text() -> None:
    attachment = {"type": "image", "payload": {"url": "https://example.com/a.png"}}
    content = build("ignored text", attachment=attachment, metadata="m1")
    assert messages(content) == [{"attachment": attachment, "metadata": "m1"}]


def test_metadata_and_sticker_pass_through() -> None:
    assert messages(build("x", metadata="tag-1")) == [{"text": "x", "metadata": "tag-1"}]
    assert messages(build("x", sticker_id=369239263222822)) == [{"sticker_id": 369239263222822}]


def test_quick_replies_short_and_long_forms() -> None:
    content = build(
        "Pick",
        quick_replies=["Red", {"title": "Blue", "payload": "BAR"}, {"content_type": "user_email"}],
    )
    assert messages(content) == [
        {
            "text": "Pick",
            "quick_replies": [
                {"content_type": "text", "title": "Red", "payload": "Red"},
                {"content_type": "text", "title": "Blue", "payload": "BAR"},
                {"content_type": "user_email"},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("quick_replies", "problem"),
    [
        ([str(i) for i in range(14)], "at most 13"),
        (["x" * 21], "the limit is 20"),
        ([{"title": "ok", "payload": "p" * 1001}], "the limit is 1000"),
        ([], "empty"),
        ("Red", "must be a list"),
        ([{"payload": "no title"}], "needs a title"),
        ([{"title": "t", "colour": "red"}], "unknown key(s) colour"),
        ([{"title": "t", "content_type": "location"}], "content_type must be one of"),
        ([{"title": "t", "image_url": "ftp://x"}], "image_url must be an http(s) URL"),
        ([{"title": "t", "payload": ""}], "payload must be a non-empty string"),
        ([None], "must be a string or a mapping"),
    ],
)
def test_quick_replies_are_validated(quick_replies: Any, problem: str) -> None:
    with pytest.raises(MessageError) as err:
        build("Pick", quick_replies=quick_replies)
    assert problem in str(err.value)


def test_buttons_become_a_button_template() -> None:
    content = build(
        "Door open",
        buttons=[
            {"title": "Close it", "payload": "CLOSE"},
            {"title": "Camera", "url": "https://ha.example/cam"},
        ],
    )
    assert messages(content) == [
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "Door open",
                    "buttons": [
                        {"type": "postback", "title": "Close it", "payload": "CLOSE"},
                        {"type": "web_url", "title": "Camera", "url": "https://ha.example/cam"},
                    ],
                },
            }
        }
    ]


def test_long_text_with_buttons_keeps_the_template_within_640() -> None:
    text = " ".join(["word"] * 400)  # 1999 characters
    content = build(text, buttons=[{"title": "OK", "payload": "OK"}])
    *texts, template = messages(content)
    assert all(set(m) == {"text"} for m in texts)
    shown = template["attachment"]["payload"]["text"]
    assert len(shown) <= 640
    assert " ".join([*(m["text"] for m in texts), shown]) == text


@pytest.mark.parametrize(
    ("buttons", "problem"),
    [
        ([{"title": "a", "payload": "1"}] * 4, "the limit is 3"),
        ([{"title": "a"}], "either a payload"),
        ([{"title": "a", "payload": "1", "url": "https://x"}], "either a payload"),
        ([{"title": "a", "url": "javascript:alert(1)"}], "http(s) URL"),
        ([{"title": "", "payload": "1"}], "needs a title"),
        ([{"title": "t" * 21, "payload": "1"}], "the limit is 20"),
        ([], "1 to 3"),
        (["x"], "must be a mapping"),
        ([{"title": "a", "payload": "1", "style": "x"}], "unknown key(s) style"),
    ],
)
def test_buttons_are_validated(buttons: Any, problem: str) -> None:
    with pytest.raises(MessageError) as err:
        build("text", buttons=buttons)
    assert problem in str(err.value)


def test_buttons_need_text_and_no_attachment() -> None:
    with pytest.raises(MessageError, match="need a message text"):
        build("", buttons=[{"title": "a", "payload": "1"}])
    with pytest.raises(MessageError, match="can't be combined"):
        build(
            "t",
            buttons=[{"title": "a", "payload": "1"}],
            attachment={"type": "image", "payload": {"url": "https://x/y.png"}},
        )


def test_media_come_after_the_text_and_quick_replies_go_last() -> None:
    content = build(
        "Look",
        image="https://example.com/cat.jpg",
        file="/config/www/report.pdf",
        quick_replies=["Nice"],
    )
    assert [(p.message, p.media_kind) for p in content.messages] == [
        ({"text": "Look"}, None),
        (None, "image"),
        (None, "file"),
    ]
    assert content.messages[-1].pending_fields == {
        "quick_replies": [{"content_type": "text", "title": "Nice", "payload": "Nice"}]
    }
    assert [(m.kind, m.source, m.value) for m in content.media] == [
        ("image", "url", "https://example.com/cat.jpg"),
        ("file", "path", "/config/www/report.pdf"),
    ]
    assert content.media_slots == [1, 2]


def test_media_sources() -> None:
    content = build("", image="http://192.168.1.2/snap.jpg", upload=True, camera="camera.door")
    assert [(m.kind, m.source) for m in content.media] == [
        ("image", "download"),
        ("image", "camera"),
    ]
    with pytest.raises(MessageError, match="must be http or https"):
        build("", image="ftp://host/x.jpg")
    with pytest.raises(MessageError, match="camera entity id"):
        build("", camera="light.kitchen")
    with pytest.raises(MessageError, match="upload: true needs"):
        build("x", upload=True)
    with pytest.raises(MessageError, match="upload must be true or false"):
        build("x", image="https://x/y.png", upload="yes")
    with pytest.raises(MessageError, match="a URL or a file path"):
        build("x", image=42)


def test_nothing_to_send_is_an_error() -> None:
    with pytest.raises(MessageError, match="nothing to send"):
        build("   ")


def test_unknown_data_keys_are_named() -> None:
    with pytest.raises(MessageError) as err:
        build("hi", quick_reply=["typo"])
    assert "unknown data key(s) quick_reply" in str(err.value)


def test_sender_action_only_when_asked() -> None:
    assert [p.sender_action for p in build("hi").messages] == [None]
    content = build("hi", sender_action="typing_on")
    assert [(p.sender_action, p.message) for p in content.messages] == [
        ("typing_on", None),
        (None, {"text": "hi"}),
    ]
    with pytest.raises(MessageError, match="sender_action must be one of"):
        build("hi", sender_action="dance")


def test_messaging_options() -> None:
    assert build("x").options == SendOptions("UPDATE")
    assert build("x", messaging_type="RESPONSE", notification_type="SILENT_PUSH").options == (
        SendOptions("RESPONSE", None, "SILENT_PUSH")
    )
    assert build("x", tag="HUMAN_AGENT").options == SendOptions("MESSAGE_TAG", "HUMAN_AGENT")
    tagged_default = build_call(
        "x", None, None, default_messaging_type="MESSAGE_TAG", default_tag="HUMAN_AGENT"
    )
    assert tagged_default.options == SendOptions("MESSAGE_TAG", "HUMAN_AGENT")
    overridden = build_call(
        "x",
        None,
        {"messaging_type": "UPDATE"},
        default_messaging_type="MESSAGE_TAG",
        default_tag="HUMAN_AGENT",
    )
    assert overridden.options == SendOptions("UPDATE")
    assert SendOptions("MESSAGE_TAG", "HUMAN_AGENT", "NO_PUSH").fields() == {
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "notification_type": "NO_PUSH",
    }


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"messaging_type": "PROMO"}, "messaging_type must be one of"),
        ({"messaging_type": "MESSAGE_TAG"}, "needs a tag"),
        (
            {"messaging_type": "UPDATE", "tag": "HUMAN_AGENT"},
            "goes with messaging_type MESSAGE_TAG",
        ),
        ({"tag": "ACCOUNT_UPDATE"}, "retired by Meta on 2026-04-27"),
        ({"tag": "SHIPPING_UPDATE"}, "tag must be one of"),
        ({"notification_type": "LOUD"}, "notification_type must be one of"),
        ({"metadata": "m" * 1000}, "metadata must be a string"),
        ({"attachment": "image.png"}, "attachment must be a mapping"),
    ],
)
def test_bad_options_are_named(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(MessageError) as err:
        build("x", **data)
    assert problem in str(err.value)


def test_metadata_alone_is_refused_and_travels_with_media() -> None:
    with pytest.raises(MessageError, match="metadata needs"):
        build("", metadata="m")
    content = build("", image="https://x/y.png", metadata="m")
    assert content.messages[0].pending_fields == {"metadata": "m"}


def test_check_tag() -> None:
    assert check_tag("HUMAN_AGENT") == "HUMAN_AGENT"
    with pytest.raises(MessageError):
        check_tag("POST_PURCHASE_UPDATE")


def test_split_text_at_whitespace_in_order() -> None:
    text = "alpha beta gamma delta"
    assert split_text(text, 11) == ["alpha beta", "gamma delta"]
    assert split_text("short", 10) == ["short"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_text_counts_emoji_as_two_units_and_never_splits_them() -> None:
    parts = split_text("😀" * 5, 4)
    assert parts == ["😀😀", "😀😀", "😀"]


def test_long_message_is_split_in_order_with_nothing_added() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(60))
    parts = [m["text"] for m in messages(build(text))]
    assert len(parts) == 3
    assert all(len(p) <= TEXT_LIMIT for p in parts)
    assert "\n".join(parts) == text or " ".join(parts).replace(" ", "\n") == text.replace(" ", "\n")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(["a", "b", " ", "\n", "é", "😀", "\t"]), max_size=400),
    st.integers(min_value=2, max_value=60),
)
def test_split_text_properties(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert parts
    for part in parts:
        assert len(part) + sum(ord(c) > 0xFFFF for c in part) <= limit
    # Nothing is lost but the whitespace a part was split at (and all-blank pieces).
    assert "".join(parts).replace(" ", "").replace("\n", "").replace("\t", "") == (
        text.replace(" ", "").replace("\n", "").replace("\t", "")
    )
    # Order is kept: the parts appear in the text one after another.
    position = 0
    for part in parts:
        if part.strip():
            found = text.find(part, position)
            assert found >= position
            position = found + len(part)
