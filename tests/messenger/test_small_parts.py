"""Backoff, the bounded map and the JSON-scalar helpers."""

from __future__ import annotations

import math

import pytest

from custom_components.facebook.messenger.backoff import Backoff
from custom_components.facebook.messenger.bounded import BoundedMap
from custom_components.facebook.messenger.coerce import (
    as_id,
    as_int,
    as_opt_str,
    as_text,
    is_number,
)


def test_backoff_grows_to_its_ceiling() -> None:
    backoff = Backoff(5.0, 60.0)
    assert [backoff.delay(n) for n in range(6)] == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert Backoff(10.0, 300.0, factor=3.0).delay(2) == 90.0
    assert Backoff(1.0, 8.0).delay(10_000) == 8.0  # no overflow for a long outage


def test_jittered_backoff_stays_in_the_upper_half() -> None:
    backoff = Backoff(0.5, 8.0, jitter=True)
    for attempt in range(8):
        step = min(8.0, 0.5 * 2**attempt)
        delays = [backoff.delay(attempt) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 1


def test_bounded_map_forgets_the_oldest_change() -> None:
    memory: BoundedMap[str, int] = BoundedMap(2)
    memory.put("a", 1)
    memory.put("b", 2)
    memory.put("a", 3)  # a changed last: b is now the oldest
    memory.put("c", 4)
    assert memory.items() == [("a", 3), ("c", 4)]
    assert "b" not in memory and memory.get("b") is None
    assert list(memory) == ["a", "c"] and len(memory) == 2


@pytest.mark.parametrize(
    ("value", "number", "integer"),
    [
        (1, True, 1),
        (2.9, True, 2),
        (True, False, None),
        ("12", False, 12),
        ("1x", False, None),
        (math.inf, True, None),
        (None, False, None),
        ("9" * 30, False, None),
    ],
)
def test_numbers(value: object, number: bool, integer: int | None) -> None:
    assert is_number(value) is number
    assert as_int(value) == integer


def test_ids_and_texts() -> None:
    assert as_id(" 42 ") == "42" and as_id(42) == "42"
    assert as_id(-1) is None and as_id(True) is None and as_id("") is None
    assert as_id("x" * 200) is None and as_id("a\nb") is None and as_id([1]) is None
    assert as_text("abcdef", 3) == "abc" and as_text(5, 3) is None
    assert as_opt_str(5) == "5" and as_opt_str(None) is None and as_opt_str(False) is None
