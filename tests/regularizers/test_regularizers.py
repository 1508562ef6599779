"""Regularizers against keras.regularizers: the lowercase names, values, configs and lookups."""
import keras
import numpy as np
import pytest

import striate
from striate import regularizers

W = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


@pytest.mark.parametrize("name,kwargs", [("l1", {}), ("l2", {}), ("l1_l2", {}), ("l1", {"l1": 0.3}),
                                         ("l2", {"l2": 0.2}), ("l1_l2", {"l1": 0.1, "l2": 0.5})])
def test_lowercase_names_are_keras_classes(name, kwargs):
    ours, ref = getattr(regularizers, name)(**kwargs), getattr(keras.regularizers, name)(**kwargs)
    assert type(ours).__name__ == type(ref).__name__
    assert ours.get_config() == pytest.approx(ref.get_config())  # Keras's L1 keeps its factor as float32
    np.testing.assert_allclose(float(ours(striate.Tensor(W))), float(ref(W)), rtol=1e-6)
    assert regularizers.serialize(ours)["class_name"] == keras.regularizers.serialize(ref)["class_name"]
    assert regularizers.deserialize(keras.regularizers.serialize(ref)).get_config() == ref.get_config()


def test_get_by_name_and_config():
    assert regularizers.get("l2").get_config() == keras.regularizers.get("l2").get_config() == {"l2": 0.01}
    assert type(regularizers.get("L1")) is regularizers.L1
    assert regularizers.get("l1l2").get_config() == keras.regularizers.get("l1l2").get_config()
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}  # as Keras's docs promise
    assert regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5}}).get_config() == {"l1": 0.5, "l2": 0.0}
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'. Known: L1, L1L2, L2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Did you mean .l1_l2."):
        regularizers.get("l1_l3")


def test_a_layer_takes_the_lowercase_form_and_trains_with_its_penalty():
    model = striate.Sequential([striate.Input(shape=(3,)), striate.layers.Dense(
        2, kernel_regularizer=striate.regularizers.l2(0.5), kernel_initializer="ones")])
    assert len(model.losses) == 1 and float(model.losses[0]) == pytest.approx(0.5 * 6)
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(np.zeros((2, 3)), np.zeros((2, 2)), verbose=0)
    assert loss == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), "0.1", True])
def test_bad_factors_name_the_argument(bad):
    with pytest.raises(ValueError, match=r"L2: l2 must be a non-negative float, received"):
        regularizers.L2(bad)
    assert regularizers.L2(None).l2 == keras.regularizers.L2(None).l2 == 0.01
