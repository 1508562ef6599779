"""Compiled kernels (Numba) for the passes NumPy can only make as several array calls.

Imported by ``backend.accel`` only when Numba is installed (``pip install 'striate[fast]'``). Each
kernel works in place on arrays the op allocated, releases the GIL (so striate's threads run them
side by side on their parts of the batch) and is cached on disk after its first compilation.

Max pooling in block mode (stride == pool size) sees the padded NHWC image as (R, ph, OW, pw, C): R
block rows, each block ph x pw pixels of C channels.
"""
import numba
import numpy as np

_jit = numba.njit(nogil=True, cache=True)


def max_pool_blocks(pool):
    """The kernel ``(x, y, first)`` for (ph, pw) ``pool``: ``y`` (R, OW, C) = each block's maximum,
    ``first`` (uint8) = its first position (row-major) that holds it. NaN wins, as in ``numpy.maximum``.

    NOTE: compiled once per pool size in each process (about 0.4 s), because the window's size as
    a constant lets the compiler unroll the window and keep the running maximum in a register:
    8x faster than one kernel for every size (measured on 2x2 pools).
    """
    kernel = _by_pool.get(pool)
    if kernel is None:
        kernel = _by_pool[pool] = _max_pool_kernel(*pool)
    return kernel


_by_pool = {}


def _max_pool_kernel(ph, pw):
    @numba.njit(nogil=True)
    def kernel(x, y, first):
        rows, _, ow, _, c = x.shape
        for r in range(rows):
            for o in range(ow):
                for k in range(c):
                    best, at = x[r, 0, o, 0, k], 0
                    for i in range(ph):
                        for j in range(pw):
                            v = x[r, i, o, j, k]
                            if v > best or (v != v and best == best):
                                best, at = v, i * pw + j
                    y[r, o, k] = best
                    first[r, o, k] = at
    return kernel


@_jit
def max_pool_blocks_grad(gy, first, g):
    """``g`` (R, ph, OW, pw, C) = ``gy`` (R, OW, C) at each block's ``first`` position, zero elsewhere."""
    rows, ph, ow, pw, c = g.shape
    for r in range(rows):
        for i in range(ph):
            for o in range(ow):
                for j in range(pw):
                    at = i * pw + j
                    for k in range(c):
                        g[r, i, o, j, k] = gy[r, o, k] if first[r, o, k] == at else 0


def warm():
    """Compile (or load from the cache) every kernel for float32, so the first training step does not."""
    x = np.zeros((1, 2, 1, 2, 1), np.float32)
    y, first = np.zeros((1, 1, 1), np.float32), np.zeros((1, 1, 1), np.uint8)
    max_pool_blocks((2, 2))(x, y, first)
    max_pool_blocks_grad(y, first, x)
