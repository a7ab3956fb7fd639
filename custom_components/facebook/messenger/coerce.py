"""JSON scalars from untrusted input (webhooks, Graph answers): typed, bounded, or None."""

from __future__ import annotations

import math
from typing import TypeGuard


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number (JSON's `true` is not one, though Python's bool is an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_int(value: object) -> int | None:
    """An integer from an int, a finite float or a string of digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e18:
        return int(value)
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def as_id(value: object, max_length: int = 128) -> str | None:
    """An id: a non-empty printable string of reasonable length, or a non-negative int."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text or len(text) > max_length or not text.isprintable():
        return None
    return text


def as_text(value: object, max_length: int) -> str | None:
    """A string, cut at `max_length` characters; None when it is not a string."""
    return value[:max_length] if isinstance(value, str) else None


def as_opt_str(value: object) -> str | None:
    """Any scalar as a string (Graph answers ids as strings or numbers); None for null."""
    if value is None or isinstance(value, bool):
        return None
    return str(value)
