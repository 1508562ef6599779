"""RandomShear: each image sheared along x and y by its own random amounts."""
from striate.layers.preprocessing.base import AffineLayer, affine_matrices, factor_range, uniform

__all__ = ["RandomShear"]


class RandomShear(AffineLayer):
    """In training, shear each image by random amounts; otherwise pass it through.

    Output pixel ``(x, y)`` reads input ``(x + s_x y, s_y x + y)``, with ``s_x`` and ``s_y`` drawn per
    image and both negated for a random half of the images (as Keras does; the shear is about the
    top-left corner, not the centre).

    Args:
        x_factor: a number ``f`` (``s_x`` drawn from ``(-|f|, |f|)``) or a pair ``(lower, upper)``,
            in [-1, 1]; a fraction of the image to shear over.
        y_factor: the same for ``s_y``.
        interpolation, fill_mode, fill_value, data_format, seed: as :class:`RandomRotation`.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> shear = keras.layers.RandomShear(x_factor=0.3, seed=1)
        >>> shear(np.ones((2, 8, 8, 3), "float32"), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        # NOTE: pairs in [-1, 1], not Keras's [0, 1]: its configs hold (-f, f) for a number f
        self.x_factor = factor_range("RandomShear", "x_factor", x_factor, -1, 1, clamp=False)
        self.y_factor = factor_range("RandomShear", "y_factor", y_factor, -1, 1, clamp=False)

    def transforms(self, rng, batch, height, width):
        flip, shear_x, shear_y = uniform(rng, [(0, 1), self.x_factor, self.y_factor], batch)
        sign = 1 - 2 * (flip > 0.5).astype("float32")
        return affine_matrices(batch, a1=shear_x * sign, b0=shear_y * sign)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}
