"""A stand-in for Meta's Messenger Platform (Graph API and webhooks) for tests and local work."""

from .core import Simulator
from .recording import RecordedRequest, SentMessage, WebhookPost
from .state import RecordedFile, SimPage, SimUser

__all__ = [
    "RecordedFile",
    "RecordedRequest",
    "SentMessage",
    "SimPage",
    "SimUser",
    "Simulator",
    "WebhookPost",
]
