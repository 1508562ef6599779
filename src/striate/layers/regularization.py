"""Regularization layers: Dropout."""
from striate import ops
from striate.layers.layer import Layer

__all__ = ["Dropout"]


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
        >>> model.add(Dropout(0.5))
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
