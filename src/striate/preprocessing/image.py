"""Keras 2's image augmentation: ``ImageDataGenerator`` and ``NumpyArrayIterator``, which its ``flow``
returns and ``fit`` takes as it takes any PyDataset.

A batch is augmented at once: each image's random parameters are drawn in one call per kind, and the
whole batch is warped (rotation, shift, shear, zoom) with one call of ``ops.image.affine_transform``.
The image file utilities Keras 2 kept here (``load_img``, ``img_to_array``, ...) are those of
``striate.utils``.
"""
import math
import numbers
import os
import warnings

import numpy as np

from striate import backend
from striate.layers.conv import data_format_of
from striate.ops.image import affine_transform
from striate.utils.dataset import PyDataset
from striate.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "array_to_img", "img_to_array", "load_img",
           "save_img"]

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
INTERPOLATIONS = {0: "nearest", 1: "bilinear"}
GEOMETRY = (("theta", 0.0), ("tx", 0.0), ("ty", 0.0), ("shear", 0.0), ("zx", 1.0), ("zy", 1.0))


class ImageDataGenerator:
    """Random augmentation and normalization of image batches, as Keras 2's
    ``keras.preprocessing.image.ImageDataGenerator``.

    ``flow(x, y)`` gives an iterator of augmented batches, which ``model.fit`` takes as it is. Each
    image is warped about its centre (rotated, shifted, sheared, zoomed), shifted in value, flipped and
    brightened, in that order; then standardized: ``preprocessing_function``, ``rescale``, each
    image's own centering and scaling, then the dataset's (which :meth:`fit` measures), ZCA whitening.
    Random draws come from striate's seeded generator (``striate.utils.set_random_seed``), or from
    ``flow``'s ``seed``.

    Args:
        featurewise_center: subtract the dataset's mean per channel (measured by :meth:`fit`).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the dataset's standard deviation per channel
            (measured by :meth:`fit`); turns on ``featurewise_center``.
        samplewise_std_normalization: divide each image by its standard deviation; turns on
            ``samplewise_center``.
        zca_whitening: multiply the flattened images by the ZCA whitening matrix :meth:`fit` computes;
            turns on ``featurewise_center`` and off ``featurewise_std_normalization``.
        zca_epsilon: added to the singular values in ZCA whitening.
        rotation_range: rotations drawn from ``[-rotation_range, rotation_range]`` degrees (positive
            turns counter-clockwise).
        width_shift_range: horizontal shifts: a float drawn from ``(-w, w)``, a fraction of the width
            when ``w < 1`` and pixels otherwise; an int ``n``, one of ``0 .. n - 1`` pixels with a
            random sign; a list, one of its values with a random sign (fractions when all are < 1).
        height_shift_range: vertical shifts, as ``width_shift_range``.
        brightness_range: two floats: each image's values are multiplied by a factor drawn there and
            clipped to [0, 255], as PIL's brightness enhancer does (without its rounding to 8 bits);
            an image with values outside [0, 255] is stretched onto it and back.
        shear_range: shear angles drawn from ``[-shear_range, shear_range]`` degrees.
        zoom_range: a float ``z`` for ``[1 - z, 1 + z]``, or ``[lower, upper]``: the scale of each
            axis is drawn there (above 1 zooms out).
        channel_shift_range: a value drawn from ``[-c, c]`` is added to each image, clipped to the
            image's range.
        fill_mode: the points outside an image: ``"nearest"`` (default), ``"constant"`` (``cval``),
            ``"reflect"`` or ``"wrap"``.
        cval: the value outside with ``fill_mode="constant"``.
        horizontal_flip, vertical_flip: flip each image with probability 1/2.
        rescale: a factor the values are multiplied by (e.g. ``1 / 255``), before the other steps of
            standardization.
        preprocessing_function: a function of one image (rank 3) that returns an image of the same
            shape, run on each image after its augmentation.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        validation_split: the fraction of ``flow``'s data given by ``subset="validation"`` (the first
            samples; ``subset="training"`` gives the rest).
        interpolation_order: 0 (the nearest pixel) or 1 (bilinear, the default).
        dtype: the batches' dtype; default ``floatx()``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> images = np.arange(2 * 3 * 3, dtype="float32").reshape(2, 3, 3, 1)
        >>> datagen = keras.preprocessing.image.ImageDataGenerator(rescale=0.5, horizontal_flip=True)
        >>> x, y = datagen.flow(images, np.array([0, 1]), batch_size=2, shuffle=False, seed=3)[0]
        >>> x[0, :, :, 0]
        array([[1. , 0.5, 0. ],
               [2.5, 2. , 1.5],
               [4. , 3.5, 3. ]], dtype=float32)
        >>> y
        array([0, 1])
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        self.data_format = data_format_of("ImageDataGenerator", data_format)
        first = self.data_format == "channels_first"
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if first else (3, 1, 2)
        for name, value in (("rotation_range", rotation_range), ("shear_range", shear_range),
                            ("channel_shift_range", channel_shift_range)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
                raise ValueError(f"ImageDataGenerator: {name} must be a number >= 0, received {value!r}")
        for name, value in (("width_shift_range", width_shift_range), ("height_shift_range", height_shift_range)):
            _check_shift(name, value)
        if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        if not _is_pair(zoom_range) or not 0 < zoom_range[0] <= zoom_range[1]:
            raise ValueError(f"ImageDataGenerator: zoom_range must be a float z (for [1 - z, 1 + z]) or [lower, upper] "
                             f"with 0 < lower <= upper, received {zoom_range!r}")
        if brightness_range is not None and not _is_pair(brightness_range):
            raise ValueError(f"ImageDataGenerator: brightness_range must be two floats [lower, upper], received "
                             f"{brightness_range!r}")
        if fill_mode not in FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode must be one of {FILL_MODES}, received {fill_mode!r}")
        if interpolation_order not in INTERPOLATIONS:
            raise ValueError(f"ImageDataGenerator: interpolation_order must be 0 (nearest) or 1 (bilinear), received "
                             f"{interpolation_order!r}")
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"ImageDataGenerator: validation_split must be in (0, 1), received {validation_split!r}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise ValueError(f"ImageDataGenerator: preprocessing_function must be callable, received "
                             f"{type(preprocessing_function).__name__}")
        if (featurewise_std_normalization or zca_whitening) and not featurewise_center:
            warnings.warn("ImageDataGenerator: featurewise_std_normalization and zca_whitening turn on "
                          "featurewise_center")
        if samplewise_std_normalization and not samplewise_center:
            warnings.warn("ImageDataGenerator: samplewise_std_normalization turns on samplewise_center")
        if zca_whitening and featurewise_std_normalization:
            warnings.warn("ImageDataGenerator: zca_whitening turns off featurewise_std_normalization")
        self.featurewise_center = featurewise_center or featurewise_std_normalization or zca_whitening
        self.samplewise_center = samplewise_center or samplewise_std_normalization
        self.featurewise_std_normalization = featurewise_std_normalization and not zca_whitening
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range, self.shear_range = rotation_range, shear_range
        self.channel_shift_range = channel_shift_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.zoom_range = [float(zoom_range[0]), float(zoom_range[1])]
        self.brightness_range = brightness_range
        self.fill_mode, self.cval, self.interpolation_order = fill_mode, cval, interpolation_order
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self._validation_split = validation_split
        self.dtype = dtype or backend.floatx()
        self.mean = self.std = self.zca_whitening_matrix = None

    # -- iterators ----------------------------------------------------------------------------
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """Augmented, standardized batches of ``x`` (and ``y``, ``sample_weight``).

        Args:
            x: images, rank 4 (batch first).
            y: labels (any array with one entry per image), or None for batches of images alone.
            batch_size: images per batch (the last batch may be smaller).
            shuffle: a new order of the samples at each pass.
            sample_weight: per-image weights, given as the batches' third part.
            seed: an int: repeatable shuffles and draws from their own generator.
            save_to_dir: a folder to also save each augmented image in, as ``save_format`` files named
                ``{save_prefix}_{index}_{batch}``.
            ignore_class_split: allow a ``subset`` whose labels are not those of the other part.
            subset: ``"training"`` or ``"validation"``, the parts that ``validation_split`` makes.

        Returns:
            A :class:`NumpyArrayIterator`: ``len()`` batches, each ``(x, y)``, ``(x, y,
            sample_weight)`` or x alone; ``model.fit`` takes it as it is.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator(rotation_range=20)
            >>> batches = datagen.flow(np.zeros((10, 8, 8, 1)), np.arange(10), batch_size=4)
            >>> len(batches), batches[2][0].shape
            (3, (2, 8, 8, 1))
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format, subset=subset,
                                  ignore_class_split=ignore_class_split, dtype=self.dtype)

    # -- statistics ---------------------------------------------------------------------------
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Measure the dataset's statistics that featurewise normalization and ZCA whitening use.

        ``rescale`` applies first; with ``augment``, the statistics are those of ``rounds`` randomly
        augmented copies of ``x``.

        Args:
            x: images, rank 4 (batch first), with 1, 3 or 4 channels.
            augment: measure randomly augmented images.
            rounds: how many augmented copies, with ``augment``.
            seed: an int for repeatable augmentation.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator(featurewise_center=True)
            >>> datagen.fit(np.array([1.0, 3.0]).reshape(2, 1, 1, 1))
            >>> datagen.mean
            array([[[2.]]], dtype=float32)
        """
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit expects images of rank 4 (batch first), received shape {x.shape}")
        _check_channels("ImageDataGenerator.fit", x.shape, self.channel_axis, self.data_format)
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = _generator(seed)
            x = np.concatenate([self._augment(x, rng) for _ in range(rounds)])
        axes, shape = (0, self.row_axis, self.col_axis), [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = x.mean(axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = x.std(axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(len(x), -1)
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (math.sqrt(len(x)) / (s + self.zca_epsilon))) @ u.T

    def standardize(self, x):
        """Normalize one image (rank 3) or a batch (rank 4) as configured; a float array is changed in
        place, as in Keras. The per-image statistics are each image's own, in a batch too.

        Args:
            x: an image or a batch of images.

        Returns:
            The standardized images.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator(samplewise_center=True, rescale=2.0)
            >>> datagen.standardize(np.array([[[1.0], [3.0]]]))
            array([[[-2.],
                    [ 2.]]])
        """
        if not (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            x = np.asarray(x, self.dtype)
        if self.preprocessing_function:
            run = self.preprocessing_function
            x = np.asarray(np.stack([run(image) for image in x]) if x.ndim == 4 else run(x))
            x = x if x.dtype.kind == "f" else x.astype(self.dtype)
        if self.rescale:
            x *= self.rescale
        image_axes = (-3, -2, -1)
        if self.samplewise_center:
            x -= x.mean(axis=image_axes, keepdims=True)
        if self.samplewise_std_normalization:
            x /= x.std(axis=image_axes, keepdims=True) + 1e-6
        for flag, value, name in ((self.featurewise_center, self.mean, "featurewise_center"),
                                  (self.featurewise_std_normalization, self.std, "featurewise_std_normalization"),
                                  (self.zca_whitening, self.zca_whitening_matrix, "zca_whitening")):
            if flag and value is None:
                warnings.warn(f"ImageDataGenerator: {name} is set but the generator was not fit to any data, so it "
                              "is skipped; call .fit(x_train) first")
        if self.featurewise_center and self.mean is not None:
            x -= self.mean
        if self.featurewise_std_normalization and self.std is not None:
            x /= self.std + 1e-6
        if self.zca_whitening and self.zca_whitening_matrix is not None:
            x = (x.reshape(-1, math.prod(x.shape[-3:])) @ self.zca_whitening_matrix).reshape(x.shape)
        return x

    # -- random transforms --------------------------------------------------------------------
    def get_random_transform(self, img_shape, seed=None):
        """Draw the random parameters of one image's transform.

        Args:
            img_shape: the image's shape (rank 3, no batch axis).
            seed: an int for a repeatable draw; ``None`` draws from striate's generator.

        Returns:
            A dict: ``theta`` and ``shear`` (degrees), ``tx`` and ``ty`` (the shift along x, the
            columns, and along y, the rows, in pixels), ``zx`` and ``zy``, ``flip_horizontal``,
            ``flip_vertical``, ``channel_shift_intensity`` and ``brightness`` (None when not used).

        Example:
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator(rotation_range=30)
            >>> params = datagen.get_random_transform((8, 8, 1), seed=1)
            >>> -30 <= params["theta"] <= 30, params["tx"], params["brightness"]
            (True, 0.0, None)
        """
        drawn = self._draw(1, tuple(img_shape), _generator(seed))
        return {k: None if v is None else v[0].item() for k, v in drawn.items()}

    def apply_transform(self, x, transform_parameters):
        """Transform one image by the parameters :meth:`get_random_transform` gives (missing ones
        leave it unchanged).

        Args:
            x: one image, rank 3.
            transform_parameters: a dict of ``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy``,
                ``flip_horizontal``, ``flip_vertical``, ``channel_shift_intensity``, ``brightness``.

        Returns:
            The transformed image, of the same shape.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator()
            >>> datagen.apply_transform(np.arange(3.0).reshape(1, 3, 1), {"tx": 1})[..., 0]
            array([[1., 2., 2.]])
        """
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"ImageDataGenerator.apply_transform expects one image of rank 3, received shape "
                             f"{x.shape}")
        x = x if x.dtype.kind == "f" else x.astype(self.dtype)
        params = {k: None if v is None else np.asarray([v]) for k, v in transform_parameters.items()}
        return self._apply(x[None], params)[0]

    def random_transform(self, x, seed=None):
        """Transform one image (rank 3) at random.

        Args:
            x: one image.
            seed: an int for a repeatable draw.

        Returns:
            The transformed image, of the same shape.

        Example:
            >>> import numpy as np
            >>> import striate as keras
            >>> datagen = keras.preprocessing.image.ImageDataGenerator(vertical_flip=True)
            >>> datagen.random_transform(np.zeros((4, 4, 3)), seed=0).shape
            (4, 4, 3)
        """
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _augment(self, x, rng):
        """The batch ``x`` transformed at random, every image by its own draw."""
        return self._apply(x, self._draw(len(x), x.shape[1:], rng))

    def _draw(self, n, image_shape, rng):
        """Random parameters for ``n`` images of ``image_shape`` (no batch axis), each an array of ``n``."""
        height, width = image_shape[self.row_axis - 1], image_shape[self.col_axis - 1]

        def uniform(low, high):
            return low + (high - low) * backend.to_numpy(rng.random(n))
        zeros = np.zeros(n)
        zoom_low, zoom_high = self.zoom_range
        zoomed = (zoom_low, zoom_high) != (1.0, 1.0)
        return {
            "theta": uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else zeros,
            "tx": _shifts(rng, self.width_shift_range, n, width),
            "ty": _shifts(rng, self.height_shift_range, n, height),
            "shear": uniform(-self.shear_range, self.shear_range) if self.shear_range else zeros,
            "zx": uniform(zoom_low, zoom_high) if zoomed else zeros + 1,
            "zy": uniform(zoom_low, zoom_high) if zoomed else zeros + 1,
            "flip_horizontal": uniform(0, 1) < 0.5 if self.horizontal_flip else zeros.astype(bool),
            "flip_vertical": uniform(0, 1) < 0.5 if self.vertical_flip else zeros.astype(bool),
            "channel_shift_intensity": uniform(-self.channel_shift_range, self.channel_shift_range)
            if self.channel_shift_range else None,
            "brightness": uniform(*self.brightness_range) if self.brightness_range is not None else None,
        }

    def _apply(self, x, params):
        """The float batch ``x`` transformed by the arrays ``params`` (one entry per image); ``x`` itself
        is left as it is."""
        n, image_axes = len(x), (1, 2, 3)
        geometry = {k: np.broadcast_to(np.asarray(params.get(k, v), dtype=np.float64), (n,)) for k, v in GEOMETRY}
        if any(np.any(geometry[k] != v) for k, v in GEOMETRY):
            transforms = _transforms(geometry, x.shape[self.row_axis], x.shape[self.col_axis])
            x = affine_transform(x, transforms, interpolation=INTERPOLATIONS[self.interpolation_order],
                                 fill_mode=self.fill_mode, fill_value=self.cval, data_format=self.data_format).numpy()
        shift = params.get("channel_shift_intensity")
        if shift is not None:
            low, high = x.min(axis=image_axes, keepdims=True), x.max(axis=image_axes, keepdims=True)
            x = np.clip(x + np.reshape(shift, (n, 1, 1, 1)).astype(x.dtype), low, high)
        for key, axis in (("flip_horizontal", self.col_axis), ("flip_vertical", self.row_axis)):
            flip = np.asarray(params.get(key, False), dtype=bool)
            if flip.any():
                x = np.where(np.reshape(flip, (-1, 1, 1, 1)), np.flip(x, axis=axis), x)
        brightness = params.get("brightness")
        if brightness is not None:  # PIL's ImageEnhance.Brightness on [0, 255], as Keras 2 uses it
            low, high = x.min(axis=image_axes, keepdims=True), x.max(axis=image_axes, keepdims=True)
            stretched = (low < 0) | (high > 255)
            base, span = np.where(stretched, low, 0), np.where(stretched, high - low, 255)
            factor = np.reshape(brightness, (n, 1, 1, 1)).astype(x.dtype)
            x = (base + np.clip((x - base) * factor, 0, span)).astype(x.dtype)
        return x


class Iterator(PyDataset):
    """The base of Keras 2's image iterators: batches of sample indices, in a new order each pass when
    ``shuffle``; a subclass defines ``_get_batches_of_transformed_samples(index_array)``.

    ``iterator[i]`` is batch ``i`` of the current pass, as in any PyDataset, and ``fit`` starts a new
    pass each epoch (``on_epoch_begin``); ``next(iterator)`` goes on forever, pass after pass, as Keras
    2's iterators do.

    Args:
        n: the number of samples.
        batch_size: samples per batch.
        shuffle: a new order of the samples at each pass.
        seed: an int: the order and the random draws come from their own generators, seeded
            ``seed``, ``seed + 1``, ... (draw after draw, as Dropout's seed works); ``None``: from
            striate's seeded generator.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> class Indices(keras.preprocessing.image.Iterator):
        ...     def _get_batches_of_transformed_samples(self, index_array):
        ...         return index_array
        >>> it = Indices(5, batch_size=2, shuffle=False, seed=None)
        >>> len(it), it[2], [next(it) for _ in range(4)][-1]
        (3, array([4]), array([0, 1]))
    """

    def __init__(self, n, batch_size, shuffle, seed):
        super().__init__()
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"{type(self).__name__}: batch_size must be a positive integer, received {batch_size!r}")
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, seed
        self.batch_index = self.total_batches_seen = self._draws = 0
        self.index_array = None

    def _generator(self):
        """Where the next random draw comes from (see the class's ``seed``)."""
        if self.seed is None:
            return backend.rng()
        self._draws += 1
        return np.random.default_rng(self.seed + self._draws - 1)

    def _set_index_array(self):
        if not self.shuffle:
            self.index_array = np.arange(self.n)
        else:
            self.index_array = backend.permutation(self.n) if self.seed is None else \
                self._generator().permutation(self.n)

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise ValueError(f"{type(self).__name__}: asked for batch {idx}, but it has {len(self)} batches")
        if self.index_array is None:
            self._set_index_array()
        return self._batch(idx)

    def _batch(self, idx):
        self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(
            self.index_array[idx * self.batch_size:(idx + 1) * self.batch_size])

    def on_epoch_begin(self):
        self._set_index_array()

    def on_epoch_end(self):
        self.index_array = None  # the next pass draws a new order

    def reset(self):
        """Make ``next()`` start a new pass."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.batch_index == 0:
            self._set_index_array()
        idx, self.batch_index = self.batch_index, (self.batch_index + 1) % len(self)
        return self._batch(idx)

    next = __next__  # Keras 2's spelling: batch = iterator.next()

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError(f"{type(self).__name__} must define _get_batches_of_transformed_samples("
                                  "self, index_array), which returns the batch of those samples")


class NumpyArrayIterator(Iterator):
    """Batches of images in an array, augmented and standardized by an :class:`ImageDataGenerator`:
    what ``ImageDataGenerator.flow`` returns (see it for the arguments).

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> datagen = keras.preprocessing.image.ImageDataGenerator(rescale=0.5)
        >>> it = keras.preprocessing.image.NumpyArrayIterator(np.ones((3, 2, 2, 1)), None, datagen, batch_size=2)
        >>> it[1]
        array([[[[0.5],
                 [0.5]],
        <BLANKLINE>
                [[0.5],
                 [0.5]]]], dtype=float32)
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None):
        self.dtype = dtype or backend.floatx()
        self.data_format = data_format_of("NumpyArrayIterator", data_format)
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"NumpyArrayIterator: x must be images of rank 4 (batch first), received shape {x.shape}")
        _check_channels("NumpyArrayIterator", x.shape, 1 if self.data_format == "channels_first" else 3,
                        self.data_format)
        y = None if y is None else np.asarray(y)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None and len(value) != len(x):
                raise ValueError(f"NumpyArrayIterator: x has {len(x)} images but {name} has {len(value)} entries; "
                                 "they must have the same length")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"NumpyArrayIterator: subset must be 'training' or 'validation', received {subset!r}")
            split = int(len(x) * image_data_generator._validation_split)
            if not split:
                raise ValueError("NumpyArrayIterator: subset needs the ImageDataGenerator's validation_split > 0")
            if y is not None and not ignore_class_split and \
                    not np.array_equal(np.unique(y[:split]), np.unique(y[split:])):
                raise ValueError("NumpyArrayIterator: the training and validation subsets hold different classes; "
                                 "shuffle x and y first (they may be sorted by label), or pass ignore_class_split=True")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x, y = x[part], None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        generator = self.image_data_generator
        batch = generator.standardize(generator._augment(self.x[index_array], self._generator()))
        if self.save_to_dir:
            for image, index in zip(batch, index_array):
                name = f"{self.save_prefix}_{index}_{self.total_batches_seen}.{self.save_format}"
                save_img(os.path.join(self.save_to_dir, name), image, data_format=self.data_format, scale=True)
        if self.y is None:
            return batch
        parts = (batch, self.y[index_array])
        return parts if self.sample_weight is None else parts + (self.sample_weight[index_array],)


def _generator(seed):
    """striate's seeded generator, or a new one from ``seed``."""
    return backend.rng() if seed is None else np.random.default_rng(seed)


def _is_pair(value):
    return isinstance(value, (list, tuple)) and len(value) == 2 and \
        all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)


def _check_shift(name, value):
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
            return
    elif isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= 0:
        return
    raise ValueError(f"ImageDataGenerator: {name} must be a float or an int >= 0, or a non-empty list of numbers, "
                     f"received {value!r}")


def _shifts(rng, spec, n, size):
    """``n`` shifts in pixels drawn as ``width_shift_range``/``height_shift_range`` says (see the class)."""
    if np.ndim(spec) == 0 and not spec:
        return np.zeros(n)
    if np.ndim(spec) == 1 or isinstance(spec, numbers.Integral):  # one of the values, with a random sign
        values = np.arange(spec) if np.ndim(spec) == 0 else np.asarray(spec, dtype=np.float64)
        picks = values[backend.to_numpy(rng.integers(0, len(values), n))]
        shifts = picks * np.where(backend.to_numpy(rng.random(n)) < 0.5, -1.0, 1.0)
    else:
        shifts = spec * (2 * backend.to_numpy(rng.random(n)) - 1)
    return shifts * size if np.max(spec) < 1 else shifts


def _matrices(a, b, c, d, e, f):
    """The affine matrices ``[[a, b, c], [d, e, f], [0, 0, 1]]``, stacked along the arrays' axis."""
    a, b, c, d, e, f = np.broadcast_arrays(a, b, c, d, e, f)
    zero = np.zeros_like(a)
    return np.stack([np.stack([a, b, c], -1), np.stack([d, e, f], -1), np.stack([zero, zero, zero + 1], -1)], -2)


def _transforms(p, height, width):
    """The ``(n, 8)`` rows of ``ops.image.affine_transform`` for the parameter arrays ``p``: each output
    pixel ``(x, y)`` (column, row) takes the input at ``C R T S Z C^-1 (x, y, 1)``, with R the rotation,
    T the shift, S the shear, Z the zoom and C the move to the image's centre (Keras 2's matrices)."""
    theta, shear = np.deg2rad(p["theta"]), np.deg2rad(p["shear"])
    zero = np.zeros_like(theta)
    m = (_matrices(np.cos(theta), -np.sin(theta), zero, np.sin(theta), np.cos(theta), zero)
         @ _matrices(1 + zero, zero, p["tx"], zero, 1 + zero, p["ty"])
         @ _matrices(1 + zero, -np.sin(shear), zero, zero, np.cos(shear), zero)
         @ _matrices(p["zx"], zero, zero, zero, p["zy"], zero))
    cx, cy = (width - 1) / 2, (height - 1) / 2
    m = _matrices(1, 0, cx, 0, 1, cy) @ m @ _matrices(1, 0, -cx, 0, 1, -cy)
    return np.concatenate([m[:, :2].reshape(len(m), 6), np.zeros((len(m), 2))], axis=1)


def _check_channels(where, shape, axis, data_format):
    if shape[axis] not in (1, 3, 4):
        warnings.warn(f"{where}: images in {data_format} have their channels on axis {axis}, usually 1, 3 or 4 of "
                      f"them, received shape {shape} ({shape[axis]} channels); is data_format right?")
