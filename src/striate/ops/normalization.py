"""Batch normalization (keras.ops names): in training with the batch's own statistics
(``batch_norm_train``), and with given statistics (``batch_normalization``, inference).

The training op computes with one of two lowerings, picked by :func:`lowering_for`:

- :class:`Reference`: the textbook forward and backward (Ioffe and Szegedy, 2015) on any layout and
  array module, a few array expressions each. Read this one to learn the op.
- :class:`ChannelsLast`: channels-last, C-contiguous float batches on the CPU. Two passes over memory
  forward (the statistics; then ``y``) and two backward (two channel sums; then ``gx``), each made by
  ``passes``: compiled kernels (``striate[fast]``, float32; ``backend._kernels``) or :data:`NUMPY_PASSES`,
  NumPy calls on blocks of rows small enough to stay in the cache between calls. Each pass is split by
  rows across striate's threads (``backend.threads``, as its rule decides): the parts then read what
  the same thread's part of the convolution before just wrote, in its own core's cache. Where one
  thread does a direction whole, the compiled kernels make it in one call (``batch_norm_forward``,
  ``batch_norm_backward``): the same passes and the per-channel arithmetic between them, compiled,
  for small batches, on which that arithmetic's NumPy calls took as long as a pass.

Both keep for backward only the input (which the graph holds anyway) and the per-channel statistics.
The inference op is one scale-and-shift pass (:class:`ChannelAffine`) through the same lowerings.

Either op can take the ReLU of its output (``relu=True``; models/fusion.py asks for it where a ReLU
layer follows). :class:`ChannelsLast` does it inside its own passes: ``max(y, 0)`` in the output pass,
and backward the gradient masked where ``y`` is not positive, ``y``'s sign remade from ``x`` and the
statistics by forward's arithmetic inside the two gradient passes, so that the ReLU costs no pass and no
array. With the reference the op is the plain composition: the normalization, then a ReLU.
"""
import math

from striate import backend
from striate.autodiff import Function, Tensor
from striate.backend import accel, threads
from striate.ops import linalg as _linalg
from striate.ops import math as _math
from striate.ops import shape as _shape
from striate.ops._base import tensor

__all__ = ["batch_normalization", "batch_norm_train"]


def _per_channel(op, name, p, x_shape, axis):
    """``p`` as a Tensor, checked to hold one value per channel of ``axis``."""
    p = tensor(p)
    if p.size != x_shape[axis]:
        raise ValueError(f"{op}: {name} has shape {p.shape}, expected ({x_shape[axis]},): one value per "
                         f"channel of axis {axis} of the input shape {x_shape}")
    return p


def _channel_shape(x_shape, axis):
    """The shape that broadcasts one value per channel of ``axis`` against ``x_shape``."""
    return tuple(n if i == axis else 1 for i, n in enumerate(x_shape))


class Reference:
    """The textbook batch normalization, on any layout: ``forward`` and ``backward`` of one lowering.
    It has no ReLU of its own (``relu`` is False): the ops take one after it.

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
        >>> y, mean, var = Reference().forward(np, x, None, None, axis=1, epsilon=0.0)
        >>> y, mean, var
        (array([[-1., -1.],
               [ 1.,  1.]]), array([2., 4.]), array([1., 4.]))
    """

    relu = False

    def forward(self, xp, x, gamma, beta, axis, epsilon):
        """Normalize ``x`` by its mean and population variance over every axis but ``axis``.

        Args:
            xp: the array module.
            x: the input array.
            gamma, beta: per-channel scale and offset arrays, or None.
            axis: the channel axis (non-negative).
            epsilon: added to the variance.

        Returns:
            ``(y, mean, var)``, the statistics as ``(channels,)`` arrays.
        """
        axes = tuple(i for i in range(x.ndim) if i != axis)
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / xp.sqrt(var + epsilon)
        if gamma is not None:
            y = y * gamma.reshape(mean.shape)
        if beta is not None:
            y = y + beta.reshape(mean.shape)
        return y, mean.reshape(-1), var.reshape(-1)

    def backward(self, xp, gy, x, gamma, mean, var, axis, epsilon, need_x=True):
        """The gradients of ``forward`` for the output gradient ``gy``.

        Args:
            xp, x, gamma, axis, epsilon: as given to ``forward``.
            gy: the gradient of ``y``.
            mean, var: the statistics ``forward`` returned.
            need_x: whether to compute the input's gradient.

        Returns:
            ``(gx, ggamma, gbeta)``: ``gx`` None unless ``need_x``; the others ``(channels,)``.
        """
        axes = tuple(i for i in range(x.ndim) if i != axis)
        shape = _channel_shape(x.shape, axis)
        std = xp.sqrt(var.reshape(shape) + epsilon)
        xhat = (x - mean.reshape(shape)) / std
        gbeta = gy.sum(axis=axes)
        ggamma = (gy * xhat).sum(axis=axes)
        gx = None
        if need_x:
            # NOTE: every xhat depends on every x of its channel through the mean and the variance: the
            # gradient subtracts gxhat's mean and its projection on xhat.
            gxhat = gy if gamma is None else gy * gamma.reshape(shape)
            gx = (gxhat - gxhat.mean(axis=axes, keepdims=True)
                  - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)) / std
        return gx, ggamma, gbeta

    def affine(self, xp, x, mean, a, b, axis):
        """Normalization with given per-channel statistics, folded into ``a`` and ``b``:
        ``y = (x - mean) * a + b``, each of ``mean``, ``a``, ``b`` one value per channel of ``axis``."""
        shape = _channel_shape(x.shape, axis)
        return (x - mean.reshape(shape)) * a.reshape(shape) + b.reshape(shape)

    def affine_backward(self, xp, gy, x, mean, a, axis, need_x=True):
        """The gradients of ``affine``: ``(gx, gmean, ga, gb)``, ``gx`` None unless ``need_x``."""
        axes = tuple(i for i in range(x.ndim) if i != axis)
        shape = _channel_shape(x.shape, axis)
        gb = gy.sum(axis=axes)
        ga = (gy * (x - mean.reshape(shape))).sum(axis=axes)
        return (gy * a.reshape(shape) if need_x else None), -a * gb, ga, gb


class NumpyPasses:
    """The four passes of :class:`ChannelsLast` as NumPy calls, block by block of rows, with the
    compiled kernels' signatures and results (``backend._kernels``, batch normalization). Rows are
    ``(rows, width)`` views of the batch, width ``rep * c``; per-channel vectors come tiled to the width.

    Example:
        >>> import numpy as np
        >>> mean, m2 = np.empty(2), np.empty(2)
        >>> NUMPY_PASSES.batch_norm_statistics(np.array([[1.0, 2.0, 3.0, 6.0]]), 2, 1, mean, m2)
        >>> mean, m2
        (array([2., 4.]), array([2., 8.]))
    """

    block_values = 1 << 16  # values in one block of rows: the block stays in the L2 cache between calls

    def blocks(self, n, width):
        step = max(1, self.block_values // width)
        return [slice(start, min(start + step, n)) for start in range(0, n, step)]

    def batch_norm_statistics(self, x, c, block, mean, m2):
        """See ``backend._kernels.batch_norm_statistics``; ``block`` is the kernels' and not used."""
        xp = backend.xp()
        n, width = x.shape
        rep = width // c
        rows = self.blocks(n, width)
        means = xp.empty((len(rows), c))
        squares = xp.empty((len(rows), c))
        counts = xp.empty((len(rows), 1))
        scratch = xp.empty_like(x[rows[0]])
        for i, r in enumerate(rows):
            count = (r.stop - r.start) * rep
            block_mean = backend.sum_rows(x[r]).reshape(rep, c).sum(axis=0) / x.dtype.type(count)
            centered = xp.subtract(x[r], xp.tile(block_mean, rep), out=scratch[:r.stop - r.start])
            centered *= centered
            means[i], counts[i] = block_mean, count
            squares[i] = backend.sum_rows(centered).reshape(rep, c).sum(axis=0)
        mean[:] = (means * counts).sum(axis=0) / n / rep
        m2[:] = squares.sum(axis=0) + (counts * (means - mean) ** 2).sum(axis=0)

    def batch_norm_affine(self, x, mean, a, b, relu, y):
        xp = backend.xp()
        for r in self.blocks(*x.shape):
            out = xp.subtract(x[r], mean, out=y[r])
            out *= a
            out += b
            if relu:
                xp.maximum(out, 0, out=out)

    def masked(self, gy, x, mean, a, b, relu, scratch):
        """``gy`` (a block), or with ``relu`` ``gy`` where ``batch_norm_affine``'s output is positive, else
        0: the output remade in ``scratch`` by the same calls."""
        if not relu:
            return gy
        xp = backend.xp()
        out = xp.subtract(x, mean, out=scratch)
        out *= a
        out += b
        return xp.multiply(gy, out > 0, out=out)

    def batch_norm_grad_sums(self, gy, x, mean, a, b, relu, block, sum_gy, sum_gy_centered):
        xp = backend.xp()
        rows = self.blocks(*x.shape)
        scratch, output = xp.empty_like(x[rows[0]]), xp.empty_like(x[rows[0]])
        sum_gy[:] = 0.0
        sum_gy_centered[:] = 0.0
        for r in rows:
            g = self.masked(gy[r], x[r], mean, a, b, relu, output[:r.stop - r.start])
            centered = xp.subtract(x[r], mean, out=scratch[:r.stop - r.start])
            centered *= g
            sum_gy += backend.sum_rows(g)
            sum_gy_centered += backend.sum_rows(centered)

    def batch_norm_input_grad(self, gy, x, mean, a, b, relu, k, p, q, gx):
        xp = backend.xp()
        rows = self.blocks(*x.shape)
        scratch, output = xp.empty_like(x[rows[0]]), xp.empty_like(x[rows[0]])
        for r in rows:
            term = xp.subtract(x[r], mean, out=scratch[:r.stop - r.start])
            term *= p
            out = xp.multiply(self.masked(gy[r], x[r], mean, a, b, relu, output[:r.stop - r.start]), k, out=gx[r])
            out += term
            out += q


NUMPY_PASSES = NumpyPasses()


class ChannelsLast:
    """Batch normalization over the last axis of a C-contiguous float batch in two passes each way;
    ``passes`` makes them (:data:`NUMPY_PASSES` or ``backend._kernels``). Gives the :class:`Reference`
    results to float rounding; its methods take the same arguments, and with ``relu``, the ReLU of
    them, in the same passes (``backward`` then takes ``beta`` and ``affine_backward`` ``b`` too:
    forward's offset, with which the passes remake the output's sign). Where the work is not split
    and ``passes`` make a whole direction in one call (the compiled kernels' ``batch_norm_forward`` and
    ``batch_norm_backward``), ``forward`` and ``backward`` make one call each (:meth:`in_one_call`).

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
        >>> y, mean, var = ChannelsLast(NUMPY_PASSES).forward(np, x, None, None, axis=1, epsilon=0.0)
        >>> y, mean, var
        (array([[-1., -1.],
               [ 1.,  1.]]), array([2., 4.]), array([1., 4.]))
    """

    block_values = 1 << 13  # values the kernels sum in float32 before adding them up in float64

    def __init__(self, passes, relu=False):
        self.passes, self.relu = passes, relu

    @staticmethod
    def rows(a, c):
        """``a`` as a C-contiguous (rows, rep * c) view: rep whole pixels a row, up to 64 values."""
        n = a.size // c
        rep = math.gcd(n, max(1, 64 // c))
        return backend.xp().ascontiguousarray(a).reshape(n // rep, rep * c)

    def block(self, rows):
        """Rows of ``rows`` that the kernels sum in float32."""
        return max(1, self.block_values // rows.shape[1])

    @staticmethod
    def tiled(xp, v, rows):
        """Per-channel ``v`` repeated across the width of ``rows``, in their dtype."""
        v = v.astype(rows.dtype, copy=False)
        rep = rows.shape[1] // v.size
        return v if rep == 1 else xp.concatenate([v] * rep)

    @staticmethod
    def scale(xp, gamma, var, epsilon):
        """``(1 / sqrt(var + epsilon), gamma / sqrt(var + epsilon))`` in float64, from the statistics as
        forward returns them: forward and backward make the same factor (the fused ReLU's mask needs it)."""
        inv = 1.0 / xp.sqrt(var.astype(xp.float64) + epsilon)
        return inv, (inv if gamma is None else inv * gamma)

    def forward(self, xp, x, gamma, beta, axis, epsilon):
        c = x.shape[-1]
        rows = self.rows(x, c)
        if self.in_one_call(rows, 2):
            y, mean, var = xp.empty_like(x), xp.empty(c, x.dtype), xp.empty(c, x.dtype)
            self.passes.batch_norm_forward(rows, c, *self.filled(xp, x, gamma, beta), epsilon, self.relu,
                                           self.block(rows), mean, var, y.reshape(rows.shape))
            return y, mean, var
        mean, m2 = self.statistics(xp, rows, c)
        mean, var = mean.astype(x.dtype), (m2 / (x.size // c)).astype(x.dtype)
        y = self.affine(xp, x, mean, self.scale(xp, gamma, var, epsilon)[1], beta, axis)
        return y, mean, var

    def backward(self, xp, gy, x, gamma, mean, var, axis, epsilon, need_x=True, beta=None):
        c = x.shape[-1]
        rows = self.rows(x, c)
        if self.in_one_call(rows, 3 if need_x else 2):
            ggamma, gbeta = xp.empty(c, x.dtype), xp.empty(c, x.dtype)
            gx = xp.empty_like(x) if need_x else xp.empty((0, rows.shape[1]), x.dtype)
            self.passes.batch_norm_backward(self.rows(gy.astype(x.dtype, copy=False), c), rows, c, mean, var,
                                            *self.filled(xp, x, gamma, beta), epsilon, self.relu, self.block(rows),
                                            ggamma, gbeta, gx.reshape(-1, rows.shape[1]))
            return (gx if need_x else None), ggamma, gbeta
        n = x.size // c
        inv, k = self.scale(xp, gamma, var, epsilon)
        # NOTE: gx = k * (gy - sum(gy)/n - xhat * sum(gy*xhat)/n) with k = gamma * inv and
        # xhat = (x - mean) * inv: gy * k + (x - mean) * p + q, p and q made from the two sums.
        sum_gy, sum_gy_centered, gx = self.gradient_passes(
            xp, gy, x, mean, k, beta, need_x, lambda sum_gy, sum_gy_centered: (
                k, -k * inv * inv * sum_gy_centered / n, -k * sum_gy / n))
        return gx, (sum_gy_centered * inv).astype(x.dtype), sum_gy.astype(x.dtype)

    def in_one_call(self, rows, passes):
        """Whether the passes make a direction whole in one call (``batch_norm_forward`` and
        ``batch_norm_backward``, the compiled kernels' own): where they have it and ``backend.threads``'
        rule runs work of ``passes`` passes over ``rows`` whole."""
        return (hasattr(self.passes, "batch_norm_forward")
                and threads.runs_whole(rows.shape[0], cost=passes * rows.size, kind="elementwise"))

    @staticmethod
    def filled(xp, x, gamma, beta):
        """``gamma`` and ``beta``, ones and zeros where None, in ``x``'s dtype."""
        c = x.shape[-1]
        return (xp.ones(c, x.dtype) if gamma is None else gamma.astype(x.dtype, copy=False),
                xp.zeros(c, x.dtype) if beta is None else beta.astype(x.dtype, copy=False))

    def split(self, work, rows, passes):
        """``work(part)`` for parts of ``rows``' rows on striate's threads, as ``backend.threads``' rule
        decides from ``passes``, the batch-sized arrays the work reads and writes. The NumPy passes split
        as ``"follows"`` work: many short array calls, whose parts hand the GIL to each other often."""
        kind = "follows" if self.passes is NUMPY_PASSES else "elementwise"
        return threads.parallel(work, rows.shape[0], cost=passes * rows.size, kind=kind)

    def statistics(self, xp, rows, c):
        """Per-channel mean and sum of squared deviations (float64) of ``rows``: each part's, merged
        (Chan et al.'s update)."""
        def part(s):
            mean, m2 = xp.empty(c), xp.empty(c)
            self.passes.batch_norm_statistics(rows[s], c, self.block(rows), mean, m2)
            return (s.stop - s.start) * (rows.shape[1] // c), mean, m2

        parts = self.split(part, rows, 1)
        if len(parts) == 1:
            return parts[0][1:]
        counts, means, m2s = (xp.stack([xp.asarray(p[i], xp.float64) for p in parts]) for i in range(3))
        mean = (counts[:, None] * means).sum(axis=0) / counts.sum()
        return mean, m2s.sum(axis=0) + (counts[:, None] * (means - mean) ** 2).sum(axis=0)

    def affine(self, xp, x, mean, a, b, axis):
        rows = self.rows(x, x.shape[-1])
        y = xp.empty_like(x)
        y_rows, output = y.reshape(rows.shape), self.tiled_output(xp, rows, mean, a, b)
        self.split(lambda s: self.passes.batch_norm_affine(rows[s], *output, self.relu, y_rows[s]), rows, 2)
        return y

    def affine_backward(self, xp, gy, x, mean, a, axis, need_x=True, b=None):
        zero = xp.zeros_like(a)
        gb, ga, gx = self.gradient_passes(xp, gy, x, mean, a, b, need_x, lambda *sums: (a, zero, zero))
        gb, ga = gb.astype(x.dtype), ga.astype(x.dtype)
        return gx, -a * gb, ga, gb

    def tiled_output(self, xp, rows, mean, a, b):
        """``mean``, ``a`` and ``b`` (zeros where None) of ``y = (x - mean) * a + b``, tiled to ``rows``."""
        b = xp.zeros(a.size, rows.dtype) if b is None else b
        return tuple(self.tiled(xp, v, rows) for v in (mean, a, b))

    def gradient_passes(self, xp, gy, x, mean, a, b, need_x, factors):
        """The two backward passes: the per-channel sums of ``g`` and ``g * (x - mean)`` (float64),
        then, if ``need_x``, ``gx = g * k + (x - mean) * p + q`` with ``(k, p, q) = factors(*sums)``;
        ``g`` is ``gy``, or with ``relu``, ``gy`` where forward's ``(x - mean) * a + b`` is positive.

        Returns:
            ``(sum_gy, sum_gy_centered, gx)``, ``gx`` None unless ``need_x``.
        """
        c = x.shape[-1]
        rows = self.rows(x, c)
        gy_rows = self.rows(gy.astype(x.dtype, copy=False), c)
        output = self.tiled_output(xp, rows, mean, a, b)

        def part_sums(s):
            width_sums = xp.empty(rows.shape[1]), xp.empty(rows.shape[1])
            self.passes.batch_norm_grad_sums(gy_rows[s], rows[s], *output, self.relu, self.block(rows), *width_sums)
            return width_sums

        parts = self.split(part_sums, rows, 2)
        sums = [sum(p[i] for p in parts).reshape(-1, c).sum(axis=0) for i in range(2)]
        gx = None
        if need_x:
            gx = xp.empty_like(x)
            gx_rows, (k, p, q) = gx.reshape(rows.shape), (self.tiled(xp, v, rows) for v in factors(*sums))
            self.split(lambda s: self.passes.batch_norm_input_grad(
                gy_rows[s], rows[s], *output, self.relu, k, p, q, gx_rows[s]), rows, 3)
        return (*sums, gx)


REFERENCE = Reference()


def lowering_for(x, axis, relu=False):
    """The lowering for batch ``x`` normalized over ``axis``: :class:`ChannelsLast` where the channels
    are the last axis of a float32 or float64 batch on the CPU (with the compiled kernels where they
    serve), else :class:`Reference`.

    Args:
        x: the input array.
        axis: the channel axis (non-negative).
        relu: whether the op takes the ReLU of its output (:class:`ChannelsLast` then does it in its
            passes; the reference has no ReLU, which its ``relu`` attribute says).

    Returns:
        An object with the methods of :class:`Reference` (``forward``, ``backward``, ``affine``,
        ``affine_backward``).

    Example:
        >>> import numpy as np
        >>> from striate.ops import normalization
        >>> type(normalization.lowering_for(np.zeros((8, 4, 4, 16), "float32"), axis=3)).__name__
        'ChannelsLast'
        >>> type(normalization.lowering_for(np.zeros((8, 16, 4, 4), "float32"), axis=1)).__name__
        'Reference'
    """
    if axis != x.ndim - 1 or x.size == 0 or backend.device() != "cpu" or x.dtype not in ("float32", "float64"):
        return REFERENCE
    kernels = accel.kernels_for(x)
    return ChannelsLast(NUMPY_PASSES if kernels is None else kernels, relu)


class BatchNormTrain(Function):
    """Normalize with the batch's own statistics; inputs are x, then gamma and beta when present.

    Args:
        axis: the channel axis (non-negative).
        epsilon: added to the variance.
        scale, center: whether gamma, beta are among the inputs.
        lowering: computes forward and backward (default: :func:`lowering_for`'s choice).
        relu: whether to take the ReLU of the output: in the lowering's passes where it has the ReLU
            (its ``relu``), else after it.

    Example:
        >>> fn = BatchNormTrain(axis=1, epsilon=0.0, scale=False, center=False, lowering=REFERENCE)
        >>> fn([[1.0, 2.0], [3.0, 6.0]]), fn.mean, fn.var
        (Tensor(array([[-1., -1.],
                      [ 1.,  1.]], dtype=float32)), array([2., 4.], dtype=float32), array([1., 4.], dtype=float32))
    """

    def __init__(self, axis, epsilon, scale, center, lowering=None, relu=False):
        self.axis, self.epsilon, self.scale, self.center = axis, epsilon, scale, center
        self.lowering, self.relu = lowering, relu

    def forward(self, xp, x, *params):
        gamma = params[0] if self.scale else None
        beta = params[-1] if self.center else None
        if self.lowering is None:
            self.lowering = lowering_for(x, self.axis, self.relu)
        y, self.mean, self.var = self.lowering.forward(xp, x, gamma, beta, self.axis, self.epsilon)
        y = _relu_after(self, xp, y)
        if self.recording:
            self.x, self.gamma, self.beta, self.param_shapes = x, gamma, beta, [p.shape for p in params]
        return y

    def backward(self, xp, gy):
        gy, offset = _relu_backward(self, xp, gy, beta=self.beta)
        gx, ggamma, gbeta = self.lowering.backward(xp, gy, self.x, self.gamma, self.mean, self.var, self.axis,
                                                   self.epsilon, need_x=self.needs_grad[0], **offset)
        grads = [gx]
        if self.scale:
            grads.append(ggamma.reshape(self.param_shapes[0]))
        if self.center:
            grads.append(gbeta.reshape(self.param_shapes[-1]))
        return tuple(grads)


def _relu_after(fn, xp, y):
    """``y``, or where ``fn`` takes a ReLU that its lowering does not, ``max(y, 0)`` (kept for backward)."""
    if fn.relu and not fn.lowering.relu:
        y = fn.y = _linalg.relu(xp, y)
    return y


def _relu_backward(fn, xp, gy, **offset):
    """``(gy, keywords)`` for ``fn``'s lowering's backward: ``gy`` through the ReLU that :func:`_relu_after`
    took, or the ``offset`` keyword with which the lowering's own ReLU remakes the output's sign."""
    if fn.lowering.relu:
        return gy, offset
    return (_linalg.relu_grad(xp, gy, fn.y) if fn.relu else gy), {}


def batch_norm_train(x, gamma, beta, axis=-1, epsilon=1e-3, relu=False):
    """Batch normalization in training: normalize ``x`` by the batch's own mean and variance.

    One fused op (two passes over the batch forward, two backward, where the channels are the last
    axis), for BatchNormalization's training call. The variance is the population (biased) one, for
    normalizing and for moving averages alike, as Keras does.

    Args:
        x: input tensor.
        gamma: per-channel scale, shape ``(channels,)``, or ``None``.
        beta: per-channel offset, shape ``(channels,)``, or ``None``.
        axis: the channel axis; every other axis is reduced.
        epsilon: added to the variance.
        relu: return the ReLU of the normalized ``x`` (in the same passes where the channels are last).

    Returns:
        ``(y, batch_mean, batch_var)``: ``y`` is differentiable with respect to ``x``, ``gamma``
        and ``beta``; the statistics (shape ``(channels,)``) are not.

    Example:
        >>> import striate as keras
        >>> x = [[1.0, 2.0], [3.0, 6.0]]
        >>> y, mean, var = keras.ops.batch_norm_train(x, gamma=[1.0, 1.0], beta=[0.0, 0.0], axis=-1)
        >>> y   # each column scaled to mean 0, variance 1 (less epsilon's share)
        Tensor(array([[-0.9995, -0.9999],
                      [ 0.9995,  0.9999]], dtype=float32))
        >>> mean, var
        (Tensor(array([2., 4.], dtype=float32)), Tensor(array([1., 4.], dtype=float32)))
    """
    x = tensor(x)
    ax = axis % x.ndim
    params = [_per_channel("batch_norm_train", name, p, x.shape, ax)
              for name, p in (("gamma", gamma), ("beta", beta)) if p is not None]
    fn = BatchNormTrain(ax, epsilon, gamma is not None, beta is not None, relu=relu)
    y = fn(x, *params)
    return y, Tensor._make(fn.mean, None), Tensor._make(fn.var, None)


class ChannelAffine(Function):
    """``y = (x - mean) * a + b`` per channel of ``axis``, in one pass where :func:`lowering_for` gives
    ``ChannelsLast``; inputs are x, mean, a and b (each of the three ``(channels,)``).

    Args:
        axis: the channel axis (non-negative).
        relu: whether to take the ReLU of ``y`` (as :class:`BatchNormTrain`).

    Example:
        >>> ChannelAffine(axis=1)([[1.0, 2.0], [3.0, 6.0]], [2.0, 4.0], [1.0, 0.5], [0.0, 1.0])
        Tensor(array([[-1.,  0.],
                      [ 1.,  2.]], dtype=float32))
    """

    def __init__(self, axis, relu=False):
        self.axis, self.relu = axis, relu

    def forward(self, xp, x, mean, a, b):
        self.lowering = lowering_for(x, self.axis, self.relu)
        if self.recording:
            self.saved = x, mean, a, b
        return _relu_after(self, xp, self.lowering.affine(xp, x, mean, a, b, self.axis))

    def backward(self, xp, gy):
        x, mean, a, b = self.saved
        gy, offset = _relu_backward(self, xp, gy, b=b)
        return self.lowering.affine_backward(xp, gy, x, mean, a, self.axis, need_x=self.needs_grad[0], **offset)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3, relu=False):
    """Normalize ``x`` with given statistics: ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    The per-channel factor ``scale / sqrt(variance + epsilon)`` is made first, then applied with the
    shift in one op (:class:`ChannelAffine`).

    Args:
        x: input tensor.
        mean, variance: one value per channel of ``axis``.
        axis: the channel axis.
        offset, scale: optional per-channel shift (beta) and scale (gamma).
        epsilon: added to the variance.
        relu: return the ReLU of the result (striate's, not Keras's: for the BatchNormalization and
            ReLU layers fused by models/fusion.py), in the same pass where the channels are last.

    Returns:
        A Tensor of ``x``'s shape, differentiable with respect to every tensor argument.

    Example:
        >>> import striate as keras
        >>> x = [[1.0, 2.0], [3.0, 6.0]]
        >>> keras.ops.batch_normalization(x, mean=[2.0, 4.0], variance=[1.0, 4.0], axis=-1, epsilon=0.0)
        Tensor(array([[-1., -1.],
                      [ 1.,  1.]], dtype=float32))
    """
    x = tensor(x)
    ax = axis % x.ndim
    channel = lambda name, p: _shape.Reshape((x.shape[ax],))(  # noqa: E731
        _per_channel("batch_normalization", name, p, x.shape, ax))
    a = _math.Pow()(_math.Add()(channel("variance", variance), epsilon), -0.5)
    if scale is not None:
        a = _math.Mul()(a, channel("scale", scale))
    b = channel("offset", offset) if offset is not None else backend.xp().zeros(x.shape[ax], x.dtype)
    return ChannelAffine(ax, relu)(x, channel("mean", mean), a, b)
