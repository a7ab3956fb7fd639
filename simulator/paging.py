"""Graph's cursor paging (F-36): ``limit``, ``after``, ``paging.cursors`` and ``next``.

One implementation for every list the simulator answers (conversations, accounts, templates).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import fail
from .validation import blank

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100  # FIDELITY F-36 (UNCONFIRMED): the real maximum; larger limits are capped


def cursor(key: str) -> str:
    """An opaque cursor for an item key, base64 like Meta's."""
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def limit_of(params: dict[str, Any]) -> int:
    """The page size asked for, capped to 1..MAX_LIMIT."""
    if blank(params.get("limit")):
        return DEFAULT_LIMIT
    try:
        value = int(str(params["limit"]))
    except ValueError:
        raise fail("not_integer", name="limit") from None
    return max(1, min(value, MAX_LIMIT))


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
    params: dict[str, Any],
    url: Any,
) -> dict[str, Any]:
    """``{"data": [...], "paging": {...}}`` for the chunk after ``params["after"]``."""
    limit = limit_of(params)
    cursors = [cursor(key(item)) for item in items]
    start = 0
    after = params.get("after")
    if not blank(after):
        start = cursors.index(after) + 1 if after in cursors else len(items)
    chunk = items[start : start + limit]
    result: dict[str, Any] = {"data": [render(item) for item in chunk]}
    if chunk:
        paging: dict[str, Any] = {
            "cursors": {"before": cursors[start], "after": cursors[start + len(chunk) - 1]}
        }
        if start + limit < len(items):
            paging["next"] = str(url.update_query(after=paging["cursors"]["after"]))
        result["paging"] = paging
    return result
