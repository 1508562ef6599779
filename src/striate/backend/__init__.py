"""The array module behind striate: NumPy on the CPU, CuPy on a GPU.

Only this package imports numpy or cupy by name. Everything else asks for
``xp()`` (the active array module), ``floatx()`` (the default float dtype) and
``rng()`` (the one seeded random generator).

Example:
    >>> from striate import backend
    >>> backend.floatx()
    'float32'
"""
import numpy as np

_state = {"xp": np, "floatx": "float32", "rng": np.random.default_rng(), "seed": None}


def xp():
    """Return the active array module (``numpy``, or ``cupy`` after ``set_device('gpu')``)."""
    return _state["xp"]


def set_device(device):
    """Choose where arrays live: ``'cpu'`` (NumPy) or ``'gpu'`` (CuPy).

    Args:
        device: ``'cpu'`` or ``'gpu'``.
    """
    if device == "cpu":
        _state["xp"] = np
    elif device == "gpu":
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError("set_device('gpu') needs CuPy: pip install 'striate[gpu]'") from e
        _state["xp"] = cupy
    else:
        raise ValueError(f"set_device expects 'cpu' or 'gpu', received {device!r}")
    set_seed(_state["seed"])


def device():
    """Return ``'gpu'`` when arrays live on a GPU, else ``'cpu'``."""
    return "cpu" if _state["xp"] is np else "gpu"


def floatx():
    """Return the default float dtype name (``'float32'`` unless changed)."""
    return _state["floatx"]


def set_floatx(dtype):
    """Set the default float dtype: ``'float32'`` or ``'float64'``."""
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx expects 'float16', 'float32' or 'float64', received {dtype!r}")
    _state["floatx"] = dtype


def rng():
    """Return the backend's seeded random generator (a ``Generator`` of the array module)."""
    return _state["rng"]


def set_seed(seed):
    """Reseed the backend generator; ``None`` draws fresh entropy."""
    _state["seed"] = seed
    _state["rng"] = _state["xp"].random.default_rng(seed)


def get_rng_state():
    """The generator's state as a JSON-able dict (for checkpoints that resume bit-for-bit)."""
    return _state["rng"].bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _state["rng"].bit_generator.state = state


def is_float(dtype):
    """True when ``dtype`` is a floating-point dtype."""
    return np.dtype(dtype).kind == "f"


def to_numpy(a):
    """Return ``a`` as a NumPy array (copies from the GPU when needed)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get"):
        return a.get()
    return np.asarray(a)


def asarray(a, dtype=None):
    """Turn ``a`` into an array of the active module; Python floats become ``floatx()``."""
    m = _state["xp"]
    if dtype is None and not hasattr(a, "dtype"):
        arr = m.asarray(a)
        if arr.dtype.kind == "f":
            arr = arr.astype(_state["floatx"], copy=False)
        return arr
    return m.asarray(a, dtype=dtype)
