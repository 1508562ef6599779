"""Work split across the CPU's cores: striate's own threads, beside NumPy's BLAS.

A training step is matrix products (BLAS) and passes over large arrays (patches, pooling,
activations). OpenBLAS threads only the products, and its idle threads spin for about 0.1 s after
each one, so the passes in between ran on one core while the other was busy waiting. striate
splits each heavy op across the cores itself, by samples: every thread lowers, multiplies and
activates its own part of the batch (products included, BLAS on one thread in each), and NumPy
releases the GIL inside each array call, so the parts run at the same time.

Two regimes follow from what a model does. While work with products is being split (a
convolution, every step of a CNN), BLAS stays on one thread and lone products and optimizer
updates are split too. Where none is (models of matrix products only, small batches), BLAS threads
the products, as it would without striate, and nothing that would compete with its spinning
threads is split.

With striate[fast], a thread waiting for its next part (or the caller, for the parts' results)
first spins without the GIL for a short while, as OpenMP's threads do: on a virtual machine a
sleeping thread takes tens of microseconds to wake (see ``_Pool``).

The split is exact: each output value is computed by the same array calls as without it, only a
reduction over the batch (a kernel's gradient) adds the threads' partial sums at the end.

Example:
    >>> from striate.backend import threads
    >>> threads.parallel(lambda s: s, 8, cost=0)   # too little work: one part
    [slice(0, 8, None)]
"""
import os
import threading
import time

from striate.backend import accel
from striate.backend.blas import threads_functions

# NOTE: handing a part to a sleeping thread and back costs 20 to 70 microseconds (see ``_Pool``), and
# more where the part is many short array calls (the threads then pass the GIL back and forth); a part
# should do a few hundred microseconds of work to be worth it. 2^17 values passed over once was enough on an AMD
# EPYC; an Intel Xeon passes over them faster, and there 2^18 is (NumPy alone, batch 32: the lecture
# CNN 1.33 -> 1.07 ms a step, LeNet-5 3.0 -> 2.5 ms, the larger cases the same).
MIN_COST = 1 << 18

QUIET = 1.0  # seconds since the last split of work with products during which the split regime holds

_state = {"threads": 1, "pool": None, "blas_threads": None, "cpu": True, "split_at": -QUIET}


def blas_threads():
    """How many threads NumPy's BLAS uses for a matrix product, or None when it cannot be reached."""
    blas = threads_functions()
    return None if blas is None else int(blas[1]())


def set_num_threads(n):
    """Split striate's heavy ops across ``n`` threads (NumPy's BLAS runs one thread in each part).

    Where NumPy's BLAS is not the OpenBLAS it ships with (its thread count cannot be set from here),
    striate stays on one thread and leaves the products' threading to that BLAS.

    Args:
        n: the number of threads, at least 1 (the default at import: the CPUs this process may use,
            or the environment variable ``STRIATE_NUM_THREADS``).

    Returns:
        The number of threads striate now uses.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects an int >= 1, received {n!r}")
    if threads_functions() is None:
        n = 1
    else:
        _set_blas(1)
    if _state["pool"] is not None:
        _state["pool"].close()
    _state["threads"], _state["pool"] = n, (_Pool(n - 1) if n > 1 else None)
    return n


def get_num_threads():
    """The number of threads striate splits its heavy ops across."""
    return _state["threads"]


class _Pool:
    """``size`` worker threads, handed their tasks through counters.

    The caller bumps worker k's "posted" count (``counters[k]``) after setting its task, and the
    worker its "done" count (``counters[size + k]``) after setting its result. Each waits for the
    other's count to change: first spinning without the GIL for up to ``SPIN`` seconds where
    striate[fast]'s kernels are in use, then asleep on a semaphore, which the bumping thread
    releases when it sees the waiter asleep (``asleep``; both read and set under the GIL, so either
    the waiter sees the new count or the bumper sees the waiter asleep).

    NOTE: a sleeping thread is slow to wake: on a 2-core KVM guest a split of no work cost 73
    microseconds (two wakes: the worker's, then the caller's), the lecture CNN's and LeNet-5's
    convolutions 115-126 of them per split. Spinning, a split of no work costs about 20, 10 of them on
    purpose (see ``SETTLE``), and the convolutions' splits 25-35. OpenMP's and OpenBLAS's threads spin
    for the same reason; they yield the core to any other thread that is ready, as these do.
    """

    def __init__(self, size):
        import numpy as np
        self.size, self.closing = size, False
        self.counters = np.zeros(2 * size, dtype=np.int64)
        self.asleep = [False] * (2 * size)
        self.wakes = [threading.Semaphore(0) for _ in range(2 * size)]
        self.tasks, self.results = [None] * size, [None] * size
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.serve, args=(k,), daemon=True, name="striate-worker")
                        for k in range(size)]
        for thread in self.threads:
            thread.start()

    def bump(self, index):
        self.counters[index] += 1
        if self.asleep[index]:
            self.wakes[index].release()

    def wait(self, index, seen, spin=True, bump=None):
        """Until ``counters[index]`` is no longer ``seen``; returns its new value. ``bump``: a count to
        raise first (as ``bump`` does: a worker's result handed over as it waits for its next task)."""
        counters, settle = self.counters, SETTLE if index < self.size else 0.0  # (a worker's wait for a task)
        if bump is not None:
            # NOTE: the count is raised by the spinning kernel, without the GIL, so that its waiter finds
            # the GIL free when it sees it; unless the waiter is asleep already (then it needs its
            # semaphore), and should it fall asleep in between, its semaphore is released after
            if self.asleep[bump] or not (spin and _spin(counters, index, seen, settle, bump)):
                self.bump(bump)
            elif self.asleep[bump]:
                self.wakes[bump].release()
        elif spin and counters[index] == seen:
            _spin(counters, index, seen, settle)
        while counters[index] == seen:
            self.asleep[index] = True
            try:
                if counters[index] == seen:
                    self.wakes[index].acquire()
            finally:  # (Ctrl-C while asleep)
                self.asleep[index] = False
        return int(counters[index])

    def serve(self, k):
        seen, done = 0, None
        while True:
            # the result handed over (``done``), then the next task awaited: not spinning before the first
            # task (nor importing Numba then)
            seen = self.wait(k, seen, spin=seen > 0, bump=done)
            if self.closing:
                return
            work, part = self.tasks[k]
            try:
                self.results[k] = (seen, work(part), None)
            except BaseException as e:  # handed back to the caller, raised there
                self.results[k] = (seen, None, e)
            del work, part  # no reference to the task's arrays while waiting for the next
            done = self.size + k

    def close(self):
        self.closing = True
        for k in range(self.size):
            self.bump(k)

    def run(self, work, n, parts):
        bounds = [n * k // parts for k in range(parts + 1)]
        slices = [slice(bounds[k], bounds[k + 1]) for k in range(parts)]
        done = [int(self.counters[self.size + k]) for k in range(parts - 1)]
        for k in range(parts - 1):
            self.tasks[k] = (work, slices[k + 1])
            self.bump(k)
        results, error = [None] * parts, None
        try:
            results[0] = work(slices[0])
        except BaseException as e:
            error = e
        for k in range(parts - 1):
            # NOTE: the result must answer this task: one left by a run that was interrupted (Ctrl-C while
            # waiting) is passed over
            while True:
                done[k] = self.wait(self.size + k, done[k])
                answer = self.results[k]
                if answer is not None and answer[0] == self.counters[k]:
                    break
            _, results[k + 1], e = answer
            self.results[k] = self.tasks[k] = None
            error = error or e
        if error is not None:
            raise error
        return results


# NOTE: a thread spins (with striate[fast]) up to SPIN seconds for a task or a result before it sleeps.
# A worker that sees its task spins SETTLE seconds more before it takes the GIL: the caller still holds
# it for a few microseconds of Python, until its own part's first array call, and a thread that finds
# the GIL held sleeps until it is released, and wakes as slowly as from any sleep (measured, LeNet-5's
# convolutions at batch 128: the worker started its part 69 microseconds after the caller sleeping, 50
# spinning, 18 spinning 10 more). A worker raises its "done" count without the GIL (``bump_then_wait``),
# so the caller finds the GIL free: it waited 11-14 microseconds for a result after the worker's part
# ended, against 30-52 with the count raised under the GIL.
SPIN, SETTLE = 0.01, 10e-6


def _spin(counters, index, seen, settle, bump=None):
    """Spin without the GIL until ``counters[index]`` is no longer ``seen`` (and ``settle`` seconds
    more) or ``SPIN`` seconds pass, where the compiled kernels are in use (and can call the C
    library), raising ``counters[bump]`` first where given; returns whether it spun (else nothing
    was raised)."""
    kernels = accel.kernels()
    if kernels is None or kernels.wait_for_change is None:
        return False
    if bump is None:
        kernels.wait_for_change(counters, index, seen, int(SPIN * 1e9), int(settle * 1e9))
    else:
        kernels.bump_then_wait(counters, bump, index, seen, int(SPIN * 1e9), int(settle * 1e9))
    return True


def parallel(work, n, cost, kind="products"):
    """``[work(part) for part in parts]`` with ``parts`` contiguous slices covering ``range(n)``, run
    at the same time on striate's threads (the calling thread takes the first part).

    ``cost`` is about how many values the whole work passes over; below ``MIN_COST`` per part there
    are fewer parts (one, for small work). ``kind`` says what the work does:

    - ``"products"``: matrix products and passes over their results (a convolution);
    - ``"elementwise"``: passes over arrays only (pooling, activations);
    - ``"follows"``: work split only while work with products is being split (see ``_whole``), else
      run whole with BLAS on all threads: lone matrix products, and short passes that come between
      them (optimizer updates; measured slower split while BLAS's idle threads spin).

    Exceptions in any part are raised here, after all parts end.
    """
    pool = _state["pool"] if _state["cpu"] else None  # a GPU runs each array call in parallel itself
    # NOTE: one split at a time: a call from inside a part, or from a second user thread while
    # the threads are busy, runs as one part in its own thread.
    if pool is None or not pool.lock.acquire(blocking=False):
        return [work(slice(0, n))]
    try:
        parts = _parts(n, cost, kind)
        if parts > 1:
            if kind == "products":
                _set_blas(1)
            results = pool.run(work, n, parts)
            if kind == "products":
                _state["split_at"] = time.perf_counter()
            return results
        return [_whole(work, n) if kind != "elementwise" else work(slice(0, n))]
    finally:
        pool.lock.release()


def runs_whole(n, cost, kind="products"):
    """Whether ``parallel(work, n, cost, kind)`` would now run ``work`` whole in the calling thread;
    if so, NumPy's BLAS is set as it would be for that run, and the caller may do the work itself.

    NOTE: the lecture DFF's matrix products done so, without ``parallel``'s closure, lock and slices,
    made its step at batch 128 (8 products, NumPy alone) 2-3% faster, in paired epochs.
    """
    pool = _state["pool"] if _state["cpu"] else None
    if pool is None or pool.lock.locked():  # no threads, or inside a part: as ``parallel``, BLAS left as it is
        return True
    if _parts(n, cost, kind) > 1:
        return False
    if kind != "elementwise":
        _blas_for_whole()
    return True


def _parts(n, cost, kind):
    """How many parts ``parallel`` splits work of ``n`` rows and ``cost`` of ``kind`` into now (1: none)."""
    parts = max(1, min(_state["threads"], n, int(cost // MIN_COST)))
    return parts if parts > 1 and (kind != "follows" or _splitting()) else 1


def _splitting():
    return time.perf_counter() - _state["split_at"] < QUIET


def _whole(work, n):
    """``work`` on all of ``range(n)`` in this thread, its matrix products on all threads unless
    work with products was split recently (NumPy's BLAS is left so, for the next call).

    NOTE: where no products are split (small batches, models of matrix products only), BLAS threads
    each product best: its idle threads wait spinning, where striate's have to be woken (measured:
    121 against 167 microseconds for a (32, 784) by (784, 256) product). But they keep spinning
    for about 0.1 s after each product, taking a core from the parts of any split work in that
    time; so while work with products is being split (the last split less than ``QUIET`` seconds
    ago), products run on one thread. Which thread computes a product does not change its result.
    """
    _blas_for_whole()
    return work(slice(0, n))


def _blas_for_whole():
    """NumPy's BLAS as work run whole wants it (see ``_whole``)."""
    _set_blas(1 if _splitting() else _state["threads"])


def _set_blas(n):
    """NumPy's BLAS on ``n`` threads (the call is made only when the count changes)."""
    if _state["blas_threads"] != n:
        threads_functions()[0](n)
        _state["blas_threads"] = n


def _threads_at_start():
    value = os.environ.get("STRIATE_NUM_THREADS")
    if value is not None:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"STRIATE_NUM_THREADS must be an int >= 1, received {value!r}") from None
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _after_fork():
    # NOTE: a forked child has none of the parent's threads; it starts its own pool.
    _state["pool"] = None
    if _state["threads"] > 1:
        _state["pool"] = _Pool(_state["threads"] - 1)


set_num_threads(_threads_at_start())
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
