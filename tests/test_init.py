"""Loading: ours (not core's), the YAML schema, the page look-up, repairs, the one view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
import pytest
import voluptuous as vol

from custom_components.facebook.const import DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK, WEBHOOK_PATH
from custom_components.facebook.schema import PLATFORM_SCHEMA
from simulator import Simulator

from .conftest import (
    ALICE,
    PAGE_ID,
    PAGE_NAME,
    TOKEN,
    VERIFY_TOKEN,
    ClientFactory,
    SetupFacebook,
    imported_entry,
    page_config,
    router_of,
    runtime_of,
)

ROOT = Path(__file__).parent.parent


async def test_the_custom_integration_is_loaded_not_core_s(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.is_built_in is False
    assert "custom_components/facebook" in str(integration.file_path)


def test_manifest_and_hacs_metadata() -> None:
    manifest = json.loads((ROOT / "custom_components/facebook/manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "facebook"
    assert manifest["name"] == "Facebook Messenger"
    assert manifest["requirements"] == []
    assert manifest["dependencies"] == ["http"]
    assert manifest["iot_class"] == "cloud_push"
    for key in ("codeowners", "documentation", "issue_tracker", "version"):
        assert manifest[key]
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert hacs["name"] == "Facebook Messenger"
    assert hacs["homeassistant"].startswith("2025.4")


def schema_error(**config: Any) -> str:
    base = {"platform": "facebook", "page_access_token": TOKEN}
    with pytest.raises(vol.Invalid) as err:
        PLATFORM_SCHEMA({**base, **config})
    return str(err.value)


def test_schema_defaults_and_coercion() -> None:
    config = PLATFORM_SCHEMA(
        {
            "platform": "facebook",
            "page_access_token": TOKEN,
            "allowed_chat_ids": [6543210987654321],
            "window_warning": "00:30:00",
        }
    )
    assert config["allowed_chat_ids"] == {"6543210987654321": None}
    assert config["graph_api_version"] == "v25.0"
    assert config["graph_url"] == "https://graph.facebook.com"
    assert config["window_warning"].total_seconds() == 1800
    assert config["outbox_ttl"].total_seconds() == 3600


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"page_access_token": ""}, "page_access_token"),
        ({"messaging_type": "PROMOTION"}, "messaging_type"),
        ({"tag": "ACCOUNT_UPDATE"}, "retired by Meta"),
        ({"tag": "CUSTOMER_FEEDBACK"}, "only with Meta's Customer Feedback template"),
        ({"messaging_type": "MESSAGE_TAG"}, "needs a tag"),
        ({"messaging_type": "UPDATE", "tag": "HUMAN_AGENT"}, "tag goes with"),
        ({"graph_api_version": "25"}, "v25.0"),
        ({"graph_url": "not a url"}, "graph_url"),
        ({"allowed_chat_ids": ["abc"]}, "not a PSID"),
        # `alice: 0034643123212` unquoted: YAML's octal number 3867977354 (the old docs' example)
        ({"allowed_chat_ids": {"alice": 0o034643123212}}, "write the ID in quotes"),
        ({"allowed_chat_ids": [3867977354]}, "YAML read an unquoted ID as a number"),
        ({"allowed_chat_ids": ["0034643123212"]}, "a phone number needs a leading +"),
        ({"alowed_chat_ids": ["1"]}, "alowed_chat_ids"),
        ({"window_warning": "-1:00:00"}, "window_warning"),
    ],
)
def test_bad_configuration_names_the_option(config: dict[str, Any], fragment: str) -> None:
    assert fragment in schema_error(**config)


def test_schema_errors_never_echo_the_token() -> None:
    message = schema_error(page_access_token=12345678901234567890)
    assert "12345678901234567890" not in message


async def test_setup_looks_up_the_page(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    page = await setup_facebook()
    assert (page.page.id, page.page.name) == (PAGE_ID, PAGE_NAME)
    me = [r for r in simulator.requests if r.path.endswith("/me")]
    assert len(me) == 1
    assert me[0].query["fields"] == "id,name"
    assert me[0].token_source == "header"
    assert hass.services.has_service("notify", "facebook")


async def test_rejected_token_asks_for_a_new_one_in_yaml_not_a_crash(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    config = page_config(simulator, page_access_token="EAAG-not-a-real-token")
    assert await async_setup_component(hass, "notify", {"notify": [config]})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.services.has_service("notify", "facebook")
    entry = imported_entry(hass)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    # Home Assistant asks for a new token; a YAML page's reauthentication says where it goes.
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["step_id"] == "reauth_yaml"
    shown = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert shown["description_placeholders"]["service"] == "notify.facebook"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["reason"] == "reauth_in_yaml"
    with pytest.raises(HomeAssistantError, match=r"notify\.facebook can't send") as err:
        await hass.services.async_call(
            "notify", "facebook", {"message": "x", "target": ["alice"]}, blocking=True
        )
    assert "Meta rejected the page access token" in str(err.value)


async def test_a_token_that_works_again_needs_no_new_one(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    simulator.inject_error(
        190, message="Error validating access token: Session has expired", subcode=463
    )
    with pytest.raises(HomeAssistantError, match="page access token is invalid or expired"):
        await hass.services.async_call(
            "notify", "facebook", {"message": "rejected", "target": ["alice"]}, blocking=True
        )
    await hass.async_block_till_done()
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]
    await hass.services.async_call(
        "notify", "facebook", {"message": "works again", "target": ["alice"]}, blocking=True
    )
    assert hass.config_entries.flow.async_progress() == []  # asked for nothing any more
    assert runtime_of(hass).health.rejected is False


async def test_a_send_with_a_rejected_token_raises_and_asks_for_a_new_one(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    simulator.inject_error(
        190, subcode=460, message="Error validating access token: The session has been invalidated"
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "notify", "facebook", {"message": "x", "target": ["alice"]}, blocking=True
        )
    assert "page access token is invalid or expired" in str(err.value)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert (flow["context"]["source"], flow["step_id"]) == ("reauth", "reauth_yaml")


async def test_network_down_at_start_does_not_block_and_is_retried(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    # More failures than one call's retries: the first look-up fails, a later one succeeds.
    simulator.inject_disconnect(count=5, paths="all")
    assert await async_setup_component(hass, "notify", {"notify": [page_config(simulator)]})
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", "facebook")
    await hass.async_block_till_done(wait_background_tasks=True)
    page = runtime_of(hass)
    assert page.page.id == PAGE_ID
    assert imported_entry(hass).unique_id == PAGE_ID
    assert len([r for r in simulator.requests if r.path.endswith("/me")]) >= 2


async def test_unreachable_graph_never_blocks_start(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    config = {
        "platform": "facebook",
        "name": "facebook",
        "page_access_token": TOKEN,
        "graph_url": "http://127.0.0.1:9",  # nothing listens there
    }
    assert await async_setup_component(hass, "notify", {"notify": [config]})
    await hass.async_block_till_done()
    assert hass.services.has_service("notify", "facebook")
    assert runtime_of(hass).page.id is None
    assert imported_entry(hass).state is ConfigEntryState.LOADED


async def test_one_view_however_many_pages(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    simulator.add_page(page_id="2000000000000002", name="Club", token="second-token")
    await setup_facebook(
        page_config(simulator),
        page_config(simulator, name="club", page_access_token="second-token", verify_token="v2"),
    )
    routes = [
        route for route in hass.http.app.router.routes() if route.resource.canonical == WEBHOOK_PATH
    ]
    methods = [route.method for route in routes if route.method != "OPTIONS"]
    assert sorted(methods) == ["GET", "POST"]  # registered once, not once per page
    assert sorted(router_of(hass).pages) == [PAGE_ID, "2000000000000002"]


async def test_unauthenticated_webhook_repair_issue_once_an_unsigned_post_arrives(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_facebook(app_secret=None)
    registry = ir.async_get(hass)
    # A send-only setup (the docs' minimal YAML) is never nagged.
    assert registry.async_get_issue(DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK) is None
    assert "accepts unsigned events" not in caplog.text
    client = await hass_client_no_auth()
    body, _ = simulator.build_webhook(simulator.message_event(ALICE, "hi"), sign=False)
    response = await client.post(WEBHOOK_PATH, data=body)
    assert response.status == 200
    issue = registry.async_get_issue(DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK)
    assert issue is not None
    assert issue.severity == ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {"path": WEBHOOK_PATH}
    await client.post(WEBHOOK_PATH, data=body)
    assert caplog.text.count("accepts unsigned events") == 1  # said once, not per request


async def test_unauthenticated_webhook_repair_issue_after_a_handshake(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    await setup_facebook(app_secret=None)
    client = await hass_client_no_auth()
    query = {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"}
    assert (await client.get(WEBHOOK_PATH, params=query)).status == 403
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK) is None
    query["hub.verify_token"] = VERIFY_TOKEN
    response = await client.get(WEBHOOK_PATH, params=query)
    assert await response.text() == "42"
    assert registry.async_get_issue(DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK) is not None


async def test_no_unauthenticated_issue_with_a_secret(
    hass: HomeAssistant, simulator: Simulator, setup_facebook: SetupFacebook
) -> None:
    await setup_facebook()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_UNAUTHENTICATED_WEBHOOK) is None


async def test_a_yaml_mangled_id_is_refused_at_start(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole entry is refused, so nothing is ever sent to the number YAML made up."""
    config = page_config(simulator, allowed_chat_ids={"alice": 0o034643123212})
    assert await async_setup_component(hass, "notify", {"notify": [config]})
    await hass.async_block_till_done()
    assert not hass.services.has_service("notify", "facebook")
    assert "3867977354 is not a PSID" in caplog.text
    assert "write the ID in quotes" in caplog.text
