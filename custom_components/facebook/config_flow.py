"""Set a page up from the UI: the Graph API Explorer work, done by the flow.

`user` takes a token (a page's, or the user token the Graph API Explorer hands out) and, best,
the app's id and secret: with them a user token is exchanged for a long-lived one and the page
token made from it never expires. `page` picks the page of a user token, `webhook` shows the
callback URL and subscribes the page (and, with the app's credentials, sets the app's webhook),
`people` picks who may talk to Home Assistant. `import` takes a YAML entry (`yaml_import`).
Every Graph call is one of `messenger.accounts`; tokens never reach a URL the flow shows or logs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
import secrets
from typing import Any

from homeassistant.config_entries import (
    SOURCE_IMPORT,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    ConversationAgentSelectorConfig,
    DurationSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.setup import async_setup_component
import voluptuous as vol

from .const import (
    CONF_APP_ID,
    CONF_APP_SECRET,
    CONF_ATTACHMENTS_KEEP_DAYS,
    CONF_COMMANDS,
    CONF_CONVERSATION_AGENT,
    CONF_GET_STARTED,
    CONF_GRAPH_URL,
    CONF_ICE_BREAKERS,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_MESSAGE,
    CONF_MENU,
    CONF_MESSAGING_TYPE,
    CONF_OUTBOX_TTL,
    CONF_PAGE_ACCESS_TOKEN,
    CONF_PAGE_ID,
    CONF_PEOPLE,
    CONF_PSID,
    CONF_SAVE_ATTACHMENTS,
    CONF_SPEECH_TO_TEXT,
    CONF_SUBSCRIBE,
    CONF_TAG,
    CONF_USER_ID,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_ATTACHMENTS_KEEP_DAYS,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_PERSON,
    WEBHOOK_PATH,
)
from .keepalive import DEFAULT_KEEP_ALIVE_MESSAGE
from .messenger import (
    DEFAULT_GRAPH_URL,
    MESSAGING_TYPES,
    SUBSCRIBED_FIELDS,
    VALID_TAGS,
    GraphAuthError,
    GraphClient,
    GraphError,
    GraphTransientError,
    MessageError,
    PageAccount,
    PageInfo,
    Person,
    app_token,
    app_webhooks,
    check_messaging,
    coerce_psid,
    inspect_token,
    is_user_token,
    long_lived_user_token,
    missing_permission,
    people_of,
    profile_from_lines,
    profile_to_lines,
    subscribe,
    subscribe_app,
    user_pages,
)
from .router import DATA_ROUTER, WebhookRouter
from .runtime import FacebookConfigEntry, profile_of
from .yaml_import import async_update_imported, imported_entry, person_subentry

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT = TextSelector()
LINES = TextSelector(TextSelectorConfig(multiline=True))
NO_TAG = "none"
SECTION_ADVANCED = "advanced"


class FlowError(Exception):
    """A step's error, by its translation key (`invalid_auth`, `cannot_connect`, ...)."""

    def __init__(self, reason: str, **placeholders: str) -> None:
        """Fail with `reason`; `placeholders` go into the error's text."""
        super().__init__(reason)
        self.reason = reason
        self.placeholders = placeholders


@dataclass
class Credentials:
    """What the user gave, and what Meta said of it."""

    token: str
    app_id: str | None = None
    app_secret: str | None = None
    graph_url: str = DEFAULT_GRAPH_URL
    page: PageInfo | None = None
    pages: list[PageAccount] = field(default_factory=list)
    expires_at: str | None = None  # when the page token expires (None: never, or unknown)

    @property
    def has_app(self) -> bool:
        """Whether the app's id and secret were given."""
        return bool(self.app_id and self.app_secret)

    def client(self, hass: HomeAssistant, token: str | None = None) -> GraphClient:
        """A Graph client with these credentials (or another `token`)."""
        return GraphClient(
            async_get_clientsession(hass),
            token or self.token,
            app_secret=self.app_secret,
            base_url=self.graph_url,
        )

    def app_client(self, hass: HomeAssistant) -> GraphClient:
        """A Graph client with the app's own token (`{app_id}|{app_secret}`)."""
        return GraphClient(
            async_get_clientsession(hass),
            app_token(str(self.app_id), str(self.app_secret)),
            base_url=self.graph_url,
        )

    def choose(self, page_id: str) -> None:
        """Keep one page of a user token: its own token from now on."""
        chosen = next(p for p in self.pages if p.id == page_id)
        self.token, self.page = chosen.token, PageInfo(chosen.id, chosen.name)


def _graph_error(err: GraphError) -> FlowError:
    """Meta's refusal as the step's error."""
    if isinstance(err, GraphAuthError) or "appsecret_proof" in err.graph_message:
        return FlowError("invalid_auth")
    if isinstance(err, GraphTransientError):
        return FlowError("cannot_connect")
    LOGGER.warning("Meta refused a setup call: %s", err)
    return FlowError("unknown")


async def _async_identify(hass: HomeAssistant, creds: Credentials) -> None:
    """Whose token it is: a page's (kept), or a user's (exchanged, their pages listed)."""
    try:
        me = await creds.client(hass).get_page()
        if not await _async_is_user_token(hass, creds):
            creds.page = me
            return
        if not creds.has_app:
            raise FlowError("needs_app_credentials")
        session = async_get_clientsession(hass)
        long_lived = await long_lived_user_token(
            session, creds.graph_url, str(creds.app_id), str(creds.app_secret), creds.token
        )
        creds.pages = await user_pages(creds.client(hass, long_lived))
    except GraphError as err:
        raise _graph_error(err) from err
    if not creds.pages:
        raise FlowError("no_pages")


async def _async_is_user_token(hass: HomeAssistant, creds: Credentials) -> bool:
    """With the app's credentials Meta says (and tells the expiry); without, ask it."""
    if not creds.has_app:
        return await is_user_token(creds.client(hass))
    info = await inspect_token(creds.app_client(hass), creds.token)
    if not info.is_valid:
        raise FlowError("invalid_auth")
    if info.type == "PAGE" and info.expires_at is not None:
        creds.expires_at = info.expires_at.isoformat(timespec="minutes")
    return info.type == "USER"


async def _async_attempt(errors: dict[str, str], work: Awaitable[None]) -> bool:
    """Run a step's calls to Meta; False, with the step's error set, when they failed.

    An unexpected exception never escapes a step: it is logged, and the form says `unknown`.
    """
    try:
        await work
    except FlowError as err:
        errors["base"] = err.reason
        return False
    except Exception:
        LOGGER.exception("Unexpected error while setting up a Facebook page")
        errors["base"] = "unknown"
        return False
    return True


def _credentials_schema() -> vol.Schema:
    """Token and app credentials; where the Graph API lives, folded away (tests, proxies)."""
    return vol.Schema(
        {
            vol.Required(CONF_PAGE_ACCESS_TOKEN): PASSWORD,
            vol.Optional(CONF_APP_SECRET): PASSWORD,
            vol.Optional(CONF_APP_ID): TEXT,
            vol.Required(SECTION_ADVANCED): section(
                vol.Schema({vol.Optional(CONF_GRAPH_URL, default=DEFAULT_GRAPH_URL): TEXT}),
                {"collapsed": True},
            ),
        }
    )


def _text(user_input: Mapping[str, Any], key: str) -> str | None:
    value = str(user_input.get(key) or "").strip()
    return value or None


def _credentials(user_input: Mapping[str, Any], graph_url: str | None = None) -> Credentials:
    advanced = user_input.get(SECTION_ADVANCED) or {}
    return Credentials(
        token=str(user_input[CONF_PAGE_ACCESS_TOKEN]).strip(),
        app_id=_text(user_input, CONF_APP_ID),
        app_secret=_text(user_input, CONF_APP_SECRET),
        graph_url=(graph_url or _text(advanced, CONF_GRAPH_URL) or DEFAULT_GRAPH_URL).rstrip("/"),
    )


def _select(
    options: list[SelectOptionDict], *, multiple: bool = False, listed: bool = False
) -> SelectSelector:
    """A choice among `options`: listed (radio buttons, check boxes) or a drop-down."""
    mode = SelectSelectorMode.LIST if multiple or listed else SelectSelectorMode.DROPDOWN
    return SelectSelector(SelectSelectorConfig(options=options, multiple=multiple, mode=mode))


def _is_imported(entry: ConfigEntry) -> bool:
    """A page set up in YAML: it is changed there, not in the UI."""
    return entry.source == SOURCE_IMPORT


class FacebookConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Facebook page."""

    VERSION = 1

    def __init__(self) -> None:
        """Nothing known yet."""
        self._creds: Credentials | None = None
        self._verify_token = secrets.token_urlsafe(24)
        self._listening: bytes | None = None  # the verify token the webhook answers for us
        self._app_webhook_failed = False
        self._people: list[Person] = []
        self._people_error: dict[str, str] = {}

    def _chosen(self) -> tuple[Credentials, PageInfo]:
        """The credentials and the page they are for (known from step `webhook` on)."""
        assert self._creds is not None
        assert self._creds.page is not None
        return self._creds, self._creds.page

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> FacebookOptionsFlow:
        """The options of a page."""
        return FacebookOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """People are subentries of their page."""
        return {SUBENTRY_TYPE_PERSON: PersonSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The token, and the app's id and secret."""
        errors: dict[str, str] = {}
        if user_input is not None:
            creds = _credentials(user_input)
            if await _async_attempt(errors, _async_identify(self.hass, creds)):
                self._creds = creds
                if creds.page is None:
                    return await self.async_step_page()
                return await self._async_claim(creds.page)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_page(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which page of the user's to set up."""
        assert self._creds is not None
        if user_input is not None:
            self._creds.choose(user_input[CONF_PAGE_ID])
            assert self._creds.page is not None
            return await self._async_claim(self._creds.page)
        pages = [
            SelectOptionDict(value=p.id, label=f"{p.name} ({p.id})") for p in self._creds.pages
        ]
        schema = vol.Schema({vol.Required(CONF_PAGE_ID): _select(pages, listed=True)})
        return self.async_show_form(step_id="page", data_schema=schema)

    async def _async_claim(self, page: PageInfo) -> ConfigFlowResult:
        """One setup per page, however the other was set up (from the UI, or in YAML)."""
        await self.async_set_unique_id(page.id)
        self._abort_if_unique_id_configured()
        return await self.async_step_webhook()

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Where Meta sends events, with which verify token; the page and the app subscribed."""
        creds, page = self._chosen()
        url = self._webhook_url()
        placeholders = {"webhook_url": url, "verify_token": self._verify_token, "error": ""}
        errors: dict[str, str] = {}
        if creds.expires_at:
            errors["base"] = "token_expires"
            placeholders["expires_at"] = creds.expires_at
        if user_input is not None:
            self._verify_token = str(user_input.get(CONF_VERIFY_TOKEN) or self._verify_token)
            placeholders["verify_token"] = self._verify_token
            errors = {}
            try:
                await self._async_subscribe(creds, page, url, user_input)
            except FlowError as err:
                errors["base"] = err.reason
                placeholders.update(err.placeholders)
            except Exception:
                LOGGER.exception("Unexpected error while subscribing a Facebook page")
                errors["base"] = "unknown"
            else:
                return await self.async_step_people()
        schema = vol.Schema(
            {
                vol.Required(CONF_VERIFY_TOKEN, default=self._verify_token): TEXT,
                vol.Required(CONF_SUBSCRIBE, default=True): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="webhook",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    def _webhook_url(self) -> str:
        """The callback URL: under Home Assistant's external URL, else its own best guess
        (the step says Meta must reach it over HTTPS from the internet)."""
        try:
            base = get_url(self.hass, allow_internal=False, prefer_external=True)
        except NoURLAvailableError:
            base = get_url(self.hass)
        return f"{base.rstrip('/')}{WEBHOOK_PATH}"

    async def _async_subscribe(
        self, creds: Credentials, page: PageInfo, url: str, user_input: dict[str, Any]
    ) -> None:
        """The page's webhook fields and, with the app's credentials, the app's callback URL
        (Meta checks it at once: the webhook already answers this flow's verify token)."""
        if not user_input.get(CONF_SUBSCRIBE, True):
            return
        try:
            await subscribe(creds.client(self.hass), page.id, SUBSCRIBED_FIELDS)
        except GraphError as err:
            raise FlowError("subscribe_failed", error=err.graph_message) from err
        if not creds.has_app or self._app_webhook_failed:
            return
        await self._async_listen(self._verify_token.encode())
        app, app_id = creds.app_client(self.hass), str(creds.app_id)
        try:
            await subscribe_app(app, app_id, url, self._verify_token, SUBSCRIBED_FIELDS)
            hooks = await app_webhooks(app, app_id)  # and Meta shows it, active, here
        except GraphError as err:
            self._app_webhook_failed = True  # the next Submit goes on: the user enters it
            raise FlowError("app_subscribe_failed", error=err.graph_message) from err
        if not any(h.object == "page" and h.active and h.callback_url == url for h in hooks):
            self._app_webhook_failed = True
            raise FlowError("app_subscribe_unconfirmed")

    async def _async_router(self) -> WebhookRouter:
        """The webhook's router (on the very first page, the integration starts with it)."""
        if DATA_ROUTER not in self.hass.data:
            await async_setup_component(self.hass, DOMAIN, {})
        return self.hass.data[DATA_ROUTER]

    async def _async_listen(self, token: bytes) -> None:
        """Let the webhook answer Meta's check of `token` while this flow is open."""
        auth = (await self._async_router()).auth
        if self._listening is not None:
            auth.async_remove(self._listening, None)
        self._listening = token
        auth.async_add(token, None)

    @callback
    def async_remove(self) -> None:
        """The flow is over: the webhook stops answering its verify token (the entry's own
        token takes over)."""
        if self._listening is not None and (router := self.hass.data.get(DATA_ROUTER)):
            router.auth.async_remove(self._listening, None)
            self._listening = None

    async def async_step_people(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Who may talk to Home Assistant (more can be added later)."""
        if user_input is not None:
            return self._async_create(user_input.get(CONF_PEOPLE) or [])
        placeholders = {"error": "", "permission": ""}
        await _async_attempt(self._people_error, self._async_load_people(placeholders))
        options = [SelectOptionDict(value=p.psid, label=p.name) for p in self._people]
        schema = vol.Schema(
            {vol.Optional(CONF_PEOPLE, default=[]): _select(options, multiple=True)}
        )
        return self.async_show_form(
            step_id="people",
            data_schema=schema,
            errors=self._people_error,
            description_placeholders=placeholders,
        )

    async def _async_load_people(self, placeholders: dict[str, str]) -> None:
        """Everyone with a conversation with the page, and whoever the webhook saw write."""
        creds, page = self._chosen()
        try:
            self._people = await people_of(creds.client(self.hass), page.id)
        except GraphError as err:
            LOGGER.warning("Meta did not list the people of the page: %s", err)
            placeholders["error"] = err.graph_message
            placeholders["permission"] = missing_permission(err) or "pages_read_engagement"
            self._people_error["base"] = "people_not_listed"
        known = {p.psid for p in self._people}
        seen = (await self._async_router()).get_my_id.seen_writing_to(page.id)
        self._people += [Person(psid, psid) for psid in seen if psid not in known]

    def _async_create(self, chosen: list[str]) -> ConfigFlowResult:
        creds, page = self._chosen()
        names = {p.psid: p.name for p in self._people}
        data = {
            CONF_PAGE_ID: page.id,
            CONF_PAGE_ACCESS_TOKEN: creds.token,
            CONF_APP_SECRET: creds.app_secret,
            CONF_APP_ID: creds.app_id,
            CONF_VERIFY_TOKEN: self._verify_token,
            CONF_GRAPH_URL: creds.graph_url,
        }
        people = [
            person_subentry({CONF_PSID: psid, CONF_NAME: names.get(psid, psid)}) for psid in chosen
        ]
        return self.async_create_entry(title=page.name, data=data, subentries=people)

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """A YAML entry: a new config entry, or the one it made before, updated from it."""
        data = import_data["data"]
        if (entry := imported_entry(self.hass, data[CONF_NAME])) is not None:
            async_update_imported(self.hass, entry, import_data)
            return self.async_abort(reason="already_configured")
        return self.async_create_entry(
            title=f"notify.{data[CONF_NAME]}",
            data=data,
            options=import_data["options"],
            subentries=[person_subentry(person) for person in import_data["people"]],
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Meta rejected the token (190): ask for a new one (in YAML, for a YAML page)."""
        if _is_imported(self._get_reauth_entry()):
            return await self.async_step_reauth_yaml()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_yaml(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A YAML page's token is in its YAML: say where to put the new one."""
        if user_input is not None:
            return self.async_abort(reason="reauth_in_yaml")
        entry = self._get_reauth_entry()
        return self.async_show_form(
            step_id="reauth_yaml",
            description_placeholders={"service": f"notify.{entry.data.get(CONF_NAME)}"},
        )

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new token for the same page (a user token with the app's credentials works too)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            creds = _credentials(user_input, entry.data.get(CONF_GRAPH_URL))
            if await _async_attempt(errors, self._async_identify_page(creds, entry)):
                assert creds.page is not None
                await self.async_set_unique_id(creds.page.id)
                self._abort_if_unique_id_mismatch(reason="wrong_page")
                data = {
                    CONF_PAGE_ACCESS_TOKEN: creds.token,
                    CONF_APP_ID: creds.app_id,
                    CONF_APP_SECRET: creds.app_secret,
                }
                return self._async_update_and_abort(entry, data, "reauth_successful")
        suggested = {k: entry.data.get(k) for k in (CONF_APP_ID, CONF_APP_SECRET)}
        schema = vol.Schema(
            {
                vol.Required(CONF_PAGE_ACCESS_TOKEN): PASSWORD,
                vol.Optional(CONF_APP_SECRET): PASSWORD,
                vol.Optional(CONF_APP_ID): TEXT,
            }
        )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
            description_placeholders={"page": entry.title},
        )

    async def _async_identify_page(self, creds: Credentials, entry: ConfigEntry) -> None:
        """Whose token it is; a user token's page is the entry's (or the first, to compare)."""
        await _async_identify(self.hass, creds)
        if creds.page is None:
            ids = [p.id for p in creds.pages]
            creds.choose(str(entry.unique_id) if entry.unique_id in ids else ids[0])

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The app's id and secret, and the webhook's verify token."""
        entry = self._get_reconfigure_entry()
        if _is_imported(entry):
            return self.async_abort(reason="managed_in_yaml")
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_APP_ID: _text(user_input, CONF_APP_ID),
                CONF_APP_SECRET: _text(user_input, CONF_APP_SECRET),
                CONF_VERIFY_TOKEN: str(user_input[CONF_VERIFY_TOKEN]).strip(),
            }
            creds = _credentials({**entry.data, **data}, entry.data.get(CONF_GRAPH_URL))
            if await _async_attempt(errors, self._async_check_app(creds)):
                return self._async_update_and_abort(entry, data, "reconfigure_successful")
        schema = vol.Schema(
            {
                vol.Optional(CONF_APP_SECRET): PASSWORD,
                vol.Optional(CONF_APP_ID): TEXT,
                vol.Required(CONF_VERIFY_TOKEN): TEXT,
            }
        )
        suggested = user_input or {
            k: entry.data.get(k) for k in (CONF_APP_SECRET, CONF_APP_ID, CONF_VERIFY_TOKEN)
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    async def _async_check_app(self, creds: Credentials) -> None:
        """The page's token still works with the (new) app secret, and the app knows it."""
        try:
            await creds.client(self.hass).get_page()
            if creds.has_app:
                await _async_is_user_token(self.hass, creds)
        except GraphError as err:
            raise _graph_error(err) from err

    def _async_update_and_abort(
        self, entry: ConfigEntry, changes: dict[str, Any], reason: str
    ) -> ConfigFlowResult:
        """Store the changes and end the flow; the entry's update listener reloads it.

        `async_update_and_abort` where Home Assistant has it (2025.12 and later); before, the
        same two steps it takes. (`async_update_reload_and_abort` would reload a second time
        beside the listener, which Home Assistant 2026.12 refuses.)
        """
        update_and_abort = getattr(self, "async_update_and_abort", None)
        if update_and_abort is not None:
            result: ConfigFlowResult = update_and_abort(entry, data_updates=changes, reason=reason)
        else:
            self.hass.config_entries.async_update_entry(entry, data={**entry.data, **changes})
            result = self.async_abort(reason=reason)
        if entry.state is not ConfigEntryState.LOADED:  # no update listener to reload it
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result


class FacebookOptionsFlow(OptionsFlow):
    """How a page sends by default, and for how long it tries."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options (a change reloads the page); a YAML page's are in its YAML."""
        if _is_imported(self.config_entry):
            return self.async_abort(reason="managed_in_yaml")
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            options = {**user_input, **_from_choices(user_input)}
            options.update(profile_from_lines(user_input))
            try:
                check_messaging(options.get(CONF_MESSAGING_TYPE), options[CONF_TAG])
            except MessageError:
                errors["base"] = "tag_mismatch"
            else:
                try:
                    profile_of(options)
                except MessageError as err:
                    errors["base"], placeholders["error"] = "invalid_profile", str(err)
                else:
                    return self.async_create_entry(data=options)
        stored = self.config_entry.options
        current = {**stored, **profile_to_lines(stored), **_to_choices(stored)}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(stored.get(CONF_TAG)), current
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


# The default tags the options offer: HUMAN_AGENT (people typing, within 7 days).
TAG_CHOICES = VALID_TAGS


def _to_choices(options: Mapping[str, Any]) -> dict[str, str]:
    """The stored messaging type and tag (Meta's names: `UPDATE`, `HUMAN_AGENT`) as the form's
    choices, which Home Assistant wants lowercase (`update`, `human_agent`; no tag: `none`)."""
    messaging_type = options.get(CONF_MESSAGING_TYPE) or DEFAULT_MESSAGING_TYPE
    return {
        CONF_MESSAGING_TYPE: str(messaging_type).lower(),
        CONF_TAG: str(options.get(CONF_TAG) or NO_TAG).lower(),
    }


def _from_choices(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The form's choices as the options store them: Meta's names, uppercase; no tag is None."""
    choices: dict[str, Any] = {}
    if (messaging_type := user_input.get(CONF_MESSAGING_TYPE)) is not None:
        choices[CONF_MESSAGING_TYPE] = str(messaging_type).upper()
    tag = user_input.get(CONF_TAG)
    choices[CONF_TAG] = None if tag in (None, NO_TAG) else str(tag).upper()
    return choices


def _options_schema(stored_tag: str | None = None) -> vol.Schema:
    """The options form; an entry that stores a tag no longer offered keeps it as a choice."""
    tags = [NO_TAG, *(tag.lower() for tag in TAG_CHOICES)]
    if stored_tag and stored_tag.lower() not in tags:
        tags.append(stored_tag.lower())

    def select(options: list[str]) -> SelectSelector:
        return SelectSelector(
            SelectSelectorConfig(
                options=options, mode=SelectSelectorMode.DROPDOWN, translation_key="choices"
            )
        )

    return vol.Schema(
        {
            vol.Optional(CONF_MESSAGING_TYPE, default=DEFAULT_MESSAGING_TYPE.lower()): select(
                [messaging_type.lower() for messaging_type in MESSAGING_TYPES]
            ),
            vol.Optional(CONF_TAG, default=NO_TAG): select(tags),
            vol.Optional(
                CONF_WINDOW_WARNING, default=_duration(DEFAULT_WINDOW_WARNING.total_seconds())
            ): DurationSelector(),
            vol.Optional(
                CONF_OUTBOX_TTL, default=_duration(DEFAULT_OUTBOX_TTL.total_seconds())
            ): DurationSelector(),
            vol.Optional(CONF_KEEP_ALIVE, default=False): BooleanSelector(),
            vol.Optional(CONF_KEEP_ALIVE_MESSAGE, default=DEFAULT_KEEP_ALIVE_MESSAGE): TEXT,
            vol.Optional(CONF_UTILITY_TEMPLATE, default=False): BooleanSelector(),
            vol.Optional(CONF_CONVERSATION_AGENT): ConversationAgentSelector(
                ConversationAgentSelectorConfig()
            ),
            vol.Optional(CONF_MENU): LINES,
            vol.Optional(CONF_ICE_BREAKERS): LINES,
            vol.Optional(CONF_COMMANDS): LINES,
            vol.Optional(CONF_GET_STARTED): TEXT,
            vol.Optional(CONF_SAVE_ATTACHMENTS, default=True): BooleanSelector(),
            vol.Optional(
                CONF_ATTACHMENTS_KEEP_DAYS, default=DEFAULT_ATTACHMENTS_KEEP_DAYS
            ): NumberSelector(
                NumberSelectorConfig(
                    min=1, max=3650, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="d"
                )
            ),
            vol.Optional(CONF_SPEECH_TO_TEXT): EntitySelector(EntitySelectorConfig(domain="stt")),
        }
    )


def _duration(seconds: float) -> dict[str, int]:
    whole = int(seconds)
    return {"hours": whole // 3600, "minutes": whole % 3600 // 60, "seconds": whole % 60}


class PersonSubentryFlow(ConfigSubentryFlow):
    """Add a person: one who wrote to the page, picked by name, or anyone by PSID."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Pick or type the person."""
        entry: FacebookConfigEntry = self._get_entry()
        if _is_imported(entry):
            return self.async_abort(reason="managed_in_yaml")
        taken = {sub.unique_id for sub in entry.subentries.values()}
        candidates = [p for p in await _async_candidates(entry) if p.psid not in taken]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                psid, name = _person(user_input, candidates)
            except FlowError as err:
                errors["base"] = err.reason
            else:
                if psid in taken:
                    return self.async_abort(reason="already_configured")
                data = {CONF_PSID: psid, CONF_NAME: name}
                if user_input.get(CONF_USER_ID):
                    data[CONF_USER_ID] = user_input[CONF_USER_ID]
                return self.async_create_entry(title=name, data=data, unique_id=psid)
        schema: dict[Any, Any] = {}
        if candidates:
            options = [SelectOptionDict(value=p.psid, label=p.name) for p in candidates]
            schema[vol.Optional("person")] = _select(options)
        schema[vol.Optional(CONF_PSID)] = TEXT
        schema[vol.Optional(CONF_NAME)] = TEXT
        if users := await self._async_user_options():
            schema[vol.Optional(CONF_USER_ID)] = users
        return self.async_show_form(step_id="user", data_schema=vol.Schema(schema), errors=errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """A person's name, and whether they get the keep-alive message."""
        entry, subentry = self._get_entry(), self._get_reconfigure_subentry()
        if _is_imported(entry):
            return self.async_abort(reason="managed_in_yaml")
        if user_input is not None:
            name = str(user_input.get(CONF_NAME) or "").strip() or subentry.title
            data = {
                **subentry.data,
                CONF_NAME: name,
                CONF_KEEP_ALIVE: user_input[CONF_KEEP_ALIVE],
                CONF_USER_ID: user_input.get(CONF_USER_ID) or None,
            }
            return self.async_update_and_abort(entry, subentry, title=name, data=data)
        schema: dict[Any, Any] = {
            vol.Required(CONF_NAME, default=subentry.title): TEXT,
            vol.Required(
                CONF_KEEP_ALIVE, default=subentry.data.get(CONF_KEEP_ALIVE, True)
            ): BooleanSelector(),
        }
        if users := await self._async_user_options():
            user = subentry.data.get(CONF_USER_ID)
            schema[vol.Optional(CONF_USER_ID, description={"suggested_value": user})] = users
        return self.async_show_form(step_id="reconfigure", data_schema=vol.Schema(schema))

    async def _async_user_options(self) -> SelectSelector | None:
        """Home Assistant's people who can log in: one may be linked to this person (Assist
        then runs in their context)."""
        users = [u for u in await self.hass.auth.async_get_users() if not u.system_generated]
        if not users:
            return None
        return _select([SelectOptionDict(value=u.id, label=u.name or u.id) for u in users])


def _person(user_input: dict[str, Any], candidates: list[Person]) -> tuple[str, str]:
    """The chosen (or typed) PSID and the name to show."""
    name = str(user_input.get(CONF_NAME) or "").strip()
    picked = user_input.get("person")
    if picked:
        known = {p.psid: p.name for p in candidates}
        return str(picked), name or known.get(str(picked), str(picked))
    try:
        psid = coerce_psid(str(user_input.get(CONF_PSID) or ""))
    except ValueError as err:
        raise FlowError("invalid_psid") from err
    if not name:
        raise FlowError("name_required")
    return psid, name


async def _async_candidates(entry: FacebookConfigEntry) -> list[Person]:
    """Who wrote to the page: its conversations, and its audience (when it is loaded)."""
    if entry.state is not ConfigEntryState.LOADED:
        return []
    runtime = entry.runtime_data
    people: dict[str, Person] = {}
    if runtime.page.id is not None:
        try:
            people = {p.psid: p for p in await people_of(runtime.client, runtime.page.id)}
        except GraphError as err:
            LOGGER.debug("Meta did not list the people of the page: %s", err)
    for psid in runtime.audience.people:
        people.setdefault(psid, Person(psid, psid))
    return list(people.values())
