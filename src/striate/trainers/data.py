"""Feeding data to fit/evaluate/predict: arrays in batches, PyDatasets, generators and other iterables
(a PyTorch DataLoader), inputs and targets matched by name, validation splits, checks."""
import math
import warnings

import numpy as np

from striate import backend
from striate.utils.dataset import PyDataset


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
        if hasattr(x, "cpu") and hasattr(x, "detach"):  # a PyTorch tensor: off the tape, onto the host
            x = x.detach().cpu()
        return np.asarray(x.numpy())
    return np.asarray(x)


def _all_finite(a):
    """Whether the float array ``a`` holds no NaN and no infinity.

    NOTE: a NaN or an infinity anywhere makes the sum of squares ``a . a`` NaN or infinite, so a finite
    sum proves every value finite, in one pass that writes nothing (the BLAS's dot product). Only when
    it is not finite (bad values, or finite ones whose squares overflow) is each value tested; about
    half the time of ``isfinite(a).all()`` on MNIST (benchmarks/NOTES.md). float16 has no BLAS dot.
    """
    if a.dtype in (np.float32, np.float64) and a.flags.c_contiguous and a.size:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.isfinite(a).all())


def check_arrays(x, y=None, sample_weight=None, where="fit"):
    """Clear errors for the mistakes people make: no samples, unequal lengths, NaN or inf values."""
    xs, ys = _flat(x), _flat(y)
    if not xs:
        raise ValueError(f"{where}: x is missing")
    n = len(xs[0])
    if n == 0:
        raise ValueError(f"{where} expects x with at least one sample, received x of shape {xs[0].shape}")
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

    ran_out = False  # arrays can always be read again

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


class DatasetBatches:
    """Batches of a PyDataset (Keras 2's Sequence): ``dataset[i]`` in index order, or in an order drawn
    like ArrayBatches' shuffle, with the dataset's ``on_epoch_begin``/``on_epoch_end`` around each pass."""

    ran_out = False  # a PyDataset can always be read again

    def __init__(self, dataset, steps=None, shuffle=False, weigh=None, where="fit"):
        self.dataset, self.weigh = dataset, weigh
        self._source = f"{type(dataset).__name__}.__getitem__"
        count = dataset.num_batches
        if count is None and not steps:
            raise ValueError(f"{where}: {type(dataset).__name__} is an infinite PyDataset (num_batches is None); "
                             f"pass {_steps_argument(where)}=... (batches per epoch)")
        if count == 0:
            raise ValueError(f"{where}: {type(dataset).__name__} has no batches (its len() is 0)")
        self._count, self.shuffle = count, bool(shuffle) and count is not None
        self.steps = count if not steps else steps if count is None else min(steps, count)

    def __iter__(self):
        return self.epoch()

    def epoch(self, start_step=0):
        """The batches of one epoch from batch ``start_step`` on; ``on_epoch_begin`` and the shuffle
        run when this is called (see ``ArrayBatches.epoch``), ``on_epoch_end`` after the last batch."""
        self.dataset.on_epoch_begin()
        return self._read(backend.permutation(self._count) if self.shuffle else None, start_step)

    def _read(self, order, start_step):
        for step in range(start_step, self.steps):
            yield unpack_batch(self.dataset[step if order is None else int(order[step])], self._source,
                               self.weigh)
        self.dataset.on_epoch_end()


class GeneratorBatches:
    """Batches from a Python generator or another iterable of batches (a PyTorch DataLoader, ...).

    An iterable that makes a new iterator each time (a DataLoader) is read afresh once the last pass
    has ended; a generator cannot rewind, so each epoch goes on from where the last one stopped. An
    epoch is ``steps`` batches, or fewer if the source ends first; with ``steps=None``, one pass (the
    source's ``len()`` batches where it has one). An epoch that finds no batch at all sets ``ran_out``:
    fit stops there with a warning, as Keras 2 does; evaluate and predict raise.
    """

    def __init__(self, source, steps=None, weigh=None, where="fit"):
        self.source, self.weigh, self.where = source, weigh, where
        self._source = f"the {type(source).__name__} given to {where}"
        one_shot = hasattr(source, "__next__")
        self.steps = steps or (len(source) if not one_shot and hasattr(source, "__len__") else None)
        self._count = steps  # None: to the end of the pass
        self._it = None
        self.ran_out = False

    def __iter__(self):
        return self.epoch()

    def epoch(self, start_step=0):
        """The rest of one epoch after ``start_step`` batches (the source cannot rewind: a resumed
        ``fit`` continues with the source it is given)."""
        return self._take(None if self._count is None else self._count - start_step)

    def _take(self, count):
        if count == 0:
            return
        if self._it is None:
            self._it = iter(self.source)
        taken = 0
        while count is None or taken < count:
            try:
                batch = next(self._it)
            except StopIteration:
                self._it = None
                break
            yield unpack_batch(batch, self._source, self.weigh)
            taken += 1
        if not taken:
            self.ran_out = True
            ending = " this epoch, so training stops here" if self.where.startswith("fit") else ""
            message = (f"{self.where}: {self._source} ran out of data: it gave no batch{ending}. A generator cannot "
                       f"be rewound: make it loop (`while True:`) and pass {_steps_argument(self.where)}=..., or give "
                       "a PyDataset or a re-iterable (a DataLoader)")
            if not ending:
                raise ValueError(message)
            warnings.warn(message, stacklevel=2)


def unpack_batch(batch, source, weigh=None):
    """``(x, y, sample_weight)`` as NumPy arrays from one batch: a tuple or list of 1 to 3 parts, or x
    alone (an array or a dict); ``weigh(y, sample_weight)``, when given, makes the sample weights."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        batch = (batch,)
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"{source} must give batches (x,), (x, y) or (x, y, sample_weight), received a batch "
                         f"of {len(batch)} parts")
    x, y, sample_weight = tuple(to_numpy(b) for b in batch) + (None,) * (3 - len(batch))
    if weigh is not None and y is not None:
        sample_weight = weigh(y, sample_weight)
    return x, y, sample_weight


def is_generator(x):
    """True for a PyDataset, a Python generator or another iterable of batches (a DataLoader), not for
    an array, a list or a dict of arrays."""
    if x is None or hasattr(x, "shape") or isinstance(x, (list, tuple, dict, str)):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__")


def source_batches(x, y=None, sample_weight=None, steps=None, shuffle=False, weigh=None, where="fit"):
    """The batches of ``x``, a PyDataset or a generator or other iterable of batches (``is_generator``).

    Args:
        y, sample_weight: must be None (the batches hold them); given, the error says so.
        steps: batches per epoch (``steps_per_epoch``), or None for one pass.
        shuffle: a PyDataset's batches in a new order each epoch.
        weigh: ``weigh(y, sample_weight)`` gives each batch's sample weights (fit's ``class_weight``), or None.
        where: the caller's name, for errors.
    """
    kind = "a PyDataset" if isinstance(x, PyDataset) else "a generator"
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(f"{where}: x is {kind}, whose batches hold the targets and sample weights; do not "
                             f"pass {name} (give batches (x, y) or (x, y, sample_weight))")
    if isinstance(x, PyDataset):
        return DatasetBatches(x, steps, shuffle, weigh, where)
    return GeneratorBatches(x, steps, weigh, where)


def by_name(values, names, what, model):
    """``values``, a dict keyed by the model's input (or output layer) ``names``, in the model's order:
    matched by name, never by the dict's order. One name gives the value alone, more a list."""
    kind = "input" if what == "x" else "output"
    unknown = [k for k in values if k not in names]
    missing = [n for n in names if n not in values]
    if unknown:
        raise ValueError(f"Model '{model}': {what} has key(s) {unknown} that name no {kind}; the model's "
                         f"{kind}s are {names}")
    if missing:
        raise ValueError(f"Model '{model}': {what} has no key for {kind}(s) {missing}; the model's {kind}s are "
                         f"{names}")
    return values[names[0]] if len(names) == 1 else [values[n] for n in names]


def _steps_argument(where):
    return {"fit": "steps_per_epoch", "fit (validation_data)": "validation_steps"}.get(where, "steps")
