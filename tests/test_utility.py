"""Utility messages after the 24-hour window: the template found or made, its review followed,
text notifications still delivered, Meta's refusals said plainly."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import (
    DOMAIN,
    EVENT_BROADCAST_FINISHED,
    EVENT_MESSAGE_SENT,
    WEBHOOK_PATH,
)
from custom_components.facebook.messenger.templates import TEMPLATE_NAME
from simulator import Simulator

from .conftest import (
    ALICE,
    BOB,
    PAGE_ID,
    ClientFactory,
    SetupEntry,
    SetupFacebook,
    page_config,
    restarted,
)

DAY = 24 * 3600


async def notify(hass: HomeAssistant, message: str, target: str = "alice", **data: Any) -> None:
    call: dict[str, Any] = {"message": message, "target": [target]}
    if data:
        call["data"] = data
    await hass.services.async_call("notify", "facebook", call, blocking=True)


def template_requests(sim: Simulator, method: str) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/message_templates") and r.method == method]


async def close_window(client: TestClient, sim: Simulator, psid: str) -> None:
    """The person wrote 25 hours ago: Home Assistant and Meta both know the window closed."""
    stamp = int((sim.now() - DAY - 3600) * 1000)
    body, headers = sim.build_webhook(sim.message_event(psid, "long ago", timestamp=stamp))
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200


@pytest.fixture
async def page(hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook) -> Any:
    return await setup_facebook(utility_template=True)


async def test_the_template_is_created_and_a_closed_window_gets_a_utility_message(
    hass: HomeAssistant, simulator: Simulator, page: Any, hass_client_no_auth: ClientFactory
) -> None:
    (created,) = template_requests(simulator, "POST")
    assert created.body["name"] == TEMPLATE_NAME
    assert created.body["category"] == "UTILITY"
    assert created.body["language"] == "en_US"  # Home Assistant's language, Meta's locale
    body = created.body["components"][0]
    assert body["text"].index("{{1}}") > 0 and not body["text"].endswith("}}")  # not dangling
    assert body["example"]["body_text"] == [["The washing machine has finished"]]
    client = await hass_client_no_auth()
    await close_window(client, simulator, ALICE)
    sent_events = async_capture_events(hass, EVENT_MESSAGE_SENT)
    await notify(hass, "The washing machine has finished")
    (sent,) = simulator.messages_to(ALICE)
    assert sent.messaging_type == "UTILITY"
    assert "The washing machine has finished" in sent.text
    assert sent_events[0].data["via"] == "utility"
    assert sent_events[0].data["truncated"] is False
    await notify(hass, "an open window", target="bob")  # Bob's window is open: a plain message
    assert simulator.messages_to(BOB)[0].messaging_type == "UPDATE"


async def test_an_existing_template_is_found_not_made_again(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook(utility_template=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(template_requests(simulator, "POST")) == 1
    async with restarted(hass) as new_hass:
        config = page_config(simulator, utility_template=True)
        assert await async_setup_component(new_hass, "notify", {"notify": [config]})
        await new_hass.async_block_till_done(wait_background_tasks=True)
    assert len(template_requests(simulator, "POST")) == 1
    listing = template_requests(simulator, "GET")
    assert listing[-1].query["name"] == TEMPLATE_NAME
    assert "status" in listing[-1].query["fields"]


async def test_meta_says_outside_the_window_and_it_goes_as_a_utility_message(
    hass: HomeAssistant, simulator: Simulator, page: Any
) -> None:
    """Home Assistant did not know the window had closed (nobody wrote through the webhook)."""
    simulator.age_user(ALICE, 2 * DAY)
    await notify(hass, "Still reaches you")
    assert [s.messaging_type for s in simulator.messages_to(ALICE)] == ["UTILITY"]
    assert simulator.count_errors(10) == 1


async def test_a_long_text_goes_as_its_first_part(
    hass: HomeAssistant,
    simulator: Simulator,
    page: Any,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await close_window(await hass_client_no_auth(), simulator, ALICE)
    sent_events = async_capture_events(hass, EVENT_MESSAGE_SENT)
    await notify(hass, " ".join(["word"] * 600))  # 2,999 characters
    (sent,) = simulator.messages_to(ALICE)
    assert sent.messaging_type == "UTILITY"
    assert sent_events[0].data["truncated"] is True
    assert "its first part was sent" in caplog.text


async def test_media_after_the_window_fails_with_the_hint(
    hass: HomeAssistant, simulator: Simulator, page: Any, hass_client_no_auth: ClientFactory
) -> None:
    await close_window(await hass_client_no_auth(), simulator, ALICE)
    with pytest.raises(HomeAssistantError, match="carries only the text") as err:
        await notify(hass, "Look", image="https://example.com/door.jpg", quick_replies=["Ok"])
    assert "24-hour window" in str(err.value)
    assert simulator.messages_to(ALICE) == []


async def test_a_broadcast_reaches_closed_windows_by_utility_and_counts_them(
    hass: HomeAssistant, simulator: Simulator, page: Any, hass_client_no_auth: ClientFactory
) -> None:
    await close_window(await hass_client_no_auth(), simulator, ALICE)
    finished = async_capture_events(hass, EVENT_BROADCAST_FINISHED)
    await hass.services.async_call(
        "notify", "facebook", {"message": "Power is back", "target": ["BROADCAST"]}, blocking=True
    )
    assert {s.recipient_id: s.messaging_type for s in simulator.sent} == {
        ALICE: "UTILITY",
        BOB: "UPDATE",
    }
    assert finished[0].data == {
        "page_id": PAGE_ID,
        "sent": 2,
        "skipped": 0,
        "failed": 0,
        "queued": 0,
        "utility": 1,
    }


async def test_a_pending_template_is_followed_by_its_webhook(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    simulator.config.template_review = "pending"
    await setup_facebook(utility_template=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    client = await hass_client_no_auth()
    await close_window(client, simulator, ALICE)
    with pytest.raises(HomeAssistantError, match="outside the 24-hour window"):
        await notify(hass, "not yet")  # pending: not usable, Meta's window error stands
    simulator.set_template_status(TEMPLATE_NAME, "APPROVED")
    body, headers = simulator.build_webhook(simulator.template_status_event(TEMPLATE_NAME))
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    await notify(hass, "now it works")
    assert [s.messaging_type for s in simulator.messages_to(ALICE)] == ["UTILITY"]


async def test_a_rejected_template_is_a_repair_issue_with_meta_s_reason(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_entry: SetupEntry,
    hass_client_no_auth: ClientFactory,
) -> None:
    simulator.config.template_review = "reject"
    entry = await setup_entry()
    hass.config_entries.async_update_entry(entry, options={"utility_template": True})
    await hass.async_block_till_done(wait_background_tasks=True)
    issue_id = f"template_refused_entry_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders["status"] == "REJECTED"
    assert issue.translation_placeholders["reason"] == "TAG_SHOULD_BE_MARKETING"
    fields = simulator.pages[PAGE_ID].subscribed_fields
    assert fields is not None and "messenger_template_status_update" in fields  # entries subscribe
    simulator.set_template_status(TEMPLATE_NAME, "APPROVED")
    client = await hass_client_no_auth()
    body, headers = simulator.build_webhook(simulator.template_status_event(TEMPLATE_NAME))
    assert (await client.post(WEBHOOK_PATH, data=body, headers=headers)).status == 200
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


REFUSALS = [
    (
        "permission",
        200,
        "(#200) Sending utility messages requires pages_utility_messaging permission",
        "pages_utility_messaging permission",
    ),
    ("template", 100, "(#100) The requested template cannot be found", "template is not approved"),
    (
        "region",
        10,
        "(#10) Utility messages are not available in this region",
        "does not offer utility messages",
    ),
    (
        "frequency",
        10,
        "(#10) This person reached the frequency limit for utility messages",
        "limits how many utility messages",
    ),
]


@pytest.mark.parametrize(
    ("kind", "code", "message", "hint"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
async def test_meta_s_refusals_are_said_with_their_code_and_a_hint(
    hass: HomeAssistant,
    simulator: Simulator,
    page: Any,
    hass_client_no_auth: ClientFactory,
    kind: str,
    code: int,
    message: str,
    hint: str,
) -> None:
    await close_window(await hass_client_no_auth(), simulator, ALICE)
    simulator.inject_error(code, message=message)
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, "refused")
    text = str(err.value)
    assert f"(code {code})" in text and hint in text
    assert simulator.messages_to(ALICE) == []


async def test_a_refused_review_subscription_still_finds_or_makes_the_template(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    """Two steps, each failing on its own: Meta refusing the reviews' webhook field (in both
    of its spellings) is a repair issue, and the template is still made and used."""
    refusal = "(#200) Requires pages_manage_metadata permission"
    simulator.inject_error(200, message=refusal, paths="subscribed_apps", count=2)
    # A send-only page: no webhook check reads the subscription meanwhile.
    runtime = await setup_facebook(utility_template=True, verify_token=None)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(template_requests(simulator, "POST")) == 1  # made, though the subscribe failed
    assert runtime.utility is not None and runtime.utility.state is not None
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(DOMAIN, "template_reviews_facebook")
    assert issue is not None
    assert "pages_manage_metadata" in issue.translation_placeholders["error"]
    subscribes = [
        r.body.get("subscribed_fields") or r.query.get("subscribed_fields")
        for r in simulator.requests
        if r.path.endswith("/subscribed_apps") and r.method == "POST"
    ]
    spellings = [str(fields).split(",")[-1] for fields in subscribes[:2]]
    assert sorted(spellings) == [
        "message_template_status_update",
        "messenger_template_status_update",
    ]


async def test_a_template_meta_will_not_make_is_its_own_repair_issue(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.inject_error(
        200, message="(#200) Requires pages_utility_messaging permission", paths="message_templates"
    )
    await setup_facebook(utility_template=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, "template_unavailable_facebook") is not None
    assert registry.async_get_issue(DOMAIN, "template_reviews_facebook") is None  # it worked


async def test_1545041_for_a_window_known_closed_says_the_window_closed(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    """Meta's pages give 1545041 for a closed window too: for a person whose window Home
    Assistant knows closed, the error says so (not "can't receive messages")."""
    simulator.config.window_error = "1545041"
    await setup_facebook()
    client = await hass_client_no_auth()
    await close_window(client, simulator, ALICE)
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, "too late")
    assert "1545041" in str(err.value)
    assert "outside the 24-hour window" in str(err.value)
    assert "can't receive messages" not in str(err.value)
