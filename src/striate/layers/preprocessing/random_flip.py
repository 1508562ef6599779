"""RandomFlip: a random half of the images mirrored."""
from striate import ops
from striate.layers.preprocessing.base import RandomImageLayer, uniform

__all__ = ["RandomFlip"]

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(RandomImageLayer):
    """In training, flip each image with probability 1/2; otherwise pass it through.

    Args:
        mode: ``"horizontal"`` (left-right), ``"vertical"`` (top-bottom) or
            ``"horizontal_and_vertical"`` (default): as in Keras 3, one draw per image decides both,
            so an image is either kept or flipped both ways (turned by 180 degrees).
        seed: an int for repeatable flips; ``None`` uses the backend's generator.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(3, dtype="float32").reshape(1, 1, 3, 1)
        >>> flip = keras.layers.RandomFlip("horizontal", seed=0)
        >>> [flip(x, training=True).numpy().ravel().tolist() for _ in range(3)]
        [[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]
        >>> flip(x).numpy().ravel().tolist()   # outside training: unchanged
        [0.0, 1.0, 2.0]
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in MODES:
            raise ValueError(f"RandomFlip: mode must be one of {MODES}, received {mode!r}")
        self.mode = mode
        height, width = self._hw
        self._reverse = [slice(None)] * 4
        if mode != "vertical":
            self._reverse[width] = slice(None, None, -1)
        if mode != "horizontal":
            self._reverse[height] = slice(None, None, -1)
        self._reverse = tuple(self._reverse)

    def augment(self, images, rng):
        (draw,) = uniform(rng, [(0, 1)], images.shape[0])
        flips = (draw <= 0.5).reshape(-1, 1, 1, 1)
        return ops.where(flips, images[self._reverse], images)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
