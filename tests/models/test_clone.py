"""models.clone_model (Keras 3's semantics: new layers from configs, new weights) and layers.serialize /
deserialize (Keras's dict format), on the model zoo built with the same code in striate and Keras."""
import sys
from pathlib import Path

import keras as real_keras
import numpy as np
import pytest

import striate
from striate import layers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "saving"))
from model_zoo import BUILDERS, inputs_for, outputs, randomize  # noqa: E402


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_clone_has_new_layers_and_weights_and_computes_the_same_function(kind):
    model = BUILDERS[kind](striate)
    clone = striate.models.clone_model(model)
    ref = real_keras.models.clone_model(BUILDERS[kind](real_keras))
    assert kinds(clone) == kinds(model) == [k.replace("Functional", "Model") for k in kinds(ref)]
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.name == model.name and type(clone) is type(model)
    assert [layer.get_config() for layer in clone.layers] == [layer.get_config() for layer in model.layers]
    assert not any(a is b for a, b in zip(clone.layers, model.layers))
    assert not any(a is b for a, b in zip(clone.weights, model.weights))
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    randomize(model)
    x = inputs_for(model)
    assert not all(np.allclose(a, b) for a, b in zip(outputs(clone, x), outputs(model, x)))  # weights not copied
    clone.set_weights(model.get_weights())
    for a, b in zip(outputs(clone, x), outputs(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_shared_layer_stays_shared():
    clone = striate.models.clone_model(BUILDERS["merge"](striate))
    shared = clone.get_layer("shared")
    assert len(shared._inbound_nodes) == 2 and len(clone.layers) == len(BUILDERS["merge"](striate).layers)


def test_clone_function_makes_every_layer_but_the_inputs():
    model = BUILDERS["sequence"](striate)
    seen = []

    def faster_dropout(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if isinstance(layer, layers.Dropout):
            config["rate"] = 0.1
        return type(layer).from_config(config)

    clone = striate.models.clone_model(model, clone_function=faster_dropout)
    assert seen == [layer.name for layer in model.layers]
    assert [layer.rate for layer in clone.layers if isinstance(layer, layers.Dropout)] == [0.1]
    shared = striate.models.clone_model(model, clone_function=lambda layer: layer)
    assert all(a is b for a, b in zip(shared.layers, model.layers)) and shared is not model


def test_call_function_inserts_layers_as_in_keras_docs():
    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense):
            out = layers.Dropout(0.5)(out)
        return out

    model = BUILDERS["merge"](striate)
    clone = striate.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_function)
    assert kinds(clone).count("Dropout") == 4  # "shared" twice, out1, out2
    assert clone.get_layer("shared") is model.get_layer("shared")
    with pytest.raises(ValueError, match="call_function works only on functional models"):
        striate.models.clone_model(BUILDERS["sequence"](striate), call_function=call_function)


def test_input_tensors_build_the_clone_on_given_inputs():
    model = BUILDERS["merge"](striate)
    a, b = striate.Input(shape=(5,), name="left"), striate.Input(shape=(5,), name="right")
    clone = striate.models.clone_model(model, input_tensors=[a, b])
    assert clone.inputs == [a, b]
    seq = BUILDERS["sequence"](striate)
    new_input = striate.Input(shape=(6, 4), name="new_in")
    assert striate.models.clone_model(seq, input_tensors=new_input).inputs[0] is new_input
    with pytest.raises(ValueError, match=r"expects input_tensors for model 'merge_model' to be 2 symbolic tensor"):
        striate.models.clone_model(model, input_tensors=[a])
    with pytest.raises(ValueError, match="to be one tensor from keras.Input"):
        striate.models.clone_model(seq, input_tensors=[new_input, new_input])


@pytest.mark.parametrize("recursive", [False, True])
def test_nested_models(recursive):
    model = BUILDERS["nested"](striate)
    made = []

    def clone_function(layer):
        made.append(type(layer).__name__)
        return type(layer).from_config(layer.get_config())

    clone = striate.models.clone_model(model, clone_function=clone_function, recursive=recursive)
    inner, core = clone.layers[1], clone.layers[2]
    assert type(inner).__name__ == "Sequential" and inner is not model.layers[1] and core is not model.layers[2]
    if recursive:  # the nested models are cloned layer by layer
        assert made == ["Dense", "Dense", "Dense", "Add", "Dense"]
    else:
        assert made == ["Sequential", "Model", "Add", "Dense"]
    randomize(model)
    clone.set_weights(model.get_weights())
    x = inputs_for(model)
    np.testing.assert_allclose(outputs(clone, x)[0], outputs(model, x)[0], rtol=1e-6)


def test_a_compiled_model_gives_a_compiled_clone_with_its_own_optimizer():
    model = BUILDERS["sequence"](striate)
    model.compile(optimizer=striate.optimizers.Adam(learning_rate=0.003), loss="mse", metrics=["mae"])
    clone = striate.models.clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config() == model.optimizer.get_config()
    logs = clone.fit(np.ones((4, 6, 4)), np.ones((4, 2)), verbose=0).history
    assert list(logs) == ["loss", "mae"] and int(model.optimizer.iterations) == 0 < int(clone.optimizer.iterations)


def test_subclassed_models_are_rebuilt_from_their_config():
    class Tiny(striate.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    clone = striate.models.clone_model(Tiny(units=3, name="tiny"))
    assert type(clone) is Tiny and clone.units == 3 and clone.name == "tiny"
    with pytest.raises(ValueError, match="work only on Sequential and functional models; 'tiny'"):
        striate.models.clone_model(Tiny(name="tiny"), clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="expects a Sequential or functional Model, received Dense"):
        striate.models.clone_model(layers.Dense(2))


def test_layers_serialize_as_keras_and_deserialize_keras_configs():
    layer = layers.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer=striate.regularizers.l2(0.1),
                          name="conv")
    ref = real_keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                                   kernel_regularizer=real_keras.regularizers.l2(0.1), name="conv")
    ours, theirs = layers.serialize(layer), real_keras.layers.serialize(ref)
    assert {k: ours[k] for k in ("module", "class_name", "registered_name")} == \
        {k: theirs[k] for k in ("module", "class_name", "registered_name")}
    back = layers.deserialize(theirs)
    assert type(back) is layers.Conv2D and back.name == "conv" and back.get_config() == layer.get_config()
    assert real_keras.layers.deserialize(ours).get_config()["kernel_regularizer"]["config"] == {"l2": 0.1}
    built = layers.Dense(3)
    built(striate.Input(shape=(5,)))
    again = layers.deserialize(layers.serialize(built))
    assert again.built and again.kernel.shape == (5, 3)


def test_deserialize_builds_only_known_classes():
    class Scale(layers.Layer):
        def call(self, x):
            return x * 2.0

    config = layers.serialize(Scale(name="scale"))
    with pytest.raises(striate.saving.UnsafeConfigError):
        layers.deserialize(config)
    assert type(layers.deserialize(config, custom_objects={"Scale": Scale})) is Scale
    with pytest.raises(ValueError, match="layers.deserialize expects the config of a layer, received one of a L2"):
        layers.deserialize(striate.regularizers.serialize(striate.regularizers.l2(0.1)))
    with pytest.raises(TypeError, match="layers.serialize expects a Layer, received L2"):
        layers.serialize(striate.regularizers.l2(0.1))
