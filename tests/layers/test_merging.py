"""layers/merging.py: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and the
functional forms, against Keras 3, alone and in functional models."""
import keras
import numpy as np
import pytest
import torch

import striate
from striate import layers

from .layercheck import check_same

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shapes", [
    [(2, 3, 4), (2, 3, 4)],
    [(2, 3, 4), (2, 1, 4)],   # size-1 axes broadcast
    [(2, 3, 4), (2, 4)],      # fewer axes: size-1 axes go after the batch axis
])
def test_elementwise_merges_match_keras(name, shapes):
    check_same(name, shapes)


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_three_inputs_match_keras(name):
    check_same(name, [(2, 5), (2, 5), (2, 5)])


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3, 4), (2, 3, 2)]),
    (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
    (-2, [(2, 3, 4), (2, 5, 4)]),
])
def test_concatenate_matches_keras(axis, shapes):
    check_same("Concatenate", shapes, axis=axis)


def test_functional_forms_on_arrays():
    a, b = np.ones((2, 3), "float32"), np.full((2, 3), 3.0, "float32")
    np.testing.assert_array_equal(layers.add([a, b]).numpy(), a + b)
    np.testing.assert_array_equal(layers.subtract([a, b]).numpy(), a - b)
    np.testing.assert_array_equal(layers.multiply([a, b]).numpy(), a * b)
    np.testing.assert_array_equal(layers.average([a, b]).numpy(), (a + b) / 2)
    np.testing.assert_array_equal(layers.maximum([a, b]).numpy(), b)
    np.testing.assert_array_equal(layers.minimum([a, b]).numpy(), a)
    np.testing.assert_array_equal(layers.concatenate([a, b], axis=0).numpy(), np.concatenate([a, b]))
    assert layers.concatenate([a, b], name="joined").shape == (2, 6)


def _two_branch_model(lib, add, concatenate):
    a, b = lib.Input(shape=(4,), name="a"), lib.Input(shape=(3,), name="b")
    ha = lib.layers.Dense(5, activation="relu", name="da")(a)
    hb = lib.layers.Dense(5, activation="tanh", name="db")(b)
    merged = concatenate([add([ha, hb]), ha], axis=-1)
    return lib.Model([a, b], lib.layers.Dense(2, name="out")(merged))


def test_functional_graph_with_add_and_concatenate_matches_keras():
    ours = _two_branch_model(striate, layers.add, layers.concatenate)
    theirs = _two_branch_model(keras, keras.layers.add, keras.layers.concatenate)
    assert ours.output_shape == (None, 2)
    for name in ("da", "db", "out"):
        ours.get_layer(name).set_weights(theirs.get_layer(name).get_weights())
    assert ours.count_params() == theirs.count_params()
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((6, 3)).astype("float32")
    y = ours([xa, xb]).numpy()
    yk = theirs([torch.from_numpy(xa), torch.from_numpy(xb)]).detach().numpy()
    np.testing.assert_allclose(y, yk, rtol=1e-5, atol=1e-6)


def test_residual_block_in_a_functional_model_trains_end_to_end():
    x = striate.Input(shape=(6, 6, 3))
    h = layers.Conv2D(3, 3, padding="same", activation="relu")(x)
    out = layers.GlobalAveragePooling2D()(layers.add([x, h]))
    model = striate.Model(x, out)
    assert model.output_shape == (None, 3)
    from striate.autodiff import Tensor
    y = model(Tensor(np.ones((2, 6, 6, 3), "float32")))
    y.sum().backward()
    assert all(v.grad is not None for v in model.trainable_weights)


def test_shape_errors_are_clear():
    a, b = layers.Input(shape=(4, 3)), layers.Input(shape=(5, 3))
    with pytest.raises(ValueError, match=r"Concatenate 'cat' expects inputs that match except on axis -1, received "
                                         r"shapes \[\(None, 4, 3\), \(None, 5, 3\)\]"):
        layers.Concatenate(name="cat")([a, b])
    with pytest.raises(ValueError, match=r"Add 'plus' expects inputs of the same shape \(or sizes of 1 that "
                                         r"broadcast\), received shapes \[\(None, 4, 3\), \(None, 5, 3\)\]"):
        layers.Add(name="plus")([a, b])
    with pytest.raises(ValueError, match=r"Subtract 'minus' expects 2 inputs, received 3"):
        layers.Subtract(name="minus")([a, a, a])
    with pytest.raises(ValueError, match=r"Add 'one' expects a list of inputs, received an input of shape "
                                         r"\(None, 4, 3\)"):
        layers.Add(name="one")(a)
    with pytest.raises(ValueError, match=r"Concatenate 'c2': axis 3 is out of range"):
        layers.Concatenate(axis=3, name="c2")([a, a])
    with pytest.raises(ValueError, match=r"Add 'arrays' expects inputs of the same shape"):
        layers.Add(name="arrays")([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
