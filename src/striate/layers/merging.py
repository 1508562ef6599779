"""Merging layers: combine a list of inputs (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate) and the Keras 2 functional forms (``add([a, b])``, ``concatenate([a, b])``, ...)."""
from striate import ops
from striate.layers.layer import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]


class _Merge(Layer):
    """Element-wise merge of a list of inputs; sizes broadcast as NumPy's (equal or 1), and an input
    with fewer axes gets size-1 axes inserted after the batch axis, as Keras does."""

    min_inputs, max_inputs = 1, float("inf")

    def _shapes(self, input_shape):
        """The list of input shapes, checked to be a list of at least ``min_inputs`` shapes."""
        if not isinstance(input_shape, list) or not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a list of inputs, received an input "
                             f"of shape {tuple(input_shape)}")
        if len(input_shape) < self.min_inputs or len(input_shape) > self.max_inputs:
            count = self.min_inputs if self.min_inputs == self.max_inputs else f"at least {self.min_inputs}"
            raise ValueError(f"{type(self).__name__} '{self.name}' expects {count} inputs, received "
                             f"{len(input_shape)}: shapes {input_shape}")
        return input_shape

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        rank = max(len(s) for s in shapes)
        out = []
        for sizes in zip(*[s[:1] + (1,) * (rank - len(s)) + s[1:] for s in shapes]):
            known = {n for n in sizes if n is not None and n != 1}
            if len(known) > 1:
                raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of the same shape (or sizes "
                                 f"of 1 that broadcast), received shapes {shapes}")
            out.append(known.pop() if known else None if None in sizes else 1)
        return tuple(out)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a list of inputs, received one input "
                             f"of shape {tuple(inputs.shape)}")
        rank = max(x.ndim for x in inputs)
        if any(x.ndim != rank for x in inputs):
            inputs = [x if x.ndim == rank else ops.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
                      for x in inputs]
        y = inputs[0]
        for x in inputs[1:]:
            y = self.combine(y, x)
        return self.finish(y, len(inputs))

    def finish(self, y, count):
        return y


class Add(_Merge):
    """The element-wise sum of a list of inputs (e.g. a residual connection).

    Example:
        >>> import striate as keras
        >>> x = keras.Input(shape=(8, 8, 16))
        >>> keras.layers.Add()([x, keras.layers.Conv2D(16, 3, padding="same")(x)]).shape
        (None, 8, 8, 16)
    """

    combine = staticmethod(ops.add)


class Subtract(_Merge):
    """The difference of exactly two inputs: ``Subtract()([a, b])`` is ``a - b``."""

    min_inputs = max_inputs = 2
    combine = staticmethod(ops.subtract)


class Multiply(_Merge):
    """The element-wise product of a list of inputs."""

    combine = staticmethod(ops.multiply)


class Average(_Merge):
    """The element-wise mean of a list of inputs."""

    combine = staticmethod(ops.add)

    def finish(self, y, count):
        return y / count


class Maximum(_Merge):
    """The element-wise maximum of a list of inputs."""

    combine = staticmethod(ops.maximum)


class Minimum(_Merge):
    """The element-wise minimum of a list of inputs."""

    combine = staticmethod(ops.minimum)


class Concatenate(_Merge):
    """Join a list of inputs along ``axis``; all other axes must match.

    Args:
        axis: the axis to join along (default -1, the last).

    Example:
        >>> import striate as keras
        >>> keras.layers.Concatenate()([keras.Input(shape=(4,)), keras.Input(shape=(6,))]).shape
        (None, 10)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: axis must be an int, received {axis!r}")
        self.axis = axis

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate '{self.name}': axis {self.axis} is out of range for inputs of shapes "
                             f"{shapes}")
        ax = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            if len(s) != rank or any(a is not None and b is not None and a != b
                                     for i, (a, b) in enumerate(zip(s, out)) if i != ax):
                raise ValueError(f"Concatenate '{self.name}' expects inputs that match except on axis {self.axis}, "
                                 f"received shapes {shapes}")
            out = [b if a is None else a for a, b in zip(out, s)]
            out[ax] = None if out[ax] is None or s[ax] is None else out[ax] + s[ax]
        return tuple(out)

    def call(self, inputs):
        return ops.concatenate(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _functional(cls, result):
    """The Keras 2 function for ``cls``; ``result`` is what its docstring example prints."""
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = merge.__qualname__ = cls.__name__.lower()
    merge.__doc__ = (f"``{cls.__name__}(**kwargs)(inputs)``: the Keras 2 functional form, on symbolic inputs "
                     f"(``Input``) or on arrays.\n\n    Example:\n        >>> import striate as keras\n"
                     f"        >>> keras.layers.{merge.__name__}([np.array([[1.0, 4.0]]), np.array([[3.0, 2.0]])])\n"
                     f"        Tensor(array({result}, dtype=float32))\n")
    return merge


add, subtract, multiply, average, maximum, minimum = (
    _functional(cls, result) for cls, result in (
        (Add, "[[4., 6.]]"), (Subtract, "[[-2.,  2.]]"), (Multiply, "[[3., 8.]]"), (Average, "[[2., 3.]]"),
        (Maximum, "[[3., 4.]]"), (Minimum, "[[1., 2.]]")))


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: the Keras 2 functional form.

    Example:
        >>> import striate as keras
        >>> keras.layers.concatenate([np.array([[1.0, 4.0]]), np.array([[3.0, 2.0]])])
        Tensor(array([[1., 4., 3., 2.]], dtype=float32))
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
