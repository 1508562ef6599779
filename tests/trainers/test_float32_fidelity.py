"""float32 training stays close to the float64 trajectory: Adam steps of the lecture DFF against Keras's.

Run as a script, it prints the per-seed distances (the table in benchmarks/NOTES.md, "Float32 fidelity").
"""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

import striate  # noqa: E402
from striate import backend  # noqa: E402

# Keras's torch backend converts tensors with np.array(), which torch answers with a NumPy 2 deprecation notice.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

SEEDS = range(6)
BATCH, STEPS = 16, 3
# (shape, scale) of the DFF's weights: kernels at about Glorot's scale, small non-zero biases
WEIGHTS = [((784, 256), 0.05), ((256,), 0.05), ((256, 128), 0.09), ((128,), 0.05), ((128, 10), 0.12), ((10,), 0.05)]


def _dff(lib, dtype):
    # the dtype is given to every layer: Keras fixes its global dtype policy at first use, so a
    # set_floatx after that would leave a "float32" Keras model in float64
    layers = lib.layers
    return lib.Sequential([lib.Input(shape=(28, 28), dtype=dtype), layers.Flatten(dtype=dtype),
                           layers.Dense(256, activation="relu", dtype=dtype),
                           layers.Dense(128, activation="relu", dtype=dtype),
                           layers.Dense(10, activation="softmax", dtype=dtype)])


def _problem(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH * STEPS, 28, 28))
    y = rng.integers(0, 10, BATCH * STEPS)
    return x, y, [rng.standard_normal(shape) * scale for shape, scale in WEIGHTS]


def _trained(lib, dtype, x, y, weights):
    """The weights (as float64) after ``STEPS`` Adam steps of the DFF in ``dtype``, from ``weights``."""
    floatx = backend.floatx()
    if lib is striate:
        backend.set_floatx(dtype)
    try:
        model = _dff(lib, dtype)
        model.set_weights([w.astype(dtype) for w in weights])
        model.compile(optimizer=lib.optimizers.Adam(learning_rate=1e-2), loss="sparse_categorical_crossentropy")
        model.fit(x.astype(dtype), y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        trained = model.get_weights()
    finally:
        backend.set_floatx(floatx)
    assert all(np.asarray(w).dtype == dtype for w in trained)
    return [np.asarray(w, np.float64) for w in trained]


def _distances(weights, reference):
    """(max norm, L2 norm) of the difference of two weight lists."""
    diffs = [w - r for w, r in zip(weights, reference)]
    return max(float(np.abs(d).max()) for d in diffs), float(np.sqrt(sum(float((d * d).sum()) for d in diffs)))


def fidelity_table():
    """Per seed: the (max, L2) distances of striate's and Keras's float32 runs from striate's float64 run."""
    rows = []
    for seed in SEEDS:
        x, y, weights = _problem(seed)
        exact = _trained(striate, "float64", x, y, weights)
        rows.append((seed, _distances(_trained(striate, "float32", x, y, weights), exact),
                     _distances(_trained(keras, "float32", x, y, weights), exact)))
    return rows


def test_float32_adam_trajectory_is_closer_to_float64_than_keras():
    rows = fidelity_table()
    assert all(ours[0] > 0 and theirs[0] > 0 for _, ours, theirs in rows)  # the float32 runs are float32
    max_ratios, l2_ratios = ([ours[norm] / theirs[norm] for _, ours, theirs in rows] for norm in (0, 1))
    # the largest difference sits on a few weights whose gradient is near Adam's epsilon: noisy per seed
    assert np.median(max_ratios) <= 1.5, max_ratios
    # Keras rounds beta_2 to float32 in Adam's bias correction, which shrinks every step a little; with
    # that correction taken in float64, striate's whole-network distance is about half of Keras's
    assert np.median(l2_ratios) <= 0.75, l2_ratios


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Nadam"])
def test_first_float32_step_matches_float64(name):
    # a gradient far above epsilon: the first step is the learning rate, to float32 rounding in both dtypes
    # (with beta_2 rounded to float32 in the bias correction it would be 6.4e-6 short)
    steps = []
    for dtype in ("float32", "float64"):
        w = striate.Variable(np.zeros(3), dtype=dtype, name="w")
        getattr(striate.optimizers, name)(learning_rate=1e-2).apply([np.array([1.0, -2.0, 0.5], dtype)], [w])
        assert w.dtype == dtype
        steps.append(w.numpy().astype(np.float64))
    np.testing.assert_allclose(steps[0], steps[1], rtol=5e-7)


if __name__ == "__main__":
    print(f"{'seed':>4}  {'striate max':>11}  {'keras max':>9}  {'ratio':>5}  {'striate L2':>10}  {'keras L2':>8}  "
          f"{'ratio':>5}")
    table = fidelity_table()
    for seed, ours, theirs in table:
        print(f"{seed:>4}  {ours[0]:11.3e}  {theirs[0]:9.3e}  {ours[0] / theirs[0]:5.2f}  {ours[1]:10.3e}  "
              f"{theirs[1]:8.3e}  {ours[1] / theirs[1]:5.2f}")
    for norm, label in ((0, "max"), (1, "L2")):
        print(f"median ratio ({label}): {np.median([o[norm] / t[norm] for _, o, t in table]):.2f}")
