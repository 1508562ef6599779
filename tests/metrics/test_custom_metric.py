"""Custom metrics written as the Keras 3 guides write them (add_variable, assign_add, result, reset_state)
run unchanged in striate: on their own against the same class in Keras, inside fit and evaluate, and
through a resumed fit."""
import keras as real_keras
import numpy as np
import pytest

import striate
from striate import callbacks

rng = np.random.default_rng(0)
X = rng.random((40, 5)).astype("float32")
Y = rng.integers(0, 3, 40).astype("float32")


def guide_metric(keras):
    """CategoricalTruePositives from keras.io's "Training & evaluation with the built-in methods", verbatim
    with ``keras`` and ``ops`` from the library under test."""
    ops = keras.ops

    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), name="ctp", initializer="zeros"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)

    return CategoricalTruePositives()


def docstring_metric(keras):
    """BinaryTruePositives from Keras's Metric docstring: its result is the variable itself."""
    ops = keras.ops

    class BinaryTruePositives(keras.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.cast(y_true, "bool")
            y_pred = ops.cast(y_pred > 0.5, "bool")
            values = ops.cast(ops.logical_and(ops.equal(y_true, True), ops.equal(y_pred, True)), self.dtype)
            if sample_weight is not None:
                values = ops.multiply(values, ops.cast(sample_weight, self.dtype))
            self.true_positives.assign(self.true_positives + ops.sum(values))

        def result(self):
            return self.true_positives

    return BinaryTruePositives()


def classifier(keras):
    return keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(3)])


@pytest.mark.parametrize("labels", ["flat", "column"])
@pytest.mark.parametrize("weighted", [False, True])
def test_guide_metric_matches_keras_batch_by_batch(labels, weighted):
    ours, ref = guide_metric(striate), guide_metric(real_keras)
    for start in range(0, 40, 16):
        y_true = Y[start:start + 16] if labels == "flat" else Y[start:start + 16, None]
        y_pred = rng.random((len(y_true), 3)).astype("float32")
        w = rng.random(len(y_true)).astype("float32") if weighted else None
        ours.update_state(y_true, y_pred, sample_weight=w)
        ref.update_state(y_true, y_pred, sample_weight=w)
        np.testing.assert_allclose(float(ours.result()), float(ref.result()), rtol=1e-6)
    ours.reset_state()
    assert float(ours.result()) == 0.0


def test_guide_metric_in_fit_and_evaluate():
    model = classifier(striate)
    model.compile(optimizer=striate.optimizers.RMSprop(learning_rate=1e-3),
                  loss=striate.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[guide_metric(striate)])
    history = model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert list(history.history) == ["loss", "categorical_true_positives"]
    # the guide's metric compares every label with every prediction of a batch (as in Keras): reset each
    # epoch, it counts at most 16 * 16 + 16 * 16 + 8 * 8 pairs
    assert all(isinstance(v, float) and 0 <= v <= 576 for v in history.history["categorical_true_positives"])
    logs = model.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    predicted = model.predict(X, verbose=0).argmax(1)
    expected = sum((Y[s:s + 16][None, :] == predicted[s:s + 16][:, None]).sum() for s in range(0, 40, 16))
    assert logs["categorical_true_positives"] == expected


def test_a_metric_returning_its_variable_is_logged_as_a_float():
    model = striate.Sequential([striate.Input(shape=(5,)), striate.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[docstring_metric(striate)])
    labels = (X[:, 0] > 0.5).astype("float32")[:, None]
    logs = model.evaluate(X, labels, batch_size=16, verbose=0, return_dict=True)
    expected = ((model.predict(X, verbose=0) > 0.5) & (labels > 0)).sum()
    assert logs["binary_true_positives"] == expected and isinstance(logs["binary_true_positives"], float)


def test_resumed_fit_restores_the_metric_variables():
    class Snapshot(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1 and not hasattr(self, "state"):
                self.state = self.model.get_training_state()

    class Resume(callbacks.Callback):
        def __init__(self, state):
            super().__init__()
            self.state = state

        def on_train_begin(self, logs=None):
            self.model.resume_training(self.state)

    def run(callback):
        striate.utils.set_random_seed(3)
        model = classifier(striate)
        model.compile(optimizer="adam", loss=striate.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[guide_metric(striate)])
        return model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[callback]).history

    snapshot = Snapshot()
    whole = run(snapshot)
    assert snapshot.state["metrics"][1]["variables"][0] > 0  # two batches counted when it was taken
    assert run(Resume(snapshot.state)) == whole


def test_variables_and_their_errors():
    class Counts(striate.metrics.Metric):
        def __init__(self):
            super().__init__(name="counts", dtype="int64")
            self.per_class = self.add_weight(shape=(3,), name="per_class")
            self.seen = self.add_variable(shape=(), initializer="ones", dtype="float32", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.per_class.assign_add(np.bincount(np.asarray(y_true, "int64"), minlength=3))

        def result(self):
            return self.per_class.numpy()

    m = Counts()
    assert [v.path for v in m.variables] == ["counts/per_class", "counts/seen"]
    assert m.per_class.dtype == np.int64 and not m.per_class.trainable and float(m.seen) == 1.0
    m.update_state([0, 2, 2], None)
    assert m.result().tolist() == [1, 0, 2]
    m.reset_state()
    assert m.result().tolist() == [0, 0, 0] and float(m.seen) == 0.0

    class Early(striate.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=(), initializer="zeros")

    with pytest.raises(RuntimeError, match=r"Early: call super\(\).__init__\(\) before add_variable\(\)"):
        Early()
    with pytest.raises(ValueError, match="aggregation must be one of"):
        striate.metrics.Metric().add_variable((), "zeros", aggregation="max")
