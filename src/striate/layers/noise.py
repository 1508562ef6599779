"""Noise layers: GaussianNoise and GaussianDropout, regularizers that act only in training."""
import math

from striate.layers import seeding
from striate.layers.layer import Layer

__all__ = ["GaussianNoise", "GaussianDropout"]


class _GaussianLayer(Layer):
    """In training, ``combine(inputs, noise)`` with ``noise`` Gaussian draws of the inputs' shape and
    the standard deviation ``self.stddev``; otherwise the identity."""

    def __init__(self, fraction, arg, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise ValueError(f"{type(self).__name__}: {arg} must be a number in [0, 1], received {fraction!r}")
        self.seed = seeding.check_seed(type(self).__name__, seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        dtype = inputs.dtype if inputs.dtype.kind == "f" else self.dtype
        noise = seeding.generator(self).standard_normal(inputs.shape, dtype=dtype)
        noise *= self.stddev
        return self.combine(inputs, noise)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class GaussianNoise(_GaussianLayer):
    """In training, add zero-mean Gaussian noise of standard deviation ``stddev`` to the inputs;
    otherwise pass them through.

    Args:
        stddev: the noise's standard deviation, in [0, 1].
        seed: an int for repeatable noise (each call still draws new noise); ``None`` uses the
            backend's generator (``striate.utils.set_random_seed``).

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> y = keras.layers.GaussianNoise(0.1, seed=0)(np.zeros((1000, 100), "float32"), training=True)
        >>> round(float(y.numpy().std()), 2)
        0.1
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(stddev, "stddev", seed=seed, **kwargs)
        self.stddev = stddev

    def combine(self, inputs, noise):
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_GaussianLayer):
    """In training, multiply the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))``; otherwise pass them through.

    Args:
        rate: the drop probability of the Dropout this noise matches, in [0, 1).
        seed: an int for repeatable noise; ``None`` uses the backend's generator.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> y = keras.layers.GaussianDropout(0.5, seed=0)(np.ones((1000, 100), "float32"), training=True)
        >>> round(float(y.numpy().mean()), 1), round(float(y.numpy().std()), 1)
        (1.0, 1.0)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, "rate", seed=seed, **kwargs)
        if rate == 1:
            raise ValueError("GaussianDropout: rate must be below 1 (its noise's standard deviation is "
                             "sqrt(rate / (1 - rate))), received 1")
        self.rate = rate
        self.stddev = math.sqrt(rate / (1 - rate))

    def combine(self, inputs, noise):
        noise += 1
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
