"""notify.facebook end to end: a real Home Assistant sending to the simulator over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import DOMAIN, EVENT_MESSAGE_SENT
from simulator import Simulator
from tests.simulator.helpers import HeldAnswers

from .conftest import (
    ALICE,
    APP_SECRET,
    BOB,
    CAROL,
    PAGE_ID,
    TOKEN,
    SetupFacebook,
    page_config,
    wait_until,
)
from .test_media import JPEG

PROOF_KEY = "appsecret_proof"


async def notify(hass: HomeAssistant, service: str = "facebook", **data: Any) -> None:
    await hass.services.async_call("notify", service, data, blocking=True)


def sent_bodies(sim: Simulator) -> list[dict[str, Any]]:
    """The accepted Send API bodies, without the token proof (checked on its own)."""
    return [
        {k: v for k, v in req.body.items() if k != PROOF_KEY}
        for req in sim.requests
        if req.path.endswith("/messages") and req.status == 200
    ]


async def test_text_request_is_exactly_meta_s_shape(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(hass, message="Door opened", target=["alice"])
    assert sent_bodies(simulator) == [
        {"recipient": {"id": ALICE}, "messaging_type": "UPDATE", "message": {"text": "Door opened"}}
    ]
    request = next(r for r in simulator.requests if r.path.endswith("/messages"))
    assert request.path == "/v25.0/me/messages"
    assert request.token_source == "header"
    assert request.token == TOKEN
    assert TOKEN not in str(request.query) and TOKEN not in request.path
    assert request.appsecret_proof is not None
    assert request.headers["Content-Type"] == "application/json"


async def test_title_joins_with_a_newline(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(hass, title="Alarm", message="Smoke in the kitchen", target=[ALICE])
    assert [b["message"] for b in sent_bodies(simulator)] == [
        {"text": "Alarm\nSmoke in the kitchen"}
    ]


async def test_seed_quick_replies_foo_bar(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(
        hass,
        message="Which colour?",
        target=["alice"],
        data={
            "quick_replies": [
                {"title": "Red", "payload": "FOO"},
                {"content_type": "text", "title": "Blue", "payload": "BAR"},
            ]
        },
    )
    await notify(
        hass, message="Short form", target=["alice"], data={"quick_replies": ["Yes", "No"]}
    )
    assert [b["message"] for b in sent_bodies(simulator)] == [
        {
            "text": "Which colour?",
            "quick_replies": [
                {"content_type": "text", "title": "Red", "payload": "FOO"},
                {"content_type": "text", "title": "Blue", "payload": "BAR"},
            ],
        },
        {
            "text": "Short form",
            "quick_replies": [
                {"content_type": "text", "title": "Yes", "payload": "Yes"},
                {"content_type": "text", "title": "No", "payload": "No"},
            ],
        },
    ]


async def test_buttons_template(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(
        hass,
        message="Garage open",
        target=["bob"],
        data={
            "buttons": [
                {"title": "Close", "payload": "CLOSE_GARAGE"},
                {"title": "Open HA", "url": "https://ha.example.com"},
            ]
        },
    )
    assert sent_bodies(simulator) == [
        {
            "recipient": {"id": BOB},
            "messaging_type": "UPDATE",
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": "Garage open",
                        "buttons": [
                            {"type": "postback", "title": "Close", "payload": "CLOSE_GARAGE"},
                            {
                                "type": "web_url",
                                "title": "Open HA",
                                "url": "https://ha.example.com",
                            },
                        ],
                    },
                }
            },
        }
    ]


async def test_attachment_passthrough_replaces_text(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    attachment = {"type": "image", "payload": {"url": "https://example.com/cat.jpg"}}
    await notify(hass, message="dropped", target=["alice"], data={"attachment": attachment})
    assert [b["message"] for b in sent_bodies(simulator)] == [{"attachment": attachment}]


async def test_url_media_is_sent_by_reference_after_the_text(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(
        hass,
        message="Look at this",
        target=["alice"],
        data={"image": "https://example.com/cat.jpg", "video": "https://example.com/clip.mp4"},
    )
    assert [b["message"] for b in sent_bodies(simulator)] == [
        {"text": "Look at this"},
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://example.com/cat.jpg", "is_reusable": True},
            }
        },
        {
            "attachment": {
                "type": "video",
                "payload": {"url": "https://example.com/clip.mp4", "is_reusable": True},
            }
        },
    ]


async def test_per_call_messaging_options_and_sender_action(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.approve_human_agent()  # an app Meta approved for Human Agent (FIDELITY F-09)
    await setup_facebook()
    await notify(
        hass,
        message="quiet",
        target=["alice"],
        data={
            "messaging_type": "RESPONSE",
            "notification_type": "SILENT_PUSH",
            "sender_action": "typing_on",
        },
    )
    await notify(hass, message="human", target=["alice"], data={"tag": "HUMAN_AGENT"})
    assert sent_bodies(simulator) == [
        {"recipient": {"id": ALICE}, "sender_action": "typing_on"},
        {
            "recipient": {"id": ALICE},
            "messaging_type": "RESPONSE",
            "notification_type": "SILENT_PUSH",
            "message": {"text": "quiet"},
        },
        {
            "recipient": {"id": ALICE},
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": {"text": "human"},
        },
    ]


async def test_config_default_messaging_type_and_tag(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.approve_human_agent()  # an app Meta approved for Human Agent (FIDELITY F-09)
    await setup_facebook(tag="HUMAN_AGENT")
    await notify(hass, message="tagged", target=["alice"])
    body = sent_bodies(simulator)[0]
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


async def test_customer_feedback_is_refused_outside_its_template(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    """Meta: CUSTOMER_FEEDBACK goes only with the Customer Feedback template; any other use is
    prohibited and fails. A call that asks for it is refused before anything goes out."""
    await setup_facebook()
    with pytest.raises(ServiceValidationError, match="only with Meta's Customer Feedback"):
        await notify(hass, message="rate us", target=["alice"], data={"tag": "CUSTOMER_FEEDBACK"})
    assert simulator.sent == []


async def test_long_text_is_split_in_order_with_nothing_added(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    words = [f"w{i:04d}" for i in range(700)]  # 4,199 characters
    await notify(hass, message=" ".join(words), target=["alice"])
    texts = [b["message"]["text"] for b in sent_bodies(simulator)]
    assert len(texts) == 3
    assert all(len(t) < 2000 for t in texts)
    assert " ".join(texts).split(" ") == words


async def test_names_psids_and_named_services(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    assert hass.services.has_service("notify", "facebook_alice")
    assert hass.services.has_service("notify", "facebook_bob")
    await notify(hass, "facebook_bob", message="to bob")
    await notify(hass, message="to all", target=["ALICE", CAROL])
    recipients = sorted(
        (b["recipient"]["id"], b["message"]["text"]) for b in sent_bodies(simulator)
    )
    assert recipients == sorted([(BOB, "to bob"), (ALICE, "to all"), (CAROL, "to all")])


async def test_message_sent_events(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    events = async_capture_events(hass, EVENT_MESSAGE_SENT)
    await notify(hass, message="a", target=["alice", BOB])
    await hass.async_block_till_done()
    by_target = {e.data["target"]: e.data for e in events}
    assert set(by_target) == {"alice", BOB}
    accepted = {m.recipient_id: m.message_id for m in simulator.sent}
    for data in by_target.values():
        assert data["page_id"] == PAGE_ID
        assert data["message_id"] == accepted[data["recipient_id"]]
    assert by_target["alice"]["recipient_id"] == ALICE


async def test_no_target_is_a_validation_error_and_sends_nothing(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, message="nobody")
    assert "no target" in str(err.value)
    assert "nothing went out" in str(err.value)
    assert simulator.sent == []


@pytest.mark.parametrize(
    ("target", "data", "problem"),
    [
        (["alice", "mallory"], None, "unknown target 'mallory'"),
        (["alice"], {"quick_replies": [str(i) for i in range(14)]}, "at most 13"),
        (["alice"], {"image": "/etc/passwd"}, "allowlist_external_dirs"),
        (["alice"], {"colour": "red"}, "unknown data key(s) colour"),
        (["alice", "BROADCAST"], None, "BROADCAST must be the only target"),
        (["alice"], {"camera": "camera.nope"}, "camera camera.nope does not exist"),
    ],
)
async def test_any_bad_input_sends_nothing_at_all(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    target: list[str],
    data: dict[str, Any] | None,
    problem: str,
) -> None:
    await setup_facebook()
    call: dict[str, Any] = {"message": "text first", "target": target}
    if data:
        call["data"] = data
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, **call)
    assert problem in str(err.value)
    assert not [r for r in simulator.requests if r.path.endswith("/messages")]


async def test_phone_numbers_use_phone_recipient_and_get_a_hint(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, message="hi", target=["+1 212 555 2368"])
    request = next(r for r in simulator.requests if r.path.endswith("/messages"))
    assert request.body["recipient"] == {"phone_number": "+12125552368"}
    text = str(err.value)
    assert "+1 212 555 2368" in text
    assert "code 10" in text
    assert "use the person's PSID" in text


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (
            "window",
            [
                "(#10) This message is sent outside of allowed window",
                "code 10/2018278",
                "must write to the page first",
            ],
        ),
        ("blocked", ["(#551)", "code 551/1545041", "can't receive messages from the page"]),
        ("unknown", ["(#100) No matching user found", "code 100/2018001", "get my id"]),
        ("dev_mode", ["code 200/2018028", "development mode"]),
    ],
)
async def test_meta_errors_surface_with_a_plain_hint(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    arrange: str,
    expected: list[str],
) -> None:
    target = ALICE
    if arrange == "window":
        simulator.users[ALICE].last_inbound = simulator.now() - 25 * 3600
    elif arrange == "blocked":
        simulator.users[ALICE].blocked = True
    elif arrange == "unknown":
        target = "9999999999999999"
    else:
        simulator.pages[PAGE_ID].dev_mode = True
        simulator.users[ALICE].has_role = False
    await setup_facebook()
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, message="hi", target=[target])
    text = str(err.value)
    assert not isinstance(err.value, ServiceValidationError)
    for fragment in expected:
        assert fragment in text
    assert simulator.sent == []


async def test_failures_are_raised_after_every_target_was_tried(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.users[BOB].blocked = True
    await setup_facebook()
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, message="hi", target=["bob", "alice", "5555555555555555"])
    text = str(err.value)
    assert "could not deliver to 2 of 3 recipient(s)" in text
    assert f"bob ({BOB})" in text and "5555555555555555" in text
    assert "alice" not in text.lower().replace("allowed", "")
    assert [m.recipient_id for m in simulator.sent] == [ALICE]


async def test_a_failed_part_stops_that_person_s_later_parts(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    simulator.inject_error(100, message="(#100) Invalid parameter", count=1)
    with pytest.raises(HomeAssistantError):
        await notify(
            hass, message="text", target=["alice"], data={"image": "https://example.com/a.png"}
        )
    assert simulator.sent == []
    assert len([r for r in simulator.requests if r.path.endswith("/messages")]) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"error": 2},
        {"error": 1200},
        {"error": 613},
        {"error": 4},
        {"error": 80006},
        {"error": 100, "is_transient": True},
        {"http": 500},
        {"http": 503},
        {"disconnect": True},
    ],
)
async def test_transient_failures_are_retried_then_succeed(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook, fault: dict[str, Any]
) -> None:
    await setup_facebook()
    if "error" in fault:
        simulator.inject_error(fault["error"], count=2, is_transient=fault.get("is_transient"))
    elif "http" in fault:
        simulator.inject_http_status(fault["http"], count=2)
    else:
        simulator.inject_disconnect(count=2)
    await notify(hass, message="eventually", target=["alice"])
    assert [m.message for m in simulator.sent] == [{"text": "eventually"}]
    attempts = [r for r in simulator.requests if r.path.endswith("/messages")]
    assert len(attempts) >= 2 if "disconnect" in fault else len(attempts) == 3


async def test_permanent_errors_are_not_retried(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.users[ALICE].blocked = True
    await setup_facebook()
    with pytest.raises(HomeAssistantError):
        await notify(hass, message="x", target=["alice"])
    assert len([r for r in simulator.requests if r.path.endswith("/messages")]) == 1


async def test_transient_failure_that_persists_is_kept_not_raised(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = await setup_facebook()
    simulator.inject_error(2, count=10)
    await notify(hass, message="x", target=["alice"])  # succeeds: the message is kept
    assert "waits in the outbox" in caplog.text
    # Code 2 can mean "blocked": it gets fewer attempts than other transient codes.
    assert len([r for r in simulator.requests if r.path.endswith("/messages")]) >= 3
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    assert [m.message for m in simulator.sent] == [{"text": "x"}]


async def test_targets_are_sent_to_concurrently_and_in_order_each(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    held = HeldAnswers(simulator)
    simulator.latency = 1.0
    words = [f"w{i:04d}" for i in range(500)]  # two parts each
    call = asyncio.create_task(
        notify(hass, message=" ".join(words), target=["alice", "bob", CAROL])
    )
    # All three people's first parts are in flight together, not one after another.
    await wait_until(lambda: held.waiting == 3)
    held.release()
    await call
    for psid in (ALICE, BOB, CAROL):
        texts = [m.message["text"] for m in simulator.messages_to(psid)]
        assert " ".join(texts).split(" ") == words


async def test_two_pages_send_with_their_own_tokens(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    other_token = "EAAG-second-page-token-xyz"
    simulator.add_page(page_id="2000000000000002", name="Club", token=other_token)
    simulator.add_user("7777777777777777", name="Dana", page="2000000000000002")
    await setup_facebook(
        page_config(simulator),
        page_config(
            simulator,
            name="club",
            page_access_token=other_token,
            app_secret=None,
            verify_token="club-verify",
            allowed_chat_ids={"dana": "7777777777777777"},
        ),
    )
    await notify(hass, message="home", target=["alice"])
    await notify(hass, "club", message="club", target=["dana"])
    tokens = {m.message["text"]: m.page_id for m in simulator.sent}
    assert tokens == {"home": PAGE_ID, "club": "2000000000000002"}
    by_text = {
        r.body["message"]["text"]: r for r in simulator.requests if r.path.endswith("/messages")
    }
    assert by_text["home"].token == TOKEN
    assert by_text["club"].token == other_token
    assert by_text["club"].appsecret_proof is None


async def test_token_never_reaches_logs_exceptions_or_urls(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    page = await setup_facebook()
    simulator.inject_error(2, count=2)
    await notify(hass, message="retry me", target=["alice"])
    simulator.inject_http_status(500, count=10)
    await notify(hass, message="kept for later", target=["alice"])
    simulator.faults.clear()
    await wait_until(lambda: len(page.outbox) == 0)
    simulator.inject_error(100, subcode=2018001, message="(#100) No matching user found")
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, message="fail me", target=["alice"])
    simulator.users[ALICE].blocked = True
    with pytest.raises(HomeAssistantError) as err2:
        await notify(hass, message="blocked", target=["alice"])
    for secret in (TOKEN, APP_SECRET):
        assert secret not in caplog.text
        assert secret not in str(err.value) and secret not in repr(err.value)
        assert secret not in str(err2.value)
        for request in simulator.requests:
            assert secret not in request.path and secret not in str(request.query)
    assert "attempt" in caplog.text  # the debug lines were there and got scanned


async def test_the_notify_error_is_translated(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, message="x", target=["nobody-known"])
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "invalid_target"
    assert str(err.value).startswith(
        "notify.facebook was not sent (nothing went out): unknown target"
    )


@dataclass
class SlowPicture:
    """A picture on the LAN whose download ends when the test says so."""

    url: str = ""
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def slow_picture(socket_enabled: None) -> AsyncIterator[SlowPicture]:
    picture = SlowPicture()

    async def image(request: web.Request) -> web.Response:
        picture.asked.set()
        await picture.done.wait()
        return web.Response(body=JPEG, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/snap.jpg", image)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    picture.url = f"http://127.0.0.1:{port}/snap.jpg"
    yield picture
    await runner.cleanup()


def parts(sim: Simulator, psid: str) -> list[str]:
    """What reached a person, each message as its text (or its attachment's type)."""
    return [
        m.message["text"] if "text" in m.message else m.message["attachment"]["type"]
        for m in sim.messages_to(psid)
    ]


async def test_concurrent_calls_do_not_interleave_one_person_s_parts(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    slow_picture: SlowPicture,
) -> None:
    """Two calls to Alice at once. The first waits for its picture before its long text can go;
    the second is ready at once, but reaches Alice only after the first, whole. Bob, in the
    second call too, waits for nobody."""
    await setup_facebook()
    first, second = [f"a{i:04d}" for i in range(500)], [f"b{i:04d}" for i in range(500)]
    first_call = asyncio.create_task(
        notify(
            hass,
            message=" ".join(first),
            target=["alice"],
            data={"image": slow_picture.url, "upload": True},
        )
    )
    await wait_until(slow_picture.asked.is_set)  # the first call is fetching its picture
    second_call = asyncio.create_task(
        notify(hass, message=" ".join(second), target=["alice", "bob"])
    )
    await wait_until(lambda: len(parts(simulator, BOB)) == 2)  # the second call is sending
    slow_picture.done.set()
    await asyncio.gather(first_call, second_call)
    alice = parts(simulator, ALICE)
    assert len(alice) == 5
    assert " ".join(alice[:2]).split(" ") == first
    assert alice[2] == "image"
    assert " ".join(alice[3:]).split(" ") == second


async def test_two_long_texts_to_one_person_at_once_go_out_whole(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    simulator.latency = 0.02
    first, second = [f"a{i:04d}" for i in range(500)], [f"b{i:04d}" for i in range(500)]
    await asyncio.gather(
        notify(hass, message=" ".join(first), target=["alice"]),
        notify(hass, message=" ".join(second), target=["alice"]),
    )
    assert " ".join(parts(simulator, ALICE)).split(" ") == first + second


async def test_metadata_and_sticker_pass_through(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    await notify(hass, message="tagged text", target=["alice"], data={"metadata": "door-42"})
    await notify(hass, message="dropped", target=["alice"], data={"sticker_id": 369239263222822})
    assert [b["message"] for b in sent_bodies(simulator)] == [
        {"text": "tagged text", "metadata": "door-42"},
        {"sticker_id": 369239263222822},
    ]


async def test_a_page_meta_restricted_is_a_repair_issue_and_is_not_retried(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    """10/1893063: Meta restricted the page from sending. Retrying does not help: one request,
    an error that says so, a repair issue; the issue goes once a message goes out again."""
    await setup_facebook()
    simulator.restrict_page()
    with pytest.raises(HomeAssistantError, match="temporarily restricted this page") as err:
        await notify(hass, message="blocked", target=["alice"])
    assert "1893063" in str(err.value)
    assert len([r for r in simulator.requests if r.path.endswith("/messages")]) == 1
    registry = ir.async_get(hass)
    (issue,) = [i for i in registry.issues.values() if i.translation_key == "page_restricted"]
    simulator.restrict_page(restricted=False)
    await notify(hass, message="free again", target=["alice"])
    assert registry.async_get_issue(DOMAIN, issue.issue_id) is None
