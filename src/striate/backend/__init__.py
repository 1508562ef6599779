"""The array module behind striate: NumPy on the CPU, CuPy on a GPU.

Only this package imports numpy or cupy by name. Everything else asks for
``xp()`` (the active array module), ``floatx()`` (the default float dtype) and
``rng()`` (the one seeded random generator).

Process state. ``import striate`` changes nothing outside striate. Around its own work (``fit``,
``evaluate``, ``predict``, ``train_on_batch``, ``test_on_batch``, ``predict_on_batch``, or any code in
``with backend.engaged():``) striate tunes the process for it, and gives everything back when the
outermost such block ends, on an exception too:

- NumPy's BLAS thread count: set per op (``backend.threads``), restored after;
- striate's worker threads: started at the first op worth splitting, ended after;
- glibc's malloc keeps freed memory for the next arrays (``keep_freed_memory``), its thresholds set
  back after (to glibc's defaults, or to ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` where
  set; glibc's own adjustment of the mmap threshold, off once any program sets it, stays off).

Ops called outside such a block (``model(x)``, ``striate.ops``) run whole in the calling thread, on
NumPy's BLAS as the user left it. Opting out: ``backend.set_process_tuning(False)``, or the
environment variable ``STRIATE_TUNE=0`` before import; then striate runs like plain NumPy everywhere
(no threads of its own, BLAS and malloc untouched). ``STRIATE_KEEP_FREED_MEMORY=0`` leaves malloc
alone only.

Example:
    >>> from striate import backend
    >>> backend.floatx()
    'float32'
"""
import contextlib
import os
import threading

import numpy as np

from striate.backend import accel as _accel
from striate.backend import threads as _threads
from striate.backend.accel import set_accelerated  # noqa: F401
from striate.backend.threads import blas_threads, get_num_threads, parallel, runs_whole, set_num_threads  # noqa: F401

# tune: whether engaged() tunes the process; depth: engaged() blocks open, all threads together
_process = {"tune": os.environ.get("STRIATE_TUNE", "1") != "0",
            "malloc": os.environ.get("STRIATE_KEEP_FREED_MEMORY", "1") != "0", "depth": 0, "tuned": False}
_process_lock = threading.Lock()

# rng: the generator ops draw from. On the GPU (CuPy's) it is seeded from host, a NumPy generator,
# whose state at that seeding (anchor) is what get_rng_state returns; drawn: rng was handed out since.
_state = {"xp": np, "floatx": "float32", "rng": np.random.default_rng(), "seed": None,
          "host": None, "anchor": None, "drawn": False, "epsilon": 1e-7, "image_data_format": "channels_last"}


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
    _threads._state["cpu"] = _accel._state["cpu"] = device == "cpu"
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


def epsilon():
    """Return the small constant Keras adds to avoid dividing by zero (``1e-7`` unless changed).

    Example:
        >>> from striate import backend
        >>> backend.epsilon()
        1e-07
    """
    return _state["epsilon"]


def set_epsilon(value):
    """Set the value :func:`epsilon` returns.

    Args:
        value: a positive float.

    Example:
        >>> from striate import backend
        >>> backend.set_epsilon(1e-5)
        >>> backend.epsilon()
        1e-05
        >>> backend.set_epsilon(1e-7)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"set_epsilon expects a positive number, received {value!r}")
    _state["epsilon"] = float(value)


def image_data_format():
    """Return the default layout of image tensors: ``'channels_last'`` (NHWC, Keras's default) or
    ``'channels_first'`` (NCHW).

    Example:
        >>> from striate import backend
        >>> backend.image_data_format()
        'channels_last'
    """
    return _state["image_data_format"]


def set_image_data_format(data_format):
    """Set the value :func:`image_data_format` returns.

    Args:
        data_format: ``'channels_last'`` or ``'channels_first'``.

    Example:
        >>> from striate import backend
        >>> backend.set_image_data_format("channels_last")
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format expects 'channels_last' or 'channels_first', received "
                         f"{data_format!r}")
    _state["image_data_format"] = data_format


def clear_session(free_memory=True):
    """Forget the automatic layer and model names handed out so far, as ``keras.backend.clear_session``
    (the same as :func:`striate.utils.clear_session`).

    Args:
        free_memory: accepted for Keras; NumPy frees arrays when nothing refers to them.

    Example:
        >>> from striate import backend
        >>> backend.clear_session()
    """
    from striate.layers.layer import reset_names  # NOTE: on call: layers import the backend
    reset_names()


def rng():
    """Return the backend's seeded random generator (a ``Generator`` of the array module)."""
    _state["drawn"] = True
    return _state["rng"]


def set_seed(seed):
    """Reseed the backend generator; ``None`` draws fresh entropy."""
    _state["seed"] = seed
    if _state["xp"] is np:
        _state["rng"] = np.random.default_rng(seed)
    else:
        _state["host"] = np.random.default_rng(seed)
        _seed_device_generator()


def _seed_device_generator():
    """On the GPU: a new device generator, seeded by a draw from the host one (whose state before the
    draw, the anchor, then stands for both)."""
    host = _state["host"]
    _state["anchor"] = host.bit_generator.state
    _state["rng"] = _state["xp"].random.default_rng(int(host.integers(2 ** 63)))
    _state["drawn"] = False


def permutation(n):
    """A random permutation of ``range(n)`` from the backend generator, as a NumPy array (for batching
    host data). CuPy's Generator has no ``permutation``: there, an argsort of uniform draws."""
    gen = rng()
    if hasattr(gen, "permutation"):
        return to_numpy(gen.permutation(n))
    return to_numpy(gen.random(n)).argsort(kind="stable")


def get_rng_state():
    """The generator's state as a JSON-able dict (for checkpoints that resume bit-for-bit).

    NOTE: on the GPU, CuPy's generator keeps its state on the device (cuRAND's, 48 bytes for each of
    thousands of threads: 13 MB on an H100), too much to save at every checkpoint. There a NumPy
    generator on the host seeds the device's: the state is the host's from just before the seed it
    drew. Taking the state after the device generator has drawn reseeds it from the host first, so a
    run's random draws depend on when it took its state; a run resumed from that state takes it at
    the same points (epoch starts, checkpoints), so it draws what the first run drew.
    """
    if _state["xp"] is np:
        return _state["rng"].bit_generator.state
    if _state["drawn"]:
        _seed_device_generator()
    return _state["anchor"]


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    if _state["xp"] is np:
        _state["rng"].bit_generator.state = state
    else:
        _state["host"].bit_generator.state = state
        _seed_device_generator()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def keep_freed_memory(enabled=True):
    """Let the process keep the memory its arrays free, for the next ones (glibc's malloc), or not.

    NOTE: glibc gives each large block fresh pages from the OS and hands them back when the block
    is freed. A training step frees and allocates the same large arrays every step, so every step
    would pay again for zero-filled pages (page faults: a large share of a convnet's step). Kept
    (blocks below 1 GiB come from the heap, and the heap shrinks only past 1 GiB of free space), the
    pages are reused. The peak is unchanged (what a step needs at once); the process just holds it
    while it is kept. ``engaged()`` turns this on for striate's work and off after.

    Args:
        enabled: True to keep freed memory; False to set glibc's thresholds back (its defaults, or
            the ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` environment variables).

    Returns:
        Whether the thresholds were set; False where the C library is not glibc (nothing changed).

    Example:
        >>> from striate import backend
        >>> backend.keep_freed_memory(False) in (True, False)
        True
    """
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc only: macOS has no mallopt, Windows no CDLL(None)
    except (OSError, AttributeError, TypeError):
        return False
    if enabled:
        mmap, trim = 1 << 30, 1 << 30
    else:
        mmap, trim = (_env_bytes(name, 128 << 10) for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"))
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap)) and bool(mallopt(_M_TRIM_THRESHOLD, trim))


def _env_bytes(name, default):
    """The byte count in environment variable ``name`` (glibc reads it at start), else ``default``."""
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return default


def set_process_tuning(enabled):
    """Let striate tune the process around its own work (True, the default unless the environment
    variable ``STRIATE_TUNE`` is ``0``), or run like plain NumPy (False): see the module's docstring.

    Args:
        enabled: True or False; it applies from the next ``engaged()`` block (``fit``, ...) on.

    Returns:
        Whether tuning was on before.

    Example:
        >>> from striate import backend
        >>> before = backend.set_process_tuning(False)   # no threads, BLAS and malloc untouched
        >>> _ = backend.set_process_tuning(before)
    """
    before, _process["tune"] = _process["tune"], bool(enabled)
    return before


@contextlib.contextmanager
def engaged():
    """The process tuned for striate's work inside (BLAS on one thread, striate's worker threads,
    malloc keeping freed memory), and restored when the outermost block ends, on an exception too.
    Reentrant and shared by threads; ``fit``, ``evaluate`` and ``predict`` enter it themselves.
    A loop of ``train_on_batch`` runs faster inside one block: the workers start once.

    Returns:
        A context manager.

    Example:
        >>> from striate import backend
        >>> with backend.engaged():
        ...     y = backend.xp().ones((4, 3)) @ backend.xp().ones((3, 2))
        >>> y.shape
        (4, 2)
    """
    with _process_lock:
        _process["depth"] += 1
        if _process["depth"] == 1:
            _process["tuned"] = _process["tune"]
            if _process["tuned"] and _process["malloc"]:
                keep_freed_memory(True)
    with _threads.session() if _process["tuned"] else contextlib.nullcontext():
        try:
            yield
        finally:
            with _process_lock:
                _process["depth"] -= 1
                if _process["depth"] == 0 and _process["tuned"] and _process["malloc"]:
                    keep_freed_memory(False)


def memo(table, key, make, limit=64):
    """``table[key]``, made by ``make()`` on first use: the small constant arrays that ops reuse every
    step (a vector of ones, a kernel's band layout). The table empties itself past ``limit`` entries."""
    value = table.get(key)
    if value is None:
        if len(table) >= limit:
            table.clear()
        value = table[key] = make()
    return value


_ones = {}


def sum_rows(a):
    """Column sums of a 2-D array ``a`` (its sum over axis 0) as one matrix-vector product.

    NOTE: NumPy sums a tall, narrow array over axis 0 with strided inner loops; a BLAS product
    with a vector of ones does the same work many times faster (bias gradients, batch statistics).
    """
    xp = _state["xp"]
    return memo(_ones, (a.shape[0], a.dtype.str, id(xp)), lambda: xp.ones(a.shape[0], dtype=a.dtype)) @ a


def reduce_last_axis(kind, a, keepdims=False):
    """``a.sum(axis=-1)`` (``kind="sum"``) or ``a.max(axis=-1)`` (``kind="max"``), the same values.

    NOTE: NumPy reduces a short last axis (a few classes per pixel of a segmentation) one row at a
    time, with a per-row cost many times the arithmetic; combining its columns, one whole-array call
    per column in NumPy's order, is far faster once there are many rows and few columns.

    Example:
        >>> import numpy as np
        >>> a = np.arange(2048 * 3, dtype=np.float32).reshape(2048, 3)
        >>> bool((reduce_last_axis("sum", a) == a.sum(axis=-1)).all())
        True
        >>> reduce_last_axis("max", a, keepdims=True).shape
        (2048, 1)
    """
    columns = a.shape[-1] if a.ndim else 0
    # (from 8 values NumPy adds in eight interleaved sums: other roundings, so those go to NumPy)
    if type(a) is not np.ndarray or not 1 < columns < 8 or a.size < 512 * columns:
        return getattr(a, kind)(axis=-1, keepdims=keepdims)
    combine = np.add if kind == "sum" else np.maximum
    out = combine(a[..., 0], a[..., 1])
    for c in range(2, columns):
        combine(out, a[..., c], out=out)
    return out[..., None] if keepdims else out


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

