"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax (Keras 3 names and defaults)."""
import warnings

from striate import constraints, initializers, ops, regularizers
from striate.layers.layer import InputSpec, Layer

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]


class _Elementwise(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape


def _non_negative(layer, arg, value, none_ok=False):
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{layer}: {arg} must be a non-negative number, received {value!r}")
    return value


class ReLU(_Elementwise):
    """Rectified linear unit: ``x`` above ``threshold``, else ``negative_slope * (x - threshold)``,
    capped at ``max_value``.

    Args:
        max_value: the largest output (``None``: no cap).
        negative_slope: the slope below the threshold; default 0.
        threshold: where the unit turns on; default 0.

    Example:
        >>> import striate as keras
        >>> keras.layers.ReLU(max_value=6.0)(np.array([-1.0, 3.0, 8.0]))
        Tensor(array([0., 3., 6.], dtype=float32))
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, none_ok=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        slope, cap, thr = self.negative_slope, self.max_value, self.threshold
        if not thr and cap is None:
            return ops.leaky_relu(inputs, slope) if slope else ops.relu(inputs)
        if not thr and not slope and cap == 6:
            return ops.relu6(inputs)
        # The general case, as keras.activations.relu composes it.
        y = ops.where(inputs > thr, inputs, 0.0) if thr else ops.relu(inputs)
        if cap is not None:
            y = ops.clip(y, 0.0, cap)
        if slope:
            y = y - slope * ops.relu(thr - inputs)
        return y

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """``x`` where positive, else ``negative_slope * x``.

    Args:
        negative_slope: default 0.3 (Keras's default for the layer). The Keras 2 name ``alpha`` is
            accepted with a deprecation warning.

    Example:
        >>> import striate as keras
        >>> keras.layers.LeakyReLU(negative_slope=0.2)(np.array([-1.0, 2.0]))
        Tensor(array([-0.2,  2. ], dtype=float32))
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument alpha is deprecated, use negative_slope", DeprecationWarning,
                          stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope ``alpha`` per input position: ``x`` where positive, else ``alpha * x``.

    Args:
        alpha_initializer: default zeros (starts as ReLU).
        alpha_regularizer / alpha_constraint: for alpha.
        shared_axes: axes (counting the batch axis as 0) that share one slope, e.g. ``[1, 2]`` for one
            slope per channel of NHWC images.

    The weight ``alpha`` has the input's shape without the batch axis, with shared axes of size 1.

    Example:
        >>> import striate as keras
        >>> prelu = keras.layers.PReLU(shared_axes=[1, 2])
        >>> prelu(keras.Input(shape=(28, 28, 8))).shape, prelu.alpha.shape
        ((None, 28, 28, 8), (1, 1, 8))
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(shared_axes) if isinstance(shared_axes, (tuple, list)) else [shared_axes]
            if not all(isinstance(a, int) and a >= 1 for a in shared_axes):
                raise ValueError(f"PReLU: shared_axes must be axes >= 1 (0 is the batch axis), "
                                 f"received {shared_axes!r}")
        self.shared_axes = shared_axes

    def build(self, input_shape):
        shared = set(self.shared_axes or ())
        if shared and max(shared) >= len(input_shape):
            raise ValueError(f"PReLU '{self.name}': shared_axes {self.shared_axes} are out of range for inputs of "
                             f"shape {tuple(input_shape)}")
        shape = tuple(1 if i in shared else n for i, n in enumerate(input_shape) if i > 0)
        if None in shape:
            raise ValueError(f"PReLU '{self.name}': axes of unknown size must be in shared_axes, received input "
                             f"shape {tuple(input_shape)}")
        self.alpha = self.add_weight(name="alpha", shape=shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={i: n for i, n in enumerate(input_shape)
                                                                if i > 0 and i not in shared})

    def call(self, inputs):
        return ops.where(inputs > 0, inputs, self.alpha * inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: the negative side tends to ``-alpha``; default 1.0.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Exponentials normalized to sum to 1 along ``axis`` (an int or a tuple of ints).

    Example:
        >>> import striate as keras
        >>> keras.layers.Softmax()(np.array([[1.0, 1.0]]))
        Tensor(array([[0.5, 0.5]], dtype=float32))
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list):
            axis = tuple(axis)
        if not isinstance(axis, (int, tuple)):
            raise ValueError(f"Softmax: axis must be an int or a tuple of ints, received {axis!r}")
        self.axis = axis

    def call(self, inputs):
        return ops.softmax(inputs, self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
