import numpy as np
import pytest

from striate.datasets import load_mnist_or_shapes, mnist
from idx_fakes import fake_arrays, spec_for, write_fake


def test_falls_back_to_shapes_and_says_why(isolated):
    ((x_train, _), (x_test, _)), name, reason = load_mnist_or_shapes(download=False)
    assert name == "shapes (embedded)"
    assert "MNIST was not found locally" in reason and "STRIATE_DATA" in reason
    assert x_train.shape == (6000, 28, 28) and x_test.shape == (1000, 28, 28)


def test_corrupt_mnist_falls_back_with_reason(isolated):
    data, _ = isolated
    write_fake(data, fake_arrays(0))
    _, name, reason = load_mnist_or_shapes(download=False)
    assert name == "shapes (embedded)" and "corrupt or fail their checksums" in reason


def test_uses_mnist_when_found(isolated, monkeypatch):
    data, _ = isolated
    arrays = fake_arrays(0)
    monkeypatch.setattr(mnist, "MNIST", spec_for(mnist.MNIST, arrays))
    write_fake(data / "mnist", arrays)
    ((x_train, _), _), name, reason = load_mnist_or_shapes(download=False)
    assert name == "MNIST" and reason
    np.testing.assert_array_equal(x_train, arrays[0])


def test_real_mnist_when_available():
    try:
        mnist.load_data(download=False)
    except FileNotFoundError:
        pytest.skip("MNIST is not under $STRIATE_DATA")
    ((x_train, _), _), name, _ = load_mnist_or_shapes(download=False)
    assert name == "MNIST" and x_train.shape == (60000, 28, 28)
