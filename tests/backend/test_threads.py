"""striate's own threads: work split by samples across them by a per-op rule, only inside a session."""
import os
import threading
import time

import numpy as np
import pytest

import striate
from striate import backend
from striate.backend import threads

HAS_BLAS = backend.blas_threads() is not None


def test_parts_cover_the_range_in_order(split_work):
    seen = []
    results = backend.parallel(lambda s: (seen.append(threading.get_ident()), s)[1], 10, cost=10)
    assert results == [slice(0, 5), slice(5, 10)]
    assert len(set(seen)) == 2  # the caller took one part, a worker the other


def test_small_work_runs_in_one_part():
    with threads.session():
        assert backend.parallel(lambda s: s, 100, cost=threads.MIN_COST) == [slice(0, 100)]


def test_outside_a_session_work_runs_whole_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(threads, "MIN_COST", 1)
    count, blas = threading.active_count(), backend.blas_threads()
    assert backend.parallel(lambda s: threading.get_ident(), 8, cost=10**9) == [threading.get_ident()]
    assert backend.runs_whole(8, cost=10**9)
    assert threading.active_count() == count and backend.blas_threads() == blas


@pytest.mark.skipif(not HAS_BLAS, reason="NumPy's BLAS is not reachable here")
def test_a_session_restores_blas_and_ends_its_threads_even_on_an_error(monkeypatch):
    monkeypatch.setattr(threads, "MIN_COST", 1)
    before_threads = threads.get_num_threads()
    threads.set_num_threads(2)
    count, blas = threading.active_count(), backend.blas_threads()
    set_blas = threads.threads_functions()[0]
    set_blas(3)
    try:
        with pytest.raises(KeyError):
            with threads.session():
                with threads.session():  # reentrant: the inner end changes nothing
                    assert len(backend.parallel(lambda s: s, 4, cost=4)) == 2
                assert threading.active_count() == count + 1 and backend.blas_threads() == 1
                assert backend.runs_whole(1, cost=4) and backend.blas_threads() == 1  # whole: one thread too
                raise KeyError("inside")
        assert threading.active_count() == count and backend.blas_threads() == 3
    finally:
        set_blas(blas)
        threads.set_num_threads(before_threads)


def test_an_error_in_a_worker_is_raised_in_the_caller_and_the_threads_go_on(split_work):
    def work(s):
        if s.start:
            raise KeyError("in the second part")
        return s
    with pytest.raises(KeyError, match="in the second part"):
        backend.parallel(work, 4, cost=4)
    assert backend.parallel(lambda s: s.stop - s.start, 4, cost=4) == [2, 2]


def test_work_split_from_inside_a_part_runs_whole(split_work):
    inner = backend.parallel(lambda s: backend.parallel(lambda t: t, 6, cost=6), 4, cost=4)
    assert inner == [[slice(0, 6)], [slice(0, 6)]]


def test_the_rule_decides_by_each_calls_own_cost_and_kind(split_work):
    # MIN_COST is 1 here: "products" and "elementwise" split from 2, "follows" from 2 * PART_COST
    follows = 2 * threads.PART_COST["follows"]
    assert not backend.runs_whole(4, cost=2) and not backend.runs_whole(4, cost=2, kind="elementwise")
    assert backend.runs_whole(4, cost=follows - 1, kind="follows")
    assert not backend.runs_whole(4, cost=follows, kind="follows")
    assert backend.runs_whole(1, cost=4) and backend.runs_whole(4, cost=1)
    assert backend.parallel(lambda s: backend.runs_whole(4, cost=4), 4, cost=4) == [True, True]


def test_the_rule_does_not_depend_on_what_ran_before(split_work, monkeypatch):
    def answers():
        return [backend.runs_whole(4, cost=c, kind=k) for k in threads.PART_COST for c in (1, 3, 7, 8, 100)]
    fresh = answers()
    backend.parallel(lambda s: s, 1000, cost=10**9)  # a big split with products
    after_split = answers()
    monkeypatch.setattr(time, "perf_counter", lambda: 10.0 ** 9)  # as if long after
    assert fresh == after_split == answers()


@pytest.mark.skipif(not HAS_BLAS, reason="NumPy's BLAS is not reachable here")
def test_blas_runs_one_thread_in_split_work_and_in_whole_work(split_work):
    # one set of threads: BLAS's own would spin beside striate's parts (the module's docstring)
    seen = backend.parallel(lambda s: backend.blas_threads(), 4, cost=4)
    assert seen == [1, 1]
    for kind in threads.PART_COST:
        assert backend.runs_whole(1, cost=10**9, kind=kind) and backend.blas_threads() == 1


@pytest.mark.skipif(not HAS_BLAS, reason="NumPy's BLAS is not reachable here")
def test_a_lone_product_worth_two_cores_splits_by_rows(split_work):
    from striate.ops.linalg import product_rows
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((64, 48)), rng.standard_normal((48, 32))
    seen = []
    y = product_rows(np, a, b, then=lambda part: seen.append((len(part), threading.get_ident())))
    np.testing.assert_allclose(y, a @ b, rtol=1e-12)
    assert sorted(n for n, _ in seen) == [32, 32] and len({t for _, t in seen}) == 2


def test_thread_count_is_checked_and_starts_nothing():
    before, count = backend.get_num_threads(), threading.active_count()
    with pytest.raises(ValueError, match=r"set_num_threads expects an int >= 1, received 0"):
        backend.set_num_threads(0)
    try:
        assert backend.set_num_threads(3) in (1, 3)
        assert backend.get_num_threads() in (1, 3)
        assert threading.active_count() == count
    finally:
        backend.set_num_threads(before)


def _train_convnet(steps=3):
    L = striate.layers
    striate.utils.set_random_seed(1)
    model = striate.Sequential([striate.Input((12, 12, 1)), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(2),
                                L.Conv2D(4, 3, activation="tanh"), L.AveragePooling2D(2), L.Flatten(),
                                L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((16 * steps, 12, 12, 1), dtype=np.float32), rng.integers(0, 10, 16 * steps)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return model.get_weights(), model.predict(x, verbose=0)


def test_training_split_across_threads_matches_training_in_one_piece(monkeypatch):
    before = threads.get_num_threads()
    threads.set_num_threads(1)
    try:
        whole = _train_convnet()
        threads.set_num_threads(2)
        monkeypatch.setattr(threads, "MIN_COST", 1)
        split = _train_convnet()
    finally:
        threads.set_num_threads(before)
    # NOTE: outputs are computed by the same calls either way; kernel gradients add the parts'
    # sums, so the weights may differ in the last bits.
    for a, b in zip(whole[0], split[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(whole[1], split[1], rtol=1e-5, atol=1e-7)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_has_threads_of_its_own(split_work):
    backend.parallel(lambda s: s, 4, cost=4)  # the parent's workers are running
    pid = os.fork()
    if pid == 0:  # the child: its parts must still run (the parent's worker threads are not here)
        ok = backend.parallel(lambda s: s, 4, cost=4) == [slice(0, 2), slice(2, 4)]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.fixture(params=["sleeping", "spinning"])
def handover(request, split_work, monkeypatch):
    """Tasks and results handed over by a sleeping wait (NumPy alone), or by spinning without the GIL
    first (striate[fast]'s kernels), with spins so short that both ways of waking are taken."""
    from striate.backend import accel
    before = accel.set_accelerated(request.param == "spinning")
    if request.param == "spinning":
        if accel.kernels() is None or accel.kernels().wait_for_change is None:
            accel.set_accelerated(before)
            pytest.skip("spinning needs Numba and sched_yield")
        monkeypatch.setattr(threads, "SPIN", 20e-6)
    yield request.param
    accel.set_accelerated(before)


def test_many_handovers_each_return_their_part(handover):
    for i in range(300):
        n = 2 + i % 7
        assert backend.parallel(lambda s: (s.start, s.stop), n, cost=n) == [(0, n // 2), (n // 2, n)]


def test_a_worker_asleep_is_woken_and_a_caller_asleep_too(handover):
    backend.parallel(lambda s: s, 2, cost=2)
    time.sleep(0.02)  # the worker has stopped spinning: it waits asleep
    # the worker's part outlasts any spin of the caller's: the caller is woken by the worker
    assert backend.parallel(lambda s: time.sleep(0.01 * s.start) or s.start, 2, cost=2) == [0, 1]


def test_the_kernel_spins_until_the_count_changes_or_the_time_runs_out():
    kernels = pytest.importorskip("striate.backend._kernels", reason="needs Numba")
    if kernels.wait_for_change is None:
        pytest.skip("no sched_yield here")
    counts = np.zeros(2, dtype=np.int64)
    kernels.wait_for_change(counts, 1, 0, 0, 0)  # compiled
    t = time.perf_counter()
    assert not kernels.wait_for_change(counts, 1, 0, 2_000_000, 0)  # unchanged: 2 ms spun
    assert time.perf_counter() - t >= 0.002
    counts[1] = 3
    assert kernels.wait_for_change(counts, 1, 0, 10**12, 0)  # changed already: back at once
    assert kernels.bump_then_wait(counts, 0, 1, 0, 10**12, 1000) and counts[0] == 1


def test_closing_a_pool_ends_its_threads(handover):
    pool = threads._Pool(2)
    assert pool.run(lambda s: s.stop - s.start, 6, 3) == [2, 2, 2]
    pool.close()
    for t in pool.threads:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in pool.threads)


def test_a_result_left_by_an_interrupted_split_is_not_taken_for_the_next(handover):
    backend.parallel(lambda s: s, 2, cost=2)  # the workers start at a session's first split
    pool = threads._state["pool"]
    # as if Ctrl-C had stopped the caller while it waited: a task posted, its result never collected
    pool.tasks[0] = (lambda s: time.sleep(0.02) or "stale", slice(0, 1))
    pool.bump(0)
    assert pool.run(lambda s: ("fresh", s.start), 4, 2) == [("fresh", 0), ("fresh", 2)]
    assert pool.run(lambda s: s.stop, 4, 2) == [2, 4]
