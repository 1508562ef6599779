"""Compiled kernels (Numba) for the passes NumPy can only make as several array calls, or slowly.

Imported by ``backend.accel`` only when Numba is installed (``pip install 'striate[fast]'``). Each
kernel works in place on arrays the op allocated, releases the GIL (so striate's threads run them
side by side on their parts of the batch) and is cached on disk after its first compilation.

Max pooling in block mode (stride == pool size) sees the padded NHWC images as (N, R, ph, OW, pw, C): R
block rows of each image, each block ph x pw pixels of C channels (N is 1 where the blocks tile the
images, so that the block rows of all images are one axis; a view that leaves pixels out keeps two).
"""
import math

import numba
import numpy as np

from striate.backend import memo

# NOTE: NumPy's error model: no zero-division check per value, which kept the loops from vectorizing
_jit = numba.njit(nogil=True, cache=True, error_model="numpy")
_jit_fma = numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})


def max_pool_blocks(pool, relu=False):
    """The kernel ``(x, y, first)`` for (ph, pw) ``pool``: from ``x`` (N, R, ph, OW, pw, C), ``y``
    (N*R, OW, C) = each block's maximum, ``first`` (uint8) = its first position (row-major) that
    holds it. NaN wins, as in ``numpy.maximum``.

    With ``relu``, ``y`` is the ReLU of the maximum (``relu(max(x)) == max(relu(x))``), and a block
    whose maximum is not positive gets ``first`` = 255, no position: the ReLU stops its gradient.

    NOTE: compiled once per pool size in each process (about 0.4 s), because the window's size as
    a constant lets the compiler unroll the window and keep the running maximum in a register:
    8x faster than one kernel for every size (measured on 2x2 pools).
    """
    return memo(_by_pool, (pool, relu), lambda: _max_pool_kernel(*pool, relu))


_by_pool = {}


def _max_pool_kernel(ph, pw, relu):
    @numba.njit(nogil=True, error_model="numpy")
    def kernel(x, y, first):
        n, rows, _, ow, _, c = x.shape
        for s in range(n):
            for r in range(rows):
                out = s * rows + r
                for o in range(ow):
                    for k in range(c):
                        best, at = x[s, r, 0, o, 0, k], 0
                        for i in range(ph):
                            for j in range(pw):
                                v = x[s, r, i, o, j, k]
                                if v > best or (v != v and best == best):
                                    best, at = v, i * pw + j
                        if relu and not best > 0:  # NaN stays NaN, its gradient stopped (as ReLU's)
                            at = 255
                            if best == best:
                                best = 0
                        y[out, o, k] = best
                        first[out, o, k] = at
    return kernel


@_jit
def max_pool_blocks_grad(gy, first, g):
    """``g`` (N, R, ph, OW, pw, C) = ``gy`` (N*R, OW, C) at each block's ``first`` position, zero elsewhere."""
    n, rows, ph, ow, pw, c = g.shape
    for s in range(n):
        for r in range(rows):
            at_row = s * rows + r
            for i in range(ph):
                for o in range(ow):
                    for j in range(pw):
                        at = i * pw + j
                        for k in range(c):
                            g[s, r, i, o, j, k] = gy[at_row, o, k] if first[at_row, o, k] == at else 0


_f32 = np.float32


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"}, inline="always")
def _tanh(v):
    """float32 tanh within 1.3 ulp (as ``numpy.tanh``), in instructions that vectorize.

    NOTE: NumPy's float32 tanh calls the C library once per value (4.5 ns here, without AVX-512).
    Here: Cephes's odd polynomial below 0.625, and above it 1 - 2 / (e^2|x| + 1), with
    e^2|x| = 2^n e^r (r in [-ln2/2, ln2/2], a degree-6 polynomial). Past |x| = 10 float32 tanh is 1.
    """
    a = min(abs(v), _f32(10.0))
    z = a * a
    p = (((_f32(-5.70498872745e-3) * z + _f32(2.06390887954e-2)) * z - _f32(5.37397155531e-2)) * z
         + _f32(1.33314422036e-1)) * z - _f32(3.33332819422e-1)
    small = a + a * z * p
    e = a + a
    n = np.floor(e * _f32(1.44269504088896341) + _f32(0.5))
    r = e - n * _f32(0.693359375) + n * _f32(2.12194440e-4)
    q = ((((_f32(1.9875691500e-4) * r + _f32(1.3981999507e-3)) * r + _f32(8.3333451907e-3)) * r
          + _f32(4.1665795894e-2)) * r + _f32(1.6666665459e-1)) * r + _f32(5.0000001201e-1)
    # NOTE: the shift's result cast to int32 before float32: Numba shifts in int64, and AVX2 turns only
    # int32 lanes into floats (the int64 conversions went value by value: 1.5x the time of the whole tanh)
    exp = (r * r * q + r + _f32(1.0)) * _f32(np.int32(np.int32(1) << np.int32(n)))
    y = small if a < _f32(0.625) else _f32(1.0) - _f32(2.0) / (exp + _f32(1.0))
    return math.copysign(y, v) if v == v else v


@_jit_fma
def tanh(x, out):
    """``out = tanh(x)`` for 1-D float32 arrays that do not overlap (see ``_tanh``): twice as fast as NumPy
    without AVX-512 (with it, NumPy's is faster: ``accel.numpy_tanh_is_faster``)."""
    for i in range(x.size):
        out[i] = _tanh(x[i])


@_jit_fma
def tanh_in_place(a):
    """``a = tanh(a)`` for a 1-D float32 array.

    NOTE: a separate loop, because the compiler vectorizes ``tanh(x, out)`` only after checking that
    ``x`` and ``out`` do not overlap, and runs it value by value (slower than NumPy) when they do.
    """
    for i in range(a.size):
        a[i] = _tanh(a[i])


@_jit
def tanh_grad(g, y, out):
    """``out = (1 - y^2) g``, the gradient through ``y = tanh(x)``, for 1-D float32 arrays: one pass
    where NumPy makes three, with the same roundings (the same bits)."""
    for i in range(y.size):
        out[i] = (_f32(1.0) - y[i] * y[i]) * g[i]


@_jit
def adam(g, w, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, alpha, epsilon):
    """Adam's update of 1-D float32 ``w`` and its moments ``m``, ``v`` in place, from gradient ``g``: one
    pass where NumPy makes seven, rounding each operation to float32 as NumPy's calls do (the same bits
    as ``optimizers.adam`` without the BLAS's fused multiply-adds).

    ``m = beta_1 m + (1 - beta_1) g``, ``v = beta_2 v + (1 - beta_2) g^2``,
    ``w -= alpha (m / (sqrt(v) + epsilon))``; the scalars are float32.
    """
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta_1 + gi * one_minus_beta_1
        vi = v[i] * beta_2 + (gi * gi) * one_minus_beta_2
        m[i], v[i] = mi, vi
        w[i] -= (mi / (np.sqrt(vi) + epsilon)) * alpha


@_jit
def tanh_mean_blocks_grad(gy, y, g, pw, scale):
    """The gradient of 2-D average pooling in (ph, pw) blocks of a tanh's output ``y`` with respect to
    the tanh's input: ``g`` = ``(1 - y^2)`` times ``gy``'s spread (each block's gradient times ``scale`` =
    1 / (ph * pw), repeated over its pixels), in one pass; ``gy`` is (R*OW, C) and ``y``, ``g`` are
    (R, ph, OW*pw*C) block rows. The same roundings as ``ops.conv.mean_blocks_grad`` then ``tanh_grad``."""
    c = gy.shape[1]
    width = y.shape[2]
    ow = width // (pw * c)
    spread = np.empty(width, dtype=y.dtype)
    for r in range(y.shape[0]):
        for o in range(ow):
            src = gy[r * ow + o]
            for j in range(pw):
                dst = spread[(o * pw + j) * c:(o * pw + j + 1) * c]
                for k in range(c):
                    dst[k] = src[k] * scale
        for i in range(y.shape[1]):
            yi, gi = y[r, i], g[r, i]
            for k in range(width):
                gi[k] = (_f32(1.0) - yi[k] * yi[k]) * spread[k]


# -- conv strips (``ops.conv.Conv``): each row of the lowered matrix holds, for one strip of outputs, the
# kh runs of ``span`` values (span pixels * C channels) of the image rows under it. The image is seen as
# (N, H, W*C); strip b of output row r reads row r*sh + i*dh from value b*step on.
# NOTE: no kernel lowers the strips: NumPy's copy of the strided view was as fast (LeNet-5's 6->16) or
# faster (its 1->6: 0.70 against 0.94 ms for 128 images) than a loop over the runs.
@_jit
def add_strips(cols, image, out_rows, kh, sh, dh, step, span):
    """The adjoint of lowering: ``image[n, r*sh + i*dh, b*step:b*step + span] +=
    cols[(n*OH + r)*S + b, i*span:(i + 1)*span]`` for ``image`` (N, H, W*C) and ``cols`` (N*OH*S, kh*span),
    one (strip b, kernel row i) at a time, as NumPy adds the strided views (the same bits)."""
    strips = cols.shape[0] // (image.shape[0] * out_rows)
    for b in range(strips):
        for i in range(kh):
            for n in range(image.shape[0]):
                for r in range(out_rows):
                    src = cols[(n * out_rows + r) * strips + b, i * span:(i + 1) * span]
                    dst = image[n, r * sh + i * dh, b * step:b * step + span]
                    for k in range(span):
                        dst[k] += src[k]


# -- waiting without the GIL (``backend.threads``) ----------------------------------------------------
def _libc():
    """The C library's ``sched_yield`` and ``clock_gettime`` (with the monotonic clock's id), or None."""
    import ctypes
    import time
    try:
        libc = ctypes.CDLL(None)
        sched_yield, clock_gettime = libc.sched_yield, libc.clock_gettime
        monotonic = time.CLOCK_MONOTONIC
    except (OSError, AttributeError, TypeError):  # no C library to search by name (Windows)
        return None
    if ctypes.sizeof(ctypes.c_long) != 8:  # a timespec read as two int64 below
        return None
    sched_yield.argtypes, sched_yield.restype = [], ctypes.c_int
    clock_gettime.argtypes, clock_gettime.restype = [ctypes.c_int, ctypes.c_void_p], ctypes.c_int
    return sched_yield, clock_gettime, monotonic


_found = _libc()

if _found is not None:
    _yield, _clock_gettime, _MONOTONIC = _found

    # NOTE: not cached on disk (Numba cannot cache a call through ctypes); they compile in about 0.2 s
    @numba.njit(nogil=True)
    def _now(timespec):
        _clock_gettime(_MONOTONIC, timespec.ctypes.data)
        return timespec[0] * 1_000_000_000 + timespec[1]

    @numba.njit(nogil=True)
    def wait_for_change(counters, index, seen, spin_ns, then_ns):
        """Spin until ``counters[index] != seen``, for at most ``spin_ns`` nanoseconds, calling
        ``sched_yield`` (so a thread that the core could run instead runs), and ``then_ns`` more after a
        change: whether it changed.

        The calls to the C library in each round also make the compiler read ``counters[index]`` anew."""
        timespec = np.empty(2, dtype=np.int64)
        end = _now(timespec) + spin_ns
        while counters[index] == seen:
            if _now(timespec) > end:
                return False
            _yield()
        end = _now(timespec) + then_ns
        while _now(timespec) < end:
            _yield()
        return True

    @numba.njit(nogil=True)
    def bump_then_wait(counters, bumped, index, seen, spin_ns, then_ns):
        """``counters[bumped] += 1``, then ``wait_for_change``: the count is raised without the GIL, so
        the thread that waits for it finds the GIL free when it sees it."""
        counters[bumped] += 1
        return wait_for_change(counters, index, seen, spin_ns, then_ns)
else:
    wait_for_change = bump_then_wait = None
