"""layers/core.py: Dense, Activation and Input/InputLayer against Keras 3."""
import keras
import numpy as np
import pytest

from striate import Sequential, activations, layers

from .layercheck import check_same

@pytest.mark.parametrize("shape, kwargs", [
    ((3, 5), {}),
    ((3, 5), {"activation": "relu", "use_bias": False}),
    ((2, 4, 5), {"activation": "softmax"}),
    ((2, 3, 4, 5), {"activation": "sigmoid"}),
])
def test_dense_matches_keras(shape, kwargs):
    check_same("Dense", shape, 6, **kwargs)


def test_dense_config_has_keras_keys():
    check_same("Dense", (3, 5), 4, kernel_regularizer="l2", bias_constraint="non_neg")


@pytest.mark.parametrize("name", sorted(activations.ALL))
def test_activation_by_name_matches_keras(name):
    check_same("Activation", (3, 4, 5), name)


@pytest.mark.parametrize("name", ["relu", "gelu", "leaky_relu", "softmax"])
def test_dense_activation_by_name_matches_keras(name):
    check_same("Dense", (4, 5), 3, activation=name)


def test_input_matches_keras():
    for kwargs in ({"shape": (3,)}, {"shape": (28, 28, 1)}, {"shape": (5,), "batch_size": 8},
                   {"batch_shape": (None, 4, 2)}):
        assert layers.Input(**kwargs).shape == keras.Input(**kwargs).shape
    layer = layers.InputLayer(shape=(4,), name="pixels")
    assert layer.get_config()["batch_shape"] == (None, 4)
    assert layer.output.shape == (None, 4) and layer.output.name == "pixels"
    assert layers.InputLayer.from_config(layer.get_config()).batch_shape == (None, 4)


def test_input_shape_argument_of_a_first_layer_builds_the_model():
    model = Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2)])
    assert model.output_shape == (None, 2)
    assert model(np.ones((4, 5), "float32")).shape == (4, 2)


def test_errors():
    with pytest.raises(ValueError, match=r"Dense: units must be a positive integer, received 0"):
        layers.Dense(0)
    with pytest.raises(ValueError, match=r"Unknown activation 'rellu'. Did you mean 'relu'\?"):
        layers.Activation("rellu")
    dense = layers.Dense(3, name="d")
    dense(layers.Input(shape=(784,)))
    with pytest.raises(ValueError, match=r"Dense 'd' expects inputs with last axis of size 784, received shape "
                                         r"\(32, 28, 28\)"):
        dense(np.zeros((32, 28, 28), "float32"))
    with pytest.raises(ValueError, match=r"Input needs a shape"):
        layers.Input()


def test_an_accepted_shape_does_not_let_a_wrong_one_through():
    dense = layers.Dense(3, name="d")
    dense(np.zeros((2, 4), "float32"))
    dense(np.zeros((2, 4), "float32"))  # accepted again, from the cache
    with pytest.raises(ValueError, match=r"Dense 'd' expects inputs with last axis of size 4, received shape \(2, 5\)"):
        dense(np.zeros((2, 5), "float32"))


def test_weights_follow_layers_and_weights_added_after_they_were_listed():
    """A layer's weight list is cached between steps; adding a weight or a sublayer anywhere renews it."""

    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = layers.Dense(2)

        def call(self, x):
            return self.inner(x)

    block = Block()
    model = Sequential([layers.Input(shape=(3,)), block])
    assert [v.name for v in model.weights] == ["kernel", "bias"]
    extra = block.add_weight(shape=(1,), initializer="zeros", name="extra")
    assert any(v is extra for v in model.weights)
    block.second = layers.Dense(4)
    block.second.build((None, 2))
    assert len(model.trainable_weights) == 5
    block.second.trainable = False
    assert len(model.trainable_weights) == 3 and len(model.non_trainable_weights) == 2
    listed = model.weights
    listed.clear()  # callers get their own list
    assert len(model.weights) == 5

