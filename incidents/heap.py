"""How often CPython's cyclic garbage collector runs while the pipeline works.

By default a collection runs every 700 net allocations, and every 100th one walks every object
alive. A run allocates hundreds of thousands of long-lived records a slice (mentions, field
values, file rows), almost none of them in reference cycles; at the default pace the flow's
process spent 4.3 of a 10k-article run's 28 s, and 3.6 s of a 100k full reconcile, walking
them again and again, and a worker 8% of its extraction (docs/benchmarks.md, "Garbage
collection"). Collecting every ``YOUNG_OBJECTS_PER_COLLECTION`` allocations instead still
frees what cycles there are, a few megabytes late at most.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

YOUNG_OBJECTS_PER_COLLECTION = 100_000
_OLDER_GENERATION_EVERY = 20

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def paced_for_batches() -> Iterator[None]:
    """Collects at the batch pace inside, and at the process's own pace again once the last
    of any nested or concurrent (threads) users leaves."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, _OLDER_GENERATION_EVERY, _OLDER_GENERATION_EVERY)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
