import gc
import threading

import pytest

from incidents.heap import YOUNG_OBJECTS_PER_COLLECTION, paced_for_batches, set_aside_survivors

PROCESS_PACE = (700, 10, 10)    # CPython's default


@pytest.fixture(autouse=True)
def process_pace():
    saved = gc.get_threshold()
    gc.set_threshold(*PROCESS_PACE)
    yield
    gc.set_threshold(*saved)


def test_the_batch_pace_holds_inside_and_the_process_pace_comes_back():
    with paced_for_batches():
        assert gc.get_threshold()[0] == YOUNG_OBJECTS_PER_COLLECTION
        with paced_for_batches():
            pass
        assert gc.get_threshold()[0] == YOUNG_OBJECTS_PER_COLLECTION, "a nested user left early and reset it"
    assert gc.get_threshold() == PROCESS_PACE


def test_threads_that_overlap_keep_the_pace_until_the_last_leaves():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen_after_first_left = []

    def first():
        with paced_for_batches():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with paced_for_batches():
            second_in.set()
            first_out.wait(5)
            seen_after_first_left.append(gc.get_threshold()[0])

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen_after_first_left == [YOUNG_OBJECTS_PER_COLLECTION]
    assert gc.get_threshold() == PROCESS_PACE


def test_what_is_set_aside_comes_back_into_collections_at_the_end():
    with paced_for_batches():
        with paced_for_batches():
            set_aside_survivors()
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0, "a nested user left early and took it back"
    assert gc.get_freeze_count() == 0
