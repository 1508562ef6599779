"""MNIST segmentation: scenes of 2-4 real MNIST digits on one canvas, with a label for every pixel.

A scene of side ``size`` (64 by default) is split into four quadrants; 2 to 4 of them, picked at
random, each receive one 28x28 digit, its centre drawn within 6 pixels of the quadrant's centre
(and the digit kept on the canvas), so neighbours sometimes overlap at their edges. Digits are
painted one after another: a pixel whose intensity is above ``threshold`` belongs to the digit
painted last that inks it there (the one on top wins), and its label is ``1 + digit`` (0 is the
background: 11 classes). The image keeps, at each pixel, the top digit's ink where it is above the
threshold, else the brightest ink there, so ``label > 0`` exactly where ``image > threshold``.

Training scenes are made of MNIST's training digits and test scenes of its test digits only.
Scenes are drawn from ``seed`` alone (training and test from separate streams), vectorized over the
scenes: one pass per digit slot.
"""
import numpy as np

from striate.datasets import mnist, shapes

NUM_CLASSES = 11  # background + 10 digits
_SLOTS = 4  # one digit per quadrant at most
_JITTER = 6  # how far (pixels) a digit's centre may stray from its quadrant's centre


def load_data(num_train=10000, num_test=2000, size=64, seed=0, threshold=127, source="mnist"):
    """Draw MNIST segmentation scenes, in the format of ``mnist.load_data()``.

    Args:
        num_train: number of training scenes (made of MNIST's training digits).
        num_test: number of test scenes (made of MNIST's test digits).
        size: the side of the square canvas, at least 28.
        seed: a non-negative int; the same arguments always give the same arrays, and the test
            scenes do not change with ``num_train``.
        threshold: a pixel belongs to a digit where the digit's intensity (0-255) is above it.
        source: where the digits come from: ``"mnist"`` (``striate.datasets.mnist.load_data()``),
            ``"shapes"`` (the embedded shapes dataset, needing no files), or a dataset in Keras's
            format ``((x_train, y_train), (x_test, y_test))`` of 28x28 uint8 images and labels 0-9.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape ``(n, size, size)`` and uint8
        masks of the same shape, 0 for background and ``1 + d`` for digit ``d``.

    Raises:
        FileNotFoundError: MNIST is not found and cannot be downloaded (``source="mnist"``).

    Example:
        >>> import striate as keras
        >>> (x_train, y_train), (x_test, y_test) = keras.datasets.mnist_segmentation.load_data(
        ...     num_train=100, num_test=20)
        >>> x_train.shape, y_train.shape, int(y_train.max())
        ((100, 64, 64), (100, 64, 64), 10)
        >>> bool(((y_test > 0) == (x_test > 127)).all())
        True
    """
    for arg, value in (("num_train", num_train), ("num_test", num_test), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"mnist_segmentation.load_data expects a non-negative int {arg}, received {value!r}")
    if not isinstance(size, (int, np.integer)) or size < 28:
        raise ValueError(f"mnist_segmentation.load_data expects an int size >= 28 (a digit is 28x28), "
                         f"received {size!r}")
    if not 0 <= threshold < 255:
        raise ValueError(f"mnist_segmentation.load_data expects a threshold in [0, 255), received {threshold!r}")
    if isinstance(source, str):
        loaders = {"mnist": mnist.load_data, "shapes": shapes.load_data}
        if source not in loaders:
            raise ValueError(f"mnist_segmentation.load_data: source must be 'mnist', 'shapes' or a dataset "
                             f"((x_train, y_train), (x_test, y_test)), received {source!r}")
        source = loaders[source]()
    (x_train, y_train), (x_test, y_test) = source
    return (_scenes(x_train, y_train, num_train, size, threshold, np.random.default_rng([seed, 0])),
            _scenes(x_test, y_test, num_test, size, threshold, np.random.default_rng([seed, 1])))


def _scenes(digits, labels, n, size, threshold, rng):
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or len(labels) != len(digits) or not len(digits):
        raise ValueError(f"mnist_segmentation.load_data expects source images of shape (n, 28, 28) with n "
                         f"labels, received images {digits.shape} and labels {labels.shape}")
    images = np.zeros((n, size, size), np.uint8)
    masks = np.zeros((n, size, size), np.uint8)
    count = rng.integers(2, _SLOTS + 1, n)  # digits in each scene
    quadrant = rng.permuted(np.tile(np.arange(_SLOTS), (n, 1)), axis=1)  # slot -> quadrant, per scene
    pick = rng.integers(0, len(digits), (n, _SLOTS))
    jitter = rng.integers(-_JITTER, _JITTER + 1, (n, _SLOTS, 2))
    half = size / 2
    # top-left corner of each slot's 28x28 box: the quadrant's centre, jittered, kept on the canvas
    centre = np.stack([quadrant // 2, quadrant % 2], axis=-1) * half + half / 2
    corner = np.clip(np.round(centre).astype(np.int64) - 14 + jitter, 0, size - 28)
    scene = np.arange(n)[:, None, None]
    offsets = np.arange(28)
    for slot in range(_SLOTS):
        active = count > slot
        rows = (corner[:, slot, 0, None] + offsets)[:, :, None]
        cols = (corner[:, slot, 1, None] + offsets)[:, None, :]
        ink = np.where(active[:, None, None], digits[pick[:, slot]], 0)
        below = images[scene, rows, cols]
        on_top = ink > threshold
        images[scene, rows, cols] = np.where(on_top, ink, np.maximum(below, ink))
        masks[scene, rows, cols] = np.where(on_top, (labels[pick[:, slot]] + 1)[:, None, None],
                                            masks[scene, rows, cols])
    return images, masks
