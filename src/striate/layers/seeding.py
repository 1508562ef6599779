"""Where the random layers draw from: the backend's seeded generator, or with ``seed=`` their own.

Keras gives each random layer a SeedGenerator; striate does what its Dropout does: a layer made with
``seed=s`` draws its n-th call from a fresh generator seeded ``s + n`` (repeatable across instances
and runs, new numbers each call), and a layer without a seed draws from ``striate.backend.rng()``,
which ``utils.set_random_seed`` seeds and BackupAndRestore saves and restores with each backup.

NOTE: a layer's count of seeded calls is not part of a backup: a run resumed by BackupAndRestore
repeats the uninterrupted run bit for bit only with layers that draw from the backend's generator.
"""
from striate import backend


def check_seed(layer, seed):
    """``seed`` checked: an int or None; the error names ``layer`` (a class name)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{layer}: seed must be an int or None, received {seed!r}")
    return seed


def generator(layer):
    """The generator for one call of ``layer`` (which has a ``seed`` attribute).

    Args:
        layer: a layer with ``seed`` (an int or None).

    Returns:
        ``striate.backend.rng()`` when ``layer.seed`` is None, else a new generator of the array
        module seeded ``layer.seed + n`` for the layer's n-th call.

    Example:
        >>> import striate as keras
        >>> from striate.layers.seeding import generator
        >>> layer = keras.layers.GaussianNoise(0.1, seed=3)
        >>> first, second = generator(layer).random(), generator(layer).random()
        >>> bool(first == keras.backend.xp().random.default_rng(3).random()), bool(first == second)
        (True, False)
    """
    if layer.seed is None:
        return backend.rng()
    calls = layer.__dict__.get("_seeded_calls", 0)
    layer._seeded_calls = calls + 1
    return backend.xp().random.default_rng(layer.seed + calls)
