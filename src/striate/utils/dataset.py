"""PyDataset (Keras 2's Sequence): a dataset written in Python that gives whole batches by index."""
import itertools


class PyDataset:
    """Base class for a dataset that gives whole batches by index, as ``keras.utils.PyDataset``.

    Subclass it and define ``__len__`` (the number of batches) and ``__getitem__(idx)``, which returns
    batch ``idx`` as ``(x, y)``, ``(x, y, sample_weight)`` or ``(x,)``; x and y may be arrays, lists or
    dicts of arrays. ``fit``, ``evaluate`` and ``predict`` take it as ``x``: each epoch reads
    ``len(dataset)`` batches, in index order, or in an order shuffled by striate's seeded generator
    when ``fit`` is given ``shuffle=True`` (its default, as in Keras 3). ``on_epoch_begin`` and
    ``on_epoch_end`` are called around each pass, e.g. to reshuffle the samples.

    A dataset whose ``num_batches`` is ``None`` is infinite: ``fit`` then needs ``steps_per_epoch``,
    and each epoch reads batches ``0, 1, ..., steps_per_epoch - 1``.

    Args:
        workers: kept for Keras compatibility; striate reads the batches one after the other on the
            thread that runs ``fit``, so the random draws in ``__getitem__`` stay repeatable.
        use_multiprocessing: kept for Keras compatibility, as ``workers``.
        max_queue_size: kept for Keras compatibility, as ``workers``.

    Example:
        >>> import numpy as np
        >>> import striate as keras
        >>> class Squares(keras.utils.PyDataset):
        ...     def __init__(self, n, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(n, dtype="float32").reshape(n, 1)
        ...         self.batch_size = batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, idx):
        ...         x = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        ...         return x, x ** 2
        >>> data = Squares(10, batch_size=4)
        >>> len(data), data[2]
        (3, (array([[8.],
               [9.]], dtype=float32), array([[64.],
               [81.]], dtype=float32)))
    """

    # class defaults, so a subclass that forgets super().__init__() still works
    workers, use_multiprocessing, max_queue_size = 1, False, 10

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if not isinstance(workers, int) or workers < 0:
            raise ValueError(f"PyDataset: workers must be a non-negative int, received {workers!r}")
        if not isinstance(max_queue_size, int) or max_queue_size <= 0:
            raise ValueError(f"PyDataset: max_queue_size must be a positive int, received {max_queue_size!r}")
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __getitem__(self, index):
        """Return batch ``index``: ``(x, y)``, ``(x, y, sample_weight)`` or ``(x,)``."""
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index), which "
                                  "returns one batch")

    @property
    def num_batches(self):
        """The number of batches: ``len(self)``, or ``None`` for an infinite dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self) (the number of batches), "
                                  "or a num_batches property that returns None for an infinite dataset")

    def __iter__(self):
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self):
        """Called before each pass over the dataset."""

    def on_epoch_end(self):
        """Called after each pass over the dataset."""


Sequence = PyDataset  # Keras 2's name
