"""The UI setup, through Home Assistant's real flow manager, against the simulator over HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
from homeassistant import data_entry_flow
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.facebook.const import DOMAIN
from custom_components.facebook.messenger.accounts import user_pages
from custom_components.facebook.messenger.client import GraphClient
from simulator import Simulator

from .conftest import (
    ALICE,
    APP_ID,
    APP_SECRET,
    BOB,
    CAROL,
    PAGE_ID,
    PAGE_NAME,
    TOKEN,
    SetupEntry,
    SetupFacebook,
)


async def start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def step(hass: HomeAssistant, result: dict[str, Any], **user_input: Any) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(result["flow_id"], user_input))


def credentials(sim: Simulator, token: str = TOKEN, **extra: Any) -> dict[str, Any]:
    return {"page_access_token": token, "advanced": {"graph_url": sim.url}, **extra}


def admin_token(sim: Simulator, **kwargs: Any) -> str:
    sim.add_admin()
    return sim.issue_user_token(**kwargs)


async def through_webhook(hass: HomeAssistant, result: dict[str, Any]) -> dict[str, Any]:
    assert result["step_id"] == "webhook", result
    return await step(hass, result, verify_token="my-verify-token-123", subscribe=True)


async def test_a_page_token_sets_the_page_up_with_its_people(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    result = await step(hass, await start(hass), **credentials(simulator))
    assert result["step_id"] == "webhook"
    placeholders = result["description_placeholders"]
    assert placeholders["webhook_url"].endswith("/api/facebook_webhooks")
    assert len(placeholders["verify_token"]) >= 24  # a fresh random one is suggested
    result = await through_webhook(hass, result)
    assert result["step_id"] == "people"
    options = result["data_schema"].schema["people"].config["options"]
    assert {o["label"] for o in options} == {"Alice", "Bob", "Carol"}  # the page left out
    result = await step(hass, result, people=[ALICE, BOB])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert (entry.title, entry.unique_id) == (PAGE_NAME, PAGE_ID)
    assert entry.data == {
        "page_id": PAGE_ID,
        "page_access_token": TOKEN,
        "app_secret": None,
        "app_id": None,
        "verify_token": "my-verify-token-123",
        "graph_url": simulator.url,
    }
    people = {sub.unique_id: (sub.title, dict(sub.data)) for sub in entry.subentries.values()}
    assert people == {
        ALICE: ("Alice", {"psid": ALICE, "name": "Alice"}),
        BOB: ("Bob", {"psid": BOB, "name": "Bob"}),
    }
    assert simulator.pages[PAGE_ID].subscribed_fields == [
        "messages",
        "messaging_postbacks",
        "message_deliveries",
        "message_reads",
        "message_reactions",
    ]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_a_user_token_is_exchanged_for_a_page_token_that_never_expires(
    hass: HomeAssistant, simulator: Simulator, reachable: str
) -> None:
    simulator.add_page(page_id="2000000000000002", name="Club", token="club-page-token")
    short = admin_token(simulator)  # Dana runs both pages; her Explorer token lasts an hour
    result = await step(
        hass,
        await start(hass),
        **credentials(simulator, short, app_id=APP_ID, app_secret=APP_SECRET),
    )
    assert result["step_id"] == "page"
    options = result["data_schema"].schema["page_id"].config["options"]
    assert [o["value"] for o in options] == [PAGE_ID, "2000000000000002"]
    result = await through_webhook(hass, await step(hass, result, page_id=PAGE_ID))
    result = await step(hass, result, people=[ALICE])
    entry = result["result"]
    token = entry.data["page_access_token"]
    assert token not in (short, TOKEN)
    record = simulator.tokens[token]
    assert (record.kind, record.owner, record.expires_at) == ("PAGE", PAGE_ID, 0)
    simulator.advance(100 * 24 * 3600)  # months later the short token is long dead
    assert simulator.token_status(short) == "expired"
    assert simulator.token_status(token) == "valid"
    exchange = [r for r in simulator.requests if r.path.endswith("/oauth/access_token")]
    assert exchange[0].method == "GET"  # as Meta documents it (no log line shows its query)
    assert exchange[0].query["grant_type"] == "fb_exchange_token"


async def test_the_flow_sets_the_app_s_webhook_and_answers_meta_s_check(
    hass: HomeAssistant, simulator: Simulator, reachable: str
) -> None:
    """With the app's credentials, no dashboard step is left: the flow sets the callback URL
    and verify token, and the webhook answers the check Meta makes while it does."""
    creds = credentials(simulator, app_id=APP_ID, app_secret=APP_SECRET)
    result = await step(hass, await start(hass), **creds)
    result = await through_webhook(hass, result)
    assert result["step_id"] == "people"
    subscription = simulator.app_subscriptions[(APP_ID, "page")]
    assert subscription.callback_url == f"{reachable}/api/facebook_webhooks"
    assert subscription.verify_token == "my-verify-token-123"
    assert set(subscription.fields) >= {"messages", "messaging_postbacks", "message_reactions"}
    (check,) = simulator.verifications
    assert (check["verify_token"], check["ok"]) == ("my-verify-token-123", True)
    posts = [r for r in simulator.requests if r.path.endswith(f"/{APP_ID}/subscriptions")]
    assert [r.method for r in posts] == ["POST", "GET"]  # set, then seen active here
    assert APP_SECRET not in repr(posts[0].query)  # the app token travels in the header
    result = await step(hass, result, people=[])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The flow is over: its verify token is now the entry's, and still answered.
    await hass.async_block_till_done()
    webhook = f"{reachable}/api/facebook_webhooks"
    assert (await simulator.verify_webhook(webhook, "my-verify-token-123"))[0] == 200


async def test_without_app_credentials_the_step_shows_url_and_token(
    hass: HomeAssistant, simulator: Simulator, reachable: str
) -> None:
    result = await step(hass, await start(hass), **credentials(simulator))
    assert result["description_placeholders"]["webhook_url"] == (
        f"{reachable}/api/facebook_webhooks"
    )
    result = await through_webhook(hass, result)
    assert result["step_id"] == "people"
    assert simulator.app_subscriptions == {}  # nothing to set it with


async def test_meta_refusing_the_app_s_webhook_leaves_it_to_the_user(
    hass: HomeAssistant, simulator: Simulator, reachable: str
) -> None:
    creds = credentials(simulator, app_id=APP_ID, app_secret=APP_SECRET)
    result = await step(hass, await start(hass), **creds)
    simulator.inject_error(
        100, message="(#100) Param callback_url must be a valid https URL", paths="subscriptions"
    )
    result = await step(hass, result, verify_token="my-verify-token-123", subscribe=True)
    assert result["step_id"] == "webhook"
    assert result["errors"] == {"base": "app_subscribe_failed"}
    assert "valid https URL" in result["description_placeholders"]["error"]
    assert result["description_placeholders"]["verify_token"] == "my-verify-token-123"
    result = await step(hass, result, verify_token="my-verify-token-123", subscribe=True)
    assert result["step_id"] == "people"  # entered by hand: the flow goes on


async def test_a_user_token_needs_the_app_credentials(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    result = await step(hass, await start(hass), **credentials(simulator, admin_token(simulator)))
    assert result["errors"] == {"base": "needs_app_credentials"}


async def test_a_user_without_pages(hass: HomeAssistant, simulator: Simulator) -> None:
    simulator.add_admin(user_id="100000000000009", name="Nobody", pages=[])
    token = simulator.issue_user_token("100000000000009", app_id=APP_ID)
    result = await step(
        hass,
        await start(hass),
        **credentials(simulator, token, app_id=APP_ID, app_secret=APP_SECRET),
    )
    assert result["errors"] == {"base": "no_pages"}


@pytest.mark.parametrize(
    ("token", "extra", "error"),
    [
        ("EAAG-made-up", {}, "invalid_auth"),
        (TOKEN, {"app_id": APP_ID, "app_secret": "wrong-secret-000"}, "invalid_auth"),
    ],
)
async def test_a_bad_token_or_secret(
    hass: HomeAssistant, simulator: Simulator, token: str, extra: dict[str, str], error: str
) -> None:
    result = await step(hass, await start(hass), **credentials(simulator, token, **extra))
    assert result["errors"] == {"base": error}
    result = await step(hass, result, **credentials(simulator))  # then the right one
    assert result["step_id"] == "webhook"


async def test_network_down(hass: HomeAssistant, simulator: Simulator) -> None:
    down = {"page_access_token": TOKEN, "advanced": {"graph_url": "http://127.0.0.1:9"}}
    result = await step(hass, await start(hass), **down)
    assert result["errors"] == {"base": "cannot_connect"}


async def test_graph_url_is_folded_away_for_everyone(hass: HomeAssistant) -> None:
    # No advanced mode needed (Home Assistant 2026 retired it): a collapsed section holds it.
    result = await start(hass)
    advanced = result["data_schema"].schema["advanced"]
    assert isinstance(advanced, data_entry_flow.section)
    assert advanced.options == {"collapsed": True}
    assert "graph_url" in advanced.schema.schema


async def test_already_configured_as_an_entry(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    await setup_entry()
    result = await step(hass, await start(hass), **credentials(simulator))
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")


async def test_already_configured_in_yaml(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    result = await step(hass, await start(hass), **credentials(simulator))
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")


async def test_subscription_refused_with_meta_s_message(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    simulator.add_page(page_id=PAGE_ID, name=PAGE_NAME, token=TOKEN, scopes=["pages_messaging"])
    result = await step(hass, await start(hass), **credentials(simulator))
    result = await step(hass, result, verify_token="v-token-abcdef", subscribe=True)
    assert result["errors"] == {"base": "subscribe_failed"}
    assert "pages_manage_metadata" in result["description_placeholders"]["error"]
    result = await step(hass, result, verify_token="v-token-abcdef", subscribe=False)
    assert result["step_id"] == "people"  # subscribing by hand stays possible
    assert result["errors"] == {"base": "people_not_listed"}
    # The permission Meta named, for the step's text.
    assert result["description_placeholders"]["permission"] == "pages_manage_metadata"
    result = await step(hass, result, people=[])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].subentries == {}


async def test_people_the_webhook_saw_are_offered_too(
    hass: HomeAssistant, simulator: Simulator, hass_client_no_auth: Any
) -> None:
    """Someone wrote to the page before it was set up: offered by PSID."""
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client_no_auth()
    stranger = "5555666677778888"
    body, _ = simulator.build_webhook(
        {**simulator.message_event(ALICE, "hi"), "sender": {"id": stranger}}, sign=False
    )
    assert (await client.post("/api/facebook_webhooks", data=body)).status == 200
    result = await through_webhook(
        hass, await step(hass, await start(hass), **credentials(simulator))
    )
    options = result["data_schema"].schema["people"].config["options"]
    assert {"value": stranger, "label": stranger} in options


async def test_reauth_with_a_new_token_of_the_same_page(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    simulator.add_page(page_id=PAGE_ID, name=PAGE_NAME, token="renewed-page-token-1")
    result = dict(await entry.start_reauth_flow(hass))
    assert result["step_id"] == "reauth_confirm"
    result = await step(hass, result, page_access_token="renewed-page-token-1")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
    assert entry.data["page_access_token"] == "renewed-page-token-1"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_with_a_user_token_picks_the_entry_s_page(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    result = dict(await entry.start_reauth_flow(hass))
    user = admin_token(simulator)
    result = await step(hass, result, page_access_token=user, app_id=APP_ID, app_secret=APP_SECRET)
    assert result["reason"] == "reauth_successful"
    assert simulator.tokens[entry.data["page_access_token"]].expires_at == 0


async def test_reauth_with_another_page_s_token(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    simulator.add_page(page_id="2000000000000002", name="Club", token="club-page-token")
    result = dict(await entry.start_reauth_flow(hass))
    result = await step(hass, result, page_access_token="club-page-token")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_page")
    assert entry.data["page_access_token"] == TOKEN


async def test_reconfigure_the_app_and_the_verify_token(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry(app_id=None, app_secret=None)
    result = dict(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    bad = await step(hass, result, app_id=APP_ID, app_secret="wrong-secret-1", verify_token="v2")
    assert bad["errors"] == {"base": "invalid_auth"}
    result = await step(hass, bad, app_id=APP_ID, app_secret=APP_SECRET, verify_token="new-vt")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    assert (entry.data["app_secret"], entry.data["verify_token"]) == (APP_SECRET, "new-vt")


async def test_options_are_checked_and_reload_the_page(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    result = dict(await hass.config_entries.options.async_init(entry.entry_id))
    assert result["step_id"] == "init"
    options = {"window_warning": {"hours": 2}, "outbox_ttl": {"minutes": 30}}
    bad = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"messaging_type": "update", "tag": "human_agent", **options}
        )
    )
    assert bad["errors"] == {"base": "tag_mismatch"}
    done = await hass.config_entries.options.async_configure(
        bad["flow_id"], {"messaging_type": "response", "tag": "none", **options}
    )
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["messaging_type"] == "RESPONSE"
    runtime = entry.runtime_data
    assert runtime.settings.messaging_type == "RESPONSE"  # the page was built again
    assert runtime.settings.window_warning.total_seconds() == 7200
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": "notify.alice", "message": "hi"}, blocking=True
    )
    assert simulator.sent[-1].messaging_type == "RESPONSE"


async def test_add_a_person_picked_or_typed(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry(people=[])
    flows = hass.config_entries.subentries
    result = dict(await flows.async_init((entry.entry_id, "person"), context={"source": "user"}))
    picker = result["data_schema"].schema["person"].config["options"]
    assert {o["label"] for o in picker} == {"Alice", "Bob", "Carol"}
    result = dict(await flows.async_configure(result["flow_id"], {"person": BOB}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    result = dict(await flows.async_init((entry.entry_id, "person"), context={"source": "user"}))
    bad = dict(await flows.async_configure(result["flow_id"], {"psid": "0034643123212"}))
    assert bad["errors"] == {"base": "invalid_psid"}
    nameless = dict(await flows.async_configure(bad["flow_id"], {"psid": CAROL}))
    assert nameless["errors"] == {"base": "name_required"}
    typed = dict(await flows.async_configure(bad["flow_id"], {"psid": CAROL, "name": "Carol"}))
    assert typed["type"] is FlowResultType.CREATE_ENTRY
    assert {s.unique_id: s.title for s in entry.subentries.values()} == {BOB: "Bob", CAROL: "Carol"}


async def test_the_same_person_twice(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    flows = hass.config_entries.subentries
    result = dict(await flows.async_init((entry.entry_id, "person"), context={"source": "user"}))
    result = dict(await flows.async_configure(result["flow_id"], {"psid": ALICE, "name": "A"}))
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")


async def test_a_page_token_that_expires_is_said_and_becomes_a_repair_issue(
    hass: HomeAssistant, simulator: Simulator, reachable: str
) -> None:
    """A page token made from a short-lived user token lasts its hour: the flow says so, and
    the page gets a repair issue (it is within 7 days of its end)."""
    short = admin_token(simulator)
    user = await start(hass)
    async with aiohttp.ClientSession() as session:
        graph = GraphClient(session, short, base_url=simulator.url)
        page_token = (await user_pages(graph))[0].token
    creds = credentials(simulator, page_token, app_id=APP_ID, app_secret=APP_SECRET)
    result = await step(hass, user, **creds)
    assert result["errors"] == {"base": "token_expires"}
    assert result["description_placeholders"]["expires_at"].startswith("20")
    result = await step(hass, await through_webhook(hass, result), people=[])
    await hass.async_block_till_done(wait_background_tasks=True)  # asked in the background
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"token_expires_{result['result'].entry_id}")
    assert issue is not None
    assert issue.translation_placeholders["page"] == PAGE_NAME
