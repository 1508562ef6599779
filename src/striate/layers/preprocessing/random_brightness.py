"""RandomBrightness: a random amount added to each image."""
from striate import ops
from striate.layers.preprocessing.base import RandomImageLayer, factor_range, uniform

__all__ = ["RandomBrightness"]


class RandomBrightness(RandomImageLayer):
    """In training, add a random amount to all values of each image, then clip to ``value_range``;
    otherwise pass the images through.

    Args:
        factor: a number or a pair in [-1, 1]: the amount is drawn from ``[lower, upper]`` times the
            width of ``value_range`` (``0.2`` means ``(-0.2, 0.2)``; -1 makes an image black, 1 white).
        value_range: ``(low, high)`` of the images' values; default ``(0, 255)``.
        seed: an int for repeatable draws; ``None`` uses the backend's generator.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> brighter = keras.layers.RandomBrightness((0.5, 0.5), value_range=(0, 1))
        >>> brighter(np.array([[[[0.2], [0.7]]]], "float32"), training=True).numpy().ravel()
        array([0.7, 1. ], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range("RandomBrightness", "factor", factor, -1, 1)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"RandomBrightness: value_range must be a pair (low, high), received {value_range!r}")
        self.value_range = sorted(value_range)

    def augment(self, images, rng):
        low, high = self.value_range
        (delta,) = uniform(rng, [self.factor], images.shape[0])
        return ops.clip(images + (delta * (high - low)).reshape(-1, 1, 1, 1), low, high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
