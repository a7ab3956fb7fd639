"""A mapping that keeps only its newest entries, so untrusted input cannot grow memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator


class BoundedMap[K, V]:
    """Key -> value in order of last change; past `maxlen`, the oldest entries are forgotten."""

    def __init__(self, maxlen: int) -> None:
        """Keep at most `maxlen` entries."""
        self.maxlen = maxlen
        self._items: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        """Set `key` as the newest entry (forgetting the oldest one past the bound)."""
        items = self._items
        if key in items:
            items.move_to_end(key)
        items[key] = value
        if len(items) > self.maxlen:
            items.popitem(last=False)

    def get(self, key: K) -> V | None:
        """The value of `key`, if remembered."""
        return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        """Whether `key` is remembered."""
        return key in self._items

    def __len__(self) -> int:
        """How many entries are remembered."""
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        """The keys, oldest first."""
        return iter(self._items)

    def items(self) -> list[tuple[K, V]]:
        """The entries, oldest first."""
        return list(self._items.items())
