"""Configs: every class round-trips through serialize/deserialize and JSON; models through JSON and YAML;
the registry, custom objects and scopes."""
import inspect
import json

import numpy as np
import pytest

import striate
from model_zoo import BUILDERS, inputs_for, outputs, randomize
from striate import saving
from striate.saving import registry

ARGS = {"Dense": (3,), "Conv2D": (2, 3), "Conv1D": (2, 3), "Conv2DTranspose": (2, 3), "DepthwiseConv2D": (3,),
        "SeparableConv2D": (2, 3), "SeparableConv1D": (2, 3),
        "Reshape": ((2, -1),), "Permute": ((2, 1),), "Dropout": (0.5,), "Activation": ("relu",),
        "SpatialDropout2D": (0.5,), "GaussianNoise": (0.1,), "GaussianDropout": (0.2,), "Rescaling": (0.5,),
        "Resizing": (4, 5), "CenterCrop": (4, 5), "RandomCrop": (4, 5), "RandomRotation": (0.1,),
        "RandomZoom": (0.1,), "RandomTranslation": (0.1, 0.2), "RandomContrast": (0.2,), "RandomBrightness": (0.2,),
        "ExponentialDecay": (0.1, 10, 0.9), "PiecewiseConstantDecay": ([1], [0.1, 0.2]), "CosineDecay": (0.1, 10),
        "ConfusionMatrix": (3,), "InputLayer": ((4,),), "Constant": (0.5,), "MeanMetricWrapper": (None,),
        "ZeroPaddingShortcut": (4,), "IoU": (3, [0, 1]), "MeanIoU": (3,), "OneHotIoU": (3, [0, 1]),
        "OneHotMeanIoU": (3,)}
MODELS = {"Functional", "Model", "Sequential"}
CODE = {"Lambda"}  # saved by name, refused on loading: tests/layers/test_lambda.py


def _instances():
    for kind, table in registry.builtins().items():
        for name, cls in table.items():
            if inspect.isclass(cls) and name == cls.__name__ and name not in MODELS | CODE:
                yield pytest.param(kind, name, cls, id=f"{kind}.{name}")


def _plain(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("kind,name,cls", list(_instances()))
def test_every_class_round_trips(kind, name, cls):
    args = ARGS.get(name, ())
    if name == "MeanMetricWrapper":
        args = (striate.metrics.binary_accuracy,)
    if name == "LossFunctionWrapper":
        args = (striate.losses.mean_squared_error,)
    obj = cls(*args)
    config = _plain(saving.serialize_keras_object(obj))
    assert config["class_name"] == name and config["module"].startswith("keras")
    clone = saving.deserialize_keras_object(config)
    assert type(clone) is cls
    assert _plain(saving.serialize_keras_object(clone)) == config


def test_functions_round_trip():
    for fn in (striate.activations.ALL["relu"], striate.losses.mean_squared_error,
               striate.metrics.sparse_categorical_accuracy):
        config = saving.serialize_keras_object(fn)
        assert config["class_name"] == "function"
        assert saving.deserialize_keras_object(_plain(config)) is fn


def test_optimizer_with_schedule_and_layer_with_regularizers():
    schedule = striate.optimizers.schedules.ExponentialDecay(0.1, 100, 0.5, staircase=True)
    opt = saving.deserialize_keras_object(_plain(saving.serialize_keras_object(striate.optimizers.SGD(schedule, 0.9))))
    assert isinstance(opt._learning_rate, type(schedule)) and opt._learning_rate.staircase and opt.momentum == 0.9
    layer = striate.layers.Dense(3, kernel_regularizer=striate.regularizers.L1L2(0.1, 0.2),
                                 kernel_initializer=striate.initializers.HeNormal(seed=3),
                                 bias_constraint=striate.constraints.NonNeg())
    clone = saving.deserialize_keras_object(_plain(saving.serialize_keras_object(layer)))
    assert clone.kernel_regularizer.l2 == pytest.approx(0.2) and clone.kernel_initializer.seed == 3
    assert isinstance(clone.bias_constraint, striate.constraints.NonNeg)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("via", ["config", "json", "yaml"])
def test_model_round_trips(kind, via):
    model = BUILDERS[kind](striate)
    randomize(model)
    if via == "config":
        clone = type(model).from_config(model.get_config())
    elif via == "json":
        clone = striate.models.model_from_json(model.to_json())
    else:
        pytest.importorskip("yaml")
        clone = striate.models.model_from_yaml(model.to_yaml())
    assert _plain(clone.get_config()) == _plain(model.get_config())
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    clone.set_weights(model.get_weights())
    x = inputs_for(model)
    for a, b in zip(outputs(clone, x), outputs(model, x)):
        np.testing.assert_array_equal(a, b)


def test_compiled_model_json_restores_compile():
    model = BUILDERS["sequence"](striate)
    model.compile(optimizer=striate.optimizers.Adam(0.005), loss="mse", metrics=["mae"])
    clone = striate.models.model_from_json(model.to_json())
    assert clone.compiled and isinstance(clone.optimizer, striate.optimizers.Adam)
    assert clone.optimizer.learning_rate == pytest.approx(0.005) and clone._metrics_spec == ["mae"]


def test_yaml_missing_gives_clear_import_error(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml":
            raise ImportError("no yaml")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_yaml)
    with pytest.raises(ImportError, match="pip install pyyaml"):
        BUILDERS["sequence"](striate).to_yaml()


class Scale(striate.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scaled_model():
    inputs = striate.Input(shape=(3,))
    return striate.Model(inputs, Scale(3.0)(inputs))


def test_unregistered_class_needs_custom_objects(tmp_path):
    model = scaled_model()
    config = model.to_json()
    with pytest.raises(saving.UnsafeConfigError, match="'Scale'.*register_keras_serializable"):
        striate.models.model_from_json(config)
    clone = striate.models.model_from_json(config, custom_objects={"Scale": Scale})
    assert clone.layers[1].factor == 3.0
    with saving.custom_object_scope({"Scale": Scale}):
        assert isinstance(striate.models.model_from_json(config).layers[1], Scale)
    model.save(tmp_path / "m.keras")
    with pytest.raises(saving.UnsafeConfigError, match="m.keras.*'Scale'"):
        saving.load_model(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_registered_class_and_function(tmp_path):
    @saving.register_keras_serializable(package="Tests")
    class Shift(striate.layers.Layer):
        def call(self, x):
            return x + 1.0

        def compute_output_shape(self, input_shape):
            return input_shape

    @saving.register_keras_serializable(package="Tests")
    def cube(x):
        return x * x * x

    try:
        assert saving.get_registered_name(Shift) == "Tests>Shift"
        assert saving.get_registered_object("Tests>cube") is cube
        inputs = striate.Input(shape=(2,))
        model = striate.Model(inputs, striate.layers.Dense(2, activation=cube)(Shift()(inputs)))
        config = saving.serialize_keras_object(model)
        assert config["config"]["layers"][1]["registered_name"] == "Tests>Shift"
        assert config["config"]["layers"][2]["config"]["activation"]["registered_name"] == "Tests>cube"
        model.save(tmp_path / "m.keras")
        loaded = saving.load_model(tmp_path / "m.keras")
        assert loaded.layers[2].activation is cube and type(loaded.layers[1]) is Shift
    finally:
        registry._CUSTOM.pop("Tests>Shift")
        registry._CUSTOM.pop("Tests>cube")


def test_keras_2_style_configs_load():
    config = {"class_name": "Sequential", "config": {"name": "old", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "relu",
                                           "batch_input_shape": [None, 4], "dtype": "float32"}},
        {"class_name": "Dense", "config": {"name": "e", "units": 2}}]}}
    model = striate.models.model_from_json(json.dumps(config))
    assert model.inputs[0].shape == (None, 4) and model.output_shape == (None, 2)
    functional = {"class_name": "Model", "config": {
        "name": "old_functional",
        "layers": [{"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [None, 4], "name": "x"},
                    "inbound_nodes": []},
                   {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 3},
                    "inbound_nodes": [[["x", 0, 0, {}]]]},
                   {"class_name": "Add", "name": "add", "config": {"name": "add"},
                    "inbound_nodes": [[["d", 0, 0, {}], ["d", 0, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["add", 0, 0]]}}
    model = striate.models.model_from_json(json.dumps(functional))
    assert model.output_shape == (None, 3)
