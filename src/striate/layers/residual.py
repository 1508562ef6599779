"""Parts of residual networks that Keras has no layer for: the squeeze-and-excitation block (Hu et al.,
2018) and the parameter-free option A shortcut (He et al., 2016). Both are registered layers, so
models using them save and load like any other."""
from striate import initializers, ops
from striate.layers.conv import _positive, data_format_of, int_tuple
from striate.layers.layer import InputSpec, Layer

__all__ = ["SqueezeExcitation", "ZeroPaddingShortcut"]


class SqueezeExcitation(Layer):
    """Squeeze-and-excitation (Hu et al., 2018): rescale each channel by a gate in (0, 1) computed from
    all channels' global averages.

    ``s = mean over height and width of x`` (squeeze), ``e = sigmoid(relu(s @ W1 + b1) @ W2 + b2)``
    (excitation: a bottleneck of ``channels // ratio`` units), output ``x * e`` per channel. SE-ResNet
    puts one on each residual branch, before the addition.

    Args:
        ratio: the reduction ratio r (default 16): the bottleneck has ``max(1, channels // ratio)`` units.
        data_format: ``"channels_last"`` or ``"channels_first"``; default ``backend.image_data_format()``.
        kernel_initializer / bias_initializer: of both fully connected steps; default
            ``"glorot_uniform"`` / ``"zeros"`` (Dense's).

    Weights, in order: ``squeeze_kernel`` (channels, units), ``squeeze_bias`` (units,),
    ``excite_kernel`` (units, channels), ``excite_bias`` (channels,).

    Example:
        >>> import striate as keras
        >>> se = keras.layers.SqueezeExcitation(ratio=16)
        >>> se(keras.Input(shape=(8, 8, 64))).shape
        (None, 8, 8, 64)
        >>> [(w.name, w.shape) for w in se.weights]
        [('squeeze_kernel', (64, 4)), ('squeeze_bias', (4,)), ('excite_kernel', (4, 64)), ('excite_bias', (64,))]
    """

    def __init__(self, ratio=16, data_format=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        self.ratio = _positive("SqueezeExcitation", "ratio", ratio)
        self.data_format = data_format_of("SqueezeExcitation", data_format)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1 if self.data_format == "channels_last" else 1]
        if channels is None:
            raise ValueError(f"SqueezeExcitation '{self.name}': the channel axis of the input shape "
                             f"{tuple(input_shape)} must be known")
        units = max(1, channels // self.ratio)
        self.squeeze_kernel = self.add_weight(name="squeeze_kernel", shape=(channels, units),
                                              initializer=self.kernel_initializer)
        self.squeeze_bias = self.add_weight(name="squeeze_bias", shape=(units,), initializer=self.bias_initializer)
        self.excite_kernel = self.add_weight(name="excite_kernel", shape=(units, channels),
                                             initializer=self.kernel_initializer)
        self.excite_bias = self.add_weight(name="excite_bias", shape=(channels,), initializer=self.bias_initializer)
        self.input_spec = InputSpec(ndim=4, axes={-1 if self.data_format == "channels_last" else 1: channels})

    def call(self, inputs):
        last = self.data_format == "channels_last"
        squeezed = ops.mean(inputs, axis=(1, 2) if last else (2, 3))
        hidden = ops.relu(ops.matmul(squeezed, self.squeeze_kernel) + self.squeeze_bias)
        gates = ops.sigmoid(ops.matmul(hidden, self.excite_kernel) + self.excite_bias)
        return inputs * ops.reshape(gates, (-1, 1, 1, gates.shape[-1]) if last else (-1, gates.shape[-1], 1, 1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio, "data_format": self.data_format,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


class ZeroPaddingShortcut(Layer):
    """He et al.'s (2016) option A shortcut: the identity, subsampled by ``strides`` and given extra
    all-zero channels up to ``filters``, so a residual block that halves the feature maps and widens
    them needs no projection weights (the CIFAR ResNets of section 4.2).

    The new channels come after the input's (as in the authors' Torch code); the layer has no weights.

    Args:
        filters: the number of output channels, at least the input's.
        strides: an int or ``(sh, sw)``: keep every ``sh``-th row and ``sw``-th column, starting with
            the first (the output size is ``ceil(size / stride)``, a "same" convolution's).
        data_format: ``"channels_last"`` or ``"channels_first"``; default ``backend.image_data_format()``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> shortcut = keras.layers.ZeroPaddingShortcut(4, strides=2)
        >>> y = shortcut(np.arange(8, dtype="float32").reshape(1, 2, 2, 2))
        >>> y.shape, y.numpy()[0, 0, 0]
        ((1, 1, 1, 4), array([0., 1., 0., 0.], dtype=float32))
    """

    def __init__(self, filters, strides=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _positive("ZeroPaddingShortcut", "filters", filters)
        self.strides = int_tuple("ZeroPaddingShortcut", "strides", strides, 2)
        self.data_format = data_format_of("ZeroPaddingShortcut", data_format)
        self.input_spec = InputSpec(ndim=4)

    def _channels(self, shape):
        return shape[-1 if self.data_format == "channels_last" else 1]

    def build(self, input_shape):
        channels = self._channels(input_shape)
        if channels is None or channels > self.filters:
            raise ValueError(f"ZeroPaddingShortcut '{self.name}': expects inputs with a known number of channels, "
                             f"at most filters={self.filters}, received shape {tuple(input_shape)}")
        self.built = True

    def call(self, inputs):
        sh, sw = self.strides
        extra = self.filters - self._channels(inputs.shape)
        if self.data_format == "channels_last":
            return ops.pad(inputs[:, ::sh, ::sw, :], [(0, 0), (0, 0), (0, 0), (0, extra)])
        return ops.pad(inputs[:, :, ::sh, ::sw], [(0, 0), (0, extra), (0, 0), (0, 0)])

    def compute_output_shape(self, input_shape):
        last = self.data_format == "channels_last"
        spatial = tuple(None if n is None else -(-n // s) for n, s in
                        zip(input_shape[1:3] if last else input_shape[2:], self.strides))
        if last:
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides,
                "data_format": self.data_format}
