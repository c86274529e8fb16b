"""How often CPython's cyclic garbage collector runs while the pipeline works.

By default a collection runs every 700 net allocations, and every 100th one walks every object
alive. A run allocates hundreds of thousands of long-lived records a slice (mentions, field
values, file rows), and reconciliation millions of small objects, almost none of them in
reference cycles; at the default pace the flow's
process spent 4.3 of a 10k-article run's 28 s, and 3.6 s of a 100k full reconcile, walking
them again and again, and a worker 8% of its extraction (docs/benchmarks.md, "The shape of
the flow"). Collecting every ``YOUNG_OBJECTS_PER_COLLECTION`` allocations instead still
frees what cycles there are, a few megabytes late at most, except where big data hangs on a
cycle: Prefect keeps a task's result in one (future -> state -> result, and the future's
callbacks back to the future), so a run frees each slice's results itself
(``free_reference_cycles``) instead of letting them wait for a full collection; and what lives
for the whole run (the inbox listing, Prefect's own objects: 360k of them at 10k files) is set
aside first (``set_aside_survivors``), so that such a collection walks only the new objects.
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
    """Collects at the batch pace inside, and at the process's own pace again, with what was set
    aside back in the collections, once the last of any nested or concurrent (threads) users leaves.
    Also a decorator: ``@paced_for_batches()``."""
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
                gc.unfreeze()


def free_reference_cycles() -> None:
    """A full collection now, for data known to hang on reference cycles that just became garbage."""
    gc.collect()


def set_aside_survivors() -> None:
    """Leaves every object alive now out of collections until ``paced_for_batches`` ends; garbage
    first, so that none is kept."""
    gc.collect()
    gc.freeze()
