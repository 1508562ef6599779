"""Convolution layers: Conv1D, Conv2D, DepthwiseConv2D, Conv2DTranspose (Keras 3 names and layouts).

Also the argument checks that the pooling and reshaping layers share (tuples of ints, padding,
data_format) and the config form of regularizers and constraints.
"""
import operator

from striate import activations, backend, constraints, initializers, ops, regularizers
from striate.layers.layer import InputSpec, Layer

__all__ = ["Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Conv2DTranspose",
           "Convolution1D", "Convolution2D", "SeparableConvolution1D", "SeparableConvolution2D",
           "Convolution2DTranspose"]


# -- argument checks shared by the image layers ------------------------------------------------
def int_tuple(layer, arg, value, n, low=1):
    """``value`` (an int or ``n`` ints, each >= ``low``) as a tuple of ``n`` ints."""
    try:
        values = (operator.index(value),) * n if not isinstance(value, (tuple, list)) else \
            tuple(operator.index(v) for v in value)
    except TypeError:
        values = None
    if values is None or len(values) != n:
        raise ValueError(f"{layer}: {arg} must be an int or a tuple of {n} ints, received {value!r}")
    if min(values) < low:
        rule = "positive" if low == 1 else f">= {low}"
        raise ValueError(f"{layer}: {arg} must be {rule}, received {values}")
    return values


def padding_mode(layer, padding):
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', received {padding!r}")
    return padding.lower()


def data_format_of(layer, data_format):
    """``data_format`` checked; ``None`` is ``backend.image_data_format()`` (``'channels_last'`` unless set), as
    in Keras."""
    if data_format is None:
        return backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', "
                         f"received {data_format!r}")
    return data_format


def window_output(size, window, stride, padding, dilation=1):
    """Output length of a sliding window (TensorFlow's rule); ``None`` stays ``None``."""
    if size is None:
        return None
    if padding == "same":
        return (size - 1) // stride + 1
    return (size - (window - 1) * dilation - 1) // stride + 1


# -- convolutions ------------------------------------------------------------------------------
class _Conv(Layer):
    """Shared by the convolutions: settings, bias, activation, output shape and config.

    Subclasses set ``rank`` and ``kernel_name`` (the prefix of the kernel's initializer,
    regularizer and constraint arguments) and implement ``build`` and ``convolve``.
    """

    rank, kernel_name = 2, "kernel"

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                 kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
                 kernel_constraint, bias_constraint, **kwargs):
        super().__init__(**kwargs)
        me, n = type(self).__name__, self.rank
        if activity_regularizer is not None:
            raise ValueError(f"{me}: activity_regularizer is not supported, received {activity_regularizer!r}")
        self.kernel_size = int_tuple(me, "kernel_size", kernel_size, n)
        self.strides = int_tuple(me, "strides", strides, n)
        self.dilation_rate = int_tuple(me, "dilation_rate", dilation_rate, n)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{me}: strides > 1 and dilation_rate > 1 cannot be combined, received "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = padding_mode(me, padding)
        self.data_format = data_format_of(me, data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=n + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _make_weights(self, kernel_shape, out_channels, in_channels):
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self._make_bias(out_channels, in_channels)

    def _make_bias(self, out_channels, in_channels):
        """The bias (with ``use_bias``) and the input spec, once the kernel or kernels are made."""
        self.bias = self.add_weight(name="bias", shape=(out_channels,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): in_channels})
        # channels_first adds the bias as (channels, 1, ...); channels_last broadcasts it as is.
        self._bias_shape = (out_channels,) + (1,) * self.rank if self.data_format == "channels_first" else None

    def call(self, inputs):
        y = self.fused_call(inputs)
        if y is not None:
            return y
        y = self.convolve(inputs)
        if self.bias is not None:
            y = y + (self.bias if self._bias_shape is None else ops.reshape(self.bias, self._bias_shape))
        return self.activation(y)

    def fused_call(self, inputs):
        """The output through one fused op where one exists for this layer (else None)."""
        return None

    def _with_channels(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0],) + tuple(spatial) + (channels,)
        return (input_shape[0], channels) + tuple(spatial)

    def _spatial(self, input_shape):
        return input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]

    def compute_output_shape(self, input_shape):
        spatial = [window_output(n, k, s, self.padding, d) for n, k, s, d in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate)]
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(f"{type(self).__name__} '{self.name}': input shape {tuple(input_shape)} is too small "
                             f"for kernel_size {self.kernel_size} with padding='valid' (output size {tuple(spatial)})")
        return self._with_channels(input_shape, spatial, self._out_channels(input_shape))

    def get_config(self):
        k = self.kernel_name
        return {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                f"{k}_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                f"{k}_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": None,
                f"{k}_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


def _positive(layer, arg, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer}: {arg} must be a positive integer, received {value!r}")
    return value


class Conv2D(_Conv):
    """2-D convolution: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        filters: the number of output channels.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(sh, sw)``; default 1.
        padding: ``"valid"`` (no padding) or ``"same"`` (output size ``ceil(input / stride)``).
        data_format: ``"channels_last"`` (default, ``(batch, h, w, c)``) or ``"channels_first"``.
        dilation_rate: an int or a pair; cannot be combined with strides > 1.
        groups: split the input channels and the filters into this many groups, each group of
            filters seeing only its group of channels (both numbers divisible by ``groups``).
        activation: a name ('relu', ...) or a callable; ``None`` is linear.
        use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as for Dense.

    The kernel has Keras's shape ``(kh, kw, in_channels // groups, filters)``.

    Example:
        >>> import striate as keras
        >>> conv = keras.layers.Conv2D(32, (3, 3), activation="relu")
        >>> conv(keras.Input(shape=(28, 28, 1))).shape
        (None, 26, 26, 32)
        >>> towers = keras.layers.Conv2D(8, 3, groups=2)   # AlexNet's two towers
        >>> towers(keras.Input(shape=(13, 13, 6))).shape, towers.kernel.shape
        ((None, 11, 11, 8), (3, 3, 3, 8))
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        me = type(self).__name__
        self.filters = _positive(me, "filters", filters)
        self.groups = _positive(me, "groups", groups)
        if filters % groups:
            raise ValueError(f"{me}: filters must be divisible by groups, received filters={filters} and "
                             f"groups={groups}")

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the input's {channels} channels must be divisible "
                             f"by groups={self.groups}, received input shape {tuple(input_shape)}")
        self._make_weights(self.kernel_size + (channels // self.groups, self.filters), self.filters, channels)

    def convolve(self, x):
        return ops.conv(x, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def conv_bias(self, inputs, activation=None, average_pool=None, max_pool=None):
        """``activation(conv(inputs) + bias)`` as one op, ``activation`` being None, "relu" or "tanh"
        (channels_last and groups=1 only), then averaged in ``average_pool`` blocks or pooled to the maxima of
        ``max_pool`` blocks where given; models/fusion.py asks for it without the layer's own ReLU,
        or with the next layer's pool."""
        return ops.conv_bias_activation(inputs, self.kernel, self.bias, self.strides, self.padding,
                                        self.dilation_rate, activation, average_pool, max_pool)

    def fused_call(self, inputs):
        if self.data_format != "channels_last" or self.groups != 1:
            return None
        fused = activations.fused_name(self.activation)
        y = self.conv_bias(inputs, fused)
        return y if fused is not None or self.activation is activations.linear else self.activation(y)

    def _out_channels(self, input_shape):
        return self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups}


class Conv1D(Conv2D):
    """1-D convolution over ``(batch, steps, channels)``: Conv2D's arguments for one spatial axis
    (padding 'valid' or 'same'; 'causal' is not supported).

    Example:
        >>> import striate as keras
        >>> keras.layers.Conv1D(16, 5, activation="relu")(keras.Input(shape=(100, 8))).shape
        (None, 96, 16)
    """

    rank = 1


class DepthwiseConv2D(_Conv):
    """Depthwise 2-D convolution: each input channel with its own ``depth_multiplier`` filters.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias: as for Conv2D.
        depth_multiplier: filters per input channel; the output has ``in_channels * depth_multiplier``.
        depthwise_initializer / depthwise_regularizer / depthwise_constraint: for the kernel.

    The kernel is named ``kernel`` with Keras 3's shape ``(kh, kw, in_channels, depth_multiplier)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.DepthwiseConv2D(3, padding="same")(keras.Input(shape=(32, 32, 16))).shape
        (None, 32, 32, 16)
    """

    kernel_name = "depthwise"

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.depth_multiplier = _positive(type(self).__name__, "depth_multiplier", depth_multiplier)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        self._make_weights(self.kernel_size + (channels, self.depth_multiplier), channels * self.depth_multiplier,
                           channels)

    def convolve(self, x):
        return ops.depthwise_conv(x, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate)

    def _out_channels(self, input_shape):
        channels = input_shape[self._channel_axis()]
        return None if channels is None else channels * self.depth_multiplier

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier}


class SeparableConv2D(_Conv):
    """Depthwise separable 2-D convolution: a depthwise convolution (each input channel with its own
    ``depth_multiplier`` filters), then a 1x1 convolution that mixes the channels into ``filters``,
    then the bias and the activation. Fewer weights than Conv2D for the same receptive field.

    Args:
        filters: the number of output channels.
        kernel_size, strides, padding, data_format, dilation_rate: of the depthwise step, as for Conv2D.
        depth_multiplier: depthwise filters per input channel (default 1).
        activation, use_bias, bias_initializer, bias_regularizer, bias_constraint: as for Conv2D.
        depthwise_initializer / depthwise_regularizer / depthwise_constraint: for the depthwise kernel.
        pointwise_initializer / pointwise_regularizer / pointwise_constraint: for the pointwise kernel.

    Weights, in Keras's order and shapes: ``depthwise_kernel`` ``(kh, kw, in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, in_channels * depth_multiplier, filters)``, ``bias`` ``(filters,)``.

    Example:
        >>> import striate as keras
        >>> layer = keras.layers.SeparableConv2D(32, 3, padding="same", activation="relu")
        >>> layer(keras.Input(shape=(28, 28, 16))).shape
        (None, 28, 28, 32)
        >>> [tuple(w.shape) for w in layer.weights]
        [(3, 3, 16, 1), (1, 1, 16, 32), (32,)]
    """

    kernel_name = "depthwise"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        me = type(self).__name__
        self.filters = _positive(me, "filters", filters)
        self.depth_multiplier = _positive(me, "depth_multiplier", depth_multiplier)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._make_bias(self.filters, channels)

    def convolve(self, x):
        return ops.separable_conv(x, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
                                  self.data_format, self.dilation_rate)

    def _out_channels(self, input_shape):
        return self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "depth_multiplier": self.depth_multiplier,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


class SeparableConv1D(SeparableConv2D):
    """Depthwise separable 1-D convolution over ``(batch, steps, channels)``: SeparableConv2D's
    arguments for one spatial axis; kernels ``(k, in_channels, depth_multiplier)`` and
    ``(1, in_channels * depth_multiplier, filters)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.SeparableConv1D(8, 5, padding="same")(keras.Input(shape=(100, 4))).shape
        (None, 100, 8)
    """

    rank = 1


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution (the gradient of Conv2D with respect to its input): upsamples.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation, ...: as Conv2D.
        output_padding: ``None``, an int or a pair: extra rows and columns at the end, each smaller
            than the stride. With ``None`` the output is ``in * stride`` ("same") or
            ``(in - 1) * stride + max(kernel, stride)`` ("valid").

    The kernel has Keras's shape ``(kh, kw, filters, in_channels)``.

    Example:
        >>> import striate as keras
        >>> keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")(keras.Input(shape=(7, 7, 16))).shape
        (None, 14, 14, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, **kwargs):
        if "groups" in kwargs:  # Conv2D's argument, which Keras's Conv2DTranspose does not take
            raise TypeError("Conv2DTranspose: unexpected keyword argument 'groups'")
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)
        if output_padding is not None:
            output_padding = int_tuple("Conv2DTranspose", "output_padding", output_padding, 2, low=0)
            if any(p >= s for p, s in zip(output_padding, self.strides)):
                raise ValueError(f"Conv2DTranspose: output_padding must be smaller than strides on each axis, "
                                 f"received output_padding={output_padding} and strides={self.strides}")
        self.output_padding = output_padding

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        self._make_weights(self.kernel_size + (self.filters, channels), self.filters, channels)

    def fused_call(self, inputs):
        if self.data_format != "channels_last":
            return None
        y = ops.conv_transpose_bias(inputs, self.kernel, self.bias, self.strides, self.padding, self.output_padding,
                                    self.dilation_rate)
        return self.activation(y)

    def convolve(self, x):
        return ops.conv_transpose(x, self.kernel, self.strides, self.padding, self.output_padding, self.data_format,
                                  self.dilation_rate)

    def compute_output_shape(self, input_shape):
        pads = self.output_padding or (None, None)
        spatial = [_transposed_size(n, (k - 1) * d + 1, s, self.padding, p) for n, k, s, d, p in
                   zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate, pads)]
        return self._with_channels(input_shape, spatial, self.filters)

    def get_config(self):
        config = {**super().get_config(), "output_padding": self.output_padding}
        del config["groups"]
        return config


def _transposed_size(size, k, stride, padding, output_padding):
    """Keras's output length of a transposed convolution (``k`` is the dilated kernel size)."""
    if size is None:
        return None
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (size - 1) * stride + k + extra
    return size * stride if output_padding is None else (size - 1) * stride + k % 2 + output_padding


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
