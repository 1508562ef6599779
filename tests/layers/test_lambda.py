"""layers/lambda_layer.py: Lambda in memory (Sequential, functional, training), saved without code,
refused on loading (striate's files and Keras 3's), and its model's weights saved and loaded."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras as real_keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import striate as keras  # noqa: E402
from striate import layers  # noqa: E402
from striate.saving import UnsafeConfigError  # noqa: E402

REFUSED = r"Lambda layer '{}' holds Python code, which striate never loads from a file .*rebuild the model in code " \
          r"and load only its weights"
rng = np.random.default_rng(0)


def halve(x):
    return x * 0.5


def small_model():
    inputs = keras.Input(shape=(6,))
    x = layers.Dense(8, activation="relu", name="d1")(inputs)
    x = layers.Lambda(lambda t: t * 2.0 - 1.0, name="affine")(x)
    x = layers.Lambda(halve, name="halve")(x)
    return keras.Model(inputs, layers.Dense(2, name="d2")(x))


def test_lambda_computes_its_function_in_sequential_and_functional_models():
    x = rng.standard_normal((3, 4)).astype("float32")
    seq = keras.Sequential([keras.Input(shape=(4,)), layers.Lambda(lambda t: keras.ops.square(t) + 1.0)])
    np.testing.assert_allclose(seq.predict(x, verbose=0), x ** 2 + 1.0, rtol=1e-6)
    inputs = keras.Input(shape=(4,))
    out = layers.Lambda(lambda t, scale: t * scale, arguments={"scale": 3.0})(inputs)
    np.testing.assert_allclose(keras.Model(inputs, out).predict(x, verbose=0), 3.0 * x, rtol=1e-6)


def test_output_shape_inferred_or_given():
    inputs = keras.Input(shape=(3, 5))
    assert layers.Lambda(lambda t: keras.ops.mean(t, axis=1))(inputs).shape == (None, 5)
    assert layers.Lambda(lambda t: t, output_shape=(3, 5))(inputs).shape == (None, 3, 5)
    assert layers.Lambda(lambda t: t[:, 0], output_shape=lambda s: (s[0], s[2]))(inputs).shape == (None, 5)
    with pytest.raises(NotImplementedError, match="Lambda 'broken': could not infer the output shape .*pass "
                                                  "output_shape"):
        layers.Lambda(lambda t: keras.ops.reshape(t, (7, 7)), name="broken")(inputs)


def test_training_flag_reaches_a_function_that_takes_it():
    seen = []
    layer = layers.Lambda(lambda t, training=None: seen.append(training) or t)
    model = keras.Sequential([keras.Input(shape=(2,)), layer, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen.clear()
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    model.predict(np.ones((1, 2), "float32"), verbose=0)
    assert seen == [True, False]


def test_model_with_lambdas_trains():
    model = small_model()
    x = rng.standard_normal((64, 6)).astype("float32")
    y = np.stack([x[:, :3].sum(axis=1), x[:, 3:].sum(axis=1)], axis=1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * first


def test_saving_writes_the_function_by_name_and_no_code(tmp_path):
    model = small_model()
    text = model.to_json()
    config = json.loads(text)
    entries = {layer["name"]: layer["config"]["function"] for layer in config["config"]["layers"]
               if layer["class_name"] == "Lambda"}
    assert entries == {
        "affine": {"module": __name__, "class_name": "function", "config": "<lambda>", "registered_name": "<lambda>"},
        "halve": {"module": __name__, "class_name": "function", "config": "halve", "registered_name": "halve"}}
    assert "__lambda__" not in text and "code" not in text
    model.save(tmp_path / "m.keras")
    with pytest.raises(UnsafeConfigError, match=r"m.keras: .*" + REFUSED.format("affine")):
        keras.models.load_model(tmp_path / "m.keras")
    with pytest.raises(UnsafeConfigError, match=REFUSED.format("affine")):
        keras.models.model_from_json(text)
    with pytest.raises(UnsafeConfigError, match=REFUSED.format("halve")):
        layers.Lambda.from_config(model.get_layer("halve").get_config())


def test_a_keras_file_with_a_lambda_is_refused(tmp_path):
    kmodel = real_keras.Sequential([real_keras.Input(shape=(4,)), real_keras.layers.Dense(3),
                                    real_keras.layers.Lambda(lambda t: t * 2.0, name="doubler")])
    kmodel.save(tmp_path / "keras.keras")
    for safe_mode in (True, False):
        with pytest.raises(UnsafeConfigError, match=r"keras.keras: .*" + REFUSED.format("doubler")):
            keras.models.load_model(tmp_path / "keras.keras", safe_mode=safe_mode)


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5", "w.npz", "m.keras"])
def test_weights_only_round_trip(tmp_path, name):
    model, rebuilt = small_model(), small_model()
    x = rng.standard_normal((5, 6)).astype("float32")
    path = tmp_path / name
    model.save(path) if name.endswith(".keras") else model.save_weights(path)
    rebuilt.load_weights(path)
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_arguments_name_the_layer():
    with pytest.raises(TypeError, match="Lambda 'l': function must be callable, received 3"):
        layers.Lambda(3, name="l")
    with pytest.raises(ValueError, match="Lambda 'l': mask must be None"):
        layers.Lambda(halve, mask=lambda x, m: m, name="l")
    with pytest.raises(TypeError, match="Lambda 'l': arguments must be a dict"):
        layers.Lambda(halve, arguments=[1], name="l")
