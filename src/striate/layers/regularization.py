"""Regularization layers: Dropout, SpatialDropout2D."""
from striate import ops
from striate.layers.conv import data_format_of
from striate.layers.layer import InputSpec, Layer

__all__ = ["Dropout", "SpatialDropout2D"]


class Dropout(Layer):
    """In training, zero each input with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    Outside training (``training=False``: evaluate, predict, plain calls) it passes inputs through.

    Args:
        rate: the fraction of inputs to drop, in [0, 1].
        noise_shape: the shape of the mask, broadcast against the inputs; ``None`` entries take the
            input's size, e.g. ``(None, 1, 1, None)`` drops whole feature maps of NHWC images.
        seed: an int for repeatable masks (each call still draws a new one); ``None`` uses the
            backend's generator (``striate.utils.set_random_seed``).

    Example:
        >>> import striate as keras
        >>> dropout = keras.layers.Dropout(0.5, seed=1)
        >>> dropout(np.ones((2, 4)), training=True)   # kept entries are scaled by 1 / (1 - 0.5)
        Tensor(array([[0., 2., 2., 2.],
                      [0., 0., 2., 2.]], dtype=float32))
        >>> dropout(np.ones((2, 4)))   # training=False: inputs pass through
        Tensor(array([[1., 1., 1., 1.],
                      [1., 1., 1., 1.]], dtype=float32))
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1], received {rate!r}")
        if noise_shape is not None:
            if isinstance(noise_shape, str) or not isinstance(noise_shape, (tuple, list)) or not all(
                    n is None or (isinstance(n, int) and n > 0) for n in noise_shape):
                raise ValueError(f"Dropout: noise_shape must be a tuple of positive ints or None, "
                                 f"received {noise_shape!r}")
            noise_shape = tuple(noise_shape)
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"Dropout: seed must be an int or None, received {seed!r}")
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self._calls = 0

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        seed = None
        if self.seed is not None:  # a new, repeatable mask per call, as Keras's SeedGenerator gives
            seed, self._calls = self.seed + self._calls, self._calls + 1
        return ops.dropout(inputs, self.rate, self.noise_shape, seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}


class SpatialDropout2D(Dropout):
    """In training, drop whole feature maps: each channel of each image is zeroed with probability
    ``rate`` (the others scaled by ``1 / (1 - rate)``); outside training, pass inputs through.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single values (Dropout)
    barely regularizes convolutional layers; dropping whole maps does (Tompson et al., 2015).

    Args:
        rate: the fraction of feature maps to drop, in [0, 1].
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an int for repeatable masks; ``None`` uses the backend's generator.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> y = keras.layers.SpatialDropout2D(0.5, seed=1)(np.ones((1, 2, 2, 4), "float32"), training=True)
        >>> y.numpy()[0, 0, 0], bool((y.numpy() == y.numpy()[:, :1, :1]).all())
        (array([0., 2., 2., 2.], dtype=float32), True)
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        self.data_format = data_format_of("SpatialDropout2D", data_format)
        super().__init__(rate, noise_shape=(None, None, 1, 1) if self.data_format == "channels_first" else
                         (None, 1, 1, None), seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        # Keras's keys only: its SpatialDropout2D takes no trainable and no noise_shape
        config = {k: v for k, v in super().get_config().items() if k not in ("trainable", "noise_shape")}
        return {**config, "data_format": self.data_format}
