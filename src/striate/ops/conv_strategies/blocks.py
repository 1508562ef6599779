"""Reductions over (ph, pw) blocks of NHWC rows: the fused pooling epilogues of the lowered
strategies, and the pooling ops of ``ops.pool``."""
from striate import backend
from striate.backend import accel
from striate.ops.linalg import activation_grad

def fold(ufunc, views, out=None):
    """``ufunc`` applied across ``views`` (at least one), into ``out`` (or one new array)."""
    if len(views) == 1:
        if out is None:
            return views[0].copy()
        out[...] = views[0]
        return out
    out = ufunc(views[0], views[1], out=out)
    for v in views[2:]:
        ufunc(out, v, out=out)
    return out


def fold_rows(ufunc, x3):
    """Each block of (R, ph, L) ``x3`` reduced over its ph rows: (R, L); or of (N, R, ph, L): (N, R, L)."""
    return fold(ufunc, [x3[..., i, :] for i in range(x3.shape[-2])])


_means = {}


def column_mean(xp, pool, channels, dtype):
    """S = [I; I; ...] / (ph * pw): (pw * C, C), the sum of a block row's pw pixels, as a mean."""
    return backend.memo(_means, (id(xp), pool, channels, xp.dtype(dtype).str), lambda: xp.tile(
        xp.eye(channels, dtype=dtype), (pool[1], 1)) / xp.asarray(pool[0] * pool[1], dtype))


def mean_blocks(xp, x3, mean, out):
    """The mean of each (ph, pw) block of (R, ph, OW*pw*C) ``x3``, into ``out`` (R*OW, C): the block's ph
    rows added, then its pw pixels summed (and divided) by one product with ``mean`` (``column_mean``).

    NOTE: a BLAS product, where NumPy would add runs of only C values (6 after LeNet-5's first layer).
    """
    xp.matmul(fold_rows(xp.add, x3).reshape(-1, mean.shape[0]), mean, out=out)


def mean_blocks_grad(xp, gy, mean, out):
    """The gradient of ``mean_blocks``: ``gy`` (R*OW, C) spread over the blocks of ``out`` (R, ph, OW*pw*C)."""
    out[...] = (gy @ mean.T).reshape(len(out), 1, -1)


def activate_and_mean_blocks_grad(xp, activation, gy, y3, mean, out):
    """The gradient of ``mean_blocks`` after ``activation``, with respect to the activation's input: from
    ``gy`` (R*OW, C) and the activation's output ``y3`` (R, ph, OW*pw*C), in ``out`` (that shape) or
    a new array. With striate[fast] and tanh, in one pass: the same bits as the two steps."""
    kernels = accel.kernels_for(gy, y3, mean, out) if activation == "tanh" else None
    if kernels is not None:
        kernels.tanh_mean_blocks_grad(gy, y3, out, mean.shape[0] // mean.shape[1], mean[0, 0])
        return out
    mean_blocks_grad(xp, gy, mean, out)
    return activation_grad(activation, out, y3)


# -- block maxima, shared with pool.py ------------------------------------------------------------
def block_reduce(ufunc, x3, pw, channels, out=None):
    """Reduce each (ph, pw) block of (R, ph, OW*pw*C) ``x3`` to one value per channel: (R, OW, C) (into
    ``out``), over the block's rows first (long runs of memory), then its pw pixels. ``x3`` may also be
    (N, R, ph, OW*pw*C), a view that crops the images (the result is then (N*R, OW, C))."""
    rows = fold_rows(ufunc, x3).reshape(-1, x3.shape[-1] // (pw * channels), pw, channels)
    return fold(ufunc, [rows[:, :, j] for j in range(pw)], out)


def spread_blocks(xp, y, pw):
    """Blocks of (..., OW, C) ``y`` (one block row per OW) repeated across their columns:
    (block rows, 1, OW*pw*C)."""
    ow, c = y.shape[-2:]
    return xp.repeat(y.reshape(-1, ow, 1, c), pw, axis=2).reshape(-1, 1, ow * pw * c)


def first_maxima(xp, x3, maxima, pool):
    """Where each (ph, pw) block of (R, ph, OW*pw*C) ``x3`` holds its maximum ``maxima`` (R, OW, C), the
    first such position only (row-major, as PyTorch): a bool array shaped as ``x3``. For ``x3``
    (N, R', ph, OW*pw*C) (see ``block_reduce``), ``maxima`` is (N*R', OW, C) and the result (N*R', ph, ...).

    NOTE: ties are rare in most data (two equal floats in one window): then only the tied blocks
    are visited, gathered as one (blocks, ph*pw) table. Where whole windows tie (zeros after a
    ReLU), every block is ranked at once.
    """
    hits = (x3 == spread_blocks(xp, maxima, pool[1]).reshape(x3.shape[:-2] + (1, -1))).reshape(
        -1, *x3.shape[-2:])
    if xp.count_nonzero(hits) == maxima.size:  # one hit per block
        return hits
    (ph, pw), c = pool, maxima.shape[-1]
    counts = block_reduce(xp.add, hits.view(xp.uint8) if ph * pw < 256 else hits.astype(xp.int32), pw, c)
    tied = xp.flatnonzero(counts > 1)
    if 16 * len(tied) > counts.size:
        ow = maxima.shape[-2]
        rank = xp.arange(ph * pw, 0, -1).astype(xp.min_scalar_type(ph * pw)).reshape(ph, 1, pw, 1)
        rank = xp.broadcast_to(rank, (ph, ow, pw, c)).reshape(ph, -1)  # first position ranks highest
        key = hits * rank
        return (key == spread_blocks(xp, block_reduce(xp.maximum, key, pw, c), pw)) & hits
    r, ow, ch = xp.unravel_index(tied, counts.shape)
    i = xp.repeat(xp.arange(ph), pw)                  # the taps in row-major order
    col = (ow[:, None] * pw + xp.tile(xp.arange(pw), ph)) * c + ch[:, None]
    row = xp.broadcast_to(r[:, None], col.shape)
    first = xp.argmax(hits[row, i, col], axis=1)      # the first True of each tied block
    hits[row, i, col] = False
    hits[r, i[first], col[xp.arange(len(col)), first]] = True
    return hits

