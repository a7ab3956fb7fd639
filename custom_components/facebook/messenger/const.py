"""Meta's names and limits for the Messenger Platform.

https://developers.facebook.com/docs/messenger-platform/reference/send-api/
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DEFAULT_GRAPH_URL: Final = "https://graph.facebook.com"
DEFAULT_GRAPH_API_VERSION: Final = "v25.0"

MESSAGING_TYPES: Final = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MESSAGING_TYPE_TAG: Final = "MESSAGE_TAG"
MESSAGING_TYPE_RESPONSE: Final = "RESPONSE"
# Tags Meta still accepts (2026), and how long after the person's last action each may be sent.
TAG_WINDOWS: Final = {"HUMAN_AGENT": timedelta(days=7), "CUSTOMER_FEEDBACK": timedelta(days=7)}
# Tags a notification may carry. CUSTOMER_FEEDBACK goes only with Meta's Customer Feedback
# template ("Use in any other form is prohibited and will fail"), which this library never sends.
# https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
VALID_TAGS: Final = ("HUMAN_AGENT",)
FEEDBACK_TAG: Final = "CUSTOMER_FEEDBACK"
# Retired on 2026-04-27: every request carrying them gets error 100.
RETIRED_TAGS: Final = ("ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE")
NOTIFICATION_TYPES: Final = ("REGULAR", "SILENT_PUSH", "NO_PUSH")
SENDER_ACTIONS: Final = ("typing_on", "typing_off", "mark_seen")

# The `data` keys a call may carry, besides the Send API message fields passed through as is.
KEY_MESSAGING_TYPE: Final = "messaging_type"
KEY_TAG: Final = "tag"
KEY_QUICK_REPLIES: Final = "quick_replies"
KEY_BUTTONS: Final = "buttons"
KEY_UPLOAD: Final = "upload"
KEY_CAMERA: Final = "camera"
KEY_NOTIFICATION_TYPE: Final = "notification_type"
KEY_SENDER_ACTION: Final = "sender_action"
KEY_REPLY_TO: Final = "reply_to"
KEY_REACTION: Final = "reaction"
KEY_MESSAGE_ID: Final = "message_id"
# Sender Actions: "any emoji … or a valid UTF-8 representation of an emoji" (no length given).
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/sender-actions
REACTION_MAX: Final = 32
MEDIA_TYPES: Final = ("image", "video", "audio", "file")
PASSTHROUGH_MESSAGE_FIELDS: Final = ("attachment", "quick_replies", "metadata", "sticker_id")

TARGET_BROADCAST: Final = "BROADCAST"

# Limits: the Send API reference, quick replies, saving assets (25 MB) and rate limits.
# https://developers.facebook.com/docs/messenger-platform/reference/send-api/
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/quick-replies
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/saving-assets
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/overview/rate-limiting
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
