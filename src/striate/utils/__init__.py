"""Utilities: seeding, label encoding."""
import random as _random

import numpy as _np

from striate import backend


def set_random_seed(seed):
    """Seed every generator striate uses (its backend generator, NumPy's and Python's).

    With a seed, a CPU run is bit-for-bit repeatable.

    Example:
        >>> striate.utils.set_random_seed(1337)
    """
    if not isinstance(seed, int):
        raise TypeError(f"set_random_seed expects an int seed, received {type(seed).__name__}")
    _random.seed(seed)
    _np.random.seed(seed % 2**32)
    backend.set_seed(seed)
