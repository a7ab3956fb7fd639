"""The options form's messaging type and tag: lowercase choices, Meta's names stored.

hassfest wants selector option keys lowercase (`update`, `human_agent`), while the options keep
Meta's names (`UPDATE`, `HUMAN_AGENT`), as every entry has stored them and as YAML writes them.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest

from simulator import Simulator

from .conftest import SetupEntry


async def open_options(hass: HomeAssistant, entry_id: str) -> dict[str, Any]:
    result = dict(await hass.config_entries.options.async_init(entry_id))
    assert result["step_id"] == "init"
    return result


def choices(result: dict[str, Any], field: str) -> list[str]:
    return list(result["data_schema"].schema[field].config["options"])


def suggested(result: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


async def test_lowercase_choices_store_metas_names(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    result = await open_options(hass, entry.entry_id)
    assert choices(result, "messaging_type") == ["response", "update", "message_tag"]
    # CUSTOMER_FEEDBACK works only with Meta's customer-feedback template: no default to offer.
    assert choices(result, "tag") == ["none", "human_agent"]
    assert suggested(result)["messaging_type"] == "update"
    assert suggested(result)["tag"] == "none"
    with pytest.raises(InvalidData):  # Meta's own spelling is not a choice of the form
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"messaging_type": "UPDATE"}
        )
    done = await hass.config_entries.options.async_configure(
        result["flow_id"], {"messaging_type": "message_tag", "tag": "human_agent"}
    )
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert (entry.options["messaging_type"], entry.options["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert entry.runtime_data.settings.tag == "HUMAN_AGENT"  # the page was built with it

    again = await open_options(hass, entry.entry_id)
    assert suggested(again)["messaging_type"] == "message_tag"
    assert suggested(again)["tag"] == "human_agent"


async def test_an_entry_stored_before_keeps_its_values(
    hass: HomeAssistant, simulator: Simulator, setup_entry: SetupEntry
) -> None:
    entry = await setup_entry()
    old = {"messaging_type": "MESSAGE_TAG", "tag": "CUSTOMER_FEEDBACK"}
    hass.config_entries.async_update_entry(entry, options=old)
    await hass.async_block_till_done()
    result = await open_options(hass, entry.entry_id)
    # Shown as the choices they are, and the tag no longer offered stays choosable for it.
    assert suggested(result)["messaging_type"] == "message_tag"
    assert suggested(result)["tag"] == "customer_feedback"
    assert choices(result, "tag") == ["none", "human_agent", "customer_feedback"]
    unchanged = {"messaging_type": "message_tag", "tag": "customer_feedback"}
    done = await hass.config_entries.options.async_configure(result["flow_id"], unchanged)
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert {k: entry.options[k] for k in old} == old
