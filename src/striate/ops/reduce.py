"""Reductions over axes: sum, mean, max, min (differentiable), argmax, argmin."""
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
        return self.y if self.keepdims else self.y.reshape(self._out_shape(x))

    def _out_shape(self, x):
        axes = normalize_axis(self.axis, x.ndim)
        return tuple(n for i, n in enumerate(x.shape) if i not in axes)

    def backward(self, xp, gy):
        # NOTE: ties share the gradient equally, so the result matches torch's amax/amin.
        mask = self.x == self.y
        count = mask.sum(axis=self.axis, keepdims=True)
        g = gy if self.keepdims else gy.reshape(self.y.shape)
        return mask * (g / count).astype(self.x.dtype, copy=False)


class Min(Max):
    fn = "min"
