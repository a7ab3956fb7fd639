"""The simulated world in one object: what exists, what was recorded, what is queued, the clock.

The Graph side, the webhook side and the chat page each receive this object instead of the
``Simulator``, so they share the same state without knowing who composes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random

from .faults import FaultQueue
from .limits import RateLimiter, UsageMeter
from .recording import Recorder
from .state import State


@dataclass
class World:
    """State, recordings, faults, limits and the simulated clock."""

    state: State = field(default_factory=State)
    recorder: Recorder = field(default_factory=Recorder)
    faults: FaultQueue = field(default_factory=FaultQueue)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    usage: UsageMeter = field(default_factory=UsageMeter)
    random: random.Random = field(default_factory=random.Random)

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self.state.now()

    def now_ms(self) -> int:
        """Simulated epoch milliseconds, as webhook timestamps carry them."""
        return int(self.state.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (windows close, ids and tokens expire)."""
        self.state.clock_offset += seconds
