"""Pooling layers: MaxPooling2D, AveragePooling2D and their global forms (Keras 3 names)."""
from striate import ops
from striate.layers.conv import data_format_of, int_tuple, padding_mode, window_output
from striate.layers.layer import InputSpec, Layer

__all__ = ["MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D",
           "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D"]


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        me = type(self).__name__
        self.pool_size = int_tuple(me, "pool_size", pool_size, 2)
        self.strides = self.pool_size if strides is None else int_tuple(me, "strides", strides, 2)
        self.padding = padding_mode(me, padding)
        self.data_format = data_format_of(me, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return self.pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = tuple(window_output(n, p, s, self.padding) for n, p, s in
                        zip(input_shape[2:] if first else input_shape[1:3], self.pool_size, self.strides))
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(f"{type(self).__name__} '{self.name}': input shape {tuple(input_shape)} is too small "
                             f"for pool_size {self.pool_size} with padding='valid'")
        if first:
            return tuple(input_shape[:2]) + spatial
        return (input_shape[0],) + spatial + (input_shape[3],)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """The maximum over each ``pool_size`` window, moving by ``strides``.

    Args:
        pool_size: an int or ``(ph, pw)``; default ``(2, 2)``.
        strides: an int or a pair; default ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (output ``ceil(input / stride)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import striate as keras
        >>> keras.layers.MaxPooling2D()(keras.Input(shape=(28, 28, 8))).shape
        (None, 14, 14, 8)
    """

    pool = staticmethod(ops.max_pool)


class AveragePooling2D(_Pooling2D):
    """The mean over each ``pool_size`` window (with ``"same"``, only the input pixels count).

    Args: as for :class:`MaxPooling2D`.

    Example:
        >>> import striate as keras
        >>> pool = keras.layers.AveragePooling2D(pool_size=3, strides=1, padding="same")
        >>> pool(keras.Input(shape=(8, 8, 4))).shape
        (None, 8, 8, 4)
    """

    pool = staticmethod(ops.average_pool)


class _GlobalPooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)
        self._axes = (1, 2) if self.data_format == "channels_last" else (2, 3)

    def call(self, inputs):
        return self.reduce(inputs, axis=self._axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0],) + ((1, 1) if self.keepdims else ()) + (input_shape[3],)
        return tuple(input_shape[:2]) + ((1, 1) if self.keepdims else ())

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean over the spatial axes: ``(batch, h, w, c)`` becomes ``(batch, c)``.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: keep the spatial axes with size 1: ``(batch, 1, 1, c)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.GlobalAveragePooling2D()(keras.Input(shape=(7, 7, 64))).shape
        (None, 64)
    """

    reduce = staticmethod(ops.mean)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The maximum over the spatial axes: ``(batch, h, w, c)`` becomes ``(batch, c)``.

    Args: as for :class:`GlobalAveragePooling2D`.
    """

    reduce = staticmethod(ops.max)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
