"""Local response normalization (Krizhevsky et al., 2012): each activation divided by the energy of
its neighbours across channels at the same position."""
from striate.autodiff import Function
from striate.ops._base import normalize_axis, tensor

__all__ = ["local_response_normalization"]


def _window_sum(xp, a, axis, before, after):
    """``out[i] = sum(a[i - before : i + after + 1])`` along ``axis``, the window cut at the edges."""
    pads = [(0, 0)] * a.ndim
    pads[axis] = (before, after)
    padded = xp.pad(a, pads)
    n = a.shape[axis]
    index = [slice(None)] * a.ndim
    out = None
    for shift in range(before + after + 1):  # one array add per channel offset, never per channel
        index[axis] = slice(shift, shift + n)
        part = padded[tuple(index)]
        out = part.copy() if out is None else out + part
    return out


class LocalResponseNorm(Function):
    """``y = x / (k + alpha * window_sum(x ** 2)) ** beta`` along ``axis``; the window holds
    ``size // 2`` channels before and ``(size - 1) // 2`` after each channel."""

    def __init__(self, size, alpha, beta, k, axis):
        self.size, self.alpha, self.beta, self.k, self.axis = size, alpha, beta, k, axis

    def forward(self, xp, x):
        self.before, self.after = self.size // 2, (self.size - 1) // 2
        self.x = x
        self.denominator = self.k + self.alpha * _window_sum(xp, x * x, self.axis, self.before, self.after)
        self.scale = self.denominator ** -self.beta
        self.y = x * self.scale
        return self.y

    def backward(self, xp, gy):
        # NOTE: with d_i = k + alpha * sum_{j in window(i)} x_j^2 and y_i = x_i d_i^-beta,
        # dx_j = gy_j d_j^-beta - 2 alpha beta x_j sum_{i: j in window(i)} gy_i y_i / d_i; the windows
        # that contain j are j's window mirrored (``after`` channels before it, ``before`` after it).
        spread = _window_sum(xp, gy * self.y / self.denominator, self.axis, self.after, self.before)
        return (gy * self.scale - (2.0 * self.alpha * self.beta) * self.x * spread,)


def local_response_normalization(x, size=5, alpha=1e-4, beta=0.75, k=2.0, axis=-1):
    """Local response normalization as Krizhevsky et al. (2012) write it, AlexNet's after conv1 and conv2.

    ``y[c] = x[c] / (k + alpha * sum(x[c'] ** 2 for c' in window(c))) ** beta``, where ``window(c)`` holds
    the ``size`` channels ``c - size // 2`` to ``c + (size - 1) // 2`` that exist (cut at the edges).

    NOTE: ``alpha`` multiplies the sum itself, as in the paper (and in TensorFlow's
    ``tf.nn.local_response_normalization``); PyTorch's ``local_response_norm`` and Caffe divide their
    alpha by ``size``, so ``torch.nn.functional.local_response_norm(x, size, alpha * size, beta, k)``
    computes this (channels on axis 1 there).

    Args:
        x: input tensor.
        size: how many adjacent channels each window holds (the paper's n; default 5).
        alpha: the scale of the sum of squares (default 1e-4).
        beta: the exponent (default 0.75).
        k: the constant added to the scaled sum (default 2).
        axis: the channel axis (default -1, channels last).

    Returns:
        A Tensor of ``x``'s shape, differentiable with respect to ``x``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
        >>> keras.ops.local_response_normalization(x, size=3, alpha=1.0, beta=1.0, k=0.0).numpy().round(4)
        array([[0.2   , 0.1429, 0.2308]], dtype=float32)
    """
    x = tensor(x)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_normalization: size must be a positive int, received {size!r}")
    if x.ndim == 0:
        raise ValueError("local_response_normalization: x must have a channel axis, received a scalar")
    if isinstance(axis, bool) or not isinstance(axis, int) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"local_response_normalization: axis must be an int in [-{x.ndim}, {x.ndim}) for an "
                         f"input of shape {x.shape}, received {axis!r}")
    (ax,) = normalize_axis(axis, x.ndim)
    return LocalResponseNorm(size, float(alpha), float(beta), float(k), ax)(x)
