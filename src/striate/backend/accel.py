"""The optional accelerator: compiled kernels (Numba) where NumPy needs several passes.

``pip install 'striate[fast]'`` adds Numba; striate then runs pooling through the kernels in
``backend._kernels`` (one pass each way instead of NumPy's four to seven). Without Numba, on a
GPU, or with the environment variable ``STRIATE_ACCELERATE=0``, every op runs on NumPy alone, and
gives the same results.

Example:
    >>> from striate import backend
    >>> backend.set_accelerated(False)   # NumPy only, from here on
    False
"""
import os

_state = {"wanted": os.environ.get("STRIATE_ACCELERATE", "1") != "0", "kernels": None, "cpu": True}


def _load():
    if _state["kernels"] is None:
        try:
            from striate.backend import _kernels
        except ImportError:
            _kernels = False
        _state["kernels"] = _kernels
    return _state["kernels"]


def kernels():
    """The compiled kernels module when they are to be used (on the CPU, Numba installed, not turned
    off), else None. Numba is imported on first use, not with striate."""
    if not (_state["wanted"] and _state["cpu"]):
        return None
    return _load() or None


def set_accelerated(enabled):
    """Use the compiled kernels (when Numba is installed) or NumPy alone.

    Returns:
        Whether the kernels are now in use.
    """
    _state["wanted"] = bool(enabled)
    return kernels() is not None
