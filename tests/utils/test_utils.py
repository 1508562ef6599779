import numpy as np
import pytest

from striate import backend, utils

keras = pytest.importorskip("keras")


@pytest.mark.parametrize("labels, num_classes", [
    ([0, 1, 2, 3], None),
    ([[1], [0], [2]], None),                    # (N, 1) -> (N, C)
    ([[1], [0], [2]], 5),
    (np.array([[0, 2], [1, 1]]), 3),             # (N, 2) -> (N, 2, C)
    (np.array([[[1], [2]], [[0], [3]]]), 4),     # (N, 2, 1) -> (N, 2, C)
    (np.array(2), 4),
    (np.array([3, 1], dtype=np.uint8), None),
])
def test_to_categorical_matches_keras(labels, num_classes):
    got = utils.to_categorical(labels, num_classes)
    want = keras.utils.to_categorical(labels, num_classes)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_to_categorical_follows_floatx():
    backend.set_floatx("float64")
    try:
        assert utils.to_categorical([0, 1]).dtype == np.float64
    finally:
        backend.set_floatx("float32")


@pytest.mark.parametrize("labels, num_classes, message", [
    ([0, 3], 3, r"labels in \[0, 3\), received values from 0 to 3"),
    ([-1, 1], None, "received values from -1"),
    ([0.5, 1.0], None, "integer class labels"),
])
def test_to_categorical_rejects_bad_labels(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        utils.to_categorical(labels, num_classes)


@pytest.mark.parametrize("axis", [-1, 1, 2])
@pytest.mark.parametrize("order", [1, 2, np.inf])
def test_normalize_matches_keras(axis, order):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    x[0, 0] = 0                                              # a zero slice stays zero
    got = utils.normalize(x, axis=axis, order=order)
    want = keras.utils.normalize(x, axis=axis, order=order)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_normalize_along_axis_0():
    # Keras turns axis=0 into -1 (`axis or -1`); striate normalizes along the axis asked for.
    x = np.array([[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0), [[0.6, 0.0], [0.8, 0.0]])


def test_freed_memory_is_kept_for_the_next_arrays():
    import platform
    import resource
    kept = backend.keep_freed_memory(True)
    if platform.libc_ver()[0] != "glibc":
        assert kept is False
        return
    assert kept is True
    np.ones(8 << 20, np.float32).sum()  # 32 MiB: pages mapped once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        np.ones(8 << 20, np.float32).sum()  # freed and allocated again: the same pages
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 1000
