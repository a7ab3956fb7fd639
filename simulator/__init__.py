"""A stand-in for Meta's Messenger Platform (Graph API and webhooks) for tests and local work.

Layers (imports go one way, down this list; ``tests/simulator/test_sim_layers.py`` checks it):
the leaves (``state``, ``recording``, ``faults``, ``limits``, ``errors``, ``validation``,
``bodies``, ``config``, ``tokens``, ``templates``, ``profile``, ``paging``), then ``world`` and
``api``; the Graph routes (``graph_*``), the webhook sender, the people's actions and the JSON
views; the chat page and the control API; and on top ``core`` (the :class:`Simulator`),
``transcript`` and ``__main__``.
"""

from .config import SimConfig
from .core import Simulator
from .recording import RecordedRequest, SentMessage, WebhookPost
from .state import RecordedFile, SimAdmin, SimPage, SimTemplate, SimToken, SimUser

__all__ = [
    "RecordedFile",
    "RecordedRequest",
    "SentMessage",
    "SimAdmin",
    "SimConfig",
    "SimPage",
    "SimTemplate",
    "SimToken",
    "SimUser",
    "Simulator",
    "WebhookPost",
]
