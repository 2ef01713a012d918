"""Values kept until the store changes: the one cache of counts, facets and whole responses."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

CACHE_LIMIT = 4096

# The responses kept (app/api/caching.py: bodies, keys, next-page URLs) add up to this at most,
# whatever their number.
RESPONSE_CACHE_BYTES = 32 * 1024 * 1024


class VersionedCache:
    """Values by key (counts, whole responses) for as long as the store does not change.

    Like Solr's query result cache, which is dropped at every commit: a repeated search is
    answered without scoring its matches again, and an ingestion empties the cache. LRU, holding
    at most ``size`` entries, or, with ``weight``, entries whose weights (of key and value) add up
    to at most ``size`` (such as bodies by their length in bytes), and then at most ``entries``
    of them. 0: nothing is kept.
    """

    def __init__(
        self,
        size: int,
        *,
        weight: Callable[[Hashable, Any], int] = lambda _key, _value: 1,
        entries: int | None = None,
    ) -> None:
        self.size = size
        self.entries = size if entries is None else entries
        self._weight = weight
        self._held = 0
        self._lock = threading.Lock()
        self._version: int | None = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        # Lookups that found a value and those that did not, since the start (app/api/metrics.py).
        self.hits = 0
        self.misses = 0

    def get(self, version: int, key: Hashable) -> Any:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._held = 0
                self._version = version
                self.misses += 1
                return None
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)
            return found

    def put(self, version: int, key: Hashable, value: Any) -> None:
        weight = self._weight(key, value)
        if weight > self.size or not self.entries:
            return
        with self._lock:
            if version != self._version:
                return
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self._held -= self._weight(key, replaced)
            self._entries[key] = value
            self._held += weight
            while self._held > self.size or len(self._entries) > self.entries:
                gone, dropped = self._entries.popitem(last=False)
                self._held -= self._weight(gone, dropped)
