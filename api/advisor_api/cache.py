"""A small LRU of response bodies for pure endpoints (same request + same KB, same answer), bounded
both in entries and in bytes stored."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class ResponseCache:
    """Used from the event loop only (async handlers), so no lock is needed. Keys should be small
    (a digest): only the stored bodies are counted."""

    def __init__(self, size: int, max_bytes: int = 32_000_000) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        if self.size == 0:
            return None
        body = self._items.get(key)
        if body is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        if self.size == 0 or len(body) > self.max_bytes // 8:  # one answer never takes much of it
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= len(old)
        self._items[key] = body
        self.bytes += len(body)
        while len(self._items) > self.size or self.bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)
