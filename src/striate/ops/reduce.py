"""Reductions over axes (sum, mean, max, min, prod, logsumexp, the 2-norm) and running sums and
products along one, each with its backward."""
import math

from striate.autodiff import Function
from striate.ops._base import normalize_axis


class _Reduce(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def _expand(self, xp, g):
        """Put back the reduced axes (as size 1) so ``g`` broadcasts against the input."""
        if self.keepdims or self.axis is None:
            return g if self.keepdims else g.reshape((1,) * len(self.in_shape))
        return xp.expand_dims(g, normalize_axis(self.axis, len(self.in_shape)))


class Sum(_Reduce):
    def forward(self, xp, x):
        self.in_shape = x.shape
        y = x.sum(axis=self.axis, keepdims=self.keepdims)
        return y if isinstance(y, xp.ndarray) else xp.asarray(y)  # a full sum gives a NumPy scalar

    def backward(self, xp, gy):
        return xp.broadcast_to(self._expand(xp, gy), self.in_shape)


class Mean(_Reduce):
    def forward(self, xp, x):
        self.in_shape = x.shape
        axes = normalize_axis(self.axis, x.ndim)
        self.count = max(1, math.prod(x.shape[a] for a in axes))
        y = x.sum(axis=self.axis, keepdims=self.keepdims)
        y /= self.count
        return y if isinstance(y, xp.ndarray) else xp.asarray(y, dtype=x.dtype)

    def backward(self, xp, gy):
        if gy.ndim == 0:  # the common case, a loss: one fill, no broadcasting machinery
            return xp.full(self.in_shape, gy / self.count, dtype=gy.dtype)
        return xp.broadcast_to(self._expand(xp, gy) / self.count, self.in_shape)


class Max(_Reduce):
    fn = "max"

    def forward(self, xp, x):
        self.x = x
        self.y = getattr(x, self.fn)(axis=self.axis, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(_reduced_shape(x.shape, self.axis))

    def backward(self, xp, gy):
        # NOTE: ties share the gradient equally, so the result matches torch's amax/amin.
        mask = self.x == self.y
        count = mask.sum(axis=self.axis, keepdims=True)
        g = gy if self.keepdims else gy.reshape(self.y.shape)
        return mask * (g / count).astype(self.x.dtype, copy=False)


class Min(Max):
    fn = "min"


class Prod(_Reduce):
    def forward(self, xp, x):
        self.x, self.in_shape = x, x.shape
        y = x.prod(axis=self.axis, keepdims=self.keepdims, dtype=x.dtype)
        return y if isinstance(y, xp.ndarray) else xp.asarray(y)

    def backward(self, xp, gy):
        # NOTE: d prod / dx_i is the product of the other entries: the product of those before i times
        # the product of those after (exclusive cumulative products), exact where some x are zero.
        axes = normalize_axis(self.axis, self.x.ndim)
        rest = tuple(i for i in range(self.x.ndim) if i not in axes)
        moved = self.x.transpose(rest + axes)
        flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
        before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape).transpose(_inverse(rest + axes))
        return self._expand(xp, gy) * others


def _inverse(perm):
    return tuple(sorted(range(len(perm)), key=perm.__getitem__))


class _Cumulative(Function):
    """A running sum or product along ``axis`` (``None``: over the flattened input)."""

    def __init__(self, axis=None):
        self.axis = axis

    def forward(self, xp, x):
        self.in_shape = x.shape
        self.x = x.reshape(-1) if self.axis is None else x
        self.ax = 0 if self.axis is None else self.axis % max(x.ndim, 1)
        self.y = self.compute(xp, self.x)
        return self.y

    def reverse_cumsum(self, xp, a):
        return xp.flip(xp.cumsum(xp.flip(a, self.ax), axis=self.ax), self.ax)


class CumSum(_Cumulative):
    def compute(self, xp, x):
        return xp.cumsum(x, axis=self.ax, dtype=x.dtype)

    def backward(self, xp, gy):
        return self.reverse_cumsum(xp, gy).reshape(self.in_shape)


class CumProd(_Cumulative):
    def compute(self, xp, x):
        return xp.cumprod(x, axis=self.ax, dtype=x.dtype)

    def backward(self, xp, gy):
        # NOTE: d y_j / d x_i = y_j / x_i for j >= i, so the gradient is revcumsum(gy y) / x, true
        # before the first zero of a line. At that zero z, y'_j (the running product with x_z taken as
        # 1) gives revcumsum(gy y')_z; after it, every product holds x_z = 0 twice or more: 0.
        x, ax = self.x, self.ax
        zero = x == 0
        g = self.reverse_cumsum(xp, gy * self.y) / xp.where(zero, 1, x)
        if bool(zero.any()):
            index = xp.arange(x.shape[ax]).reshape((-1,) + (1,) * (x.ndim - ax - 1))
            first = xp.where(zero.any(axis=ax, keepdims=True), xp.argmax(zero, axis=ax, keepdims=True), x.shape[ax])
            at_first = index == first
            skipped = xp.cumprod(xp.where(at_first, 1, x), axis=ax)
            g = xp.where(index < first, g, xp.where(at_first, self.reverse_cumsum(xp, gy * skipped), 0))
        return g.reshape(self.in_shape)


class LogSumExp(_Reduce):
    def forward(self, xp, x):
        self.x, self.in_shape = x, x.shape
        m = x.max(axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)  # all -inf: log(0) = -inf, not nan
        self.y = xp.log(xp.exp(x - m).sum(axis=self.axis, keepdims=True)) + m
        return self.y if self.keepdims else self.y.reshape(_reduced_shape(x.shape, self.axis))

    def backward(self, xp, gy):
        return self._expand(xp, gy) * xp.exp(self.x - self.y)


class L2Norm(_Reduce):
    """``sqrt(sum(x^2))`` over ``axis``; its gradient ``x / norm`` is taken as 0 where the norm is 0."""

    def forward(self, xp, x):
        self.x, self.in_shape = x, x.shape
        y = xp.sqrt((x * x).sum(axis=self.axis, keepdims=self.keepdims))
        self.y = y if isinstance(y, xp.ndarray) else xp.asarray(y, dtype=x.dtype)
        return self.y

    def backward(self, xp, gy):
        y = self._expand(xp, self.y)
        return self._expand(xp, gy) * xp.where(y > 0, self.x / xp.where(y > 0, y, 1), 0)


def _reduced_shape(shape, axis):
    axes = normalize_axis(axis, len(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)
