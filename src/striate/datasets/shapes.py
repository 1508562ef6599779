"""Shapes: an embedded, procedurally drawn stand-in for MNIST that needs no files.

28x28 grayscale uint8 images in 10 classes (``CLASS_NAMES``), each shape at a random position,
size and stroke thickness, with random ink and noise. Drawing is vectorized: every shape is a
signed distance over the pixel grid (positive inside), turned into anti-aliased coverage.
"""
import numpy as np

CLASS_NAMES = ("circle", "ring", "square", "frame", "triangle",
               "horizontal bar", "vertical bar", "diagonal", "plus", "cross")

_SIZE = 28
_ROOT2 = np.sqrt(2.0)


def _bar(along, across, s, t):
    return np.minimum(t / 2 - np.abs(across), s - np.abs(along))


def _diagonal(dx, dy, s, t, flip):
    return _bar((dx + flip * dy) / _ROOT2, (dx - flip * dy) / _ROOT2, s, t)


def _triangle(dx, dy, s):
    # NOTE: apex at (0, -s), base on dy = 0.8 s with half-width s; a side's slope is 1.8
    side = ((dy + s) - 1.8 * np.abs(dx)) / np.sqrt(1 + 1.8**2)
    return np.minimum(0.8 * s - dy, side)


# Signed distance to each class's shape (positive inside), in pixels: offsets dx, dy from the
# centre, half-extent s, stroke thickness t, orientation flip (+1 or -1).
_SHAPES = (
    lambda dx, dy, s, t, flip: s - np.hypot(dx, dy),
    lambda dx, dy, s, t, flip: t / 2 - np.abs(np.hypot(dx, dy) - s),
    lambda dx, dy, s, t, flip: 0.85 * s - np.maximum(np.abs(dx), np.abs(dy)),
    lambda dx, dy, s, t, flip: t / 2 - np.abs(np.maximum(np.abs(dx), np.abs(dy)) - 0.85 * s),
    lambda dx, dy, s, t, flip: _triangle(dx, dy, s),
    lambda dx, dy, s, t, flip: _bar(dx, dy, s, t),
    lambda dx, dy, s, t, flip: _bar(dy, dx, s, t),
    _diagonal,
    lambda dx, dy, s, t, flip: np.maximum(_bar(dx, dy, s, t), _bar(dy, dx, s, t)),
    lambda dx, dy, s, t, flip: np.maximum(_diagonal(dx, dy, s, t, 1), _diagonal(dx, dy, s, t, -1)),
)


def _draw(n, rng):
    labels = rng.permutation(np.arange(n) % len(_SHAPES)).astype(np.uint8)
    coverage = np.empty((n, _SIZE, _SIZE), np.float32)
    ys, xs = np.mgrid[0:_SIZE, 0:_SIZE].astype(np.float32) + np.float32(0.5)
    for c, shape in enumerate(_SHAPES):
        idx = np.flatnonzero(labels == c)
        k = (len(idx), 1, 1)
        s, t = rng.uniform(5.0, 10.0, k), rng.uniform(1.5, 3.5, k)
        flip = rng.choice((-1.0, 1.0), k)
        cx, cy = rng.uniform(s + 2, _SIZE - s - 2), rng.uniform(s + 2, _SIZE - s - 2)
        s, t, flip, cx, cy = (a.astype(np.float32) for a in (s, t, flip, cx, cy))
        coverage[idx] = np.clip(shape(xs - cx, ys - cy, s, t, flip) + 0.5, 0.0, 1.0)
    coverage *= rng.uniform(150.0, 255.0, (n, 1, 1)).astype(np.float32)
    noise = rng.standard_normal(coverage.shape, dtype=np.float32)
    noise *= rng.uniform(0.0, 25.0, (n, 1, 1)).astype(np.float32)
    coverage += noise
    return np.clip(np.rint(coverage, out=coverage), 0, 255, out=coverage).astype(np.uint8), labels


def load_data(n_train=6000, n_test=1000, seed=0):
    """Draw the shapes dataset, in the format of ``mnist.load_data()``.

    The training and test sets come from separate streams of ``seed``, so the test set does not
    change with ``n_train``; the same arguments always give the same arrays.

    Args:
        n_train: number of training images.
        n_test: number of test images.
        seed: a non-negative int.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 28, 28) and uint8 labels (n,)
        in 0..9, balanced across classes; label ``i`` is ``CLASS_NAMES[i]``.

    Example:
        >>> import striate as keras
        >>> (x_train, y_train), (x_test, y_test) = keras.datasets.shapes.load_data()
        >>> x_train.shape, np.bincount(y_train)   # 10 balanced classes
        ((6000, 28, 28), array([600, 600, 600, 600, 600, 600, 600, 600, 600, 600]))
    """
    for name, value in (("n_train", n_train), ("n_test", n_test), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"shapes.load_data expects a non-negative int {name}, "
                             f"received {value!r}")
    return (_draw(n_train, np.random.default_rng([seed, 0])),
            _draw(n_test, np.random.default_rng([seed, 1])))
