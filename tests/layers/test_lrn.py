"""layers/lrn.py and ops/lrn.py: local response normalization against PyTorch (whose alpha is divided
by size: the paper's alpha is torch's alpha / size) and finite differences."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import striate as keras
from opcheck import check_op, rel_err
from striate import ops


def torch_lrn(x, size, alpha, beta, k, axis=-1):
    """The paper's formula through torch: channels to axis 1, torch's alpha is the paper's times size."""
    moved = torch.movedim(x, axis, 1)
    return torch.movedim(F.local_response_norm(moved, size, alpha * size, beta, k), 1, axis)


@pytest.mark.parametrize("shape, size, alpha, beta, k, axis", [
    ((2, 3, 4, 7), 5, 0.5, 0.75, 1.0, -1),     # strong normalization: the cross-channel terms matter
    ((2, 3, 4, 7), 3, 0.3, 1.5, 2.0, -1),
    ((2, 5, 3, 3), 4, 0.4, 0.75, 1.0, 1),      # even size (2 before, 1 after), channels first
    ((3, 2, 2, 2), 5, 0.5, 0.6, 1.5, -1),      # fewer channels than the window
    ((2, 3, 6), 1, 0.5, 0.75, 1.0, -1),        # a window of one channel
])
def test_lrn_op_matches_torch_and_finite_differences(shape, size, alpha, beta, k, axis):
    x = np.random.standard_normal(shape) * 1.5
    check_op(lambda t: ops.local_response_normalization(t, size, alpha, beta, k, axis),
             lambda t: torch_lrn(t, size, alpha, beta, k, axis), [x])


def test_lrn_op_with_the_papers_constants_on_relu_scale_activations():
    x = np.abs(np.random.standard_normal((2, 5, 5, 16))) * 40.0  # AlexNet's conv1 outputs are this large
    check_op(lambda t: ops.local_response_normalization(t),
             lambda t: torch_lrn(t, 5, 1e-4, 0.75, 2.0), [x])


def test_lrn_layer_is_the_papers_formula_with_the_papers_defaults():
    x = np.abs(np.random.standard_normal((2, 6, 6, 9))).astype("float32") * 50
    y = keras.layers.LocalResponseNormalization()(x).numpy()
    square = np.pad(x ** 2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    window = sum(square[..., i:i + 9] for i in range(5))
    np.testing.assert_allclose(y, x / (2 + 1e-4 * window) ** 0.75, rtol=1e-5)
    torch_module = torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)  # the paper's, in torch's terms
    expected = torch_module(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    assert rel_err(y, expected) < 1e-6


def test_lrn_layer_config_round_trip_and_model_save_load(tmp_path):
    layer = keras.layers.LocalResponseNormalization(size=3, alpha=2e-4, beta=0.5, k=1.0, axis=1, name="lrn")
    config = json.loads(json.dumps(layer.get_config()))
    assert {k: config[k] for k in ("size", "alpha", "beta", "k", "axis")} == \
        {"size": 3, "alpha": 2e-4, "beta": 0.5, "k": 1.0, "axis": 1}
    clone = keras.layers.LocalResponseNormalization.from_config(config)
    assert clone.get_config() == layer.get_config()
    x = np.random.standard_normal((2, 4, 3, 3)).astype("float32") * 10
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())

    inputs = keras.Input(shape=(8, 8, 3))
    model = keras.Model(inputs, keras.layers.LocalResponseNormalization(name="norm1")(
        keras.layers.Conv2D(6, 3)(inputs)))
    model.save(tmp_path / "lrn.keras")
    loaded = keras.saving.load_model(tmp_path / "lrn.keras")
    assert isinstance(loaded.get_layer("norm1"), keras.layers.LocalResponseNormalization)
    x = np.random.standard_normal((2, 8, 8, 3)).astype("float32") * 20
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_lrn_gradient_flows_through_a_trained_model():
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.LocalResponseNormalization(alpha=1e-2, k=1.0),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.standard_normal((8, 6, 6, 2)).astype("float32")
    y = np.random.randint(0, 3, 8)
    before = model.layers[0].get_weights()[0].copy()
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(model.layers[0].get_weights()[0], before)


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 0}, "size must be a positive int, received 0"),
    ({"size": 2.5}, "size must be a positive int, received 2.5"),
    ({"alpha": "big"}, "alpha must be a number, received 'big'"),
    ({"axis": "channels"}, "axis must be an int, received 'channels'"),
])
def test_lrn_layer_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.layers.LocalResponseNormalization(**kwargs)


def test_lrn_errors_name_the_layer_and_the_shape():
    with pytest.raises(ValueError, match=r"LocalResponseNormalization 'far': axis 4 is out of range for inputs of "
                                         r"shape \(2, 3, 3\)"):
        keras.layers.LocalResponseNormalization(axis=4, name="far")(np.ones((2, 3, 3), "float32"))
    with pytest.raises(ValueError, match=r"axis must be an int in \[-2, 2\) for an input of shape \(2, 3\), "
                                         r"received 3"):
        ops.local_response_normalization(np.ones((2, 3)), axis=3)
