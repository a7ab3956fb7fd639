"""One backoff schedule for every retry: Graph calls, the outbox, the page look-up."""

from __future__ import annotations

from dataclasses import dataclass
import random


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits growing by `factor` from `first` up to `ceiling` seconds, optionally jittered.

    With `jitter`, a wait is "equal jitter": half the step plus a random share of the other half,
    so retries of many callers spread out instead of arriving together.
    """

    first: float
    ceiling: float
    factor: float = 2.0
    jitter: bool = False

    def delay(self, attempt: int) -> float:
        """The wait before retry number `attempt` (0 = the first retry)."""
        step = min(self.ceiling, self.first * self.factor ** min(attempt, 64))
        if not self.jitter:
            return step
        return step / 2 + random.uniform(0, step / 2)
