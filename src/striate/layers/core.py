"""Core layers: Input/InputLayer, Dense, Activation, Lambda-free identity helpers."""
import numbers

from striate import activations, constraints, initializers, ops, regularizers
from striate.layers.layer import InputSpec, KerasTensor, Layer, Node


def _dimension_problem(d):
    """Why ``d`` cannot be the size of an axis, or None when it can (``None`` itself, an unknown size, can)."""
    if d is None:
        return None
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        return f"{d!r} is a {type(d).__name__}"
    return f"{d} is not positive" if d <= 0 else None


def _checked_shape(arg, value):
    """``value`` (a tuple, list or one size) as a tuple of ints and Nones; a clear error naming ``arg``
    when an entry is not a size."""
    shape = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for d in shape:
        problem = _dimension_problem(d)
        if problem:
            raise ValueError(f"Input expects {arg} to hold positive integers or None (an unknown size), received "
                             f"{arg}={value!r}, where {problem}")
    return tuple(None if d is None else int(d) for d in shape)


class InputLayer(Layer):
    """The entry of a model: holds the input's shape (without the batch axis) and dtype.

    Args:
        shape: the shape of one example, without the batch axis: positive ints, ``None`` for a size
            known only when data arrives.
        batch_size: optional fixed batch size.
        dtype: defaults to ``floatx()``.
        name: the layer's name.
        batch_shape: instead of ``shape`` and ``batch_size``: the shape with the batch axis first.

    Example:
        >>> import striate as keras
        >>> keras.layers.InputLayer(shape=(28, 28, 1)).batch_shape
        (None, 28, 28, 1)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, input_shape=None,
                 **kwargs):
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape, e.g. Input(shape=(28, 28, 1)) (without the batch axis)")
            shape = _checked_shape("shape", shape)
            if _dimension_problem(batch_size):
                raise ValueError(f"Input expects batch_size to be a positive integer or None, received "
                                 f"batch_size={batch_size!r}")
            batch_shape = (batch_size,) + shape
        elif not isinstance(batch_shape, (tuple, list)):
            raise ValueError(f"Input expects batch_shape to be a tuple, e.g. (None, 28, 28, 1), received "
                             f"batch_shape={batch_shape!r}")
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.batch_shape = _checked_shape("batch_shape", batch_shape)
        self.built = True
        tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        self._inbound_nodes.append(Node(self, [], [tensor], False, {}))

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False, "name": self.name}

    def compute_output_shape(self, input_shape):
        return self.batch_shape


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic input tensor for the functional API.

    Args:
        shape: the shape of one example, without the batch axis, e.g. ``(28, 28, 1)``.
        batch_size: optional fixed batch size.
        dtype: defaults to ``floatx()``.
        name: the input layer's name.
        batch_shape: instead of ``shape`` and ``batch_size``: the shape with the batch axis first.

    Returns:
        A :class:`KerasTensor` to call layers on.

    Raises:
        ValueError: an entry of the shape is not a positive integer or ``None`` (a string, a float, a
            negative number or zero).

    Example:
        >>> import striate as keras
        >>> inputs = keras.Input(shape=(100,))
        >>> outputs = keras.layers.Dense(10, activation="softmax")(inputs)
        >>> keras.Model(inputs, outputs).output_shape
        (None, 10)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape,
                       **kwargs)
    return layer.output


class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: the number of outputs.
        activation: a name ('relu', 'softmax', ...) or a callable; ``None`` is linear.
        use_bias: whether to add a bias.
        kernel_initializer / bias_initializer: default 'glorot_uniform' / 'zeros'.
        kernel_regularizer / bias_regularizer: e.g. ``L2(1e-4)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.Dense(units=64, activation="relu")(keras.Input(shape=(100,))).shape
        (None, 64)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, received {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        if activity_regularizer is not None:
            raise ValueError("Dense: activity_regularizer is not supported; regularize the weights instead")
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(f"Dense '{self.name}' expects inputs whose last axis has a known size (it sets the "
                             f"kernel's shape), received shape {tuple(input_shape)}; give the Input a full shape, "
                             "e.g. Input(shape=(28, 28, 1)), so that a Flatten before this layer knows its size")
        self.kernel = self.add_weight(shape=(n_in, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})

    def call(self, inputs):
        fused = activations.fused_name(self.activation)
        if fused is not None or self.activation is activations.linear:
            return ops.dense(inputs, self.kernel, self.bias, activation=fused)
        return self.activation(ops.dense(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Activation(Layer):
    """Applies an activation function by name or callable: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

