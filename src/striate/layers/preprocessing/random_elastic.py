"""RandomElasticTransform: each image warped by a smooth random displacement field (Simard et al.,
2003: "Best practices for convolutional neural networks applied to visual document analysis")."""
from striate import ops
from striate.layers.preprocessing.base import FILL_MODES, RandomImageLayer, check_fill, factor_range, uniform
from striate.ops import image as image_ops

__all__ = ["RandomElasticTransform"]


class RandomElasticTransform(RandomImageLayer):
    """In training, warp a random share of the images elastically; otherwise pass them through.

    Each pixel moves by a displacement drawn at random, smoothed by a Gaussian of width ``sigma`` and
    scaled by ``alpha`` (``ops.image.elastic_transform``): ``alpha = 0.1 s max(height, width)`` and
    ``sigma = 0.05 s min(height, width)`` for a strength ``s`` drawn from ``scale`` once per batch.
    The output is clipped to ``value_range``.

    Args:
        factor: the probability that an image is warped: a number ``p`` in [0, 1] (each image's
            probability is drawn from ``[0, p]``) or a pair ``(lower, upper)``; default 1.
        scale: the strength ``s``: a number in [0, 1] (drawn from ``[0, s]``) or a pair; default 1.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"mirror"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the value outside the image with ``fill_mode="constant"``.
        value_range: ``(low, high)`` of the images' values; default ``(0, 255)``.
        seed: an int for repeatable warps; ``None`` uses the backend's generator.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> warp = keras.layers.RandomElasticTransform(scale=0.5, value_range=(0, 1), seed=0)
        >>> warp(np.full((4, 28, 28, 1), 0.5, "float32"), training=True).shape
        (4, 28, 28, 1)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_fill("RandomElasticTransform", fill_mode, interpolation, FILL_MODES + ("mirror",))
        self.factor = factor_range("RandomElasticTransform", "factor", factor, 0, 1)
        self.scale = factor_range("RandomElasticTransform", "scale", scale, 0, 1)
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value
        self.value_range = value_range

    def augment(self, images, rng):
        if self.factor[1] == 0 or self.scale[1] == 0:
            return images
        probability, threshold, strength = uniform(rng, [self.factor, (0, 1), self.scale], images.shape[0])
        height, width = self.image_size(images.shape)
        s = float(strength[0])
        warped = image_ops.elastic_transform(images, alpha=0.1 * s * max(height, width),
                                             sigma=0.05 * s * min(height, width), interpolation=self.interpolation,
                                             fill_mode=self.fill_mode, fill_value=self.fill_value,
                                             seed=int(rng.integers(2 ** 31)), data_format=self.data_format)
        chosen = (threshold < probability).reshape(-1, 1, 1, 1)
        return ops.clip(ops.where(chosen, warped, images), self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range}
