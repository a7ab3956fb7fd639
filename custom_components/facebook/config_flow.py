"""Set a page up from the UI: the Graph API Explorer work, done by the flow.

`user` takes a token (a page's, or the user token the Graph API Explorer hands out) and, best,
the app's id and secret: with them a user token is exchanged for a long-lived one and the page
token made from it never expires. `page` picks the page of a user token, `webhook` shows the
callback URL and subscribes the page, `people` picks who may talk to Home Assistant. Every Graph
call is one of `messenger.accounts`; tokens never reach a URL the flow shows or logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import secrets
from typing import Any, Final

from homeassistant import data_entry_flow
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
    ConversationAgentSelectorConfig,
    DurationSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import (
    CONF_APP_ID,
    CONF_APP_SECRET,
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
    CONF_SUBSCRIBE,
    CONF_TAG,
    CONF_USER_ID,
    CONF_UTILITY_TEMPLATE,
    CONF_VERIFY_TOKEN,
    CONF_WINDOW_WARNING,
    DEFAULT_MESSAGING_TYPE,
    DEFAULT_OUTBOX_TTL,
    DEFAULT_WINDOW_WARNING,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_PERSON,
    WEBHOOK_PATH,
)
from .keepalive import DEFAULT_KEEP_ALIVE_MESSAGE
from .messenger.accounts import (
    SUBSCRIBED_FIELDS,
    PageAccount,
    Person,
    app_token,
    inspect_token,
    is_user_token,
    long_lived_user_token,
    missing_permission,
    people_of,
    subscribe,
    user_pages,
)
from .messenger.builder import check_messaging
from .messenger.client import GraphClient
from .messenger.const import DEFAULT_GRAPH_URL, MESSAGING_TYPES
from .messenger.errors import (
    GraphAuthError,
    GraphError,
    GraphTransientError,
    MessageError,
)
from .messenger.models import PageInfo
from .messenger.recipients import coerce_psid
from .router import DATA_ROUTER
from .runtime import profile_of

PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TEXT = TextSelector()
LINES = TextSelector(TextSelectorConfig(multiline=True))
NO_TAG = "none"


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
    expires_note: str = ""


def _graph_error(err: GraphError) -> FlowError:
    """Meta's refusal as the step's error."""
    if isinstance(err, GraphAuthError) or "appsecret_proof" in err.graph_message:
        return FlowError("invalid_auth")
    if isinstance(err, GraphTransientError):
        return FlowError("cannot_connect")
    LOGGER.warning("Meta refused a setup call: %s", err)
    return FlowError("unknown")


class FacebookFlowBase:
    """The Graph calls the config flow and the reauthentication share."""

    hass: Any

    def _client(self, creds: Credentials, token: str | None = None) -> GraphClient:
        return GraphClient(
            async_get_clientsession(self.hass),
            token or creds.token,
            app_secret=creds.app_secret,
            base_url=creds.graph_url,
        )

    async def _async_identify(self, creds: Credentials) -> None:
        """Whose token it is: a page's (kept), or a user's (exchanged, their pages listed)."""
        try:
            me = await self._client(creds).get_page()
            if not await self._async_is_user_token(creds):
                creds.page = me
                return
            if not (creds.app_id and creds.app_secret):
                raise FlowError("needs_app_credentials")
            session = async_get_clientsession(self.hass)
            long_lived = await long_lived_user_token(
                session, creds.graph_url, creds.app_id, creds.app_secret, creds.token
            )
            creds.pages = await user_pages(self._client(creds, long_lived))
        except GraphError as err:
            raise _graph_error(err) from err
        if not creds.pages:
            raise FlowError("no_pages")

    async def _async_is_user_token(self, creds: Credentials) -> bool:
        """With the app's credentials Meta says (and tells the expiry); without, ask it."""
        if not (creds.app_id and creds.app_secret):
            return await is_user_token(self._client(creds))
        app = GraphClient(
            async_get_clientsession(self.hass),
            app_token(creds.app_id, creds.app_secret),
            base_url=creds.graph_url,
        )
        info = await inspect_token(app, creds.token)
        if not info.is_valid:
            raise FlowError("invalid_auth")
        if info.type == "PAGE" and info.expires_at is not None:
            creds.expires_note = info.expires_at.isoformat(timespec="minutes")
        return info.type == "USER"

    @staticmethod
    def _choose(creds: Credentials, page_id: str) -> None:
        """Keep one page of a user token: its own token from now on."""
        chosen = next(p for p in creds.pages if p.id == page_id)
        creds.token, creds.page = chosen.token, PageInfo(chosen.id, chosen.name)


def _credentials_schema(advanced: bool) -> vol.Schema:
    schema: dict[Any, Any] = {
        vol.Required(CONF_PAGE_ACCESS_TOKEN): PASSWORD,
        vol.Optional(CONF_APP_SECRET): PASSWORD,
        vol.Optional(CONF_APP_ID): TEXT,
    }
    if advanced:
        schema[vol.Optional(CONF_GRAPH_URL, default=DEFAULT_GRAPH_URL)] = TEXT
    return vol.Schema(schema)


def _credentials(user_input: Mapping[str, Any]) -> Credentials:
    def text(key: str) -> str | None:
        value = str(user_input.get(key) or "").strip()
        return value or None

    return Credentials(
        token=str(user_input[CONF_PAGE_ACCESS_TOKEN]).strip(),
        app_id=text(CONF_APP_ID),
        app_secret=text(CONF_APP_SECRET),
        graph_url=(text(CONF_GRAPH_URL) or DEFAULT_GRAPH_URL).rstrip("/"),
    )


def _page_options(pages: list[PageAccount]) -> SelectSelector:
    options = [SelectOptionDict(value=p.id, label=f"{p.name} ({p.id})") for p in pages]
    return SelectSelector(SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST))


def _people_options(people: list[Person]) -> SelectSelector:
    options = [SelectOptionDict(value=p.psid, label=p.name) for p in people]
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.LIST)
    )


class FacebookConfigFlow(FacebookFlowBase, ConfigFlow, domain=DOMAIN):
    """Add a Facebook page."""

    VERSION = 1

    def __init__(self) -> None:
        """Nothing known yet."""
        self._creds: Credentials | None = None
        self._verify_token = secrets.token_urlsafe(24)
        self._people: list[Person] = []
        self._people_note = ""

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

    @property
    def _advanced_mode(self) -> bool:
        """Whether to offer `graph_url`: the user's advanced mode where Home Assistant has one.

        Home Assistant 2026 retired advanced mode (its `show_advanced_options` is a deprecated
        shim that answers True and warns): there, like Home Assistant, the field is for everyone.
        """
        if ADVANCED_MODE_RETIRED:
            return True
        return bool(self.context.get("show_advanced_options", False))

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The token, and the app's id and secret."""
        errors: dict[str, str] = {}
        if user_input is not None:
            creds = _credentials(user_input)
            try:
                await self._async_identify(creds)
            except FlowError as err:
                errors["base"] = err.reason
            else:
                self._creds = creds
                if creds.page is None:
                    return await self.async_step_page()
                return await self._async_claim(creds.page)
        schema = _credentials_schema(self._advanced_mode)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    async def async_step_page(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which page of the user's to set up."""
        assert self._creds is not None
        if user_input is not None:
            self._choose(self._creds, user_input[CONF_PAGE_ID])
            assert self._creds.page is not None
            return await self._async_claim(self._creds.page)
        schema = vol.Schema({vol.Required(CONF_PAGE_ID): _page_options(self._creds.pages)})
        return self.async_show_form(step_id="page", data_schema=schema)

    async def _async_claim(self, page: PageInfo) -> ConfigFlowResult:
        """One setup per page: not twice from the UI, not once in YAML and once here."""
        await self.async_set_unique_id(page.id)
        self._abort_if_unique_id_configured()
        router = self.hass.data.get(DATA_ROUTER)
        if router is not None and router.runtime_for_page(page.id) is not None:
            return self.async_abort(reason="already_configured")
        return await self.async_step_webhook()

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Where Meta sends events, with which verify token; the page subscribed to them."""
        creds, page = self._chosen()
        errors: dict[str, str] = {}
        placeholders = {**self._webhook_placeholders(), "error": ""}
        if user_input is not None:
            self._verify_token = str(user_input.get(CONF_VERIFY_TOKEN) or self._verify_token)
            try:
                if user_input.get(CONF_SUBSCRIBE, True):
                    await subscribe(self._client(creds), page.id, SUBSCRIBED_FIELDS)
            except GraphError as err:
                errors["base"], placeholders["error"] = "subscribe_failed", err.graph_message
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

    def _webhook_placeholders(self) -> dict[str, str]:
        assert self._creds is not None
        try:
            base, note = get_url(self.hass, allow_internal=False, prefer_external=True), ""
        except NoURLAvailableError:
            base = get_url(self.hass)
            note = (
                "Home Assistant has no external URL (Settings > System > Network): "
                "Meta must reach this address over HTTPS from the internet."
            )
        expiry = self._creds.expires_note
        return {
            "webhook_url": f"{base.rstrip('/')}{WEBHOOK_PATH}",
            "verify_token": self._verify_token,
            "url_note": note,
            "expiry_note": f"This page token expires at {expiry}." if expiry else "",
        }

    async def async_step_people(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Who may talk to Home Assistant (more can be added later)."""
        if user_input is not None:
            return self._async_create(user_input.get(CONF_PEOPLE) or [])
        await self._async_load_people()
        schema = vol.Schema({vol.Optional(CONF_PEOPLE, default=[]): _people_options(self._people)})
        return self.async_show_form(
            step_id="people",
            data_schema=schema,
            description_placeholders={"people_note": self._people_note},
        )

    async def _async_load_people(self) -> None:
        """Everyone with a conversation with the page, and whoever the webhook saw write."""
        creds, page = self._chosen()
        page_id = page.id
        try:
            self._people = await people_of(self._client(creds), page_id)
        except GraphError as err:
            permission = missing_permission(err) or "pages_read_engagement"
            LOGGER.warning("Meta did not list the people of the page: %s", err)
            self._people_note = (
                f"Meta did not list the people who wrote to the page ({err.graph_message}): the "
                f"token lacks the {permission} permission. People can be added later, by "
                'PSID (they get it by writing "get my id" to the page).'
            )
        known = {p.psid for p in self._people}
        router = self.hass.data.get(DATA_ROUTER)
        seen = router.seen_writing_to(page_id) if router is not None else []
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
            ConfigSubentryData(
                data={CONF_PSID: psid, CONF_NAME: names.get(psid, psid)},
                subentry_type=SUBENTRY_TYPE_PERSON,
                title=names.get(psid, psid),
                unique_id=psid,
            )
            for psid in chosen
        ]
        return self.async_create_entry(title=page.name, data=data, subentries=people)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Meta rejected the token (190): ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new token for the same page (a user token with the app's credentials works too)."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            creds = _credentials({**user_input, CONF_GRAPH_URL: entry.data.get(CONF_GRAPH_URL)})
            try:
                await self._async_identify(creds)
                if creds.page is None and entry.unique_id in {p.id for p in creds.pages}:
                    self._choose(creds, str(entry.unique_id))
            except FlowError as err:
                errors["base"] = err.reason
            else:
                if creds.page is None or creds.page.id != entry.unique_id:
                    return self.async_abort(reason="wrong_page")
                return self._async_finish_reauth(entry, creds)
        suggested = {k: entry.data.get(k) for k in (CONF_APP_ID, CONF_APP_SECRET)}
        schema = _credentials_schema(advanced=False)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
            description_placeholders={"page": entry.title},
        )

    def _async_finish_reauth(self, entry: ConfigEntry, creds: Credentials) -> ConfigFlowResult:
        data = {
            **entry.data,
            CONF_PAGE_ACCESS_TOKEN: creds.token,
            CONF_APP_ID: creds.app_id,
            CONF_APP_SECRET: creds.app_secret,
        }
        self.hass.config_entries.async_update_entry(entry, data=data)
        if entry.state is not ConfigEntryState.LOADED:  # no update listener to reload it
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason="reauth_successful")

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The app's id and secret, and the webhook's verify token."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                **entry.data,
                CONF_APP_ID: str(user_input.get(CONF_APP_ID) or "").strip() or None,
                CONF_APP_SECRET: str(user_input.get(CONF_APP_SECRET) or "").strip() or None,
                CONF_VERIFY_TOKEN: str(user_input[CONF_VERIFY_TOKEN]).strip(),
            }
            try:
                await self._async_check_app(data)
            except FlowError as err:
                errors["base"] = err.reason
            else:
                self.hass.config_entries.async_update_entry(entry, data=data)
                return self.async_abort(reason="reconfigure_successful")
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

    async def _async_check_app(self, data: Mapping[str, Any]) -> None:
        """The page's token still works with the (new) app secret, and the app knows it."""
        creds = _credentials({**data, CONF_GRAPH_URL: data.get(CONF_GRAPH_URL)})
        try:
            await self._client(creds).get_page()
            if creds.app_id and creds.app_secret:
                await self._async_is_user_token(creds)
        except GraphError as err:
            raise _graph_error(err) from err


class FacebookOptionsFlow(OptionsFlow):
    """How a page sends by default, and for how long it tries."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The options (a change reloads the page)."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            options = {**user_input, **_from_choices(user_input)}
            options.update(_profile_lists(user_input))
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
        current = {**stored, **_profile_texts(stored), **_to_choices(stored)}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(stored.get(CONF_TAG)), current
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


# The profile's lists in the options form: one item a line, its parts split by " | ".
PROFILE_LISTS = {
    CONF_MENU: ("title", "payload"),
    CONF_ICE_BREAKERS: ("question", "payload"),
    CONF_COMMANDS: ("name", "description"),
}


def _profile_lists(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """The menu, ice breakers and commands typed as lines, as the lists YAML would give."""
    lists: dict[str, Any] = {}
    for key, (first, second) in PROFILE_LISTS.items():
        items = []
        for line in str(user_input.get(key) or "").splitlines():
            if not line.strip():
                continue
            head, _, tail = (part.strip() for part in line.partition("|"))
            kind = (
                "url"
                if key == CONF_MENU and tail.lower().startswith(("http://", "https://"))
                else second
            )
            items.append({first: head, kind: tail} if tail else {first: head})
        lists[key] = items or None
    lists[CONF_GET_STARTED] = str(user_input.get(CONF_GET_STARTED) or "").strip() or None
    return lists


def _profile_texts(options: Mapping[str, Any]) -> dict[str, str]:
    """The stored lists as the lines the options form shows."""
    texts = {}
    for key, (first, second) in PROFILE_LISTS.items():
        lines = []
        for item in options.get(key) or []:
            tail = item.get("url") or item.get(second)
            lines.append(f"{item.get(first)} | {tail}" if tail else str(item.get(first)))
        texts[key] = "\n".join(lines)
    texts[CONF_GET_STARTED] = str(options.get(CONF_GET_STARTED) or "")
    return texts


# The default tags the options offer: HUMAN_AGENT (people typing, within 7 days). Meta takes
# CUSTOMER_FEEDBACK only with its customer-feedback template, so it is no default to offer.
TAG_CHOICES = ("HUMAN_AGENT",)


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
        }
    )


def _duration(seconds: float) -> dict[str, int]:
    whole = int(seconds)
    return {"hours": whole // 3600, "minutes": whole % 3600 // 60, "seconds": whole % 60}


class PersonSubentryFlow(ConfigSubentryFlow):
    """Add a person: one who wrote to the page, picked by name, or anyone by PSID."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Pick or type the person."""
        entry = self._get_entry()
        taken = {sub.unique_id for sub in entry.subentries.values()}
        candidates = [p for p in await self._async_candidates(entry) if p.psid not in taken]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                psid, name = self._person(user_input, candidates)
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
            picker = SelectSelector(
                SelectSelectorConfig(
                    options=[SelectOptionDict(value=p.psid, label=p.name) for p in candidates],
                    mode=SelectSelectorMode.DROPDOWN,
                )
            )
            schema[vol.Optional("person")] = picker
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
        options = [SelectOptionDict(value=u.id, label=u.name or u.id) for u in users]
        return SelectSelector(
            SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
        )

    @staticmethod
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

    async def _async_candidates(self, entry: ConfigEntry) -> list[Person]:
        """Who wrote to the page: its conversations, and its audience (when it is loaded)."""
        runtime = getattr(entry, "runtime_data", None)
        if entry.state is not ConfigEntryState.LOADED or runtime is None:
            return []
        people: dict[str, Person] = {}
        try:
            people = {p.psid: p for p in await people_of(runtime.client, runtime.page.id)}
        except GraphError as err:
            LOGGER.debug("Meta did not list the people of the page: %s", err)
        for psid in runtime.audience.audience.people:
            people.setdefault(psid, Person(psid, psid))
        return list(people.values())


# Home Assistant 2026 keeps `show_advanced_options` only as a deprecated shim (wrapped by its
# deprecation decorator); 2025 reads the user's advanced mode from the flow's context.
ADVANCED_MODE_RETIRED: Final = hasattr(
    getattr(data_entry_flow.FlowHandler.show_advanced_options, "fget", None), "__wrapped__"
)
