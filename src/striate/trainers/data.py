"""Feeding data to fit/evaluate/predict: arrays in batches, generators, validation splits, checks."""
import math

import numpy as np

from striate import backend


def _flat(x):
    if x is None:
        return []
    if isinstance(x, dict):
        return list(x.values())
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _like(template, flat):
    """Rebuild ``template``'s structure (single array, list or dict) from a flat list."""
    if isinstance(template, dict):
        return dict(zip(template.keys(), flat))
    return list(flat) if isinstance(template, (list, tuple)) else flat[0]


def to_numpy(x):
    """Arrays stay on the host for batching (a Tensor, a list, a DataFrame-like become NumPy)."""
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") and getattr(x[0], "ndim", 0) > 0:
        return [to_numpy(v) for v in x]
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _all_finite(a):
    """Whether the float array ``a`` holds no NaN and no infinity.

    NOTE: a NaN or an infinity anywhere makes the sum of squares ``a . a`` NaN or infinite, so a finite
    sum proves every value finite, in one pass that writes nothing (the BLAS's dot product). Only when
    it is not finite (bad values, or finite ones whose squares overflow) is each value tested. MNIST's
    60,000 training images: 18.3 -> 10.7 ms, at each call of ``fit``. float16 has no BLAS dot.
    """
    if a.dtype in (np.float32, np.float64) and a.flags.c_contiguous and a.size:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.isfinite(a).all())


def check_arrays(x, y=None, sample_weight=None, where="fit"):
    """Clear errors for the mistakes people make: unequal lengths, NaN or inf values."""
    xs, ys = _flat(x), _flat(y)
    if not xs:
        raise ValueError(f"{where}: x is missing")
    n = len(xs[0])
    for name, arrays in (("x", xs), ("y", ys), ("sample_weight", _flat(sample_weight))):
        for i, a in enumerate(arrays):
            label = name if len(arrays) == 1 else f"{name}[{i}]"
            if len(a) != n:
                raise ValueError(f"{where}: x has {n} samples but {label} has {len(a)}; they must have the same "
                                 "length (the first axis)")
            if a.dtype.kind == "f" and not _all_finite(a):
                bad = int((~np.isfinite(a)).sum())
                raise ValueError(f"{where}: {label} contains {bad} NaN or infinite value(s); clean the data first")
            if a.dtype.kind not in "fiub":
                raise TypeError(f"{where}: {label} must be numeric, received dtype {a.dtype}")
    return n


def split_validation(x, y, sample_weight, validation_split):
    """Keras's rule: the last ``validation_split`` fraction, taken before any shuffling."""
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), received {validation_split}")
    n = len(_flat(x)[0])
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut <= 0 or cut >= n:
        raise ValueError(f"fit: validation_split={validation_split} leaves no data on one side of {n} samples")

    def part(a, s):
        return None if a is None else _like(a, [v[s] for v in _flat(a)])
    first, last = slice(0, cut), slice(cut, n)
    return (part(x, first), part(y, first), part(sample_weight, first)), \
        (part(x, last), part(y, last), part(sample_weight, last))


class ArrayBatches:
    """Slices arrays into batches, reshuffled each epoch with the backend's seeded generator."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, received {batch_size!r}")
        self.x, self.y, self.sw = x, y, sample_weight
        self.n = len(_flat(x)[0])
        self.batch_size, self.shuffle = batch_size, shuffle
        self.steps = min(steps, self.num_batches) if steps else self.num_batches

    @property
    def num_batches(self):
        return max(1, math.ceil(self.n / self.batch_size))

    def __iter__(self):
        return self.epoch()

    def epoch(self, start_step=0):
        """The batches of one epoch, from batch ``start_step`` on.

        The shuffle is drawn when this is called, not at the first batch, so a resumed ``fit`` can
        reset the generator right after it (see ``Trainer.resume_training``).
        """
        order = None
        if self.shuffle == "batch":
            starts = backend.permutation(self.num_batches)
        elif self.shuffle:
            order = backend.permutation(self.n)
            starts = range(self.num_batches)
        else:
            starts = range(self.num_batches)
        return self._slices(order, starts[start_step:self.steps])

    def _slices(self, order, starts):
        for b in starts:
            s = slice(b * self.batch_size, min(self.n, (b + 1) * self.batch_size))
            idx = s if order is None else order[s]
            yield tuple(None if a is None else _like(a, [v[idx] for v in _flat(a)]) for a in (self.x, self.y, self.sw))


class GeneratorBatches:
    """Batches from a Python generator/iterable of ``(x, y)`` or ``(x, y, sample_weight)``."""

    def __init__(self, source, steps=None):
        self.source, self.steps = source, steps
        self._it = iter(source)

    def __iter__(self):
        return self.epoch()

    def epoch(self, start_step=0):
        """The rest of one epoch after ``start_step`` batches: ``steps - start_step`` more batches
        from the source (which cannot rewind: a resumed ``fit`` continues with the source it is given)."""
        return self._take(None if self.steps is None else self.steps - start_step)

    def _take(self, count):
        step = 0
        while count is None or step < count:
            try:
                batch = next(self._it)
            except StopIteration:
                if self.steps is not None and hasattr(self.source, "__iter__") and iter(self.source) is not self.source:
                    self._it = iter(self.source)
                return
            if not isinstance(batch, tuple):
                batch = (batch,)
            batch = tuple(to_numpy(b) for b in batch) + (None,) * (3 - len(batch))
            yield batch[:3]
            step += 1


def is_generator(x):
    """True for a Python generator or other iterable of batches (not an array, list or dict of arrays)."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict, str)):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__")
