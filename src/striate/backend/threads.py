"""Work split across the CPU's cores: striate's own threads, beside NumPy's BLAS.

A training step is matrix products (BLAS) and passes over large arrays (patches, pooling,
activations). OpenBLAS threads only the products, so the passes in between would run on one core.
striate splits each heavy op across the cores itself, by samples: every thread lowers, multiplies
and activates its own part of the batch, and NumPy releases the GIL inside each array call, so the
parts run at the same time.

Where: only inside a session (``session()``, entered by ``backend.engaged()`` around ``fit``,
``evaluate`` and ``predict``). The worker threads start at the first split of a session and end
with the outermost session, so that none outlives striate's work (starting them costs a fraction of
a millisecond, once a ``fit``; a loop of ``train_on_batch`` inside one ``backend.engaged()`` pays it
once); NumPy's BLAS is set to one thread at its start and given its count back at its end.
Outside a session, and where process tuning is off (``backend.set_process_tuning``), every op runs
whole in the calling thread and NumPy's BLAS is left as the user set it: striate is then NumPy with
a tape, and changes nothing in the process.

The rule: each call to ``parallel`` or ``runs_whole`` decides from its own ``n`` (rows), ``cost``
(about how many values the work passes over) and ``kind``, and from nothing that ran before:

- work is split into ``parts = min(get_num_threads(), n, cost // (MIN_COST * PART_COST[kind]))``
  parts when that is at least 2, else run whole;
- NumPy's BLAS runs on one thread throughout the session, split work and whole work alike: the
  parts already fill the cores, and a product left whole is small.

One set of threads, not two: OpenBLAS's threads, once woken, spin for a while after their product
(2^28 processor cycles by default), taking a core from the parts of the next split, and a split's
spinning worker takes it from BLAS's next threaded product; on 2 cores a part or a product then
waits for the scheduler's time slice, milliseconds for work of a fraction of one. So products that
are worth two cores split by rows across striate's threads like any other work.

``PART_COST`` per kind: ``"products"`` (a convolution: products and passes over their results) and
``"elementwise"`` (passes only) split from ``MIN_COST`` a part; ``"follows"`` (lone matrix products,
optimizer updates) from 8x that: a product on one thread runs near the CPU's rate already, and the
handover to a part (a woken thread, then the GIL) costs a good share of a mid-sized one.

A part waiting for work or results with striate[fast] first spins without the GIL for up to
``SPIN`` seconds (a thread asleep is slow to wake on a virtual machine), then sleeps on a
semaphore: idle workers use no CPU.

The split is exact: each output value is computed by the same array calls as without it, only a
reduction over the batch (a kernel's gradient) adds the threads' partial sums at the end.

Example:
    >>> from striate.backend import threads
    >>> threads.parallel(lambda s: s, 8, cost=0)   # too little work: one part
    [slice(0, 8, None)]
    >>> with threads.session():
    ...     len(threads.parallel(lambda s: s, 8, cost=8 * threads.MIN_COST)) == min(8, threads.get_num_threads())
    True
"""
import contextlib
import os
import threading

from striate.backend import accel
from striate.backend.blas import threads_functions

# NOTE: the least cost of one part: handing a part to a thread and back costs tens of microseconds,
# so a part should pass over enough values to take a few hundred (benchmarks/NOTES.md, "Threads").
MIN_COST = 1 << 18
PART_COST = {"products": 1, "elementwise": 1, "follows": 8}  # a part's least cost, in MIN_COST

# threads: striate's count; pool: the running workers (None until a session's first split);
# depth: sessions open, all threads together; blas_saved: BLAS's count at the outermost session's
# start (None: not set by striate); cpu: False on a GPU (nothing is split).
_state = {"threads": 1, "pool": None, "depth": 0, "blas_saved": None, "cpu": True}
_lock = threading.Lock()  # guards depth and the pool's start and end


def blas_threads():
    """How many threads NumPy's BLAS now uses for a matrix product.

    Returns:
        The count, or None where NumPy's BLAS cannot be reached (not the OpenBLAS NumPy ships).

    Example:
        >>> from striate import backend
        >>> backend.blas_threads() is None or backend.blas_threads() >= 1
        True
    """
    blas = threads_functions()
    return None if blas is None else int(blas[1]())


def set_num_threads(n):
    """Split striate's heavy ops across ``n`` threads (inside ``fit``, ``evaluate``, ``predict`` and
    ``backend.engaged()``; NumPy's BLAS runs one thread in each part).

    Where NumPy's BLAS is not the OpenBLAS it ships with (its thread count cannot be set from here),
    striate stays on one thread and leaves the products' threading to that BLAS. Nothing starts
    here: workers start at the next split.

    Args:
        n: the number of threads, at least 1 (the default: the CPUs this process may use, or the
            environment variable ``STRIATE_NUM_THREADS``).

    Returns:
        The number of threads striate now uses.

    Example:
        >>> from striate import backend
        >>> before = backend.get_num_threads()
        >>> backend.set_num_threads(1)
        1
        >>> _ = backend.set_num_threads(before)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects an int >= 1, received {n!r}")
    if threads_functions() is None:
        n = 1
    with _lock:
        _stop_pool()
        _state["threads"] = n
    return n


def get_num_threads():
    """The number of threads striate splits its heavy ops across.

    Returns:
        An int >= 1.

    Example:
        >>> from striate import backend
        >>> backend.get_num_threads() >= 1
        True
    """
    return _state["threads"]


@contextlib.contextmanager
def session():
    """striate's threads for the work inside: splits allowed, NumPy's BLAS on one thread; on leaving the
    outermost session (an exception too) the workers end and BLAS's thread count is restored.
    Reentrant, and shared by all threads (the last one out ends it).

    Returns:
        A context manager.

    Example:
        >>> from striate.backend import threads
        >>> with threads.session():
        ...     threads.parallel(lambda s: s.stop, 4, cost=0)
        [4]
    """
    with _lock:
        _state["depth"] += 1
        if _state["depth"] == 1 and threads_functions() is not None:
            _state["blas_saved"] = blas_threads()
            threads_functions()[0](1)
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _stop_pool()
                if _state["blas_saved"] is not None:
                    threads_functions()[0](_state["blas_saved"])
                _state["blas_saved"] = None


def _pool():
    """The running pool, started here on a session's first split (None once the session has ended)."""
    pool = _state["pool"]
    if pool is not None:
        return pool
    with _lock:
        if _state["pool"] is None and _state["depth"] > 0:
            _state["pool"] = _Pool(_state["threads"] - 1)
        return _state["pool"]


def _stop_pool():
    """End the workers (under ``_lock``), once no split is running."""
    pool = _state["pool"]
    if pool is not None:
        with pool.lock:  # (a split running meanwhile in another thread is let finish)
            _state["pool"] = None
            pool.close()
        for thread in pool.threads:
            thread.join()


class _Pool:
    """``size`` worker threads, handed their tasks through counters.

    The caller bumps worker k's "posted" count (``counters[k]``) after setting its task, and the
    worker its "done" count (``counters[size + k]``) after setting its result. Each waits for the
    other's count to change: first spinning without the GIL for up to ``SPIN`` seconds where
    striate[fast]'s kernels are in use, then asleep on a semaphore, which the bumping thread
    releases when it sees the waiter asleep (``asleep``; both read and set under the GIL, so either
    the waiter sees the new count or the bumper sees the waiter asleep).

    NOTE: a sleeping thread is slow to wake on a virtual machine; spinning a little first, as
    OpenMP's and OpenBLAS's threads do, makes a handover several times cheaper. The spinning thread
    yields its core to any other thread that is ready.
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
# the GIL held sleeps until it is released, and wakes as slowly as from any sleep. A worker raises its
# "done" count without the GIL (``bump_then_wait``), so the caller finds the GIL free.
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
    at the same time on striate's threads (the calling thread takes the first part), as the module's
    rule decides from ``n``, ``cost`` and ``kind`` alone.

    Exceptions in any part are raised here, after all parts end.

    Args:
        work: a function of a slice of ``range(n)``.
        n: the number of rows the work splits by (samples, or elements).
        cost: about how many values the whole work passes over.
        kind: ``"products"`` (matrix products and passes over their results: a convolution),
            ``"elementwise"`` (passes over arrays only: pooling, activations) or ``"follows"`` (lone
            matrix products, optimizer updates).

    Returns:
        The list of the parts' results, in order (one, for work run whole).

    Example:
        >>> from striate.backend import threads
        >>> threads.parallel(lambda s: s.stop - s.start, 10, cost=0)
        [10]
    """
    pool, parts = _plan(n, cost, kind)
    if pool is None:
        return [work(slice(0, n))]
    try:
        return pool.run(work, n, parts)
    finally:
        pool.lock.release()


def runs_whole(n, cost, kind="products"):
    """Whether ``parallel(work, n, cost, kind)`` would run ``work`` whole in the calling thread; if
    so, the caller may do the work itself (without ``parallel``'s closure and slices).

    Args:
        n, cost, kind: as for ``parallel``.

    Returns:
        True or False.

    Example:
        >>> from striate.backend import threads
        >>> threads.runs_whole(10, cost=0)
        True
    """
    pool, _ = _plan(n, cost, kind)
    if pool is None:
        return True
    pool.lock.release()
    return False


def _plan(n, cost, kind):
    """``(pool, parts)`` for work of ``n`` rows, ``cost`` and ``kind``: the pool locked for this split,
    or None (and 1) for work run whole, by the module's rule."""
    if _state["depth"] == 0 or not _state["cpu"]:  # outside a session, or on a GPU
        return None, 1
    parts = _parts(n, cost, kind)
    pool = _pool() if parts > 1 else None
    # NOTE: one split at a time: a call from inside a part, or from a second user thread while the
    # threads are busy, runs whole in its own thread.
    if pool is None or not pool.lock.acquire(blocking=False):
        return None, 1
    if pool.closing:
        pool.lock.release()
        return None, 1
    return pool, parts


def _parts(n, cost, kind):
    """How many parts the rule splits work of ``n`` rows, ``cost`` and ``kind`` into (1: none)."""
    return max(1, min(_state["threads"], n, int(cost // (MIN_COST * PART_COST[kind]))))


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
    # NOTE: a forked child has none of the parent's threads, and a lock another thread held at the fork
    # stays held: fresh ones; a session open in the parent starts its own workers on first use.
    global _lock
    _lock = threading.Lock()
    _state["pool"] = None


_state["threads"] = _threads_at_start() if threads_functions() is not None else 1
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
