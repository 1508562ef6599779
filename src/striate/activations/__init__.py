"""Activation functions, as ``keras.activations``: plain functions of arrays and Tensors with Keras's
signatures, and the same functions by name (``activation="relu"``), for layers and configs."""
from striate import ops
from striate.utils.naming import lookup


def linear(x):
    """The identity: ``x`` unchanged.

    Args:
        x: input tensor.

    Returns:
        ``x``.

    Example:
        >>> import striate as keras
        >>> keras.activations.linear(2.0)
        2.0
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``x`` above ``threshold`` (capped at ``max_value``), else
    ``negative_slope * (x - threshold)``; with the defaults, ``max(x, 0)``.

    Args:
        x: input tensor.
        negative_slope: the slope below the threshold.
        max_value: the largest output, or ``None``.
        threshold: where the unit turns on.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> x = [-10.0, -5.0, 0.0, 5.0, 10.0]
        >>> keras.activations.relu(x)
        Tensor(array([ 0.,  0.,  0.,  5., 10.], dtype=float32))
        >>> keras.activations.relu(x, negative_slope=0.5, max_value=6.0, threshold=2.0)
        Tensor(array([-6. , -3.5, -1. ,  5. ,  6. ], dtype=float32))
    """
    if not negative_slope and max_value is None and not threshold:
        return ops.relu(x)  # the common case: one op, which Dense and Conv2D fuse
    if negative_slope and max_value is None and not threshold:
        return ops.leaky_relu(x, negative_slope)
    # the general case, composed as keras.activations.relu composes it
    x = ops.convert_to_tensor(x)
    y = ops.where(x.data > threshold, x, 0.0) if threshold else ops.relu(x)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope:
        y = ops.subtract(y, ops.multiply(negative_slope, ops.relu(ops.subtract(threshold, x))))
    return y


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, else ``negative_slope * x``.

    Args:
        x: input tensor.
        negative_slope: the slope for negative inputs.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.leaky_relu([-1.0, 2.0])
        Tensor(array([-0.2,  2. ], dtype=float32))
    """
    return ops.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``.

    Args:
        x: input tensor.
        alpha: the value the negative side tends to is ``-alpha``.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.elu([-1.0, 2.0])
        Tensor(array([-0.6321,  2.    ], dtype=float32))
    """
    return ops.elu(x, alpha)


def softmax(x, axis=-1):
    """Exponentials normalized to sum to 1 along ``axis``.

    Args:
        x: input tensor (logits).
        axis: the axis to normalize over.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.softmax([[0.0, 0.0]])
        Tensor(array([[0.5, 0.5]], dtype=float32))
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed without taking log(0).

    Args:
        x: input tensor (logits).
        axis: the axis to normalize over.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.log_softmax([[0.0, 0.0]])
        Tensor(array([[-0.6931, -0.6931]], dtype=float32))
    """
    return ops.log_softmax(x, axis=axis)


def gelu(x, approximate=False):
    """Gaussian error linear unit, ``x * Phi(x)``; as an activation Keras takes the exact (erf) form by
    default, unlike ``ops.gelu``.

    Args:
        x: input tensor.
        approximate: use the tanh approximation.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.gelu([0.0, 1.0])
        Tensor(array([0.    , 0.8413], dtype=float32))
    """
    return ops.gelu(x, approximate=approximate)


def exponential(x):
    """``exp(x)``.

    Args:
        x: input tensor.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.exponential([0.0, 1.0])
        Tensor(array([1.    , 2.7183], dtype=float32))
    """
    return ops.exp(x)


def mish(x):
    """``x * tanh(softplus(x))``.

    Args:
        x: input tensor.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.mish([0.0, 1.0])
        Tensor(array([0.    , 0.8651], dtype=float32))
    """
    x = ops.convert_to_tensor(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``threshold`` of 0 (``ops.soft_shrink``).

    Args:
        x: input tensor.
        threshold: the half-width of the zero band.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.soft_shrink([-2.0, 0.2])
        Tensor(array([-1.5,  0. ], dtype=float32))
    """
    return ops.soft_shrink(x, threshold)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0 (``ops.hard_shrink``).

    Args:
        x: input tensor.
        threshold: the half-width of the zero band.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.hard_shrink([-2.0, 0.2])
        Tensor(array([-2.,  0.], dtype=float32))
    """
    return ops.hard_shrink(x, threshold)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2`` (``ops.squareplus``).

    Args:
        x: input tensor.
        b: the smoothness, at least 0.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.squareplus([0.0])
        Tensor(array([1.], dtype=float32))
    """
    return ops.squareplus(x, b)


def celu(x, alpha=1.0):
    """``x`` where positive, else ``alpha * (exp(x / alpha) - 1)`` (``ops.celu``).

    Args:
        x: input tensor.
        alpha: the value the negative side tends to is ``-alpha``.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.celu([-1.0, 2.0], alpha=2.0)
        Tensor(array([-0.7869,  2.    ], dtype=float32))
    """
    return ops.celu(x, alpha)


def glu(x, axis=-1):
    """Gated linear unit, ``a * sigmoid(b)`` for the halves ``a``, ``b`` of ``x`` along ``axis``
    (``ops.glu``).

    Args:
        x: input tensor; ``axis`` must have an even size.
        axis: the axis to halve.

    Returns:
        A Tensor with ``axis`` halved, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.glu([[2.0, 0.0]])
        Tensor(array([[1.]], dtype=float32))
    """
    return ops.glu(x, axis)


def threshold(x, threshold, default_value):
    """``x`` where it exceeds ``threshold``, else ``default_value`` (``ops.threshold``).

    Args:
        x: input tensor.
        threshold: the value to exceed.
        default_value: what replaces the rest.

    Returns:
        A Tensor of ``x``'s shape, differentiable.

    Example:
        >>> import striate as keras
        >>> keras.activations.threshold([0.5, 2.0], 1.0, -1.0)
        Tensor(array([-1.,  2.], dtype=float32))
    """
    return ops.threshold(x, threshold, default_value)


# The one-argument activations whose keras.activations and keras.ops forms are the same function.
relu6, selu, sigmoid, hard_sigmoid, tanh, silu, softplus = (
    ops.relu6, ops.selu, ops.sigmoid, ops.hard_sigmoid, ops.tanh, ops.silu, ops.softplus)
softsign, log_sigmoid, hard_tanh, hard_silu, tanh_shrink, sparse_plus, sparse_sigmoid = (
    ops.softsign, ops.log_sigmoid, ops.hard_tanh, ops.hard_silu, ops.tanh_shrink, ops.sparse_plus,
    ops.sparse_sigmoid)
swish, hard_swish = silu, hard_silu

# By name (Keras's names), for ``activation="..."`` and configs. NOTE: glu and threshold are left out:
# glu needs an even axis and threshold two more arguments, so neither works as a layer's activation.
_NAMES = ["linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "leaky_relu",
          "softplus", "gelu", "hard_sigmoid", "silu", "exponential", "mish", "softsign", "log_sigmoid",
          "hard_tanh", "hard_silu", "celu", "squareplus", "soft_shrink", "hard_shrink", "tanh_shrink",
          "sparse_plus", "sparse_sigmoid"]
ALL = {name: globals()[name] for name in _NAMES}
ALL["swish"] = silu
ALL["hard_swish"] = hard_silu


def get(identifier):
    """The activation function for a name, a config, ``None`` (linear) or a callable.

    Args:
        identifier: ``"relu"``, ``{"class_name": "function", "config": "relu", ...}``, ``None`` or a callable.

    Returns:
        A function.

    Example:
        >>> import striate as keras
        >>> keras.activations.get("relu") is keras.activations.relu
        True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return deserialize(identifier)


def serialize(activation):
    """The name Keras writes in configs for an activation function.

    Args:
        activation: an activation function.

    Returns:
        Its name, e.g. ``"relu"`` (the function's own name for one striate does not know).

    Example:
        >>> import striate as keras
        >>> keras.activations.serialize(keras.activations.swish)
        'silu'
    """
    for name, f in ALL.items():
        if f is activation:
            return name
    return getattr(activation, "__name__", str(activation))


def deserialize(config, custom_objects=None):
    """The activation function a config names.

    Args:
        config: a name, or Keras's dict for a function (``{"class_name": "function", "config": name}``).
        custom_objects: optional ``{name: function}`` searched first.

    Returns:
        A function.

    Example:
        >>> import striate as keras
        >>> keras.activations.deserialize({"class_name": "function", "config": "tanh"}) is keras.activations.tanh
        True
    """
    name = config.get("config") if isinstance(config, dict) else config
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return lookup("activation", name, ALL)


def fused_name(fn):
    """``"relu"`` or ``"tanh"`` when ``fn`` is that activation (Dense and Conv2D fuse them into their op),
    given by name or as the ``ops`` function."""
    for name in ("relu", "tanh"):
        if fn is ALL[name] or fn is getattr(ops, name):
            return name
    return None
