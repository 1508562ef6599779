"""check_gradients: a right backward passes, a wrong one is named, and the model is left as it was."""
import numpy as np
import pytest

import striate as keras
from striate.autodiff import Function
from striate.utils import check_gradients

L = keras.layers


class ScaleWithWrongWeightGradient(Function):
    """``x * w``, whose backward doubles the weight's gradient (the input's is right)."""

    def forward(self, xp, x, w):
        self.saved = (x, w)
        return x * w

    def backward(self, xp, gy):
        x, w = self.saved
        return gy * w, 2 * gy * x


class BadScale(L.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return ScaleWithWrongWeightGradient()(x, self.w)


def convnet():
    return keras.Sequential([
        keras.Input(shape=(8, 8, 2)),
        L.Conv2D(4, 3, activation="relu", name="conv"),
        L.BatchNormalization(name="norm"),
        L.MaxPooling2D(2, name="pool"),
        L.Flatten(name="flat"),
        L.Dropout(0.5, name="drop"),
        L.Dense(5, activation="tanh", kernel_regularizer="l2", name="hidden"),
        L.Dense(3, activation="softmax", name="probs"),
    ], name="convnet")


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    return rng.standard_normal((6, 8, 8, 2)).astype("float32"), rng.integers(0, 3, 6)


@pytest.mark.parametrize("training", [False, True])
def test_a_correct_model_passes_and_is_left_as_it_was(data, training):
    model = convnet()
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    state = keras.backend.get_rng_state()
    lines = []
    result = check_gradients(model, *data, max_entries=8, training=training, print_fn=lines.append)
    assert result.ok and not result.failed
    assert [(r["layer"], r["weight"]) for r in result.rows] == [
        ("conv", "kernel"), ("conv", "bias"), ("norm", "gamma"), ("norm", "beta"),
        ("hidden", "kernel"), ("hidden", "bias"), ("probs", "kernel"), ("probs", "bias")]
    assert all(r["relative_error"] < 1e-6 and r["entries"] == min(8, int(np.prod(r["shape"])))
               for r in result.rows)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())), "weights and statistics restored"
    assert all(w.dtype == np.float32 and w.grad is None for w in model.weights)
    assert keras.backend.get_rng_state() == state
    text = "\n".join(lines)
    assert "Gradient check of \"convnet\"" in text and "All 8 gradients match finite differences." in text
    for name in ("conv", "norm", "hidden", "probs"):
        assert any(line.startswith(name) and line.endswith("OK") for line in lines), name


def test_a_wrong_backward_is_reported_naming_its_layer():
    rng = np.random.default_rng(2)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, name="before"), BadScale(name="bad_scale"),
                              L.Dense(2, name="after")])
    lines = []
    result = check_gradients(model, rng.standard_normal((5, 4)), rng.standard_normal((5, 2)), loss="mse",
                             print_fn=lines.append)
    assert not result.ok
    assert [(r["layer"], r["weight"]) for r in result.failed] == [("bad_scale", "w")]
    bad = result.failed[0]
    assert bad["relative_error"] == pytest.approx(0.5, abs=1e-6)  # 2g against g: off by half the largest
    row = next(line for line in lines if line.startswith("bad_scale"))
    assert row.split() == ["bad_scale", "w", "(3,)", f"{bad['max_abs_error']:.3e}", "5.000e-01", "FAIL"]
    assert lines[-1] == "1 of 5 gradients differ from finite differences: bad_scale/w"
    assert "failed: bad_scale/w" in repr(result)


def test_loss_from_compile_or_argument(data):
    x, y = data
    model = convnet()
    with pytest.raises(ValueError, match="is not compiled; pass loss="):
        check_gradients(model, x, y)
    quiet = {"max_entries": 3, "print_fn": lambda line: None}
    given = check_gradients(model, x, y, loss="sparse_categorical_crossentropy", **quiet)
    model.compile("sgd", "sparse_categorical_crossentropy")
    compiled = check_gradients(model, x, y, **quiet)
    assert given.ok and compiled.ok and given.loss == pytest.approx(compiled.loss)


def test_functional_model_with_two_outputs_and_loss_weights():
    rng = np.random.default_rng(3)
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(2,))
    h = L.Dense(4, activation="sigmoid", name="trunk")(L.Concatenate()([a, b]))
    model = keras.Model([a, b], [L.Dense(1, name="left")(h), L.Dense(2, name="right")(h)])
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[2.0, 0.5])
    x = [rng.standard_normal((4, 3)), rng.standard_normal((4, 2))]
    y = [rng.standard_normal((4, 1)), rng.standard_normal((4, 2))]
    result = check_gradients(model, x, y, print_fn=lambda line: None)
    assert result.ok and {r["layer"] for r in result.rows} == {"trunk", "left", "right"}


def test_arguments_are_checked():
    model = keras.Sequential([keras.Input(shape=(2,)), L.Dense(1)])
    with pytest.raises(ValueError, match="max_entries must be a positive integer"):
        check_gradients(model, np.ones((2, 2)), np.ones((2, 1)), loss="mse", max_entries=0)
    with pytest.raises(ValueError, match="epsilon must be positive"):
        check_gradients(model, np.ones((2, 2)), np.ones((2, 1)), loss="mse", epsilon=0)
