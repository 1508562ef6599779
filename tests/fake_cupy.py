"""A small stand-in for CuPy, backed by NumPy, to run striate's GPU path on a machine without a GPU.

Put it in ``sys.modules["cupy"]`` and call ``striate.backend.set_device("gpu")`` (the fixture in
``tests/backend/test_gpu_standin.py`` does both). Arrays are ``ndarray`` objects that hold a private
NumPy array and refuse to be one: what breaks on real CuPy because an array lives on the device
breaks here too. The behaviours below were read from cupy 14.2.0 (NumPy 2.5.2) on a GPU.

What it checks, as CuPy does:

- no implicit device-to-host conversion: ``np.asarray(x)``, ``np.array(x)``,
  ``np.testing.assert_allclose(x, ...)``, the buffer protocol, ``__array_interface__`` and
  ``x.ctypes`` fail on a device array; ``.get()``, ``cupy.asnumpy``, ``float()``/``int()`` of a 0-d
  array and ``bool()`` of a one-element array work (``float()`` of a shape-(1,) array does not, and
  a device integer is no ``__index__``);
- no host array inside device computations: a NumPy ndarray (0-d too) given to a ufunc, an
  operator, a function of this module or an array method raises ``TypeError``
  (``Unsupported type <class 'numpy.ndarray'>``). Exceptions, as in CuPy: ``asarray``, ``array``,
  ``asanyarray`` (host-to-device copies; ``ascontiguousarray`` takes device arrays only), the
  ``*_like`` constructors, ``x.take`` indices, indices of ``x[...]``, values of ``x[adv] = ...``
  (a non-scalar host value for a basic index, ``x[...] = host``, raises ``ValueError`` as CuPy's
  fill does), and the dtype helpers (``result_type``, ``can_cast``, ``min_scalar_type``...);
- ufuncs take only device arrays and scalars (Python or NumPy scalars: ``np.float32(2)``), not
  lists or tuples; ``ufunc.reduce``/``accumulate`` exist only for ``add`` and ``multiply``,
  ``reduceat`` only for ``add``, ``ufunc.at`` only for ``add``, ``maximum``, ``minimum``,
  ``bitwise_or`` and (int32/uint32 only) ``subtract``;
- ``x op y`` defers to ``y`` when ``y.__array_ufunc__ is None`` (striate's Tensor) or ``y`` has a
  higher ``__array_priority__``;
- NumPy functions called on device arrays dispatch here (``__array_ufunc__``,
  ``__array_function__``) and return device arrays, as with CuPy: ``np.concatenate(device arrays)``
  silently gives a device array where NumPy code expected a host one;
- reductions and scalar indexing give 0-d device arrays, never NumPy scalars;
- ``ndarray.data`` is an opaque pointer object (``.ptr``), not a memoryview;
- ``random.default_rng`` gives a Generator with only CuPy's methods (no ``normal``,
  ``permutation``, ``choice``, ``shuffle``), scalar parameters only of type ``int``/``float`` where
  CuPy asks so (``binomial(1, np.float32(.5))`` raises), and a ``bit_generator`` whose ``state`` is
  a method (a device pointer), not NumPy's JSON-able ``state`` property;
- the public attributes of ``ndarray`` are CuPy's (``_NDARRAY_ATTRIBUTES`` and the class's own), the
  module's functions NumPy's minus those CuPy lacks (``_CUPY_LACKS``).

What it cannot check: there is no device memory and no kernel; numbers are NumPy's (CuPy's reduction
order, cuBLAS/cuDNN rounding and its random streams differ, so only tolerances carry over);
synchronisation, streams and memory pools are no-ops; ``__cuda_array_interface__`` points at host
memory; only the behaviours listed were compared with CuPy, others follow NumPy. Where CuPy is more
lenient than this module it raises: ``cupy.sum(host)`` or ``cupy.clip(host, ...)`` run NumPy's own
method there and silently hand back a host result; here they raise ``TypeError``.
"""
import builtins as _builtins
import functools
import sys
import threading
import types

import numpy as _np

__version__ = "14.0.0+standin"
_CONVERSION_MESSAGE = ("Implicit conversion to a NumPy array is not allowed. "
                       "Please use `.get()` to construct a NumPy array explicitly.")
_SCALARS = (_builtins.bool, int, float, complex, _np.generic)

# NumPy's callables and types that the ``cupy`` namespace lacks (read from cupy 14.2.0 against NumPy 2.5.2)
_CUPY_LACKS = {
    "asmatrix", "block", "bmat", "busday_count", "busday_offset", "datetime_as_string", "datetime_data",
    "einsum_path", "frompyfunc", "fromregex", "geomspace", "get_include", "getbufsize", "geterr", "geterrcall",
    "histogram_bin_edges", "info", "insert", "is_busday", "isnat", "matvec", "nanpercentile", "nanquantile",
    "nested_iters", "polyder", "polydiv", "polyint", "setbufsize", "seterr", "seterrcall", "show_runtime",
    "spacing", "test", "unstack", "vecdot", "vecmat",
    "busdaycalendar", "bytes_", "character", "clongdouble", "complex256", "datetime64", "errstate", "flexible",
    "float128", "longdouble", "matrix", "memmap", "ndenumerate", "nditer", "object_", "recarray", "record", "str_",
    "timedelta64", "void",
}

_PASSTHROUGH = {  # dtype helpers and objects that CuPy re-exports from NumPy or handles on the host
    "dtype", "finfo", "iinfo", "promote_types", "issubdtype", "isdtype", "typename", "mintypecode",
    "format_float_positional", "format_float_scientific", "broadcast_shapes", "base_repr", "binary_repr",
}


class _MemoryPointer:
    """What ``cupy.ndarray.data`` is: a device pointer, not a buffer."""

    __slots__ = ("ptr", "_owner")

    def __init__(self, array):
        self._owner = array
        self.ptr = array.__array_interface__["data"][0]

    def __repr__(self):
        return f"<MemoryPointer 0x{self.ptr:x}>"

    def __int__(self):
        return self.ptr


def _reject(x):
    raise TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, host_ok=False):
    """The NumPy array behind a device array; NumPy ndarrays raise unless ``host_ok`` (recursively in
    lists, tuples and dicts)."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, _np.ndarray):
        return x if host_ok else _reject(x)
    if isinstance(x, list):
        return [_unwrap(i, host_ok) for i in x]
    if type(x) is tuple:
        return tuple(_unwrap(i, host_ok) for i in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, host_ok) for k, v in x.items()}
    return x


def _unwrap_index(key):
    """Indices: CuPy takes device arrays, NumPy arrays, lists, slices, ints, None and Ellipsis."""
    if isinstance(key, ndarray):
        return key._a
    if type(key) is tuple:
        return tuple(_unwrap_index(k) for k in key)
    if isinstance(key, list):
        return [_unwrap_index(k) for k in key]
    return key


def _wrap(r):
    if isinstance(r, _np.ndarray):
        return ndarray._of(r)
    if isinstance(r, (_np.number, _np.bool_)):  # CuPy gives 0-d arrays where NumPy gives scalars
        return ndarray._of(_np.asarray(r))
    if type(r) is tuple:
        return tuple(_wrap(i) for i in r)
    if isinstance(r, list):
        return [_wrap(i) for i in r]
    return r


def _split_out(kwargs):
    """``out=`` unwrapped (a NumPy ndarray raises), and what to return in its place."""
    out = kwargs.get("out")
    if out is None:
        return None
    if isinstance(out, tuple):
        kwargs["out"] = tuple(_unwrap(o) if o is not None else None for o in out)
        return out if len(out) > 1 else out[0]
    kwargs["out"] = _unwrap(out)
    return out


class ndarray:
    """A device array: a NumPy array that will not pass for one."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100.0
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise NotImplementedError("the CuPy stand-in makes new arrays only")
        self._a = _np.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _of(cls, a):
        self = object.__new__(cls)
        self._a = a
        return self

    # --- no implicit host conversion -------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_CONVERSION_MESSAGE)

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            if not isinstance(out, _np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            out[...] = self._a
            return out
        return _np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, _np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, not {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self.shape}, new shape: {arr.shape}")
        self._a[...] = arr

    @property
    def data(self):
        return _MemoryPointer(self._a)

    @property
    def __cuda_array_interface__(self):
        d = dict(self._a.__array_interface__)
        return {"shape": d["shape"], "typestr": d["typestr"], "data": d["data"], "version": 3,
                "strides": None if self._a.flags.c_contiguous else self._a.strides, "descr": d["descr"]}

    @property
    def device(self):
        return cuda.Device(0)

    # --- dispatch of NumPy calls -----------------------------------------------------------
    def __array_ufunc__(self, uf, method, *inputs, **kwargs):
        ours = _UFUNCS.get(uf.__name__)
        if ours is None:
            return NotImplemented
        if method == "__call__":
            return ours(*inputs, **kwargs)
        if method in ("reduce", "accumulate", "reduceat", "outer", "at"):
            if isinstance(kwargs.get("out"), tuple) and len(kwargs["out"]) == 1:
                kwargs["out"] = kwargs["out"][0]
            return getattr(ours, method)(*inputs, **kwargs)
        return NotImplemented

    def __array_function__(self, func, types_, args, kwargs):
        module = _this
        for part in func.__module__.split(".")[1:]:
            module = getattr(module, part, None)
            if module is None:
                return NotImplemented
        ours = getattr(module, func.__name__, None)
        if ours is None or ours is func:
            return NotImplemented
        if not _builtins.all(issubclass(t, (ndarray, _np.ndarray)) for t in types_):
            return NotImplemented
        return ours(*args, **kwargs)

    # --- attributes ------------------------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("__") or name not in _NDARRAY_ATTRIBUTES:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        value = getattr(self._a, name)
        if not callable(value):
            return _wrap(value) if isinstance(value, _np.ndarray) else value
        return _method(self, name, value)

    @property
    def base(self):
        return None if self._a.base is None else ndarray._of(self._a.base)

    @property
    def T(self):
        return ndarray._of(self._a.T)

    @property
    def mT(self):
        return ndarray._of(self._a.mT)

    @property
    def real(self):
        return ndarray._of(self._a.real)

    @real.setter
    def real(self, value):
        self._a.real = _unwrap(value)

    @property
    def imag(self):
        return ndarray._of(self._a.imag)

    @property
    def flat(self):
        return _FlatIter(self)

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    # --- Python protocols ------------------------------------------------------------------
    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        if self._a.ndim == 0:
            return format(self._a.item(), spec)
        return format(str(self), spec)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray._of(self._a[i]) for i in range(len(self._a)))

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        key = _unwrap_index(key)
        if not isinstance(value, (ndarray,) + _SCALARS) and not _is_advanced(key):
            # CuPy fills a basic-index target with a host value, and fill takes scalars only
            if isinstance(value, (list, tuple)) or (isinstance(value, _np.ndarray) and value.ndim):
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        self._a[key] = _unwrap(value, host_ok=True)

    def _scalar(self, kind):
        # CuPy 14: float()/int()/complex() of 0-d arrays only; bool() of any one-element array. No
        # __index__: a device integer cannot index a list or a range.
        if self._a.ndim != 0:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return kind(self._a.item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __bool__(self):
        if self._a.size != 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous. "
                             "Use a.any() or a.all()")
        return _builtins.bool(self._a.reshape(()).item())

    def take(self, indices, axis=None, out=None):
        ret = _split_out(kw := {"out": out})
        r = self._a.take(_unwrap(indices, host_ok=True), axis, kw["out"])
        return ret if ret is not None else _wrap(r)

    def _scatter(self, uf, slices, value):
        uf.at(self._a, _unwrap_index(slices), _unwrap(value, host_ok=True))

    def scatter_add(self, slices, value):
        self._scatter(_np.add, slices, value)

    def scatter_max(self, slices, value):
        self._scatter(_np.maximum, slices, value)

    def scatter_min(self, slices, value):
        self._scatter(_np.minimum, slices, value)

    def reduced_view(self, dtype=None):
        return self

    def __copy__(self):
        return ndarray._of(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray._of(self._a.copy())

    def __reduce__(self):
        return (_from_host, (self._a.copy(),))

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0


def _is_advanced(key):
    items = key if type(key) is tuple else (key,)
    return _builtins.any(isinstance(k, (_np.ndarray, list)) or isinstance(k, _builtins.bool) for k in items)


def _from_host(a):
    return ndarray._of(a)


class _FlatIter:
    def __init__(self, array):
        self._array = array

    def __getitem__(self, key):
        return _wrap(self._array._a.flat[_unwrap_index(key)])

    def __setitem__(self, key, value):
        self._array._a.flat[_unwrap_index(key)] = _unwrap(value, host_ok=True)

    def __len__(self):
        return self._array._a.size


def _defers(other):
    """CuPy's ``_should_use_rop``: leave ``x op other`` to ``other`` when it opts out of ufuncs
    (``__array_ufunc__ = None``) or, without ``__array_ufunc__``, has a higher ``__array_priority__``."""
    if isinstance(other, (ndarray,) + _SCALARS):
        return False
    try:
        theirs = other.__array_ufunc__
    except AttributeError:
        return getattr(other, "__array_priority__", 0) > ndarray.__array_priority__
    return theirs is None


def _binary(ufunc_name, reflected=False):
    def op(self, other):
        if other is None and ufunc_name in ("equal", "not_equal"):
            return ndarray._of(_np.full(self._a.shape, ufunc_name == "not_equal"))
        if _defers(other):
            return NotImplemented
        uf = _UFUNCS[ufunc_name]
        return uf(other, self) if reflected else uf(self, other)
    return op


def _inplace(ufunc_name):
    def op(self, other):
        _UFUNCS[ufunc_name](self, other, out=self)
        return self
    return op


def _unary(ufunc_name):
    return lambda self: _UFUNCS[ufunc_name](self)


for _op, _uf in {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
                 "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
                 "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "left_shift",
                 "rshift": "right_shift", "divmod": "divmod"}.items():
    setattr(ndarray, f"__{_op}__", _binary(_uf))
    setattr(ndarray, f"__r{_op}__", _binary(_uf, reflected=True))
    if _op != "divmod":
        setattr(ndarray, f"__i{_op}__", _inplace(_uf))
for _op, _uf in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
                 "ge": "greater_equal"}.items():
    setattr(ndarray, f"__{_op}__", _binary(_uf))
for _op, _uf in {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}.items():
    setattr(ndarray, f"__{_op}__", _unary(_uf))


# cupy.ndarray's public attributes (cupy 14), beyond those defined above
_NDARRAY_ATTRIBUTES = {
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "astype", "byteswap", "choose", "clip", "compress",
    "conj", "conjugate", "copy", "cumprod", "cumsum", "diagonal", "dot", "dtype", "dump", "dumps", "fill", "flags",
    "flatten", "itemsize", "max", "mean", "min", "nbytes", "ndim", "nonzero", "partition", "prod", "ptp", "put",
    "ravel", "repeat", "reshape", "round", "searchsorted", "shape", "size", "sort", "squeeze", "std", "strides", "sum",
    "swapaxes", "tofile", "trace", "transpose", "var", "view",
}
# methods that CuPy runs on the array in place and hand back ``None``
_INPLACE_METHODS = {"fill", "sort", "put"}


def _method(self, name, bound):
    def call(*args, **kwargs):
        kwargs = _unwrap(kwargs) if "out" not in kwargs else {**_unwrap({k: v for k, v in kwargs.items() if k != "out"}),
                                                              "out": kwargs["out"]}
        out = _split_out(kwargs)
        r = bound(*_unwrap(args), **kwargs)
        if out is not None:
            return out
        return None if name in _INPLACE_METHODS else _wrap(r)
    call.__name__ = name
    return call


# --- ufuncs --------------------------------------------------------------------------------------
_SCATTER = {"add", "subtract", "maximum", "minimum", "bitwise_or"}  # read from cupy 14.2


def _check_input(x):
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, _SCALARS):
        return x
    if hasattr(x, "__cuda_array_interface__"):
        raise TypeError(f"Unsupported type {type(x)} (the stand-in takes no foreign device arrays)")
    return _reject(x)


class ufunc:
    """A CuPy ufunc: device arrays and scalars in, device arrays out."""

    def __init__(self, np_ufunc):
        self._uf = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.name = "cupy_" + np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.types, self.ntypes = np_ufunc.types, np_ufunc.ntypes
        self.__doc__ = np_ufunc.__doc__
        self.identity, self.signature = np_ufunc.identity, np_ufunc.signature

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, **kwargs):
        n = self.nin
        ins = [_check_input(a) for a in args[:n]]
        outs_positional = args[n:]
        if outs_positional:
            if "out" in kwargs:
                raise TypeError("cannot specify 'out' as both a positional and keyword argument")
            kwargs["out"] = outs_positional if len(outs_positional) > 1 else outs_positional[0]
        out = _split_out(kwargs)
        if "where" in kwargs and not isinstance(kwargs["where"], _builtins.bool):
            kwargs["where"] = _check_input(kwargs["where"])
        r = self._uf(*ins, **kwargs)
        if out is not None:
            return out
        return _wrap(r)

    def _unsupported(self, method):
        raise NotImplementedError(f"`{self.name}.{method}` is not supported yet")

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ == "add":
            return array.sum(axis, dtype, out, keepdims)
        if self.__name__ == "multiply":
            return array.prod(axis, dtype, out, keepdims)
        self._unsupported("reduce")

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ == "add":
            return array.cumsum(axis, dtype, out)
        if self.__name__ == "multiply":
            return array.cumprod(axis, dtype, out)
        self._unsupported("accumulate")

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        if self.__name__ != "add":
            self._unsupported("reduceat")
        kwargs = {"out": out}
        ret = _split_out(kwargs)
        r = self._uf.reduceat(_unwrap(array), _unwrap(indices, host_ok=True), axis, dtype, kwargs["out"])
        return ret if ret is not None else _wrap(r)

    def outer(self, a, b, **kwargs):
        a, b = asarray(a), asarray(b)
        return self(a.reshape(a.shape + (1,) * b.ndim), b.reshape((1,) * a.ndim + b.shape), **kwargs)

    def at(self, a, indices, b=None):
        if self.__name__ not in _SCATTER:
            self._unsupported("at")
        if not isinstance(a, ndarray):
            _reject(a)
        if self.__name__ == "subtract" and a.dtype not in (_np.int32, _np.uint32):
            raise TypeError("cupy.subtract.at only supports int32, uint32, as data type")
        value = b if b is None or isinstance(b, _SCALARS) else _unwrap(b, host_ok=True)
        self._uf.at(a._a, _unwrap_index(indices), value)


# --- module-level functions -------------------------------------------------------------------------
def _function(name, np_func):
    @functools.wraps(np_func)
    def call(*args, **kwargs):
        kwargs = _unwrap(kwargs) if "out" not in kwargs else {**_unwrap({k: v for k, v in kwargs.items() if k != "out"}),
                                                              "out": kwargs["out"]}
        out = _split_out(kwargs)
        r = np_func(*_unwrap(args), **kwargs)
        if out is not None:
            return out
        return _wrap(r)
    call.__module__ = __name__
    return call


def _dtype_of(x):
    return x._a.dtype if isinstance(x, ndarray) else x


def result_type(*arrays_and_dtypes):
    return _np.result_type(*[_dtype_of(a) for a in arrays_and_dtypes])


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(_dtype_of(from_), to, casting)


def min_scalar_type(a):
    return a.dtype if isinstance(a, ndarray) else _np.min_scalar_type(a)


def common_type(*arrays):
    return _np.common_type(*[_np.empty(0, a.dtype) for a in arrays])


def asarray(a, dtype=None, order=None, *, blocking=False):
    if isinstance(a, ndarray):
        if (dtype is None or _np.dtype(dtype) == a.dtype) and order in (None, "K", "A"):
            return a
        return ndarray._of(_np.asarray(a._a, dtype=dtype, order=order))
    return ndarray._of(_np.array(_unwrap(a, host_ok=True), dtype=dtype, order=order or "K", copy=True))


def asanyarray(a, dtype=None, order=None, *, blocking=False):
    return asarray(a, dtype, order, blocking=blocking)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if isinstance(obj, ndarray) and copy is False:
        return asarray(obj, dtype)
    return ndarray._of(_np.array(_unwrap(obj, host_ok=True), dtype=dtype, copy=True, order=order, ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    if isinstance(a, ndarray):
        if a._a.flags.c_contiguous and (dtype is None or _np.dtype(dtype) == a.dtype):
            return a
        return ndarray._of(_np.ascontiguousarray(a._a, dtype=dtype))
    raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a).__name__})")


def asfortranarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a).__name__})")
    return ndarray._of(_np.asfortranarray(a._a, dtype=dtype))


def _like(np_func):
    # CuPy's *_like read a host array's shape and dtype as well as a device array's
    @functools.wraps(np_func)
    def call(a, *args, **kwargs):
        return ndarray._of(np_func(_unwrap(a, host_ok=True), *args, **kwargs))
    return call


empty_like, zeros_like, ones_like, full_like = map(_like, (_np.empty_like, _np.zeros_like, _np.ones_like,
                                                           _np.full_like))


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    return _np.asarray(a, order=order)


def get_array_module(*args):
    return _this if _builtins.any(isinstance(a, ndarray) for a in args) else _np


def fuse(*args, **kwargs):
    """``cupy.fuse`` compiles a kernel; here it is the function itself."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return ndarray._of(_np.asarray(_np.allclose(_unwrap(a), _unwrap(b), rtol, atol, equal_nan)))


def array_equal(a1, a2, equal_nan=False):
    return ndarray._of(_np.asarray(_np.array_equal(_unwrap(a1), _unwrap(a2), equal_nan=equal_nan)))


class _Grid:
    def __init__(self, grid):
        self._grid = grid

    def __getitem__(self, key):
        return _wrap(self._grid[key])


ogrid, mgrid = _Grid(_np.ogrid), _Grid(_np.mgrid)


class _Concat:
    def __init__(self, maker):
        self._maker = maker

    def __getitem__(self, key):
        return _wrap(self._maker[_unwrap(key)])


r_, c_ = _Concat(_np.r_), _Concat(_np.c_)
s_, index_exp, newaxis = _np.s_, _np.index_exp, _np.newaxis
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma

_this = sys.modules[__name__]
_UFUNCS = {}
for _name in dir(_np):
    if _name.startswith("_") or _name in _CUPY_LACKS or hasattr(_this, _name):
        continue
    _obj = getattr(_np, _name)
    if isinstance(_obj, _np.ufunc):
        _UFUNCS[_name] = _UFUNCS.get(_obj.__name__) or ufunc(_obj)
        _UFUNCS.setdefault(_obj.__name__, _UFUNCS[_name])
        setattr(_this, _name, _UFUNCS[_name])
    elif _name in _PASSTHROUGH or (isinstance(_obj, type) and (issubclass(_obj, _np.generic) or _obj is _np.dtype)):
        setattr(_this, _name, _obj)
    elif callable(_obj) and not isinstance(_obj, type) and not isinstance(_obj, types.ModuleType):
        setattr(_this, _name, _function(_name, _obj))


def _submodule(name, source, names=None):
    module = types.ModuleType(f"{__name__}.{name}")
    for n in names or [n for n in dir(source) if not n.startswith("_")]:
        obj = getattr(source, n)
        if callable(obj) and not isinstance(obj, type):
            setattr(module, n, _function(n, obj))
    return module


linalg = _submodule("linalg", _np.linalg)
fft = _submodule("fft", _np.fft)


# --- lib.stride_tricks -------------------------------------------------------------------------------
def _as_strided(x, shape=None, strides=None):
    if not isinstance(x, ndarray):
        _reject(x)
    return ndarray._of(_np.lib.stride_tricks.as_strided(x._a, shape, strides))


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    if not isinstance(x, ndarray):
        _reject(x)
    return ndarray._of(_np.lib.stride_tricks.sliding_window_view(x._a, window_shape, axis, writeable=writeable))


lib = types.ModuleType(f"{__name__}.lib")
lib.stride_tricks = types.ModuleType(f"{__name__}.lib.stride_tricks")
lib.stride_tricks.as_strided = _as_strided
lib.stride_tricks.sliding_window_view = _sliding_window_view


# --- cuda ---------------------------------------------------------------------------------------------
class _Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    def synchronize(self):
        pass

    def use(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Stream:
    def synchronize(self):
        pass


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


cuda = types.ModuleType(f"{__name__}.cuda")
cuda.Device = _Device
cuda.Stream = _Stream
cuda.Stream.null = _Stream()
cuda.get_device_id = lambda: 0
cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 1, deviceSynchronize=lambda: None, is_hip=False)
_pool = _MemoryPool()
get_default_memory_pool = lambda: _pool  # noqa: E731
get_default_pinned_memory_pool = lambda: _pool  # noqa: E731


# --- random -------------------------------------------------------------------------------------------
class XORWOW:
    """CuPy's default BitGenerator. Its ``state`` is a method giving the device address of the cuRAND
    states (there is no NumPy-style ``state`` dict to save or restore)."""

    generator = 0  # cuRAND's XORWOW

    def __init__(self, seed=None):
        self.lock = threading.Lock()
        if isinstance(seed, ndarray):
            seed = seed.get()
        self._seed_seq = seed if isinstance(seed, _np.random.SeedSequence) else _np.random.SeedSequence(seed)
        self._numpy = _np.random.Generator(_np.random.PCG64(self._seed_seq))
        self._state = _np.zeros(48, _np.int8)

    def state(self):
        return self._state.__array_interface__["data"][0]

    def random_raw(self, size=None, output=True):
        y = ndarray._of(self._numpy.integers(0, 2**31, size=() if size is None else size, dtype=_np.int32))
        return y if output else None


def _size(size):
    return () if size is None else size


def _scalar_or_device(value, what):
    """CuPy's Generator takes a parameter as a device array or a Python int/float, nothing else."""
    if isinstance(value, ndarray):
        return value._a.astype(_np.float64)
    if type(value) in (float, int):
        return float(value)
    raise TypeError(f"{what} is required to be a cupy.ndarray or a scalar")


def _shape_of(size, *params):
    if size is not None:
        return (size,) if not isinstance(size, tuple) else size
    return _np.broadcast_shapes(*[_np.shape(p) for p in params])


def _float_dtype(dtype):
    dtype = _np.dtype(dtype)
    if dtype.char not in "fd":
        raise TypeError(f"Unsupported dtype {dtype.name}")
    return dtype


class Generator:
    """``cupy.random.Generator``: only the methods CuPy's has."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator

    @property
    def _g(self):
        return self.bit_generator._numpy

    def _out(self, y, out, dtype):
        if out is None:
            return ndarray._of(y.astype(dtype, copy=False))
        if not isinstance(out, ndarray):
            _reject(out)
        if out.dtype.char != _np.dtype(dtype).char:
            raise TypeError(f"Supplied output array has the wrong type. Expected {_np.dtype(dtype).name}, "
                            f"got {out.dtype.name}")
        out._a[...] = y
        return out

    def random(self, size=None, dtype=_np.float64, out=None):
        dtype = _float_dtype(dtype)
        return self._out(self._g.random(_size(size), dtype=dtype), out, dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_np.float64):
        low, high = _unwrap(asarray(low)), _unwrap(asarray(high))
        y = self._g.random(_shape_of(size, low, high), dtype=_float_dtype(dtype))
        return ndarray._of((low + (high - low) * y).astype(dtype, copy=False))

    def integers(self, low, high=None, size=None, dtype=_np.int64, endpoint=False):
        lo, hi = (0, int(low)) if high is None else (int(low), int(high))
        return ndarray._of(self._g.integers(lo, hi, _size(size), dtype=dtype, endpoint=endpoint))

    def standard_normal(self, size=None, dtype=_np.float64, out=None):
        dtype = _float_dtype(dtype)
        return self._out(self._g.standard_normal(_size(size), dtype=dtype), out, dtype)

    def standard_exponential(self, size=None, dtype=_np.float64, method="inv", out=None):
        if method == "zig":
            raise NotImplementedError("Ziggurat method is not supported")
        return self._out(self._g.standard_exponential(_size(size)), out, dtype)

    def exponential(self, scale=1.0, size=None):
        return self.standard_exponential(size) * scale

    def standard_gamma(self, shape, size=None, dtype=_np.float64, out=None):
        shape = _scalar_or_device(shape, "shape")
        return self._out(self._g.standard_gamma(shape, _shape_of(size, shape)), out, dtype)

    def gamma(self, shape, scale=1.0, size=None):
        shape, scale = _scalar_or_device(shape, "shape"), _scalar_or_device(scale, "scale")
        return ndarray._of(self._g.gamma(shape, scale, _shape_of(size, shape, scale)))

    def beta(self, a, b, size=None, dtype=_np.float64):
        a, b = _scalar_or_device(a, "a"), _scalar_or_device(b, "b")
        return ndarray._of(self._g.beta(a, b, _shape_of(size, a, b)).astype(dtype, copy=False))

    def binomial(self, n, p, size=None):
        n, p = _scalar_or_device(n, "n"), _scalar_or_device(p, "p")
        return ndarray._of(self._g.binomial(_np.asarray(n, _np.int64), p, _shape_of(size, n, p)))

    def chisquare(self, df, size=None):
        df = _scalar_or_device(df, "df")
        return ndarray._of(self._g.chisquare(df, _shape_of(size, df)))

    def dirichlet(self, alpha, size=None):
        if not isinstance(alpha, ndarray):
            _scalar_or_device(alpha, "alpha")
        return ndarray._of(self._g.dirichlet(_np.atleast_1d(_unwrap(alpha)), size))

    def f(self, dfnum, dfden, size=None):
        dfnum, dfden = _scalar_or_device(dfnum, "dfnum"), _scalar_or_device(dfden, "dfden")
        return ndarray._of(self._g.f(dfnum, dfden, _shape_of(size, dfnum, dfden)))

    def geometric(self, p, size=None):
        p = _scalar_or_device(p, "p")
        return ndarray._of(self._g.geometric(p, _shape_of(size, p)))

    def hypergeometric(self, ngood, nbad, nsample, size=None):
        args = [_np.asarray(_scalar_or_device(v, w), _np.int64) for v, w in
                ((ngood, "ngood"), (nbad, "nbad"), (nsample, "nsample"))]
        return ndarray._of(self._g.hypergeometric(*args, _shape_of(size, *args)))

    def logseries(self, p, size=None):
        p = _scalar_or_device(p, "p")
        return ndarray._of(self._g.logseries(p, _shape_of(size, p)))

    def poisson(self, lam=1.0, size=None):
        lam = _scalar_or_device(lam, "lam")
        return ndarray._of(self._g.poisson(lam, _shape_of(size, lam)))

    def power(self, a, size=None):
        a = _scalar_or_device(a, "a")
        return ndarray._of(self._g.power(a, _shape_of(size, a)))


def _default_rng(seed=None):
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, XORWOW):
        return Generator(seed)
    return Generator(XORWOW(seed))


random = types.ModuleType(f"{__name__}.random")
random.Generator, random.BitGenerator, random.XORWOW = Generator, XORWOW, XORWOW
random.default_rng = _default_rng
_legacy = _np.random.RandomState()
random.seed = _legacy.seed
for _name in ("rand", "randn", "random", "random_sample", "uniform", "normal", "standard_normal", "randint",
              "permutation", "choice", "beta", "binomial", "gamma", "poisson", "exponential"):
    setattr(random, _name, _function(_name, getattr(_legacy, _name)))


def _shuffle(a):
    if not isinstance(a, ndarray):
        raise TypeError("The array must be cupy.ndarray")
    _legacy.shuffle(a._a)


random.shuffle = _shuffle

for _sub in ("linalg", "fft", "lib", "lib.stride_tricks", "cuda", "random"):
    _mod = _this
    for _part in _sub.split("."):
        _mod = getattr(_mod, _part)
    _mod.__name__ = f"cupy.{_sub}"
