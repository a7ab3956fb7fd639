"""The simulator's knobs: one plain object every layer reads, so none needs the ``Simulator``.

Tests and the control API change these while the simulator runs; readers always look them up
afresh, so a change applies from the next request on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .versions import check_default

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # FIDELITY F-15
TEMPLATE_REVIEWS = ("approve", "reject", "pending")
TEMPLATE_STATUS_FIELDS = ("messenger_template_status_update", "message_template_status_update")
# How a closed 24-hour window is refused: 10/2018278 (the error codes page) or the subcode
# 1545041 the "Send a Message" page lists as "Messaging window closed" (FIDELITY.md F-14).
WINDOW_ERRORS = ("2018278", "1545041")


@dataclass(slots=True)
class SimConfig:
    """Settings of one simulator (Graph answers, webhook delivery, template review)."""

    default_version: str = "v25.0"
    webhook_url: str | None = None
    latency: float = 0.0
    rate_cap: int | None = None
    media_rate_cap: int | None = None
    usage_budget_per_minute: int = 18000
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES
    webhook_timeout: float = 20.0  # Meta's older FAQ: webhook calls time out after 20 s
    # Utility template review (FIDELITY F-32: "within seconds of creation").
    template_review: str = "approve"
    template_review_delay: float = 0.0
    # The two spellings of the status webhook field (FIDELITY F-32, UNCONFIRMED).
    template_status_field: str = TEMPLATE_STATUS_FIELDS[0]
    window_error: str = WINDOW_ERRORS[0]
    # Conversations API: 2 calls per second per page (FIDELITY.md F-11); None: no cap.
    conversations_rate_cap: int | None = 2
    # How long a person's attachment URL answers (FIDELITY F-47, UNCONFIRMED: "a few days").
    attachment_url_ttl: float = 3 * 24 * 3600.0
    # Whether several pictures in one message (`message.attachments`) may name saved
    # attachment ids, not only URLs (FIDELITY F-46, UNCONFIRMED: Meta shows URLs only).
    album_attachment_ids: bool = True
    # How long Meta waits for an image grid's picture (FIDELITY F-49, UNCONFIRMED).
    fetch_timeout: float = 10.0

    def check(self) -> None:
        """Refuse settings the simulator cannot honour."""
        if self.template_review not in TEMPLATE_REVIEWS:
            raise ValueError(f"template_review must be one of {TEMPLATE_REVIEWS}")
        if self.template_status_field not in TEMPLATE_STATUS_FIELDS:
            raise ValueError(f"template_status_field must be one of {TEMPLATE_STATUS_FIELDS}")
        if self.window_error not in WINDOW_ERRORS:
            raise ValueError(f"window_error must be one of {WINDOW_ERRORS}")
        check_default(self.default_version)
        if self.template_review_delay < 0:
            raise ValueError("template_review_delay must not be negative")
