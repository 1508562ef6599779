"""Neural-network ops (keras.ops names): activations, cross-entropies, dropout, normalization.

Activations and losses are fused ops with hand-written backward; ``hard_sigmoid`` and
``moments`` are composed from the basic ops. Batch normalization lives in ``ops.normalization``;
its names are exported here too.
"""
import math

from striate import backend
from striate.autodiff import Function, Tensor
from striate.ops import linalg as _linalg
from striate.ops import math as _math
from striate.ops import reduce as _reduce
from striate.ops import shape as _shape
from striate.ops._base import data, normalize_axis, tensor
from striate.ops.normalization import batch_norm_train, batch_normalization  # noqa: F401

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "sigmoid", "hard_sigmoid",
    "tanh", "silu", "softmax", "log_softmax",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "dropout", "moments", "batch_normalization", "batch_norm_train", "layer_normalization",
]

EPSILON = 1e-7  # keras.config.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON]
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_CUBIC = 0.044715


def _sigmoid(xp, x):
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0, e) / (1.0 + e)


def _erfcx(z):
    """erfc(z) * exp(z^2) for a Python float z >= 0 (asymptotic series where erfc underflows)."""
    if z < 20:
        return math.erfc(z) * math.exp(z * z)
    total, term = 1.0, 1.0
    for n in range(1, 12):
        term *= -(2 * n - 1) / (2 * z * z)
        total += term
    return total / (z * math.sqrt(math.pi))


def _fit_erfc(nodes=64, terms=22):
    """Chebyshev coefficients c of f in erfc(z) = t exp(-z^2 + f(y)), t = 2/(2+z), y = 2t - 1.

    NOTE: f is smooth on y in (-1, 1] (z in [0, inf)), so 22 terms reach double precision and
    12 reach single precision (Numerical Recipes' erfccheb form). The coefficients are fitted
    once, at import, from the standard library's erfc at the Chebyshev nodes.
    """
    ys = [math.cos(math.pi * (k + 0.5) / nodes) for k in range(nodes)]
    fs = [math.log(2 * _erfcx(2 * (1 - y) / (1 + y)) / (1 + y)) for y in ys]
    return [2 / nodes * sum(f * math.cos(math.pi * j * (k + 0.5) / nodes) for k, f in enumerate(fs))
            for j in range(terms)]


_ERFC_COEFS = _fit_erfc()


def _erfc(xp, x):
    """The complementary error function on arrays, to the precision of their dtype."""
    coefs = _ERFC_COEFS if x.dtype.itemsize >= 8 else _ERFC_COEFS[:12]
    z = xp.abs(x)
    t = 2.0 / (2.0 + z)
    ty = 4.0 * t - 2.0
    d, dd = 0.0, 0.0
    for c in coefs[:0:-1]:  # Clenshaw's recurrence
        d, dd = ty * d - dd + c, d
    r = t * xp.exp(0.5 * (coefs[0] + ty * d) - dd - z * z)
    return xp.where(x >= 0, r, 2.0 - r)


# -- activations ----------------------------------------------------------------------------
class ReLU(Function):
    """max(x, 0), split across striate's threads (after pooling in the convnets it is large)."""

    def forward(self, xp, x):
        self.y = _linalg.relu(xp, x)
        return self.y

    def backward(self, xp, gy):
        return _linalg.relu_grad(xp, gy, self.y)


class AddReLU(Function):
    """``max(a + b, 0)`` for ``a`` and ``b`` of one shape in one op, a residual addition and the ReLU
    after it (fused by models/fusion.py): the ReLU taken in place on the sum, in parts across striate's
    threads, with no array of its own; backward, both inputs get the gradient where the output is
    positive. The same bits as ``relu(add(a, b))``.

    Example:
        >>> AddReLU()([1.0, -2.0], [0.5, 1.0])
        Tensor(array([1.5, 0. ], dtype=float32))
    """

    def forward(self, xp, a, b):
        y = xp.empty(a.shape, dtype=xp.result_type(a, b))
        a, b, flat = a.reshape(-1), b.reshape(-1), y.reshape(-1)
        backend.parallel(lambda r: xp.maximum(xp.add(a[r], b[r], out=flat[r]), 0, out=flat[r]), len(flat),
                         3 * flat.size, kind="elementwise")
        self.y = y
        return y

    def backward(self, xp, gy):
        g = _linalg.relu_grad(xp, gy, self.y)
        return g, g


class ReLU6(Function):
    def forward(self, xp, x):
        self.mask = (x > 0) & (x < 6)
        return xp.clip(x, 0, 6)

    def backward(self, xp, gy):
        return gy * self.mask


class LeakyReLU(Function):
    def __init__(self, negative_slope):
        self.slope = negative_slope

    def forward(self, xp, x):
        self.mask = x > 0
        return xp.where(self.mask, x, x * self.slope)

    def backward(self, xp, gy):
        return xp.where(self.mask, gy, gy * self.slope)


class ELU(Function):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)); SELU is ELU with fixed alpha and scale."""

    def __init__(self, alpha, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def forward(self, xp, x):
        self.mask = x > 0
        self.neg = (self.scale * self.alpha) * xp.expm1(xp.minimum(x, 0))
        return xp.where(self.mask, self.scale * x, self.neg)

    def backward(self, xp, gy):
        # NOTE: for x <= 0, d/dx scale*alpha*(e^x - 1) = neg + scale*alpha, from the saved output.
        return xp.where(self.mask, self.scale * gy, gy * (self.neg + self.scale * self.alpha))


class GELU(Function):
    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, xp, x):
        self.x = x
        if self.approximate:
            self.t = xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x ** 3))
            return 0.5 * x * (1.0 + self.t)
        self.cdf = 0.5 * _erfc(xp, x * -math.sqrt(0.5))
        return x * self.cdf

    def backward(self, xp, gy):
        x = self.x
        if self.approximate:
            t = self.t
            inner = _SQRT_2_OVER_PI * (1.0 + 3 * _GELU_CUBIC * x * x)
            return gy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner)
        return gy * (self.cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x))


class Softplus(Function):
    def forward(self, xp, x):
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, xp, gy):
        return gy * _sigmoid(xp, self.x)


class Sigmoid(Function):
    def forward(self, xp, x):
        self.y = _sigmoid(xp, x)
        return self.y

    def backward(self, xp, gy):
        return gy * self.y * (1.0 - self.y)


class Tanh(Function):
    def forward(self, xp, x):
        self.y = _linalg.tanh(xp, x)
        return self.y

    def backward(self, xp, gy):
        return _linalg.activation_grad("tanh", gy, self.y)


class SiLU(Function):
    def forward(self, xp, x):
        self.x, self.s = x, _sigmoid(xp, x)
        return x * self.s

    def backward(self, xp, gy):
        s = self.s
        return gy * s * (1.0 + self.x * (1.0 - s))


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, xp, x):
        y = xp.exp(x - _over_axis("max", x, self.axis))
        y /= _over_axis("sum", y, self.axis)
        self.y = y
        return y

    def backward(self, xp, gy):
        y = self.y
        return y * (gy - _over_axis("sum", gy * y, self.axis))


def _over_axis(kind, a, axis):
    """``a.sum`` or ``a.max`` (``kind``) over ``axis``, keeping it; a last axis of a few classes by
    ``backend.reduce_last_axis`` (the same values, many times faster per pixel)."""
    if axis == -1 or axis == a.ndim - 1:
        return backend.reduce_last_axis(kind, a, keepdims=True)
    return getattr(a, kind)(axis=axis, keepdims=True)


class SoftmaxOutput(Tensor):
    """The probabilities of a recorded softmax over the last axis of its logits, which it keeps.

    Like the ``_keras_logits`` Keras's softmax leaves on its output: a cross-entropy told at setup that its
    predictions come from a softmax (``through_softmax=True``) takes ``logits`` and differentiates straight to
    them. Everything else sees an ordinary Tensor.

    Example:
        >>> import striate as keras
        >>> z = keras.Tensor([[1.0, 1.0]], requires_grad=True)
        >>> keras.ops.softmax(z).logits is z
        True
    """

    __slots__ = ("logits",)


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, xp, x):
        z = x - x.max(axis=self.axis, keepdims=True)
        self.y = z - xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, xp, gy):
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def relu(x):
    """Rectified linear unit, ``max(x, 0)``.

    Example:
        >>> import striate as keras
        >>> keras.ops.relu([-1.0, 2.0])
        Tensor(array([0., 2.], dtype=float32))
    """
    return ReLU()(x)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ReLU6()(x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, else ``negative_slope * x``.

    Args:
        x: input tensor.
        negative_slope: slope for negative inputs.
    """
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``.

    Args:
        x: input tensor.
        alpha: the value the negative side tends to is ``-alpha``.
    """
    return ELU(alpha)(x)


def selu(x):
    """Scaled ELU with the self-normalizing constants (alpha 1.6733, scale 1.0507)."""
    return ELU(_SELU_ALPHA, _SELU_SCALE)(x)


def gelu(x, approximate=True):
    """Gaussian error linear unit, ``x * Phi(x)`` with ``Phi`` the standard normal CDF.

    Args:
        x: input tensor.
        approximate: use the tanh approximation (Keras's default for ``ops.gelu``);
            ``False`` uses the exact error function.

    Example:
        >>> import striate as keras
        >>> keras.ops.gelu([0.0, 1.0])
        Tensor(array([0.    , 0.8412], dtype=float32))
    """
    return GELU(approximate)(x)


def softplus(x):
    """``log(1 + exp(x))``, computed without overflow for large ``|x|``."""
    return Softplus()(x)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    return Sigmoid()(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, ``relu6(x + 3) / 6`` (Keras 3's definition)."""
    return _math.Div()(relu6(_math.Add()(x, 3.0)), 6.0)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh()(x)


def silu(x):
    """Sigmoid linear unit (swish), ``x * sigmoid(x)``."""
    return SiLU()(x)


def softmax(x, axis=-1):
    """Exponentials normalized to sum to 1 along ``axis`` (max-subtracted, so large logits are safe).

    Args:
        x: input tensor (logits).
        axis: the axis (or tuple of axes) to normalize over.

    Returns:
        A Tensor of the shape of ``x`` whose entries along ``axis`` sum to 1.

    Example:
        >>> import striate as keras
        >>> keras.ops.softmax([[1.0, 1.0]])
        Tensor(array([[0.5, 0.5]], dtype=float32))
    """
    fn = Softmax(axis)
    out = fn(x)
    if not (fn.recording and out.ndim >= 1 and axis in (-1, out.ndim - 1)):
        return out
    probabilities = SoftmaxOutput._make(out.data, fn)
    probabilities.logits = x
    return probabilities


def log_softmax(x, axis=-1):
    """``log(softmax(x, axis))``, computed as ``x - logsumexp(x)`` so it never takes log(0).

    Args:
        x: input tensor (logits).
        axis: the axis (or tuple of axes) to normalize over.
    """
    return LogSoftmax(axis)(x)


# -- losses ---------------------------------------------------------------------------------
class CategoricalCrossEntropy(Function):
    def __init__(self, from_logits, axis):
        self.from_logits, self.axis = from_logits, axis

    def forward(self, xp, target, output):
        ax = self.axis
        if self.from_logits:
            z = output - output.max(axis=ax, keepdims=True)
            self.logp = z - xp.log(xp.exp(z).sum(axis=ax, keepdims=True))
        else:
            self.s = output.sum(axis=ax, keepdims=True)
            self.p = output / self.s
            self.c = xp.clip(self.p, EPSILON, 1.0 - EPSILON)
            self.logp = xp.log(self.c)
        self.target = target
        return -(target * self.logp).sum(axis=ax)

    def backward(self, xp, gy):
        g = xp.expand_dims(gy, self.axis)
        t, ax = self.target, self.axis
        g_target = -g * self.logp if self.needs_grad[0] else None
        if not self.needs_grad[1]:
            return g_target, None
        if self.from_logits:  # d/dz of -sum(t * log_softmax(z)) = softmax(z) * sum(t) - t
            return g_target, g * (xp.exp(self.logp) * t.sum(axis=ax, keepdims=True) - t)
        # NOTE: u = dL/dp through log and clip; p = o / sum(o) then gives do = (u - sum(u p)) / sum(o).
        p = self.p
        u = -g * t / self.c * ((p >= EPSILON) & (p <= 1.0 - EPSILON))
        return g_target, (u - (u * p).sum(axis=ax, keepdims=True)) / self.s


class SparseCrossEntropy(Function):
    """Cross-entropy of integer labels against the class axis of ``output``, moved last."""

    def __init__(self, from_logits, axis):
        self.from_logits, self.axis = from_logits, axis

    def forward(self, xp, labels, output):
        last = self.axis == output.ndim - 1
        o = output if last else xp.ascontiguousarray(xp.moveaxis(output, self.axis, -1))
        self.last, self.labels = last, labels
        # NOTE: o[..., label] through flat indices: one gather, no one-hot matrix.
        self.flat = xp.arange(labels.size) * o.shape[-1] + labels.reshape(-1)
        if self.from_logits:
            z = o - o.max(axis=-1, keepdims=True)
            self.e = xp.exp(z)
            self.s = self.e.sum(axis=-1, keepdims=True)
            return xp.log(self.s[..., 0]) - z.reshape(-1)[self.flat].reshape(labels.shape)
        self.o = o
        self.s = o.sum(axis=-1)
        self.p = o.reshape(-1)[self.flat].reshape(labels.shape) / self.s
        return -xp.log(xp.clip(self.p, EPSILON, 1.0 - EPSILON))

    def backward(self, xp, gy):
        if self.from_logits:  # softmax - one_hot
            go = self.e / self.s
            go.reshape(-1)[self.flat] -= 1.0
            go *= gy[..., None]
        else:
            # NOTE: only the label's probability p = o_y / sum(o) enters the loss -log(clip(p)), so
            # with u = dL/dp (zero where the clip is active), do = u (one_hot - p) / sum(o).
            p = self.p
            u = -gy / xp.clip(p, EPSILON, 1.0 - EPSILON) * ((p >= EPSILON) & (p <= 1.0 - EPSILON)) / self.s
            go = xp.multiply(-(u * p)[..., None], xp.ones_like(self.o))
            go.reshape(-1)[self.flat] += u.reshape(-1)
        return None, (go if self.last else xp.moveaxis(go, -1, self.axis))


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of a softmax's probabilities, differentiated straight to the softmax's logits.

    The value is Keras's: ``-sum(t * log(clip(p / sum p)))`` on the probabilities ``p`` the softmax
    already computed. NOTE: through the softmax, the gradient with respect to the logits collapses to
    ``p * sum(t * m) - t * m`` (``m``: where the clip is inactive); for one label ``y`` that is
    ``m_y * (p - one_hot)``. One fused op replaces a softmax backward and a cross-entropy backward.
    The class axis is the last; every other axis (samples, a segmentation's pixels) is rows.
    """

    def __init__(self, probs, sparse):
        self.p, self.sparse = probs, sparse

    def forward(self, xp, target, logits):
        classes, rows_shape = self.p.shape[-1], self.p.shape[:-1]
        p = self.p.reshape(-1, classes)
        if self.sparse:  # only the labels' probabilities are normalized: the same divisions, fewer of them
            # p[row, label] through flat indices: one gather
            self.flat = xp.arange(len(p)) * classes + target.reshape(-1)
            qy = p.reshape(-1)[self.flat] / backend.reduce_last_axis("sum", p)
            clipped = xp.minimum(xp.maximum(qy, EPSILON), 1.0 - EPSILON)
            self.m = (clipped == qy).astype(p.dtype)  # 0 where the clip is active (or NaN)
            return -xp.log(clipped).reshape(rows_shape)
        t = target.reshape(p.shape)
        q = p / backend.reduce_last_axis("sum", p, keepdims=True)
        self.tm = t * ((q >= EPSILON) & (q <= 1.0 - EPSILON))
        return -backend.reduce_last_axis("sum", t * xp.log(xp.clip(q, EPSILON, 1.0 - EPSILON))).reshape(rows_shape)

    def backward(self, xp, gy):
        gy, p = gy.reshape(-1), self.p.reshape(-1, self.p.shape[-1])
        if self.sparse:
            w = gy * self.m
            go = p * w[:, None]
            go.reshape(-1)[self.flat] -= w
        else:
            go = (p * backend.reduce_last_axis("sum", self.tm, keepdims=True) - self.tm) * gy[:, None]
        return None, go.reshape(self.p.shape)


class BinaryCrossEntropy(Function):
    def __init__(self, from_logits):
        self.from_logits = from_logits

    def forward(self, xp, target, output):
        self.target, self.output = target, output
        if self.from_logits:  # max(o, 0) - o t + log(1 + exp(-|o|)): no overflow
            return xp.maximum(output, 0) - output * target + xp.log1p(xp.exp(-xp.abs(output)))
        c = xp.clip(output, EPSILON, 1.0 - EPSILON)
        return -(target * xp.log(c) + (1.0 - target) * xp.log1p(-c))

    def backward(self, xp, gy):
        t, o = self.target, self.output
        if self.from_logits:
            g_target = -gy * o if self.needs_grad[0] else None
            return g_target, (gy * (_sigmoid(xp, o) - t) if self.needs_grad[1] else None)
        c = xp.clip(o, EPSILON, 1.0 - EPSILON)
        g_target = gy * (xp.log1p(-c) - xp.log(c)) if self.needs_grad[0] else None
        if not self.needs_grad[1]:
            return g_target, None
        inside = (o >= EPSILON) & (o <= 1.0 - EPSILON)
        return g_target, gy * inside * (c - t) / (c * (1.0 - c))


def _target_like(target, output):
    """``target`` in ``output``'s dtype: a Tensor stays differentiable, anything else is converted."""
    if isinstance(target, Tensor):
        return target if target.dtype == output.dtype else _math.Cast(output.dtype)(target)
    return data(target).astype(output.dtype, copy=False)


def _class_labels(op, target, num_classes):
    """Integer class ids from ``target`` (floats holding integers accepted), checked to be in range."""
    xp = backend.xp()
    labels = data(target)
    if labels.dtype.kind == "f":
        as_int = labels.astype("int64")
        if not bool(xp.all(as_int == labels)):
            bad = labels[as_int != labels].ravel()[0]
            raise ValueError(f"{op}: sparse targets must be integer class ids, received {float(bad)!r}")
        labels = as_int
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: sparse targets must be integer class ids, received dtype {labels.dtype}")
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"{op}: label {lo if lo < 0 else hi} is out of range for {num_classes} "
                             f"classes (labels must be integers in [0, {num_classes - 1}])")
    return labels


def categorical_crossentropy(target, output, from_logits=False, axis=-1, *, through_softmax=False):
    """Cross-entropy between one-hot (or soft) targets and predictions, one value per sample.

    Args:
        target: class probabilities, the shape of ``output``.
        output: predicted probabilities, or logits when ``from_logits``. Probabilities are
            normalized to sum to 1 along ``axis`` and clipped to ``[1e-7, 1 - 1e-7]``, as Keras does.
        from_logits: whether ``output`` holds logits (more accurate: no clipping).
        axis: the class axis.
        through_softmax: the caller knows ``output`` is a softmax's: when it is a :class:`SoftmaxOutput`
            (recorded, 2-D, last axis), the same value is differentiated straight to its logits in one
            fused op. Losses set up for a model ending in softmax pass it (see ``losses.resolve_loss``).

    Returns:
        A Tensor of ``output``'s shape without ``axis``: ``-sum(target * log p, axis)``.

    Example:
        >>> import striate as keras
        >>> keras.ops.categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])   # -log(0.8)
        Tensor(array([0.2231], dtype=float32))
    """
    op = "categorical_crossentropy"
    output = tensor(output)
    ax = _class_axis(op, output, axis)
    target = _target_like(target, output)
    if target.shape != output.shape:
        hint = ""
        if tuple(target.shape) == _without(output.shape, ax):
            hint = "; for integer class labels use sparse_categorical_crossentropy"
        raise ValueError(f"{op}: target shape {tuple(target.shape)} does not fit output shape {output.shape}: "
                         f"targets hold one probability per class, in the output's shape{hint}")
    if _fuses(through_softmax, from_logits, output, ax) and not (isinstance(target, Tensor) and target.requires_grad):
        return SoftmaxCrossEntropy(output.data, sparse=False)(target, output.logits)
    return CategoricalCrossEntropy(from_logits, ax)(target, output)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1, *, through_softmax=False):
    """Cross-entropy between integer class labels and predictions, one value per sample.

    Args:
        target: integer class ids, ``output``'s shape without ``axis`` (a trailing size-1 axis
            is also accepted). Float arrays holding integers are accepted.
        output: predicted probabilities, or logits when ``from_logits``. Probabilities are
            normalized along ``axis`` and clipped to ``[1e-7, 1 - 1e-7]``, as Keras does.
        from_logits: whether ``output`` holds logits.
        axis: the class axis.
        through_softmax: see :func:`categorical_crossentropy`.

    Returns:
        A Tensor of ``output``'s shape without ``axis``: ``-log p[target]``.

    Example:
        >>> import striate as keras
        >>> keras.ops.sparse_categorical_crossentropy([1], [[0.2, 0.8]])   # -log(0.8)
        Tensor(array([0.2231], dtype=float32))
    """
    op = "sparse_categorical_crossentropy"
    output = tensor(output)
    ax = _class_axis(op, output, axis)
    labels = data(target)
    given = tuple(labels.shape)
    if labels.ndim == output.ndim and labels.shape[ax] == 1:
        labels = labels.reshape(_without(labels.shape, ax))
    expected = _without(output.shape, ax)
    if tuple(labels.shape) != expected:
        hint = "; for one-hot targets use categorical_crossentropy" if given == output.shape else ""
        raise ValueError(f"{op}: target shape {given} does not fit output shape {output.shape}: sparse "
                         f"targets hold one integer class per sample (shape {expected}){hint}")
    labels = _class_labels(op, labels, output.shape[ax])
    if _fuses(through_softmax, from_logits, output, ax):
        return SoftmaxCrossEntropy(output.data, sparse=True)(labels, output.logits)
    return SparseCrossEntropy(from_logits, ax)(labels, output)


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (no reduction), as ``keras.ops.binary_crossentropy``.

    Args:
        target: labels in [0, 1], the shape of ``output``.
        output: predicted probabilities (clipped to ``[1e-7, 1 - 1e-7]``), or logits when
            ``from_logits`` (computed exactly, without clipping).
        from_logits: whether ``output`` holds logits.

    Returns:
        A Tensor of ``output``'s shape: ``-(t log p + (1 - t) log(1 - p))``.

    Example:
        >>> import striate as keras
        >>> keras.ops.binary_crossentropy([1.0, 0.0], [0.9, 0.1])   # -log(0.9) twice
        Tensor(array([0.1054, 0.1054], dtype=float32))
    """
    output = tensor(output)
    target = _target_like(target, output)
    if target.shape != output.shape:
        raise ValueError(f"binary_crossentropy: target shape {tuple(target.shape)} does not fit output "
                         f"shape {output.shape}: the two must have the same shape")
    return BinaryCrossEntropy(from_logits)(target, output)


def _fuses(through_softmax, from_logits, output, axis):
    """Whether a cross-entropy told ``through_softmax`` can take its softmax's logits: a recorded softmax
    over the class axis, the last."""
    return through_softmax and not from_logits and isinstance(output, SoftmaxOutput) and axis == output.ndim - 1


def _class_axis(op, output, axis):
    if output.ndim < 1:
        raise ValueError(f"{op}: output needs a class axis, received shape {output.shape}")
    return axis % output.ndim


def _without(shape, axis):
    return tuple(shape[:axis]) + tuple(shape[axis + 1:])


# -- dropout --------------------------------------------------------------------------------
class Dropout(Function):
    """Multiply by a fixed mask (already scaled); the same mask scales the gradient."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, xp, x):
        return x * self.mask

    def backward(self, xp, gy):
        return gy * self.mask


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability ``rate`` and scale the kept ones by ``1 / (1 - rate)``.

    Args:
        inputs: input tensor.
        rate: the fraction to drop, in [0, 1].
        noise_shape: shape of the mask, broadcast against ``inputs`` (e.g. ``(batch, 1, 1, channels)``
            drops whole feature maps); ``None`` entries take the input's size.
        seed: an int for a repeatable mask; ``None`` draws from ``striate.backend.rng()``.

    Returns:
        A Tensor of ``inputs``' shape; its expected value equals ``inputs``.

    Example:
        >>> import striate as keras
        >>> keras.ops.dropout(np.ones((2, 4), "float32"), 0.5, seed=1)   # kept entries are scaled by 2
        Tensor(array([[0., 2., 2., 2.],
                      [0., 0., 2., 2.]], dtype=float32))
    """
    x = tensor(inputs)
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout: rate must be in [0, 1], received {rate!r}")
    if rate == 0:
        return x
    shape = x.shape if noise_shape is None else \
        tuple(x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    if len(shape) != x.ndim or any(n not in (1, m) for n, m in zip(shape, x.shape)):
        raise ValueError(f"dropout: noise_shape {tuple(noise_shape)} does not broadcast to the input "
                         f"shape {x.shape}: each entry must equal the input's size or be 1")
    rng = backend.rng() if seed is None else backend.xp().random.default_rng(seed)
    mask = (rng.random(shape, dtype="float32") >= rate).astype(
        x.dtype if x.dtype.kind == "f" else backend.floatx())
    if rate < 1:
        mask *= 1.0 / (1.0 - rate)
    return Dropout(mask)(x)


# -- normalization --------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and population variance of ``x`` over ``axes``, both differentiable.

    Args:
        x: input tensor.
        axes: axis or axes to reduce.
        keepdims: keep the reduced axes with size 1.
        synchronized: accepted for Keras compatibility; one device has nothing to synchronize.

    Returns:
        ``(mean, variance)`` Tensors.

    Example:
        >>> import striate as keras
        >>> keras.ops.moments([[1.0, 2.0], [3.0, 6.0]], axes=0)   # per-column statistics
        (Tensor(array([2., 4.], dtype=float32)), Tensor(array([1., 4.], dtype=float32)))
    """
    x = tensor(x)
    axes = normalize_axis(axes, x.ndim)
    mean = _reduce.Mean(axes, True)(x)
    variance = _reduce.Mean(axes, keepdims)(_math.Square()(_math.Sub()(x, mean)))
    if not keepdims:
        mean = _shape.Reshape(variance.shape)(mean)
    return mean, variance


class LayerNorm(Function):
    """Normalize each sample over ``axes`` by its own mean and variance; inputs are x, then gamma and
    beta when present (each one value per element of the normalized axes)."""

    def __init__(self, axes, epsilon, rms_scaling, scale, center):
        self.axes, self.epsilon, self.rms_scaling = axes, epsilon, rms_scaling
        self.scale, self.center = scale, center

    def forward(self, xp, x, *params):
        self.others = tuple(i for i in range(x.ndim) if i not in self.axes)
        self.param_shapes = [p.shape for p in params]
        shape = tuple(n if i in self.axes else 1 for i, n in enumerate(x.shape))
        centered = x - x.mean(axis=self.axes, keepdims=True)
        self.inv = 1.0 / xp.sqrt((centered * centered).mean(axis=self.axes, keepdims=True) + self.epsilon)
        self.chat = centered * self.inv
        # rms_scaling (Keras's): the variance's scale, but the input left uncentered
        self.xhat = x * self.inv if self.rms_scaling else self.chat
        self.gamma = params[0].reshape(shape) if self.scale else None
        y = self.xhat * self.gamma if self.scale else self.xhat
        return y + params[-1].reshape(shape) if self.center else y

    def backward(self, xp, gy):
        grads = [None]
        if self.needs_grad[0]:
            # NOTE: with g = gy * gamma and means over the normalized axes, dx = inv * (g - mean(g) -
            # chat * mean(g * xhat)); without centering (rms_scaling) the mean(g) term drops out.
            g = gy * self.gamma if self.scale else gy
            dx = g - self.chat * (g * self.xhat).mean(axis=self.axes, keepdims=True)
            if not self.rms_scaling:
                dx -= g.mean(axis=self.axes, keepdims=True)
            grads[0] = dx * self.inv
        if self.scale:
            grads.append((gy * self.xhat).sum(axis=self.others).reshape(self.param_shapes[0]))
        if self.center:
            grads.append(gy.sum(axis=self.others).reshape(self.param_shapes[-1]))
        return tuple(grads)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    """Layer normalization (Ba et al., 2016), as ``keras.ops.layer_normalization``: each sample
    normalized over ``axis`` by its own mean and variance, then scaled by ``gamma`` and shifted by ``beta``.

    One fused op with a hand-written backward.

    Args:
        x: input tensor.
        gamma: optional scale, one value per element of the normalized axes (their shape, in order,
            or any shape of that size).
        beta: optional offset, likewise.
        axis: the axis or axes to normalize over (default -1).
        epsilon: added to the variance; default ``1e-7`` (Keras's ``backend.epsilon()``).
        rms_scaling: Keras's deprecated setting: ``x / sqrt(variance + epsilon) * gamma``, the input
            not centered (and no ``beta``).

    Returns:
        A Tensor of ``x``'s shape, differentiable with respect to ``x``, ``gamma`` and ``beta``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> keras.ops.layer_normalization(np.arange(5, dtype="float32")).numpy().round(4)
        array([-1.4142, -0.7071,  0.    ,  0.7071,  1.4142], dtype=float32)
    """
    x = tensor(x)
    axes = tuple(sorted(set(normalize_axis(axis, x.ndim))))
    size = math.prod(x.shape[a] for a in axes)
    params = []
    for name, p in (("gamma", gamma), ("beta", None if rms_scaling else beta)):
        if p is not None:
            p = tensor(p)
            if p.size != size:
                raise ValueError(f"layer_normalization: {name} has shape {p.shape}, expected {size} values, one per "
                                 f"element of axes {axes} of the input shape {x.shape}")
            params.append(p)
    fn = LayerNorm(axes, EPSILON if epsilon is None else epsilon, rms_scaling, gamma is not None,
                   beta is not None and not rms_scaling)
    return fn(x, *params)
