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
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from striate.backend import memo

# NOTE: NumPy's error model: no zero-division check per value, which kept the loops from vectorizing
_jit = numba.njit(nogil=True, cache=True, error_model="numpy")
_jit_fma = numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})


@intrinsic
def _stack_floats(typingctx, count):
    """A pointer to ``count`` (a constant) float32 values on the stack: the compiler keeps them in
    registers, where an array from ``np.empty`` might overlap the kernel's other arrays and stays in memory."""
    if not isinstance(count, types.IntegerLiteral):
        return None

    def lower(context, builder, signature, args):
        return cgutils.alloca_once(builder, ir.FloatType(), size=ir.Constant(ir.IntType(64), count.literal_value))
    return types.CPointer(types.float32)(count), lower


@numba.njit(inline="always")
def _unsigned(index):
    """``index`` (at least 0) as an unsigned integer, for indexing.

    NOTE: Numba wraps negative indices around, as NumPy does, so an index the compiler cannot prove
    to be at least 0 (one computed from a function's arguments) costs a fix-up per value, and a loop
    over such indices compiled to gathers and scatters of single values instead of vector loads
    and stores. An unsigned index has no fix-up.
    """
    return np.uint64(index)


def max_pool_blocks(pool, relu=False):
    """The kernel ``(x, y, first)`` for (ph, pw) ``pool``: from ``x`` (N, R, ph, OW, pw, C), ``y``
    (N*R, OW, C) = each block's maximum, ``first`` (uint8) = its first position (row-major) that
    holds it. NaN wins, as in ``numpy.maximum``.

    With ``relu``, ``y`` is the ReLU of the maximum (``relu(max(x)) == max(relu(x))``), and a block
    whose maximum is not positive gets ``first`` = 255, no position: the ReLU stops its gradient.

    NOTE: compiled once per pool size in each process (about 0.4 s), because the window's size as
    a constant lets the compiler unroll the window and keep the running maximum in a register,
    which is much faster than one kernel for every size (benchmarks/NOTES.md).
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


# -- conv strips (``ops.conv_strategies.lowered.Strips``): each row of the lowered matrix holds, for one
# strip of outputs, the kh runs of ``span`` values (span pixels * C channels) of the image rows under it.
# The image is seen as (N, H, W*C); strip b of output row r reads row r*sh + i*dh from value b*step on.
# NOTE: no kernel lowers the strips: NumPy's copy of the strided view does it in one call (the comparison
# with a compiled loop over the runs is in benchmarks/NOTES.md).
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


# -- sampling images at fractional coordinates (``ops.image.Sample`` and ``Warp``) --------------------
# Fill modes by number, in the order of ``ops.image.FILL_MODES``.
_CONSTANT, _NEAREST, _WRAP, _MIRROR, _REFLECT = range(5)
_SPAN = 256  # points whose corners are found together (in vector instructions), then gathered
_FAR = _f32(1 << 22)  # positions beyond fold as if there (float32 divides the positions below exactly)


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _fold(v, size, mode, far):
    """The pixel (a whole float32 in [0, size - 1]) that the whole float32 position ``v`` takes, as fill
    ``mode`` says (``_CONSTANT``, ``_NEAREST``: the nearest one). Without ``far``, right only for the
    positions that ``_axis`` calls near (one shift or reflection into the image), in selects that
    vectorize; with it, for any position, taken modulo the period as ``ops.image`` does (NaN: pixel 0).

    NOTE: every comparison is with a float32: one with an int is made in float64, out of the vectors."""
    zero, one, n = _f32(0.0), _f32(1.0), _f32(size)
    if mode == _WRAP and not far:
        return v + n if v < zero else v - n if v >= n else v
    if mode == _REFLECT and not far:  # (d c b a | a b c d | d c b a)
        v = -one - v if v < zero else v
        return (n + n - one) - v if v >= n else v
    if mode == _MIRROR and not far:  # (c d c b | a b c d | c b a b)
        v = -v if v < zero else v
        return (n + n - one - one) - v if v >= n else v
    if mode == _WRAP or mode == _REFLECT or mode == _MIRROR:
        period = n if mode == _WRAP else n + n if mode == _REFLECT else max(n + n - one - one, one)
        v = v if v >= -_FAR else -_FAR  # (NaN too)
        v = v if v <= _FAR else _FAR
        v = v - period * np.floor(v / period)
        back = period - one - v if mode == _REFLECT else period - v if mode == _MIRROR else v  # (the way back)
        v = v if v <= back else back
    v = v if v >= zero else zero
    return v if v <= n - one else n - one


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _axis(v, size, stride, order, mode, far):
    """Position ``v`` along an axis of ``size`` pixels ``stride`` values apart: its lower and upper
    corner (order 0: the nearest pixel, halves to even, and the next), each's offset (float32: whole
    numbers below 2**24 are exact), weight and whether it lies inside the image; and whether the two
    are near (``_fold`` serves them without ``far``)."""
    lower = np.rint(v) if order == 0 else np.floor(v)
    upper, t = lower + _f32(1.0), v - lower
    n, last = _f32(size), _f32(size - 1)
    near = True
    if mode == _WRAP:  # one shift: [-n, 2n)
        near = (lower >= -n) & (upper < n + n)
    elif mode == _REFLECT:  # one reflection: [-2n, 2n)
        near = (lower >= -(n + n)) & (upper < n + n)
    elif mode == _MIRROR:  # one reflection: [2 - 2n, 2n - 2]
        near = (lower >= _f32(2.0) - (n + n)) & (upper <= (n + n) - _f32(2.0))
    return (_fold(lower, size, mode, far) * stride, _fold(upper, size, mode, far) * stride, _f32(1.0) - t, t,
            _f32(0.0) <= lower <= last, _f32(0.0) <= upper <= last, near)


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _corners(rows, columns, q, order, mode, outside, addresses, weights):
    """Column ``q`` of ``addresses`` (int32) and ``weights``: the corners that a point's ``rows`` and
    ``columns`` (``_axis``) make (order 0: the nearest pixel; 1: top left, top right, bottom left,
    bottom right), each's offset in the image (``_CONSTANT``: for a corner outside, ``outside``: the
    fill value's, after the image) and weight (the two axes' weights multiplied, as ``ops.image.Sample``)."""
    top, bottom, w_top, w_bottom, in_top, in_bottom, _ = rows
    left, right, w_left, w_right, in_left, in_right, _ = columns
    fills = mode == _CONSTANT
    addresses[0, q] = np.int32(top + left if not fills or (in_top and in_left) else outside)
    if order == 1:
        addresses[1, q] = np.int32(top + right if not fills or (in_top and in_right) else outside)
        addresses[2, q] = np.int32(bottom + left if not fills or (in_bottom and in_left) else outside)
        addresses[3, q] = np.int32(bottom + right if not fills or (in_bottom and in_right) else outside)
        weights[0, q], weights[1, q] = w_top * w_left, w_top * w_right
        weights[2, q], weights[3, q] = w_bottom * w_left, w_bottom * w_right


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _gather(image, dst, start, points, c, order, addresses, weights):
    """``dst[start:start + points * c]`` = the pixels of ``image`` (H*W*C values, then C of the fill value
    for ``_CONSTANT``) at the first ``points`` columns of ``addresses``, mixed by ``weights`` (order 1:
    the four products added in ``ops.image.Sample``'s order). The offsets are unsigned: no checks for
    negative indices (those made the loop 1.7x as slow)."""
    for q in range(points):
        d = np.uint64(start + q * c)
        if order == 0:
            a = np.uint64(addresses[0, q])
            for k in range(c):
                dst[d + np.uint64(k)] = image[a + np.uint64(k)]
            continue
        a00, a01, a10, a11 = (np.uint64(addresses[0, q]), np.uint64(addresses[1, q]), np.uint64(addresses[2, q]),
                              np.uint64(addresses[3, q]))
        w00, w01, w10, w11 = weights[0, q], weights[1, q], weights[2, q], weights[3, q]
        for k in range(c):
            i = np.uint64(k)
            dst[d + i] = image[a00 + i] * w00 + image[a01 + i] * w01 + image[a10 + i] * w10 + image[a11 + i] * w11


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _sample_span(image, dst, start, ys, xs, points, h, w, c, order, mode, addresses, weights):
    """``dst[start:start + points * c]`` = ``image`` (see ``_gather``) at the first ``points`` of rows
    ``ys`` and columns ``xs``: their corners found in one pass (in vector instructions), then gathered."""
    row, outside, far = _f32(w * c), _f32(h * w * c), 0
    for q in range(points):
        rows, columns = _axis(ys[q], h, row, order, mode, False), _axis(xs[q], w, _f32(c), order, mode, False)
        _corners(rows, columns, q, order, mode, outside, addresses, weights)
        far += not (rows[6] & columns[6])
    if far:  # (rare: corners beyond a reflection, found again)
        for q in range(points):
            rows, columns = _axis(ys[q], h, row, order, mode, True), _axis(xs[q], w, _f32(c), order, mode, True)
            _corners(rows, columns, q, order, mode, outside, addresses, weights)
    _gather(image, dst, start, points, c, order, addresses, weights)


# NOTE: the kernels below are compiled for each (order, mode, channels) and cached on disk: with these
# constant, the checks of the mode leave the loops and the channels' loop unrolls (as arguments,
# those checks ran inside the loops). Their helpers are inlined by LLVM
# (``forceinline``) rather than by Numba's own inlining, whose compile time is long.
def sample_2d(order, mode, channels):
    """The kernel ``(images, ys, xs, fill, out)``: ``out`` (B, P, C) = float32 ``images`` (B, H, W, C) at
    rows ``ys`` and columns ``xs`` (B or 1, P): the nearest pixel (``order`` 0, halves to even) or the
    bilinear mix of the four around (1), the corners outside resolved by fill ``mode`` (its number in
    ``ops.image.FILL_MODES``; ``"constant"``: ``fill``); ``channels`` = C, H*W*C < 2**22. The same bits
    as ``ops.image.Sample``."""
    return memo(_compiled_sampling, ("sample", order, mode, channels), lambda: _sample_kernel(order, mode, channels))


def warp_2d(order, mode, channels):
    """The kernel ``(images, transforms, fill, out)``: ``out`` (B, H*W, C) = float32 ``images`` (B, H, W, C)
    sampled as ``sample_2d`` samples, at the points that ``transforms`` (B or 1, 8) take their pixels
    from, computed as ``ops.image.projective_points`` computes them: the same bits as ``ops.image.Warp``.

    NOTE: where a transform only scales and shifts each axis (zoom, translation), the corners of each
    row and column are found once, for all the points on it (x0 + 0 * y is x0: the same bits): 0.85x
    the time with reflect fill (28x28x1 images, bilinear).
    """
    return memo(_compiled_sampling, ("warp", order, mode, channels), lambda: _warp_kernel(order, mode, channels))


_compiled_sampling = {}


@numba.njit(nogil=True, cache=True, error_model="numpy", forceinline=True)
def _source(flat, b, padded, mode):
    """Image ``b`` of ``flat`` (B, H*W*C): for ``_CONSTANT``, copied into ``padded``, which ends with the
    fill value."""
    if mode != _CONSTANT:
        return flat[b]
    padded[:flat.shape[1]] = flat[b]
    return padded


def _sample_kernel(order, mode, c):
    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def kernel(images, ys, xs, fill, out):
        n, h, w = images.shape[:3]
        flat, flat_out = images.reshape(n, -1), out.reshape(n, -1)
        padded = np.full(flat.shape[1] + c, fill, dtype=images.dtype)
        addresses, weights = np.empty((4, _SPAN), dtype=np.int32), np.empty((4, _SPAN), dtype=images.dtype)
        for b in range(n):
            image, at = _source(flat, b, padded, mode), b if len(ys) > 1 else 0
            for p in range(0, ys.shape[1], _SPAN):
                points = min(_SPAN, ys.shape[1] - p)
                _sample_span(image, flat_out[b], p * c, ys[at, p:], xs[at, p:], points, h, w, c, order, mode,
                             addresses, weights)
    return kernel


def _warp_kernel(order, mode, c):
    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def kernel(images, transforms, fill, out):
        n, h, w = images.shape[:3]
        flat, flat_out = images.reshape(n, -1), out.reshape(n, -1)
        padded = np.full(flat.shape[1] + c, fill, dtype=images.dtype)
        span = max(1, _SPAN // w)  # image rows at a time
        addresses, weights = np.empty((4, span * w), dtype=np.int32), np.empty((4, span * w), dtype=images.dtype)
        ys, xs = np.empty(span * w, dtype=images.dtype), np.empty(span * w, dtype=images.dtype)
        columns = np.empty((6, w), dtype=images.dtype)  # each column's corners (``_axis``) where the axes part
        row, outside, one = _f32(w * c), _f32(h * w * c), _f32(1.0)
        for b in range(n):
            image, dst = _source(flat, b, padded, mode), flat_out[b]
            a0, a1, a2, b0, b1, b2, c0, c1 = transforms[b if len(transforms) > 1 else 0]
            if a1 == 0 and b0 == 0 and c0 == 0 and c1 == 0:  # each axis on its own
                for j in range(w):
                    at, at_next, share, share_next, inside, inside_next, _ = _axis(a0 * _f32(j) + a2, w, _f32(c),
                                                                                   order, mode, True)
                    columns[0, j], columns[1, j], columns[2, j], columns[3, j] = at, at_next, share, share_next
                    columns[4, j], columns[5, j] = inside, inside_next
                for i in range(h):
                    rows = _axis(b1 * _f32(i) + b2, h, row, order, mode, True)
                    for j in range(w):
                        _corners(rows, (columns[0, j], columns[1, j], columns[2, j], columns[3, j], columns[4, j] != 0,
                                        columns[5, j] != 0, True), j, order, mode, outside, addresses, weights)
                    _gather(image, dst, i * w * c, w, c, order, addresses, weights)
                continue
            projective = c0 != 0 or c1 != 0  # (else k = 1: the division changes nothing)
            for top in range(0, h, span):
                rows = min(span, h - top)
                for i in range(rows):
                    y = _f32(top + i)
                    for j in range(w):
                        x, at = _f32(j), i * w + j
                        ys[at], xs[at] = b0 * x + b1 * y + b2, a0 * x + a1 * y + a2
                        if projective:
                            k = c0 * x + c1 * y + one
                            ys[at], xs[at] = ys[at] / k, xs[at] / k
                _sample_span(image, dst, top * w * c, ys, xs, rows * w, h, w, c, order, mode, addresses, weights)
    return kernel


# -- batch normalization (``ops.normalization.ChannelsLast``) -----------------------------------------
# Each kernel sees a channels-last batch as a (rows, width) view whose width holds whole pixels of c
# channels (width = rep * c, so that narrow layers still give the vector loops 64 values a row); the
# per-channel vectors it takes are tiled to that width. Sums run in float32 over blocks of ``block`` rows
# and are added up in float64. With ``relu``, the output is ``max(y, 0)`` and the backward passes take
# the gradient of that ReLU on the way: ``gy`` where ``(x - mean) * a + b``, forward's ``y`` remade by the
# same arithmetic (so of the same sign), is positive, else 0.
# NOTE: the two sums kernels take CHUNK columns at a time over a block's rows, their sums in stack arrays
# (registers) with unsigned indices: with the sums in an array from np.empty, each row's loop loaded and
# stored them and began with a check that they do not overlap the batch. The same sums in the same
# order: the same bits.
CHUNK = 64  # columns whose sums the compiler keeps in vector registers at once


@_jit
def batch_norm_statistics(x, c, block, mean, m2):
    """Per-channel ``mean`` and sum of squared deviations ``m2`` (float64, c values each) of ``x``
    (rows, rep * c) in one pass: each block's sums of ``x - shift`` and its square, ``shift`` the mean
    so far (the first row at first), so that the float32 sums stay small; the blocks merged in float64
    (Chan et al.'s update)."""
    n, width = x.shape
    rep = width // c
    shift = x[0].copy()
    for i in range(1, rep):
        shift[i * c:(i + 1) * c] = shift[:c]
    s1 = np.empty(width, x.dtype)
    s2 = np.empty(width, x.dtype)
    mean[:] = 0.0
    m2[:] = 0.0
    flat, full = x.ravel(), width - width % CHUNK
    for start in range(0, n, block):
        stop = min(start + block, n)
        count, seen = (stop - start) * rep, start * rep
        for j in range(0, full, CHUNK):
            _shifted_sums(flat, width, start, stop, j, CHUNK, shift, s1, s2)
        if full < width:
            _shifted_sums(flat, width, start, stop, full, width - full, shift, s1, s2)
        for k in range(c):
            t1, t2 = np.float64(s1[k]), np.float64(s2[k])
            for i in range(1, rep):
                t1 += s1[i * c + k]
                t2 += s2[i * c + k]
            delta = shift[k] + t1 / count - mean[k]
            mean[k] += delta * count / (seen + count)
            m2[k] += t2 - t1 * t1 / count + delta * delta * seen * count / (seen + count)
        for i in range(rep):
            shift[i * c:(i + 1) * c] = mean


@numba.njit(inline="always", error_model="numpy")
def _shifted_sums(x, width, start, stop, j, count, shift, s1, s2):
    """``s1`` and ``s2`` at columns ``j`` to ``j + count`` (count <= CHUNK): the sums of ``x - shift`` and
    of its square over rows ``start`` to ``stop`` of ``x`` (flat, rows of ``width``)."""
    at = numba.carray(_stack_floats(CHUNK), (CHUNK,))
    sum1, sum2 = numba.carray(_stack_floats(CHUNK), (CHUNK,)), numba.carray(_stack_floats(CHUNK), (CHUNK,))
    for i in range(count):
        at[i], sum1[i], sum2[i] = shift[_unsigned(j + i)], 0, 0
    r = start
    while r + 1 < stop:  # two rows a step: half the additions to the sums
        for i in range(count):
            d = x[_unsigned(r * width + j + i)] - at[i]
            e = x[_unsigned((r + 1) * width + j + i)] - at[i]
            sum1[i] += d + e
            sum2[i] += d * d + e * e
        r += 2
    if r < stop:
        for i in range(count):
            d = x[_unsigned(r * width + j + i)] - at[i]
            sum1[i] += d
            sum2[i] += d * d
    for i in range(count):
        s1[_unsigned(j + i)], s2[_unsigned(j + i)] = sum1[i], sum2[i]


@_jit_fma
def batch_norm_affine(x, mean, a, b, relu, y):
    """``y = (x - mean) * a + b``, the normalization and its scale and shift in one pass; with ``relu``,
    ``max(y, 0)``."""
    n, width = x.shape
    for r in range(n):
        for j in range(width):
            v = (x[r, j] - mean[j]) * a[j] + b[j]
            y[r, j] = max(v, 0) if relu else v


@_jit_fma
def batch_norm_grad_sums(gy, x, mean, a, b, relu, block, sum_gy, sum_gy_centered):
    """Column sums (float64, width values each) of ``g`` and of ``g * (x - mean)``, in one pass: ``g`` is
    ``gy``, or with ``relu``, ``gy`` masked where the output ``(x - mean) * a + b`` is not positive."""
    n, width = x.shape
    sum_gy[:] = 0.0
    sum_gy_centered[:] = 0.0
    gy_flat, x_flat, full = gy.ravel(), x.ravel(), width - width % CHUNK
    for start in range(0, n, block):
        stop = min(start + block, n)
        for j in range(0, full, CHUNK):
            _grad_sums(gy_flat, x_flat, width, start, stop, j, CHUNK, mean, a, b, relu, sum_gy, sum_gy_centered)
        if full < width:
            _grad_sums(gy_flat, x_flat, width, start, stop, full, width - full, mean, a, b, relu, sum_gy,
                       sum_gy_centered)


@numba.njit(inline="always", error_model="numpy", fastmath={"contract"})
def _grad_sums(gy, x, width, start, stop, j, count, mean, a, b, relu, sum_gy, sum_gy_centered):
    """``batch_norm_grad_sums``' float32 sums over rows ``start`` to ``stop`` at columns ``j`` to ``j +
    count`` (count <= CHUNK; ``gy``, ``x`` flat, rows of ``width``), added to the float64 ones."""
    m, scale, offset = (numba.carray(_stack_floats(CHUNK), (CHUNK,)), numba.carray(_stack_floats(CHUNK), (CHUNK,)),
                        numba.carray(_stack_floats(CHUNK), (CHUNK,)))
    s, t = numba.carray(_stack_floats(CHUNK), (CHUNK,)), numba.carray(_stack_floats(CHUNK), (CHUNK,))
    for i in range(count):
        m[i], scale[i], offset[i], s[i], t[i] = mean[_unsigned(j + i)], a[_unsigned(j + i)], b[_unsigned(j + i)], 0, 0
    for r in range(start, stop):
        for i in range(count):
            at = _unsigned(r * width + j + i)
            d = x[at] - m[i]
            g = gy[at] * (not relu or d * scale[i] + offset[i] > 0)
            s[i] += g
            t[i] += g * d
    for i in range(count):
        sum_gy[_unsigned(j + i)] += s[i]
        sum_gy_centered[_unsigned(j + i)] += t[i]


@_jit_fma
def batch_norm_input_grad(gy, x, mean, a, b, relu, k, p, q, gx):
    """``gx = g * k + (x - mean) * p + q``, the input gradient in one pass, ``g`` as in
    ``batch_norm_grad_sums``."""
    n, width = x.shape
    for r in range(n):
        for j in range(width):
            d = x[r, j] - mean[j]
            g = gy[r, j] * (not relu or d * a[j] + b[j] > 0)
            # NOTE: grouped so that each sum has one product to contract: the same roundings with and
            # without relu (where ``g`` is ``gy``, the compiler may contract a different product)
            gx[r, j] = g * k[j] + (d * p[j] + q[j])


# -- one call a direction, for work one thread does whole -----------------------------------------------
# On a small batch the Python between the passes (the statistics merged, the factors made and tiled)
# costs as much as a pass; these make the same calls and the same float64 arithmetic as
# ``ChannelsLast`` does around the passes (the same bits), in one compiled call.
@_jit
def _tiled(v, width, dtype):
    """Per-channel ``v`` repeated across ``width``, as ``dtype``."""
    out = np.empty(width, dtype)
    for j in range(width):
        out[j] = v[j % v.size]
    return out


@_jit
def _inverse_std(var, epsilon):
    """``1 / sqrt(var + epsilon)`` in float64 (``ChannelsLast.scale``)."""
    inv = np.empty(var.size)
    for k in range(var.size):
        inv[k] = 1.0 / np.sqrt(np.float64(var[k]) + epsilon)
    return inv


@_jit
def batch_norm_forward(x, c, gamma, beta, epsilon, relu, block, mean, var, y):
    """``ChannelsLast.forward`` unsplit: the statistics of ``x`` (rows, rep * c) into ``mean`` and ``var``
    (x's dtype, c values), then ``y`` (``batch_norm_affine`` with ``a = gamma / sqrt(var + epsilon)``)."""
    n, width = x.shape
    mean64, m2 = np.empty(c), np.empty(c)
    batch_norm_statistics(x, c, block, mean64, m2)
    count = n * (width // c)
    for k in range(c):
        mean[k] = mean64[k]
        var[k] = m2[k] / count
    a = _inverse_std(var, epsilon) * gamma
    batch_norm_affine(x, _tiled(mean, width, x.dtype), _tiled(a, width, x.dtype), _tiled(beta, width, x.dtype),
                      relu, y)


@_jit
def batch_norm_backward(gy, x, c, mean, var, gamma, beta, epsilon, relu, block, ggamma, gbeta, gx):
    """``ChannelsLast.backward`` unsplit: the per-channel sums of ``g`` and ``g * (x - mean)``
    (``batch_norm_grad_sums``), whence ``gbeta`` and ``ggamma`` (x's dtype, c values), then, where ``gx``
    has rows, the input gradient (``batch_norm_input_grad`` with the factors ``k = gamma / sqrt(var +
    epsilon)``, ``p`` and ``q``)."""
    n, width = x.shape
    count = n * (width // c)
    inv = _inverse_std(var, epsilon)
    k = inv * gamma
    tiled_mean, tiled_k, tiled_beta = (_tiled(mean, width, x.dtype), _tiled(k, width, x.dtype),
                                       _tiled(beta, width, x.dtype))
    width_sums, width_centered = np.empty(width), np.empty(width)
    batch_norm_grad_sums(gy, x, tiled_mean, tiled_k, tiled_beta, relu, block, width_sums, width_centered)
    sum_gy, sum_gy_centered = width_sums[:c].copy(), width_centered[:c].copy()
    for i in range(1, width // c):  # the width's sums added up by channel, in the order of NumPy's sum over rows
        sum_gy += width_sums[i * c:(i + 1) * c]
        sum_gy_centered += width_centered[i * c:(i + 1) * c]
    ggamma[:] = sum_gy_centered * inv
    gbeta[:] = sum_gy
    if gx.shape[0] > 0:
        p = -k * inv * inv * sum_gy_centered / count
        q = -k * sum_gy / count
        batch_norm_input_grad(gy, x, tiled_mean, tiled_k, tiled_beta, relu, tiled_k, _tiled(p, width, x.dtype),
                              _tiled(q, width, x.dtype), gx)


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
