"""RandomRotation: each image turned by its own random angle about its centre."""
from striate import backend
from striate.layers.preprocessing.base import AffineLayer, affine_matrices, factor_range, uniform

__all__ = ["RandomRotation"]


class RandomRotation(AffineLayer):
    """In training, rotate each image by a random angle about its centre; otherwise pass it through.

    Args:
        factor: a fraction of a full turn: ``0.1`` draws angles in ``[-36, 36]`` degrees, a pair
            ``(lower, upper)`` in ``[lower * 360, upper * 360]``; positive is counter-clockwise.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``: how the
            corners that come from outside the image are filled.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an int for repeatable rotations; ``None`` uses the backend's generator.
        fill_value: the value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> quarter_turn = keras.layers.RandomRotation((0.25, 0.25))
        >>> quarter_turn(x, training=True)[0, :, :, 0].numpy().round()
        array([[2., 5., 8.],
               [1., 4., 7.],
               [0., 3., 6.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range("RandomRotation", "factor", factor, -1, 1)

    def transforms(self, rng, batch, height, width):
        xp = backend.xp()
        (turns,) = uniform(rng, [self.factor], batch)
        angle = turns * (2 * xp.pi)
        cos, sin = xp.cos(angle), xp.sin(angle)
        # about the centre (cx, cy): input = R (output - c) + c
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return affine_matrices(batch, cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
