"""striate.random (keras.random): shapes, dtypes, the seeding rules, statistics, and the GPU path."""
import os
import pathlib
import sys

import numpy as np
import pytest

import striate
from striate import backend, ops
from striate.autodiff import Tensor

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

R = striate.random

DRAWS = {  # name: a draw of shape (2, 3) from a random module (striate's or Keras's) given a seed
    "normal": lambda seed, m=R: m.normal((2, 3), seed=seed),
    "uniform": lambda seed, m=R: m.uniform((2, 3), seed=seed),
    "truncated_normal": lambda seed, m=R: m.truncated_normal((2, 3), seed=seed),
    "randint": lambda seed, m=R: m.randint((2, 3), 0, 1000, seed=seed),
    "gamma": lambda seed, m=R: m.gamma((2, 3), 2.0, seed=seed),
    "binomial": lambda seed, m=R: m.binomial((2, 3), 10, 0.5, seed=seed),
    "beta": lambda seed, m=R: m.beta((2, 3), 2.0, 3.0, seed=seed),
    "categorical": lambda seed, m=R: m.categorical(np.zeros((2, 1000), "float32"), 3, seed=seed),
    "shuffle": lambda seed, m=R: m.shuffle(np.arange(6.0, dtype="float32").reshape(2, 3), axis=1, seed=seed),
    "dropout": lambda seed, m=R: m.dropout((ops if m is R else keras.ops).ones((2, 3)), 0.5, seed=seed),
}


@pytest.mark.parametrize("name", DRAWS)
def test_shapes_and_dtypes_match_keras(name):
    y, k = DRAWS[name](1), DRAWS[name](1, keras.random)
    assert isinstance(y, Tensor) and not (name != "dropout" and y.requires_grad)
    assert y.shape == tuple(k.shape) == (2, 3) and y.dtype == k.detach().numpy().dtype


@pytest.mark.parametrize("name", DRAWS)
def test_an_int_seed_gives_the_same_numbers_every_call(name):
    a, b, c = DRAWS[name](5), DRAWS[name](5), DRAWS[name](6)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    if name not in ("shuffle", "dropout"):  # few possible outcomes: two seeds may agree
        assert not np.array_equal(a.numpy(), c.numpy())


@pytest.mark.parametrize("name", DRAWS)
def test_a_seed_generator_advances_and_repeats_from_its_seed(name):
    gen = R.SeedGenerator(3)
    first, second = DRAWS[name](gen), DRAWS[name](gen)
    assert gen.state.numpy().tolist() == [3, 2]
    if name not in ("shuffle", "dropout"):
        assert not np.array_equal(first.numpy(), second.numpy())
    again = R.SeedGenerator(3)
    np.testing.assert_array_equal(DRAWS[name](again).numpy(), first.numpy())
    np.testing.assert_array_equal(DRAWS[name](again).numpy(), second.numpy())
    np.testing.assert_array_equal(first.numpy(), DRAWS[name](3).numpy())  # its first draw: the int seed's, as Keras


def test_seed_none_draws_from_the_global_generator_repeatably():
    striate.utils.set_random_seed(11)
    a = [R.normal((4,)).numpy(), R.uniform((4,)).numpy()]
    striate.utils.set_random_seed(11)
    b = [R.normal((4,)).numpy(), R.uniform((4,)).numpy()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], R.normal((4,)).numpy())


def test_seed_generator_state_saves_and_restores_the_stream():
    gen = R.SeedGenerator(9)
    R.normal((3,), seed=gen)
    saved = gen.state.numpy().copy()
    expected = [R.normal((3,), seed=gen).numpy() for _ in range(2)]
    gen.state.assign(saved)
    np.testing.assert_array_equal([R.normal((3,), seed=gen).numpy() for _ in range(2)], expected)
    assert R.SeedGenerator.from_config(gen.get_config()).state.numpy().tolist() == [9, 0]
    assert gen.next().numpy().tolist() == [9, 3] and gen.state.numpy().tolist() == [9, 4]


def test_seed_generator_without_seed_draws_one_from_the_backend():
    striate.utils.set_random_seed(4)
    a = R.SeedGenerator().state.numpy()[0]
    striate.utils.set_random_seed(4)
    assert R.SeedGenerator().state.numpy()[0] == a
    with pytest.raises(ValueError, match="SeedGenerator: seed must be a non-negative int or None"):
        R.SeedGenerator("7")


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(TypeError, match="normal: seed must be an int, a SeedGenerator or None, received float"):
        R.normal((2,), seed=1.5)
    with pytest.raises(ValueError, match="uniform: dtype must be a float dtype.*randint"):
        R.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="randint: dtype must be an integer dtype"):
        R.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="categorical: logits must have shape \\(batch, classes\\)"):
        R.categorical(np.zeros(3), 2)


N = 200_000


def test_statistics_within_tolerance():
    x = R.normal((N,), mean=2.0, stddev=3.0, seed=0).numpy()
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    x = R.uniform((N,), minval=-2.0, maxval=4.0, seed=0).numpy()
    assert x.min() >= -2.0 and x.max() < 4.0 and abs(x.mean() - 1.0) < 0.02 and abs(x.var() - 3.0) < 0.03
    x = R.truncated_normal((N,), mean=1.0, stddev=2.0, seed=0).numpy()
    assert np.abs(x - 1.0).max() <= 4.0 and abs(x.mean() - 1.0) < 0.02
    assert abs(x.std() - 2.0 * 0.87962566) < 0.02  # the standard deviation of a normal cut at 2 sigma
    x = R.randint((N,), 3, 7, seed=0).numpy()
    assert set(np.unique(x)) == {3, 4, 5, 6} and abs(x.mean() - 4.5) < 0.01
    x = R.gamma((N,), 3.0, seed=0).numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.var() - 3.0) < 0.06
    x = R.binomial((N,), 10, 0.3, seed=0).numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.var() - 2.1) < 0.03
    x = R.beta((N,), 2.0, 6.0, seed=0).numpy()
    assert abs(x.mean() - 0.25) < 0.002 and x.min() >= 0 and x.max() <= 1
    logits = np.log([[0.2, 0.3, 0.5]])
    counts = np.bincount(R.categorical(logits, N, seed=0).numpy().ravel(), minlength=3) / N
    np.testing.assert_allclose(counts, [0.2, 0.3, 0.5], atol=0.005)


def test_float64_and_half_dtypes():
    assert R.normal((3,), dtype="float64", seed=0).dtype == np.float64
    assert R.uniform((3,), dtype="float16", seed=0).dtype == np.float16
    assert R.randint((3,), 0, 5, dtype="int64", seed=0).dtype == np.int64


def test_dropout_keeps_the_expected_value_and_is_differentiable():
    x = Tensor(np.ones((400, 500), "float32"), requires_grad=True)
    y = R.dropout(x, 0.3, seed=R.SeedGenerator(1))
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01 and np.allclose(y.numpy()[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())
    y = R.dropout(np.ones((4, 2, 2, 3), "float32"), 0.5, noise_shape=(None, 1, 1, None), seed=2).numpy()
    assert np.all(y == y[:, :1, :1, :])  # whole feature maps dropped
    np.testing.assert_array_equal(R.dropout(np.ones(8, "float32"), 0.5, seed=4).numpy(),
                                  ops.dropout(np.ones(8, "float32"), 0.5, seed=4).numpy())


def test_shuffle_permutes_slices_and_passes_gradients():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = R.shuffle(x, axis=1, seed=0)
    assert sorted(y.numpy()[0].tolist()) == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_array_equal(y.numpy() % 4, np.broadcast_to(y.numpy()[0] % 4, (3, 4)))  # columns intact
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.numpy())


def test_reachable_as_striate_random():
    import striate.random as module
    assert striate.random is module and set(module.__all__) <= set(dir(keras.random)) | {"SeedGenerator"}


@pytest.fixture
def gpu(monkeypatch):
    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parent))
    import fake_cupy
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    backend.set_device("gpu")
    yield fake_cupy
    backend.set_device("cpu")


@pytest.mark.parametrize("name", DRAWS)
def test_draws_on_the_gpu_path(gpu, name):
    """CuPy's Generator lacks some of NumPy's methods (tests/fake_cupy.py refuses them): every draw
    keeps to CuPy's, and the seeding rules hold there too."""
    a, b = DRAWS[name](5), DRAWS[name](5)
    assert isinstance(a.data, gpu.ndarray) and a.shape == (2, 3)
    np.testing.assert_array_equal(backend.to_numpy(a.data), backend.to_numpy(b.data))
    gen = R.SeedGenerator(1)
    DRAWS[name](gen)
    DRAWS[name](None)
    assert gen.state.numpy().tolist() == [1, 1]
