"""NumPy's bundled BLAS through ctypes: the vector updates against NumPy's calls, and where they fall back."""
import numpy as np
import pytest

from striate.backend import blas

reachable = pytest.mark.skipif(blas.threads_functions() is None,
                               reason="this NumPy is not built on the OpenBLAS its wheels ship")


def _vectors(dtype, n=10_001, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


def _numpy_calls(on, fn, *args):
    before = blas.set_vector_updates(on)
    try:
        fn(*args)
    finally:
        blas.set_vector_updates(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_axpby_and_axpy_match_numpy_to_the_last_bit_or_one_rounding(dtype):
    x, y = _vectors(dtype)
    a, b = (np.dtype(dtype).type(c) for c in (0.1, 0.9))
    for name, args, ax, by in (("axpby", (a, x, b), x * a, y * b), ("axpy", (a, x), x * a, y)):
        fused, plain = y.copy(), y.copy()
        _numpy_calls(True, getattr(blas, name), np, *args, fused, np.empty_like(x))
        _numpy_calls(False, getattr(blas, name), np, *args, plain, np.empty_like(x))
        np.testing.assert_array_equal(plain, by + ax)  # NumPy's calls: exactly NumPy's roundings
        # the BLAS rounds a * x + y once where the CPU fuses it: within the terms' rounding errors
        bound = 2 * np.finfo(dtype).eps * (np.abs(ax) + np.abs(by))
        assert np.all(np.abs(fused.astype(np.float64) - (by + ax)) <= bound)


def test_scratch_may_be_x_itself():
    x, y = _vectors("float32", 100)
    want = y.copy()
    blas.axpby(np, 0.5, x.copy(), 2.0, want, np.empty_like(x))
    before = blas.set_vector_updates(False)
    try:
        blas.axpby(np, 0.5, x, 2.0, y, x)
    finally:
        blas.set_vector_updates(before)
    np.testing.assert_allclose(y, want, rtol=1e-6)


@reachable
def test_the_blas_takes_contiguous_float32_and_float64_and_numpy_the_rest():
    f32 = np.ones(8, np.float32)
    assert blas._vector_functions(f32, f32.copy()) is not None
    assert blas._vector_functions(f32.astype(np.float64), f32.astype(np.float64)) is not None
    for x, y in ((f32.astype(np.float16), f32.astype(np.float16)),  # no half-precision BLAS
                 (f32, f32.astype(np.float64)),                   # mixed dtypes
                 (np.ones(16, np.float32)[::2], f32),             # strided
                 (f32, np.ones(9, np.float32))):                  # sizes differ
        assert blas._vector_functions(x, y) is None


def test_a_strided_view_is_updated_in_place_by_numpy_calls():
    base = np.zeros(20, np.float32)
    y = base[::2]
    blas.axpy(np, 2.0, np.arange(10, dtype=np.float32), y, np.empty(10, np.float32))
    np.testing.assert_array_equal(base[::2], 2 * np.arange(10))
    np.testing.assert_array_equal(base[1::2], 0)


@reachable
def test_thread_count_is_reachable():
    set_threads, get_threads = blas.threads_functions()
    assert get_threads() >= 1
