"""The simulated world in one object: what exists, what was recorded, what is queued, the clock.

The Graph side, the webhook side and the chat page each receive this object instead of the
``Simulator``, so they share the same state without knowing who composes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import random

from . import outage
from .faults import FaultQueue
from .limits import RateLimiter, UsageMeter, WindowCounter
from .recording import Recorder
from .state import SimTemplate, State

TemplateListener = Callable[[SimTemplate], None]


@dataclass
class World:
    """State, recordings, faults, limits and the simulated clock."""

    state: State = field(default_factory=State)
    recorder: Recorder = field(default_factory=Recorder)
    faults: FaultQueue = field(default_factory=FaultQueue)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    usage: UsageMeter = field(default_factory=UsageMeter)
    profile_calls: WindowCounter = field(default_factory=WindowCounter)
    conversation_calls: WindowCounter = field(default_factory=WindowCounter)
    random: random.Random = field(default_factory=random.Random)
    # Told of every template status change (the simulator posts the status webhook).
    template_listeners: list[TemplateListener] = field(default_factory=list)

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.state.now()

    def now_ms(self) -> int:
        """Simulated epoch milliseconds, as webhook timestamps carry them."""
        return int(self.state.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (windows close, ids and tokens expire, and pages
        whose deliveries have failed for an hour lose their subscription)."""
        self.state.clock_offset += seconds
        outage.sweep(self.state)

    def set_template_status(
        self, template: SimTemplate, status: str, reason: str | None = None
    ) -> None:
        """Change a template's status and tell the listeners (no change, no news)."""
        if template.status == status and (reason or "NONE") == template.rejected_reason:
            return
        template.status = status
        template.rejected_reason = reason or "NONE"
        for listener in list(self.template_listeners):
            listener(template)
