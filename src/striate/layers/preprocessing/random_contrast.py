"""RandomContrast: each image's contrast scaled by its own random factor."""
from striate import ops
from striate.layers.preprocessing.base import RandomImageLayer, factor_range, uniform

__all__ = ["RandomContrast"]


class RandomContrast(RandomImageLayer):
    """In training, scale each image's contrast by a random factor; otherwise pass it through.

    Each channel of each image becomes ``(x - mean) * factor + mean`` (``mean`` over its pixels),
    clipped to ``value_range``.

    Args:
        factor: a number or a pair ``(lower, upper)`` in [0, 1]: the contrast factor is drawn from
            ``[1 - lower, 1 + upper]``. As in Keras 3, a number ``f`` means ``(0, f)``: factors in
            ``[1, 1 + f]``.
        value_range: ``(low, high)`` of the images' values, the range the output is clipped to;
            default ``(0, 255)``.
        seed: an int for repeatable draws; ``None`` uses the backend's generator.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.array([0, 100, 200], "float32").reshape(1, 1, 3, 1)
        >>> double = keras.layers.RandomContrast((0, 1))
        >>> y = double(x, training=True).numpy().ravel()
        >>> bool(y[1] == 100 and y[0] <= 0 + 1e-4 and y[2] >= 200)
        True
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range("RandomContrast", "factor", factor, 0, 1)
        self.value_range = value_range

    def augment(self, images, rng):
        (factor,) = uniform(rng, [(1 - self.factor[0], 1 + self.factor[1])], images.shape[0])
        mean = ops.mean(images, axis=self._hw, keepdims=True)
        out = (images - mean) * factor.reshape(-1, 1, 1, 1) + mean
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
