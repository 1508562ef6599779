"""The optional accelerator: compiled kernels (Numba) where NumPy needs several passes, or is slow.

``pip install 'striate[fast]'`` adds Numba; striate then runs max pooling, float32 tanh (where NumPy
lacks AVX-512) and its gradient (through average pooling too, in one pass), the conv strips' input
gradient, Adam's update and batch normalization's passes through the kernels in ``backend._kernels``,
and striate's threads wait for their parts spinning without the GIL there (``backend.threads``).
Without Numba, on a GPU, or with the environment variable ``STRIATE_ACCELERATE=0``, every op runs on
NumPy alone, and gives the same results (tanh: within 1.3 ulp, as NumPy's; batch normalization: to
float32 rounding).

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


def conv_kernels():
    """The compiled direct convolutions (``backend._conv_kernels``) where ``kernels()`` are in use, else None."""
    if kernels() is None:
        return None
    if _state.get("conv") is None:
        from striate.backend import _conv_kernels
        _state["conv"] = _conv_kernels
    return _state["conv"]


def kernels_for(*arrays):
    """The compiled kernels where they serve ``arrays``: in use, and every array float32 and
    C-contiguous (the elementwise kernels take flat views); else None."""
    found = kernels()
    if found is None or not all(a.dtype == "float32" and a.flags.c_contiguous for a in arrays):
        return None
    return found


def numpy_tanh_is_faster():
    """Whether NumPy's own float32 tanh beats the compiled kernel here: where NumPy runs it with AVX-512.

    NOTE: measured on an Intel Xeon (Sapphire Rapids), tanh of 300,000 float32 values: NumPy 90 us with
    AVX-512, 534 us with AVX2 only (NPY_DISABLE_CPU_FEATURES), the kernel 210 us either way; on AVX2
    machines (the AMD EPYC this was first tuned on) the kernel was twice as fast as NumPy.
    """
    if _state.get("numpy_tanh") is None:
        import numpy as np
        try:
            info = np.lib.introspect.opt_func_info(func_name="^tanh$", signature="float32")
            target = next(iter(info["tanh"].values()))["current"]
        except (AttributeError, KeyError, StopIteration, TypeError):
            target = ""
        _state["numpy_tanh"] = target == "X86_V4" or "AVX512" in target
    return _state["numpy_tanh"]


def set_accelerated(enabled):
    """Use the compiled kernels (when Numba is installed) or NumPy alone.

    Returns:
        Whether the kernels are now in use.
    """
    _state["wanted"] = bool(enabled)
    return kernels() is not None
