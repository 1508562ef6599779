"""NumPy's own BLAS, reached through ctypes: its thread count, and two vector updates NumPy lacks.

NumPy's wheels ship OpenBLAS for their matrix products. Besides those, striate uses it for:

- the number of threads it runs products on (``threads`` sets it per op inside striate's work, and
  gives the user's count back after);
- ``axpby`` (``y = a * x + b * y``) and ``axpy`` (``y += a * x``), in one pass over ``y`` each.
  NumPy needs three and two array calls (each a pass over memory) and a scratch array for them; an
  optimizer's update is a handful of such lines over every weight, so it runs from memory, not from
  arithmetic, and fewer passes make it faster (benchmarks/NOTES.md, "Threads"). The BLAS also
  splits ``axpy`` over its threads where it has several.

The BLAS rounds ``a * x + y`` once where the CPU has fused multiply-adds (most since 2013), so the
results can differ from NumPy's two roundings in the last bit. Where the BLAS cannot be reached
(NumPy built on another BLAS, CuPy arrays, dtypes it lacks), the same functions run NumPy's calls.

Example:
    >>> import numpy as np
    >>> y = np.ones(3, np.float32)
    >>> axpby(np, 2.0, np.arange(3, dtype=np.float32), 0.5, y, scratch=np.empty(3, np.float32))
    >>> y.tolist()
    [0.5, 2.5, 4.5]
"""
import ctypes
import glob
import os

import numpy as np

# NOTE: NumPy 2's wheels name their symbols scipy_openblas*64_ (64-bit integers); older wheels and
# distributions' builds use other prefixes and suffixes. A "64" suffix means 64-bit integers.
_PREFIXES = {"threads": ("scipy_openblas_", "openblas_"), "cblas": ("scipy_cblas_", "cblas_")}
_SUFFIXES = ("64_", "", "_64")

_state = {"lib": None, "on": True}


def _library():
    """``{name: function}`` for NumPy's bundled OpenBLAS (empty when there is none to be found)."""
    if _state["lib"] is None:
        _state["lib"] = {}
        libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        for path in glob.glob(os.path.join(libs, "*openblas*")):
            lib = ctypes.CDLL(path)  # NOTE: a CDLL releases the GIL in each call
            for suffix in _SUFFIXES:
                found = _bind(lib, suffix)
                if found:
                    _state["lib"] = found
                    break
            if _state["lib"]:
                break
    return _state["lib"]


def _bind(lib, suffix):
    def symbol(kind, name):
        for prefix in _PREFIXES[kind]:
            f = getattr(lib, f"{prefix}{name}{suffix}", None)
            if f is not None:
                return f
        return None

    setter, getter = symbol("threads", "set_num_threads"), symbol("threads", "get_num_threads")
    if setter is None or getter is None:
        return {}
    found = {"set_num_threads": setter, "get_num_threads": getter}
    n, p = ctypes.c_int64 if "64" in suffix else ctypes.c_int, ctypes.c_void_p
    for letter, real in (("s", ctypes.c_float), ("d", ctypes.c_double)):
        axpby, axpy = symbol("cblas", f"{letter}axpby"), symbol("cblas", f"{letter}axpy")
        if axpby is None or axpy is None:
            continue
        axpby.argtypes, axpby.restype = [n, real, p, n, real, p, n], None
        axpy.argtypes, axpy.restype = [n, real, p, n, p, n], None
        found[np.dtype(real).str] = (axpby, axpy)
    return found


def threads_functions():
    """``(set, get)``: the BLAS's thread-count functions, or None when it cannot be reached."""
    lib = _library()
    return (lib["set_num_threads"], lib["get_num_threads"]) if lib else None


def _vector_functions(x, y):
    """The BLAS's (axpby, axpy) for NumPy arrays ``x`` and ``y`` of one dtype and size, each contiguous,
    or None."""
    if not _state["on"] or type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype != y.dtype \
            or x.size != y.size or not (x.flags.c_contiguous and y.flags.c_contiguous):
        return None
    return _library().get(x.dtype.str)


def _address(a):
    """The address of contiguous array ``a``'s first value.

    NOTE: a ctypes view of its buffer is about three times quicker to make than ``a.ctypes.data`` (an
    optimizer's step asks for six addresses); a read-only or empty array has no such view.
    """
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError):
        return a.ctypes.data


def axpby(xp, a, x, b, y, scratch):
    """``y = a * x + b * y`` in place. ``scratch`` (``x``'s shape) is for NumPy's calls, and may be ``x``
    itself, which is then overwritten when the BLAS is not used."""
    functions = _vector_functions(x, y)
    if functions is not None:
        functions[0](y.size, a, _address(x), 1, b, _address(y), 1)
        return
    xp.multiply(x, a, out=scratch)
    y *= b
    y += scratch


def axpy(xp, a, x, y, scratch):
    """``y += a * x`` in place; ``scratch`` as for ``axpby``."""
    functions = _vector_functions(x, y)
    if functions is not None:
        functions[1](y.size, a, _address(x), 1, _address(y), 1)
        return
    xp.multiply(x, a, out=scratch)
    y += scratch


def set_vector_updates(on):
    """Use the BLAS for ``axpby`` and ``axpy`` (True, the default) or NumPy's calls only (False); returns
    whether it was on before. For tests that compare the two."""
    before, _state["on"] = _state["on"], bool(on)
    return before
