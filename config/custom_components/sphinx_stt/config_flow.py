"""One entry, no questions."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from . import DOMAIN


class SphinxConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add the sandbox's speech-to-text."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create the entry."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title="Sandbox speech", data={})

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """From `sphinx_stt:` in YAML."""
        return await self.async_step_user()
