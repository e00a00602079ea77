"""The process-wide garbage-collector pause shared by the simulator, the client and ingestion."""

import gc
import threading

from resync_assets.common.gcpause import gc_paused


def test_nested_pausers_keep_the_collector_off_until_the_last_one_leaves():
    assert gc.isenabled()
    with gc_paused():
        with gc_paused(collect_after=True):
            assert not gc.isenabled()
        # Regression: separate pause counters per module let an inner builder re-enable the collector.
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pauses_from_several_threads_share_one_counter():
    inside, release = threading.Barrier(3), threading.Event()

    def worker():
        with gc_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with gc_paused(collect_after=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
