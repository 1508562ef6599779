"""Pooling of images: max_pool and average_pool (keras.ops names, TensorFlow's "same" rule).

Two ways to visit the windows, both without Python loops over pixels:

- blocks: when the stride equals the pool size (the usual case), the windows tile the image, and
  a reduction over the pool's rows, then its columns, of an (N*OH, ph, OW*pw*C) view works on
  long contiguous runs of memory;
- taps: otherwise, a loop over the ph*pw positions in the window, each a strided view of the image.
"""
from striate import backend
from striate.backend import accel
from striate.autodiff import Function
from striate.ops._base import shape_of
from striate.ops.linalg import relu, relu_grad
from striate.ops.conv import (block_reduce, check_padding, column_mean, first_maxima, fold, mean_blocks,
                              mean_blocks_grad, negate, pad_or_crop, spatial_tuple, spread_blocks, taps, to_nhwc,
                              window_pads)

__all__ = ["max_pool", "average_pool"]


class _Pool(Function):
    """A pooling op: the windows' geometry and the two ways of visiting them."""

    def __init__(self, pool, strides, pads):
        self.pool, self.strides, self.pads = pool, strides, pads
        self.blocks = pool == strides

    def windows(self, xp, x, fill):
        """Pad or crop NHWC ``x`` to the windows' extent; in block mode, as (N*OH, ph, OW*pw*C)."""
        self.x_shape = x.shape
        x = pad_or_crop(xp, x, self.pads, fill)
        self.padded_shape = x.shape
        if self.blocks:
            n, h, w, c = x.shape
            return x.reshape(n * h // self.pool[0], self.pool[0], w * c)
        return x

    def tap_views(self, x, out_shape):
        """The ph*pw strided views of padded ``x``, one per window position, in row-major order."""
        return [x[index] for _, _, index in taps(self.pool, out_shape[1:3], self.strides)]

    def padded(self):
        """Whether any window reaches into padding (then windows differ in how many pixels they hold)."""
        return any(lo > 0 or hi > 0 for lo, hi in self.pads)

    def block_reduce(self, ufunc, x3, out=None):
        """Reduce each block of (R, ph, OW*pw*C) ``x3`` to one value: (R, OW, C) (into ``out``)."""
        return block_reduce(ufunc, x3, self.pool[1], self.padded_shape[3], out)

    def spread(self, xp, y):
        """Blocks of (..., OW, C) ``y`` repeated across their columns: (block rows, 1, OW*pw*C)."""
        return spread_blocks(xp, y, self.pool[1])

    def unpad(self, xp, g):
        """The gradient of the padded (or block-shaped) input, back in the input's shape."""
        return pad_or_crop(xp, g.reshape(self.padded_shape), negate(self.pads))

    def out_shape(self, n, c):
        extent = self.padded_shape[1:3]
        return (n,) + tuple((e - p) // s + 1 for e, p, s in zip(extent, self.pool, self.strides)) + (c,)


class MaxPool(_Pool):
    """The maximum of each window; its gradient goes to one maximum per window.

    With ``relu=True``, the ReLU of that maximum (``max_pool_relu``): the gradient stops at windows
    whose maximum is not positive.
    """

    first = None  # with the compiled kernels: the position of each block's maximum (255: none)

    def __init__(self, pool, strides, pads, relu=False):
        super().__init__(pool, strides, pads)
        self.relu = relu

    def compiled(self, xp, x):
        """The compiled kernels (``backend.accel``) and the padded input as contiguous (R, ph, OW, pw, C)
        blocks, where they serve this pool; else None and None.

        NOTE: the kernels vectorize over channels, so they pay from 16 channels on (measurements in
        benchmarks/NOTES.md, "Max pooling").
        """
        n, h, w, c = self.padded_shape
        kernels = accel.kernels() if self.blocks and c >= 16 and x.dtype.kind == "f" and x.dtype.itemsize >= 4 \
            else None
        if kernels is None or self.pool[0] * self.pool[1] >= 255:  # 255 marks "no position"
            return None, None
        return kernels, xp.ascontiguousarray(x).reshape(len(x), self.pool[0], w // self.pool[1], self.pool[1], c)

    def compiled_grad(self, xp, gy):
        """``gy`` as contiguous (R, OW, C) and an empty input gradient as (R, ph, OW, pw, C) blocks."""
        (n, h, w, c), (ph, pw) = self.padded_shape, self.pool
        gy = xp.ascontiguousarray(gy).reshape(n * h // ph, -1, c)
        return gy, xp.empty((len(gy), ph, w // pw, pw, c), dtype=gy.dtype)

    def forward(self, xp, x):
        self.x = self.windows(xp, x, -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min)
        shape = self.out_shape(x.shape[0], x.shape[3])
        self.kernels, x5 = self.compiled(xp, self.x)
        if self.kernels is not None:  # one pass, which also notes where each maximum is
            y = xp.empty((len(x5),) + shape[2:], dtype=x.dtype)
            self.first = xp.empty(y.shape, dtype=xp.uint8)
            kernel = self.kernels.max_pool_blocks(self.pool, self.relu)
            backend.parallel(lambda r: kernel(x5[None, r], y[r], self.first[r]), len(y), x5.size,
                             kind="elementwise")
            self.x, self.y = None, y.reshape(shape)  # the backward pass needs only ``first``
            return self.y
        if self.blocks:  # one part of the block rows per thread
            y = xp.empty((len(self.x),) + shape[2:], dtype=x.dtype)
            backend.parallel(lambda r: self.block_reduce(xp.maximum, self.x[r], y[r]), len(y), self.x.size,
                             kind="elementwise")
            self.y = y.reshape(shape)
        else:
            self.y = fold(xp.maximum, self.tap_views(self.x, shape))
        return relu(xp, self.y) if self.relu else self.y

    def backward(self, xp, gy):
        # NOTE: the gradient goes to one maximum per window, the first in row-major order (as
        # PyTorch), so a window of ties (zeros after a ReLU) passes it on once, not ph*pw times.
        if self.kernels is not None:
            gy, g = self.compiled_grad(xp, gy)
            backend.parallel(lambda r: self.kernels.max_pool_blocks_grad(gy[r], self.first[r], g[None, r]),
                             len(g), g.size, kind="elementwise")
            return self.unpad(xp, g)
        if self.relu:
            gy = relu_grad(xp, gy, self.y)  # the maximum's sign is its ReLU's
        if self.blocks:
            y, gy = self.y.reshape(len(self.x), -1, gy.shape[3]), gy.reshape(len(self.x), -1, gy.shape[3])
            g = xp.empty(self.x.shape, dtype=gy.dtype)

            def part(r):
                xp.multiply(first_maxima(xp, self.x[r], y[r], self.pool), self.spread(xp, gy[r]), out=g[r])
            backend.parallel(part, len(g), 3 * g.size, kind="elementwise")
            return self.unpad(xp, g)
        gx = xp.zeros(self.padded_shape, dtype=gy.dtype)
        taken = xp.zeros(self.y.shape, dtype=bool)
        for tap, gtap in zip(self.tap_views(self.x, self.y.shape), self.tap_views(gx, self.y.shape)):
            hit = (tap == self.y) & ~taken
            taken |= hit
            gtap += hit * gy
        return self.unpad(xp, gx)


class AveragePool(_Pool):
    """The mean of each window's input pixels (padding not counted)."""

    # NOTE: in block mode without padding, each block row's mean is one product (``mean_blocks``).
    def forward(self, xp, x):
        x = self.windows(xp, x, 0)
        self.y_shape = shape = self.out_shape(self.x_shape[0], self.x_shape[3])
        self.count = self.window_counts(xp, x.dtype)
        self.mean = column_mean(xp, self.pool, shape[3], x.dtype) if self.blocks and not self.padded() else None
        if self.mean is not None:
            y = xp.empty((len(x), shape[2], shape[3]), dtype=xp.result_type(x, self.mean))
            backend.parallel(lambda r: mean_blocks(xp, x[r], self.mean, y[r].reshape(-1, shape[3])),
                             len(y), x.size, kind="elementwise")
            return y.reshape(shape)
        total = self.block_reduce(xp.add, x).reshape(shape) if self.blocks else fold(xp.add, self.tap_views(x, shape))
        return total / self.count

    def window_counts(self, xp, dtype):
        """How many input pixels (padding excluded, as TensorFlow) each window covers: (OH, OW, 1)."""
        if not self.padded():
            return self.pool[0] * self.pool[1]
        per_axis = []
        for size, out, (lo, _), p, s in zip(self.x_shape[1:3], self.y_shape[1:3], self.pads, self.pool,
                                            self.strides):
            start = xp.arange(out) * s - lo
            per_axis.append(xp.minimum(start + p, size) - xp.maximum(start, 0))
        return (per_axis[0][:, None] * per_axis[1][None, :])[:, :, None].astype(dtype)

    def backward(self, xp, gy):
        if self.blocks:
            if self.mean is None:
                g = self.spread(xp, gy / self.count)
                return self.unpad(xp, xp.broadcast_to(g, (len(g), self.pool[0], g.shape[2])))
            gy = gy.reshape(-1, gy.shape[2], gy.shape[3])
            g = xp.empty((len(gy), self.pool[0], gy.shape[1] * self.mean.shape[0]), dtype=gy.dtype)
            backend.parallel(lambda r: mean_blocks_grad(xp, gy[r].reshape(-1, gy.shape[2]), self.mean, g[r]),
                             len(g), g.size, kind="elementwise")
            return self.unpad(xp, g)
        g = gy / self.count
        gx = xp.zeros(self.padded_shape, dtype=gy.dtype)
        for gtap in self.tap_views(gx, g.shape):
            gtap += g
        return self.unpad(xp, gx)


def _pool(cls, op, inputs, pool_size, strides, padding, data_format, **options):
    x, nd, restore = to_nhwc(op, inputs, data_format)
    pool = spatial_tuple(op, "pool_size", pool_size, nd)
    strides = pool if strides is None else spatial_tuple(op, "strides", strides, nd)
    padding = check_padding(op, padding)
    pads = tuple(window_pads(op, x.shape[1 + i], pool[i], strides[i], padding,
                             lambda: f"input shape {shape_of(inputs)}, pool_size {pool_size}") for i in range(2))
    return restore(cls(pool, strides, pads, **options)(x))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1-D and 2-D), as ``keras.ops.max_pool``.

    Args:
        inputs: ``(batch, height, width, channels)`` (or ``(batch, width, channels)`` for 1-D;
            channels first with ``data_format="channels_first"``).
        pool_size: an int or one int per spatial axis.
        strides: an int or one int per spatial axis; default: ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TensorFlow's rule; padding never wins the max).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor ``(batch, out_height, out_width, channels)``.

    Example:
        >>> max_pool(np.zeros((2, 24, 24, 6), "float32"), 2).shape
        (2, 12, 12, 6)
    """
    return _pool(MaxPool, "max_pool", inputs, pool_size, strides, padding, data_format)


def max_pool_relu(inputs, pool_size, strides=None, padding="valid"):
    """``relu(max_pool(inputs))`` as one op (channels-last inputs), which equals ``max_pool(relu(inputs))``.

    The fused ReLU -> MaxPooling2D pair's hot path (models/fusion.py): the ReLU is taken on the
    pooled values only, and with the compiled kernels in the pool's own pass.
    """
    return _pool(MaxPool, "max_pool", inputs, pool_size, strides, padding, "channels_last", relu=True)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1-D and 2-D), as ``keras.ops.average_pool``.

    With ``padding="same"`` each window averages only the input pixels it covers (the padding is
    not counted), as TensorFlow and Keras do.

    Args:
        inputs, pool_size, strides, padding, data_format: as for :func:`max_pool`.

    Returns:
        A Tensor ``(batch, out_height, out_width, channels)``.

    Example:
        >>> average_pool(np.ones((2, 7, 7, 3), "float32"), 2, padding="same").shape
        (2, 4, 4, 3)
    """
    return _pool(AveragePool, "average_pool", inputs, pool_size, strides, padding, data_format)
