"""Names shared across the integration: options, events, limits and defaults."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "facebook"
LOGGER: Final = logging.getLogger(__package__)

# Configuration options (names are interfaces: automations and docs rely on them).
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

DEFAULT_GRAPH_URL: Final = "https://graph.facebook.com"
DEFAULT_GRAPH_API_VERSION: Final = "v25.0"
DEFAULT_MESSAGING_TYPE: Final = "UPDATE"
DEFAULT_WINDOW_WARNING: Final = timedelta(hours=1)
DEFAULT_OUTBOX_TTL: Final = timedelta(hours=1)

MESSAGING_TYPES: Final = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGING_TYPE_TAG: Final = "MESSAGE_TAG"
MESSAGING_TYPE_RESPONSE: Final = "RESPONSE"
# Tags Meta still accepts (2026): HUMAN_AGENT (7 days, people typing), CUSTOMER_FEEDBACK.
VALID_TAGS: Final = ("HUMAN_AGENT", "CUSTOMER_FEEDBACK")
# Retired on 2026-04-27: every request carrying them gets error 100.
RETIRED_TAGS: Final = ("ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE")
NOTIFICATION_TYPES: Final = ("REGULAR", "SILENT_PUSH", "NO_PUSH")
SENDER_ACTIONS: Final = ("typing_on", "typing_off", "mark_seen")

# `data` keys of a notify call.
ATTR_QUICK_REPLIES: Final = "quick_replies"
ATTR_BUTTONS: Final = "buttons"
ATTR_UPLOAD: Final = "upload"
ATTR_CAMERA: Final = "camera"
ATTR_NOTIFICATION_TYPE: Final = "notification_type"
ATTR_SENDER_ACTION: Final = "sender_action"
MEDIA_TYPES: Final = ("image", "video", "audio", "file")
# Send API `message` fields passed through from `data` as they are.
PASSTHROUGH_MESSAGE_FIELDS: Final = ("attachment", "quick_replies", "metadata", "sticker_id")

TARGET_BROADCAST: Final = "BROADCAST"

# Meta's limits (reference §1.4, §2.3, §4.1).
TEXT_LIMIT: Final = 1999  # "must be less than 2000 characters"
BUTTON_TEXT_LIMIT: Final = 640
QUICK_REPLIES_MAX: Final = 13
QUICK_REPLY_TITLE_MAX: Final = 20
PAYLOAD_MAX: Final = 1000
BUTTONS_MAX: Final = 3
BUTTON_TITLE_MAX: Final = 20
METADATA_MAX: Final = 999
ATTACHMENT_MAX_BYTES: Final = 25 * 1024 * 1024
SEND_RATE_PER_SECOND: Final = 300
MEDIA_SEND_RATE_PER_SECOND: Final = 10
WINDOW: Final = timedelta(hours=24)
TAG_WINDOW: Final = timedelta(days=7)

# Events fired on Home Assistant's bus.
EVENT_MESSAGE: Final = "facebook_message"
EVENT_DELIVERY: Final = "facebook_delivery"
EVENT_READ: Final = "facebook_read"
EVENT_REACTION: Final = "facebook_reaction"
EVENT_MESSAGE_SENT: Final = "facebook_message_sent"
EVENT_BROADCAST_FINISHED: Final = "facebook_broadcast_finished"
EVENT_WINDOW_CLOSING: Final = "facebook_window_closing"
EVENT_SEND_FAILED: Final = "facebook_send_failed"

WEBHOOK_PATH: Final = "/api/facebook_webhooks"
WEBHOOK_MAX_BODY: Final = 8 * 1024 * 1024  # 1000 events with long attachment URLs fit well inside
GET_MY_ID: Final = "get my id"
GET_MY_ID_INTERVAL: Final = 60.0  # seconds between two answers to the same person
SEEN_EVENTS_MAX: Final = 10_000  # redelivery memory (bounded)

# Repair issue ids.
ISSUE_INVALID_TOKEN: Final = "invalid_token"
ISSUE_UNAUTHENTICATED_WEBHOOK: Final = "unauthenticated_webhook"

# Concurrency of one notify call across its targets.
TARGET_CONCURRENCY: Final = 16
