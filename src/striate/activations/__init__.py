"""Activation functions by name (Keras 3 names), mapped onto striate.ops."""
from striate import ops
from striate.utils.naming import lookup


def linear(x):
    return x


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def gelu(x, approximate=False):
    """GELU; as an activation by name Keras uses the exact (erf) form, unlike ``ops.gelu``."""
    return ops.gelu(x, approximate=approximate)


_NAMES = ["linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "leaky_relu",
          "softplus", "gelu", "hard_sigmoid", "silu"]
_LOCAL = {"linear": linear, "softmax": softmax, "gelu": gelu}
ALL = {name: _LOCAL.get(name) or getattr(ops, name) for name in _NAMES}
ALL["swish"] = ALL["silu"]


def get(identifier):
    """The activation function for a name, ``None`` (linear) or a callable."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return lookup("activation", identifier, ALL)


def serialize(fn):
    """The name Keras writes in configs for an activation function."""
    for name, f in ALL.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", str(fn))


def fused_name(fn):
    """``"relu"`` or ``"tanh"`` when ``fn`` is that activation (Dense and Conv2D fuse them into their op)."""
    for name in ("relu", "tanh"):
        if fn is ALL[name]:
            return name
    return None
