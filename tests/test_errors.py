"""A clear error for every bad input: each names the layer or argument, says what was expected and
shows what was received; and the mistakes that used to pass silently (a NaN loss) are reported."""
import numpy as np
import pytest

import striate as keras
from striate import layers


def _classifier(n_out=3, activation="softmax", loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(n_out, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


X = np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4)
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])


def _fit(**kwargs):
    return lambda: _classifier().fit(X, Y, verbose=0, **kwargs)


def _duplicate_functional():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3, name="twin")(inputs)
    keras.Model(inputs, layers.Dropout(0.5, name="twin")(hidden))


def _set_weights(value):
    def run():
        dense = layers.Dense(2, name="head")
        dense.build((None, 3))
        dense.set_weights([value, np.zeros(2)])
    return run


# (what goes wrong, the call, the error, what its message must say)
CASES = [
    ("input shape string", lambda: keras.Input(shape=("28",)), ValueError,
     ["Input expects shape", "positive integers or None", "received shape=('28',)", "'28' is a str"]),
    ("input shape float", lambda: keras.Input(shape=(28.0, 28)), ValueError,
     ["Input expects shape", "received shape=(28.0, 28)", "28.0 is a float"]),
    ("input shape negative", lambda: keras.Input(shape=(28, -1)), ValueError,
     ["Input expects shape", "received shape=(28, -1)", "-1 is not positive"]),
    ("input shape zero", lambda: keras.Input(shape=(0,)), ValueError, ["Input expects shape", "0 is not positive"]),
    ("input shape bool", lambda: keras.Input(shape=(True,)), ValueError, ["Input expects shape", "True is a bool"]),
    ("input batch_shape", lambda: keras.Input(batch_shape=(None, 2.5)), ValueError,
     ["Input expects batch_shape", "received batch_shape=(None, 2.5)", "2.5 is a float"]),
    ("input batch_size", lambda: keras.Input(shape=(3,), batch_size=-4), ValueError,
     ["Input expects batch_size", "received batch_size=-4"]),
    ("duplicate names, functional", _duplicate_functional, ValueError,
     ["Model 'functional", "expects unique layer names", "named 'twin'", "Dense (layer 1)", "Dropout (layer 2)"]),
    ("duplicate names, Sequential",
     lambda: keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, name="twin"), layers.Dense(2, name="twin")]),
     ValueError, ["Sequential 'sequential", "expects unique layer names", "named 'twin'", "Dense (layer 0)",
                  "Dense (layer 1)"]),
    ("Dense after a Flatten of unknown size",
     lambda: keras.Sequential([keras.Input(shape=(None, 3)), layers.Flatten(), layers.Dense(2, name="head")]),
     ValueError, ["Dense 'head' expects inputs whose last axis has a known size", "received shape (None, None)",
                  "Input(shape="]),
    ("set_weights strings", _set_weights(np.full((3, 2), "a")), TypeError,
     ["Layer 'head' weight 'head/kernel' expects a numeric array", "dtype <U1"]),
    ("set_weights objects", _set_weights(np.full((3, 2), None)), TypeError,
     ["Layer 'head' weight 'head/kernel' expects a numeric array", "dtype object"]),
    ("binary labels outside [0, 1]",
     lambda: _classifier(1, "sigmoid", "binary_crossentropy").fit(X, Y, verbose=0), ValueError,
     ["binary_crossentropy expects labels y_true in [0, 1]", "from 0.0 to 2.0"]),
    ("class_weight -1", _fit(class_weight={0: 1.0, 1: 2.0, -1: 3.0}), ValueError,
     ["fit expects class_weight keys to be class indices in [0, 2]", "received key -1"]),
    ("class_weight too large", _fit(class_weight={0: 1.0, 3: 2.0}), ValueError,
     ["fit expects class_weight keys to be class indices in [0, 2]", "received key 3"]),
    ("class_weight not a number", _fit(class_weight={0: "heavy"}), ValueError,
     ["fit expects class_weight values to be finite numbers", "class_weight[0]='heavy'"]),
    ("epochs 0", _fit(epochs=0), ValueError, ["fit expects epochs to be an integer >= 1", "received epochs=0"]),
    ("epochs float", _fit(epochs=2.0), ValueError, ["fit expects epochs to be an integer", "received epochs=2.0"]),
    ("steps_per_epoch 0", _fit(steps_per_epoch=0), ValueError,
     ["fit expects steps_per_epoch to be an integer >= 1", "received steps_per_epoch=0"]),
    ("validation_freq 0", _fit(validation_freq=0, validation_split=0.5), ValueError,
     ["fit expects validation_freq to be an integer >= 1", "received validation_freq=0"]),
    ("validation_freq list", _fit(validation_freq=[1, 0.5], validation_split=0.5), ValueError,
     ["fit expects validation_freq", "list of epoch numbers >= 1", "received validation_freq=[1, 0.5]"]),
    ("validation_steps", _fit(validation_steps=-1, validation_split=0.5), ValueError,
     ["fit expects validation_steps to be an integer >= 1", "received validation_steps=-1"]),
    ("batch_size bool", _fit(batch_size=True), ValueError,
     ["fit expects batch_size to be an integer >= 1", "received batch_size=True"]),
    ("initial_epoch negative", _fit(initial_epoch=-1), ValueError,
     ["fit expects initial_epoch to be an integer >= 0", "received initial_epoch=-1"]),
    ("initial_epoch >= epochs", _fit(epochs=3, initial_epoch=3), ValueError,
     ["fit expects initial_epoch < epochs", "received initial_epoch=3, epochs=3"]),
    ("learning_rate 0", lambda: keras.optimizers.SGD(learning_rate=0.0), ValueError,
     ["SGD expects `learning_rate` to be a positive number or a LearningRateSchedule", "received learning_rate=0.0"]),
    ("learning_rate negative", lambda: keras.optimizers.Adam(learning_rate=-1e-3), ValueError,
     ["Adam expects `learning_rate` to be a positive number", "received learning_rate=-0.001"]),
    ("learning_rate NaN", lambda: keras.optimizers.RMSprop(learning_rate=float("nan")), ValueError,
     ["RMSprop expects `learning_rate`", "received learning_rate=nan"]),
    ("learning_rate string", lambda: keras.optimizers.SGD(learning_rate="0.1"), ValueError,
     ["SGD expects `learning_rate`", "received learning_rate='0.1'"]),
    ("fit without y", lambda: _classifier().fit(X, verbose=0), ValueError,
     ["fit expects y", "received y=None"]),
    ("validation_data without y", _fit(validation_data=(X,)), ValueError,
     ["fit (validation_data) expects y", "received y=None"]),
    ("train_on_batch without y", lambda: _classifier().train_on_batch(X), ValueError,
     ["train_on_batch expects y", "received y=None"]),
    ("empty x", lambda: _classifier().fit(X[:0], Y[:0], verbose=0), ValueError,
     ["fit expects x with at least one sample", "received x of shape (0, 4)"]),
    ("predict empty x", lambda: _classifier().predict(X[:0], verbose=0), ValueError,
     ["predict expects x with at least one sample", "received x of shape (0, 4)"]),
    ("evaluate steps", lambda: _classifier().evaluate(X, Y, steps=0, verbose=0), ValueError,
     ["evaluate expects steps to be an integer >= 1", "received steps=0"]),
    ("predict batch_size", lambda: _classifier().predict(X, batch_size=1.5, verbose=0), ValueError,
     ["predict expects batch_size to be an integer >= 1", "received batch_size=1.5"]),
]


@pytest.mark.parametrize("call, error, parts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(call, error, parts):
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    missing = [p for p in parts if p not in message]
    assert not missing, f"{missing} not in: {message}"


def test_valid_edge_cases_are_still_accepted():
    inputs = keras.Input(shape=(None, np.int64(3)), batch_size=np.int32(2))
    assert inputs.shape == (2, None, 3) and all(type(d) is int for d in inputs.shape if d is not None)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(np.float32(0.1)), loss="sparse_categorical_crossentropy")
    history = model.fit(X, Y, epochs=np.int64(2), batch_size=np.int64(4), initial_epoch=1, verbose=0,
                        class_weight={np.int64(0): 1.0, 2: np.float32(0.5)}, validation_split=0.25,
                        validation_freq=[2])
    assert history.epoch == [1] and "val_loss" in history.history
    binary = _classifier(1, "sigmoid", "binary_crossentropy")
    binary.fit(X, np.array([0.0, 1.0, 0.25, 1.0, 0.0, 1.0, 0.0, 1.0]), class_weight={1: 2.0}, verbose=0)
    # a nested model's layers are its own: the same name inside and outside is allowed, as in Keras
    inner = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(4, name="twin")], name="inner")
    outer = keras.Sequential([keras.Input(shape=(4,)), inner, layers.Dense(2, name="twin")])
    assert [layer.name for layer in outer.layers] == ["inner", "twin"]
    shared = layers.Dense(4, name="shared")  # one layer called twice is one layer, not two of one name
    x = keras.Input(shape=(4,))
    assert len(keras.Model(x, shared(shared(x))).layers) == 2


def test_a_model_that_saves_loads_and_names_stay_unique(tmp_path):
    model = _classifier()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_a_learning_rate_lowered_to_zero_still_loads():
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    optimizer.learning_rate = 0.0  # what a LearningRateScheduler may do before a checkpoint is saved
    restored = keras.optimizers.SGD.from_config(optimizer.get_config())
    assert restored.learning_rate == 0.0


def test_a_nan_loss_is_reported_at_the_end_of_fit():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e30), loss="mse")
    y = np.full((8, 1), 1e20, dtype="float32")
    with pytest.warns(RuntimeWarning, match=r"fit: the training loss became (nan|inf) at epoch 1/3") as record:
        history = model.fit(X, y, epochs=3, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 3, "training must not stop without TerminateOnNaN"
    assert sum("training loss became" in str(w.message) for w in record) == 1


def test_a_finite_loss_gives_no_warning(recwarn):
    _classifier().fit(X, Y, epochs=2, verbose=0)
    assert not [w for w in recwarn if "training loss" in str(w.message)]


def test_validation_split_with_batches_is_refused():
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(loss="mse")
    batches = ((np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32")) for _ in range(2))
    with pytest.raises(ValueError, match="fit expects validation_split only with arrays.*received x of type generator"):
        model.fit(batches, validation_split=0.2, verbose=0)
