"""Files written by Keras 3 load in striate and predict the same, and the reverse, for every layer kind."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import striate  # noqa: E402
from model_zoo import BUILDERS, inputs_for, outputs, randomize  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402


def assert_same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


def _keras_randomized(kind):
    model = BUILDERS[kind](keras)
    randomize(model)
    return model


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_keras_archive_loads_in_striate(kind, tmp_path):
    km = _keras_randomized(kind)
    km.save(tmp_path / "m.keras")
    sm = striate.models.load_model(tmp_path / "m.keras")
    x = inputs_for(sm)
    assert_same(outputs(sm, x), outputs(km, x))
    assert [l.name for l in sm.layers if l.weights] == [l.name for l in km.layers if l.weights]


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_striate_archive_loads_in_keras(kind, tmp_path):
    sm = BUILDERS[kind](striate)
    randomize(sm)
    sm.save(tmp_path / "m.keras")
    km = keras.saving.load_model(tmp_path / "m.keras")
    x = inputs_for(sm)
    assert_same(outputs(km, x), outputs(sm, x))


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_weight_files_both_ways(kind, tmp_path):
    km, sm = _keras_randomized(kind), BUILDERS[kind](striate)
    x = inputs_for(sm)
    km.save_weights(tmp_path / "k.weights.h5")
    sm.load_weights(tmp_path / "k.weights.h5")
    assert_same(outputs(sm, x), outputs(km, x))
    with __import__("h5py").File(tmp_path / "k.h5", "w") as f:  # Keras 3's writer of the Keras 2 layout
        legacy_h5_format.save_weights_to_hdf5_group(f, km)
    sm2 = BUILDERS[kind](striate)
    sm2.load_weights(tmp_path / "k.h5")
    assert_same(outputs(sm2, x), outputs(km, x))

    randomize(sm, seed=7)
    sm.save_weights(tmp_path / "s.weights.h5")
    sm.save_weights(tmp_path / "s.h5")
    for name in ("s.weights.h5", "s.h5"):
        fresh = BUILDERS[kind](keras)
        fresh.load_weights(tmp_path / name)
        assert_same(outputs(fresh, x), outputs(sm, x))


def test_optimizer_state_crosses_over(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 5)).astype("float32"), rng.integers(0, 3, 16)
    models = []
    for lib in (keras, striate):
        m = lib.Sequential([lib.Input(shape=(5,)), lib.layers.Dense(8, activation="relu"), lib.layers.Dense(3)])
        models.append(m)
    models[1].set_weights(models[0].get_weights())
    for m, lib in zip(models, (keras, striate)):
        m.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    km, sm = models
    km.save(tmp_path / "k.keras")
    loaded = striate.models.load_model(tmp_path / "k.keras")
    assert loaded.optimizer.iterations == 4
    for a, b in zip(loaded.optimizer.variables, km.optimizer.variables):
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-6)
    sm.save(tmp_path / "s.keras")
    back = keras.saving.load_model(tmp_path / "s.keras")
    assert int(back.optimizer.iterations) == 4
    for a, b in zip(back.optimizer.variables, sm.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b.numpy(), rtol=1e-5, atol=1e-7)


def test_lecture_style_model_and_json_cross_over(tmp_path):
    model = striate.Sequential()
    model.add(striate.layers.Dense(units=8, activation="relu", input_dim=5))
    model.add(striate.layers.Dense(units=3, activation="softmax"))
    model.compile(loss=striate.losses.SparseCategoricalCrossentropy(), optimizer="sgd", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 5)).astype("float32"), rng.integers(0, 3, 8)
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.keras")
    km = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(km.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5)
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    back = striate.models.model_from_json(km.to_json())
    assert back.compiled and [l.name for l in back.layers] == [l.name for l in model.layers]


def _class_pairs():
    import inspect
    from striate.saving import registry
    from test_config import CODE, MODELS
    for kind, table in registry.builtins().items():
        for name, cls in table.items():
            if inspect.isclass(cls) and name == cls.__name__ and name not in MODELS | CODE and \
                    name not in ("LossFunctionWrapper", "MeanMetricWrapper", "InputLayer"):
                yield pytest.param(kind, name, cls, id=f"{kind}.{name}")


def _keras_class(kind, name):
    return getattr(keras.optimizers.schedules if kind == "schedules" else getattr(keras, kind), name, None)


# striate's own classes: their configs round-trip in test_config
STRIATE_ONLY = {"ConfusionMatrix", "LocalResponseNormalization", "SqueezeExcitation", "ZeroPaddingShortcut"}


def test_only_striate_s_own_classes_are_missing_from_keras():
    assert {p.values[1] for p in _class_pairs() if _keras_class(*p.values[:2]) is None} == STRIATE_ONLY


@pytest.mark.parametrize("kind,name,cls", [p for p in _class_pairs() if p.values[1] not in STRIATE_ONLY])
def test_every_class_config_crosses_over(kind, name, cls):
    from test_config import ARGS
    kcls = _keras_class(kind, name)
    args = ARGS.get(name, (2,) if name in ("AveragePooling2D", "MaxPooling2D") else ())
    ours = striate.saving.serialize_keras_object(cls(*args))
    theirs = keras.saving.deserialize_keras_object(ours)
    assert isinstance(theirs, kcls)
    back = striate.saving.deserialize_keras_object(keras.saving.serialize_keras_object(kcls(*args)))
    assert type(back) is cls


def test_the_models_cover_every_layer_kind():
    from striate.saving import registry
    used = set()
    for build in BUILDERS.values():
        stack = [build(striate)]
        while stack:
            layer = stack.pop()
            used.add(type(layer).__name__)
            stack.extend(getattr(layer, "layers", []))
            stack.extend(t.node.layer for t in getattr(layer, "inputs", []) or [])
    from test_config import CODE
    layers = {c.__name__ for c in registry.builtins()["layers"].values()} - {"Model"} - CODE - STRIATE_ONLY
    assert layers - used == set(), "add these layers to model_zoo.py so Keras cross-loading covers them"
