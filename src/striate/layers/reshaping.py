"""Layers that move values without arithmetic: Flatten, Reshape, Permute, ZeroPadding2D, Cropping2D,
UpSampling2D."""
import math

from striate import ops
from striate.layers.conv import data_format_of, int_tuple
from striate.layers.layer import InputSpec, Layer

__all__ = ["Flatten", "Reshape", "Permute", "ZeroPadding2D", "Cropping2D", "UpSampling2D"]


class Flatten(Layer):
    """Flatten each example to one axis: ``(batch, d1, d2, ...)`` becomes ``(batch, d1 * d2 * ...)``.

    Args:
        data_format: with ``"channels_first"``, the channel axis is moved last before flattening,
            so the order of values matches a channels_last model.

    Example:
        >>> import striate as keras
        >>> keras.layers.Flatten()(keras.Input(shape=(28, 28))).shape
        (None, 784)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of("Flatten", data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape each example to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new shape without the batch axis; one entry may be -1 (inferred).

    Example:
        >>> import striate as keras
        >>> keras.layers.Reshape((7, 7, 16))(keras.Input(shape=(784,))).shape
        (None, 7, 7, 16)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(target_shape) if isinstance(target_shape, (tuple, list)) else (target_shape,)
        if not all(isinstance(n, int) and (n > 0 or n == -1) for n in target) or target.count(-1) > 1:
            raise ValueError(f"Reshape: target_shape must hold positive ints and at most one -1, "
                             f"received {target_shape!r}")
        self.target_shape = target

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # check the sizes once, with a clear message

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if None in rest:
            return (input_shape[0],) + tuple(None if n == -1 else n for n in self.target_shape)
        size, known = math.prod(rest), math.prod(n for n in self.target_shape if n != -1)
        fits = size % known == 0 if -1 in self.target_shape else size == known
        if not fits:
            raise ValueError(f"Reshape '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} ({size} "
                             f"values per example) into target_shape {self.target_shape}")
        return (input_shape[0],) + tuple(size // known if n == -1 else n for n in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Reorder the axes of each example; ``dims`` counts from 1 (the batch axis stays first).

    Args:
        dims: a permutation of ``1 .. rank - 1``, e.g. ``(2, 1)`` swaps the two axes of ``(batch, a, b)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.Permute((2, 1))(keras.Input(shape=(10, 64))).shape
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1 .. {len(self.dims)} (the batch axis is 0 "
                             f"and stays first), received {dims!r}")
        self._axes = (0,) + self.dims
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, self._axes)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[i] for i in self._axes)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around images.

    Args:
        padding: an int (the same on all four sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import striate as keras
        >>> keras.layers.ZeroPadding2D(((1, 2), (3, 4)))(keras.Input(shape=(5, 5, 3))).shape
        (None, 8, 12, 3)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of("ZeroPadding2D", data_format)
        if not isinstance(padding, (tuple, list)):
            padding = (padding, padding)
        if len(padding) != 2:
            raise ValueError(f"ZeroPadding2D: padding must be an int, (rows, cols) or ((top, bottom), (left, right)), "
                             f"received {padding!r}")
        self.padding = tuple(int_tuple("ZeroPadding2D", "padding", p, 2, low=0) for p in padding)
        self.input_spec = InputSpec(ndim=4)
        spatial = (self.padding[0], self.padding[1])
        self._pad_width = ((0, 0), (0, 0)) + spatial if self.data_format == "channels_first" else \
            ((0, 0),) + spatial + ((0, 0),)

    def call(self, inputs):
        return ops.pad(inputs, self._pad_width)

    def compute_output_shape(self, input_shape):
        return tuple(None if n is None else n + lo + hi for n, (lo, hi) in zip(input_shape, self._pad_width))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class Cropping2D(Layer):
    """Remove rows and columns at the edges of images (the inverse of ZeroPadding2D).

    Args:
        cropping: an int (the same on all four sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``; default no cropping.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import striate as keras
        >>> keras.layers.Cropping2D(((1, 2), (3, 4)))(keras.Input(shape=(8, 12, 3))).shape
        (None, 5, 5, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of("Cropping2D", data_format)
        if not isinstance(cropping, (tuple, list)):
            cropping = (cropping, cropping)
        if len(cropping) != 2:
            raise ValueError(f"Cropping2D: cropping must be an int, (rows, cols) or ((top, bottom), (left, right)), "
                             f"received {cropping!r}")
        self.cropping = tuple(int_tuple("Cropping2D", "cropping", c, 2, low=0) for c in cropping)
        self.input_spec = InputSpec(ndim=4)
        self._h = 2 if self.data_format == "channels_first" else 1  # the height axis

    def _check(self, shape):
        for axis, (lo, hi) in zip((self._h, self._h + 1), self.cropping):
            if shape[axis] is not None and lo + hi >= shape[axis]:
                raise ValueError(f"Cropping2D '{self.name}': cropping {self.cropping} leaves nothing of inputs of "
                                 f"shape {tuple(shape)}: each axis must be longer than what is cut from it")

    def call(self, inputs):
        self._check(inputs.shape)
        window = [slice(None)] * 4
        for axis, (lo, hi) in zip((self._h, self._h + 1), self.cropping):
            window[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(window)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (lo, hi) in zip((self._h, self._h + 1), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - lo - hi
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class UpSampling2D(Layer):
    """Repeat each row ``size[0]`` times and each column ``size[1]`` times (nearest-neighbour upsampling).

    Args:
        size: an int or ``(rows, cols)``; default ``(2, 2)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (the only one supported).

    Example:
        >>> import striate as keras
        >>> keras.layers.UpSampling2D()(keras.Input(shape=(7, 7, 8))).shape
        (None, 14, 14, 8)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of("UpSampling2D", data_format)
        self.size = int_tuple("UpSampling2D", "size", size, 2)
        if str(interpolation).lower() != "nearest":
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' (the only one supported), "
                             f"received {interpolation!r}")
        self.interpolation = "nearest"
        self.input_spec = InputSpec(ndim=4)
        self._h = 2 if self.data_format == "channels_first" else 1  # the height axis

    def call(self, inputs):
        # (.., h, w, ..) -> (.., h, 1, w, 1, ..), copies side by side on the new axes, -> (.., h*sh, w*sw, ..)
        h, (sh, sw), shape = self._h, self.size, inputs.shape
        x = ops.reshape(inputs, shape[:h + 1] + (1, shape[h + 1], 1) + shape[h + 2:])
        if sw > 1:
            x = ops.concatenate([x] * sw, axis=h + 3)
        if sh > 1:
            x = ops.concatenate([x] * sh, axis=h + 1)
        return ops.reshape(x, shape[:h] + (shape[h] * sh, shape[h + 1] * sw) + shape[h + 2:])

    def compute_output_shape(self, input_shape):
        h, out = self._h, list(input_shape)
        for i, s in ((h, self.size[0]), (h + 1, self.size[1])):
            out[i] = None if out[i] is None else out[i] * s
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
