"""Home Assistant names of the integration: options, events, paths, repair issues, tuning.

Meta's own names and limits live in `messenger.const`; these are the interfaces users and
automations rely on (option, event and field names do not change).
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "facebook"
LOGGER: Final = logging.getLogger(__package__)

# Configuration options.
CONF_PAGE_ACCESS_TOKEN: Final = "page_access_token"
CONF_VERIFY_TOKEN: Final = "verify_token"
CONF_APP_SECRET: Final = "app_secret"
CONF_ALLOWED_CHAT_IDS: Final = "allowed_chat_ids"
CONF_MESSAGING_TYPE: Final = "messaging_type"
CONF_TAG: Final = "tag"
CONF_GRAPH_API_VERSION: Final = "graph_api_version"
CONF_GRAPH_URL: Final = "graph_url"
CONF_WINDOW_WARNING: Final = "window_warning"
CONF_OUTBOX_TTL: Final = "outbox_ttl"
CONF_KEEP_ALIVE: Final = "keep_alive"
CONF_KEEP_ALIVE_MESSAGE: Final = "keep_alive_message"
CONF_UTILITY_TEMPLATE: Final = "utility_template"
CONF_CONVERSATION_AGENT: Final = "conversation_agent"
CONF_SAVE_ATTACHMENTS: Final = "save_attachments"
CONF_ATTACHMENTS_KEEP_DAYS: Final = "attachments_keep_days"
CONF_SPEECH_TO_TEXT: Final = "speech_to_text"
DEFAULT_ATTACHMENTS_KEEP_DAYS: Final = 30
CONF_USER_ID: Final = "user_id"
CONF_MENU: Final = "menu"
CONF_ICE_BREAKERS: Final = "ice_breakers"
CONF_COMMANDS: Final = "commands"
CONF_GET_STARTED: Final = "get_started"
# UI setup (config entries).
CONF_PAGE_ID: Final = "page_id"
CONF_APP_ID: Final = "app_id"
CONF_SUBSCRIBE: Final = "subscribe"
CONF_PEOPLE: Final = "people"
CONF_PSID: Final = "psid"
# Where a page keeps its files (facebook.<what>.<storage_key>): an imported YAML page keeps the
# files it had before the import (its service name), so nothing it stored is lost or moved.
CONF_STORAGE_KEY: Final = "storage_key"
SUBENTRY_TYPE_PERSON: Final = "person"
# The translation key of a person's notify entity (its unique id is <page>_<psid>_person).
NOTIFY_KEY_PERSON: Final = "person"

DEFAULT_MESSAGING_TYPE: Final = "UPDATE"
DEFAULT_WINDOW_WARNING: Final = timedelta(hours=1)
DEFAULT_OUTBOX_TTL: Final = timedelta(hours=1)

# Events fired on Home Assistant's bus.
EVENT_MESSAGE: Final = "facebook_message"
EVENT_DELIVERY: Final = "facebook_delivery"
EVENT_READ: Final = "facebook_read"
EVENT_REACTION: Final = "facebook_reaction"
EVENT_MESSAGE_SENT: Final = "facebook_message_sent"
EVENT_BROADCAST_FINISHED: Final = "facebook_broadcast_finished"
EVENT_WINDOW_CLOSING: Final = "facebook_window_closing"
EVENT_SEND_FAILED: Final = "facebook_send_failed"
EVENT_WEBHOOK_RESUBSCRIBED: Final = "facebook_webhook_resubscribed"

WEBHOOK_PATH: Final = "/api/facebook_webhooks"
WEBHOOK_MAX_BODY: Final = 8 * 1024 * 1024  # 1000 events with long attachment URLs fit well inside
GET_MY_ID: Final = "get my id"
GET_MY_ID_INTERVAL: Final = 60.0  # seconds between two answers to the same person
GET_MY_ID_MEMORY: Final = 10_000  # "get my id" senders remembered for that rule
SEEN_EVENTS_MAX: Final = 10_000  # redelivery memory (bounded)

# Repair issue ids.
ISSUE_UNAUTHENTICATED_WEBHOOK: Final = "unauthenticated_webhook"
ISSUE_TOKEN_EXPIRES: Final = "token_expires"
ISSUE_TEMPLATE_REFUSED: Final = "template_refused"
ISSUE_TEMPLATE_REVIEWS: Final = "template_reviews"
ISSUE_TEMPLATE_UNAVAILABLE: Final = "template_unavailable"
ISSUE_PROFILE_REFUSED: Final = "profile_refused"
ISSUE_WEBHOOK_UNSUBSCRIBED: Final = "webhook_unsubscribed"
ISSUE_PAGE_RESTRICTED: Final = "page_restricted"

# People sent to at once: a notify call's targets, and a BROADCAST (96 fills 300 calls/s at up to
# ~0.3 s per call, and stays under the shared session's 100 connections per host: a call must not
# hold its pacing slot while it waits for a connection).
TARGET_CONCURRENCY: Final = 16
BROADCAST_CONCURRENCY: Final = 96
