"""Metrics against keras.metrics (torch backend) over several batches, with and without sample
weights; the confusion matrix against a brute-force count; lookup and accuracy resolution."""
import keras
import numpy as np
import pytest
from keras.src.trainers.compile_utils import get_metric as keras_get_metric

from striate import Tensor, losses, metrics

N = 16


def keras_value(metric):
    return metric.result().detach().numpy()


def batch(kind, rng):
    """One batch ``(y_true, y_pred, sample_weight)`` of a kind of problem."""
    w = rng.uniform(size=N).astype(np.float32)
    if kind == "binary":
        return rng.integers(0, 2, (N, 1)).astype(np.float32), rng.uniform(size=(N, 1)).astype(np.float32), w
    if kind == "binary_flat":
        return rng.integers(0, 2, N).astype(np.float32), rng.uniform(size=N).astype(np.float32), w
    if kind == "logits":
        return rng.integers(0, 2, (N, 1)).astype(np.float32), rng.normal(size=(N, 1)).astype(np.float32) * 3, w
    if kind == "one_hot":
        return np.eye(6, dtype=np.float32)[rng.integers(0, 6, N)], rng.uniform(size=(N, 6)).astype(np.float32), w
    if kind == "sparse":
        return rng.integers(0, 6, N), rng.uniform(size=(N, 6)).astype(np.float32), w
    if kind == "positive":
        return rng.poisson(2.0, (N, 3)).astype(np.float32), rng.uniform(0.1, 4, (N, 3)).astype(np.float32), w
    if kind == "distribution":
        p, q = rng.uniform(size=(N, 6)), rng.uniform(0.01, 1, (N, 6))
        return (p / p.sum(1, keepdims=True)).astype(np.float32), (q / q.sum(1, keepdims=True)).astype(np.float32), w
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (N, 3)).astype(np.float32), rng.normal(size=(N, 3)).astype(np.float32), w
    if kind == "equal":
        return rng.integers(0, 3, (N, 1)), rng.integers(0, 3, (N, 1)).astype(np.float32), w
    return rng.normal(size=(N, 3)).astype(np.float32), rng.normal(size=(N, 3)).astype(np.float32), w


CASES = [
    ("Accuracy", {}, "equal"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary_flat"),
    ("CategoricalAccuracy", {}, "one_hot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("TopKCategoricalAccuracy", {"k": 3}, "one_hot"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("Precision", {}, "binary"),
    ("Recall", {}, "binary_flat"),
    ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, "binary"),
    ("Recall", {"thresholds": [0.0, 0.5, 1.0]}, "binary"),
    ("Precision", {"top_k": 2}, "one_hot"),
    ("Recall", {"class_id": 2}, "one_hot"),
    ("Precision", {"top_k": 2, "class_id": 1}, "one_hot"),
    ("AUC", {}, "binary"),
    ("AUC", {"curve": "PR"}, "binary"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "binary_flat"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 13}, "binary_flat"),
    ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.9]}, "binary"),
    ("AUC", {"multi_label": True}, "one_hot"),
    ("AUC", {"multi_label": True, "curve": "PR"}, "one_hot"),
    ("AUC", {"from_logits": True}, "logits"),
    ("AUC", {"multi_label": True, "num_labels": 6, "label_weights": [1, 2, 0, 1, 3, 1]}, "one_hot"),
    ("AUC", {"label_weights": [0.5, 1, 2, 1, 1, 0], "curve": "PR"}, "one_hot"),
    ("MeanSquaredError", {}, "regression"),
    ("RootMeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "binary"),
    ("CategoricalCrossentropy", {"from_logits": True}, "one_hot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("CosineSimilarity", {}, "regression"),
    ("LogCoshError", {}, "regression"),
    ("Hinge", {}, "binary"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "signed"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "one_hot"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_matches_keras_over_batches(name, kwargs, kind, weighted):
    ours, ref = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    rng = np.random.default_rng(len(name))
    for _ in range(3):
        y_true, y_pred, w = batch(kind, rng)
        ours.update_state(y_true, Tensor(y_pred), sample_weight=w if weighted else None)
        ref.update_state(y_true, y_pred, sample_weight=w if weighted else None)
    result = ours.result()
    assert isinstance(result, float if np.ndim(result) == 0 else np.ndarray)
    np.testing.assert_allclose(result, keras_value(ref), rtol=1e-5, atol=1e-7)
    ours.reset_state()
    ours.update_state(y_true, y_pred)
    ref.reset_state()
    ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(ours.result(), keras_value(ref), rtol=1e-5, atol=1e-7)


def test_sparse_crossentropy_metric_leaves_out_ignored_samples():
    # Keras 3.15 drops them only when a sample_weight is given; striate always does, as the loss does.
    ours = metrics.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)
    ref = keras.metrics.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)
    rng = np.random.default_rng(0)
    for weighted in (False, True, True):
        y_true, y_pred, w = batch("sparse", rng)
        ours.update_state(y_true[:, None], y_pred, sample_weight=w if weighted else None)
        ref.update_state(y_true[:, None], y_pred, sample_weight=w if weighted else np.ones(N, np.float32))
    np.testing.assert_allclose(ours.result(), keras_value(ref), rtol=1e-5)
    y_true[:3] = 2
    kept = y_true != 2
    loss = losses.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)(y_true, y_pred, sample_weight=w)
    fresh = metrics.SparseCategoricalCrossentropy(ignore_class=2, from_logits=True)
    fresh.update_state(y_true, y_pred, sample_weight=w)
    assert fresh.result() == pytest.approx(float(loss.numpy()) * kept.sum() / (w * kept).sum(), rel=1e-5)


@pytest.mark.parametrize("values,weight", [
    (np.array([1.0, 3.0, 5.0, 7.0]), None),
    (np.array([1.0, 3.0, 5.0, 7.0]), np.array([1.0, 1.0, 0.0, 0.0])),
    (np.arange(12.0).reshape(4, 3), np.array([[0.5], [1.0], [2.0], [0.0]])),
    (np.arange(12.0).reshape(4, 3), np.arange(12.0).reshape(4, 3) % 2),
    (np.float32(2.5), 32),
])
def test_mean_matches_keras(values, weight):
    ours, ref = metrics.Mean(), keras.metrics.Mean()
    for scale in (1.0, 2.0):
        ours.update_state(values * scale, sample_weight=weight)
        ref.update_state(values * scale, sample_weight=weight)
    np.testing.assert_allclose(ours.result(), keras_value(ref), rtol=1e-6)


def test_mean_tracks_the_loss_weighted_by_batch_size():
    tracker = metrics.Mean(name="loss")
    tracker.update_state(Tensor(np.float32(1.0)), sample_weight=32)
    tracker.update_state(Tensor(np.float32(4.0)), sample_weight=16)
    assert tracker.result() == pytest.approx(2.0) and tracker.name == "loss"
    tracker.reset_state()
    assert tracker.result() == 0.0


def test_mean_of_numbers_gives_the_bits_of_arrays():
    """The trainer's path (a Python float and an int weight) and the array path add the same float32 values."""
    numbers, arrays = metrics.Mean(), metrics.Mean()
    rng = np.random.default_rng(0)
    for value, weight in zip(rng.random(500) * 3, rng.integers(1, 200, 500)):
        numbers.update_state(float(value), sample_weight=int(weight))
        arrays.update_state(np.float64(value), sample_weight=np.array(weight))
    assert numbers.total.dtype == np.float32 and numbers.count.dtype == np.float32
    assert numbers.total == arrays.total and numbers.count == arrays.count


def test_mean_metric_wrapper_of_a_user_function():
    def within_one(y_true, y_pred, tol=1.0):
        return (np.abs(y_true - y_pred) <= tol).astype(np.float32)
    m = metrics.MeanMetricWrapper(within_one, tol=0.5)
    assert m.name == "within_one" and m.tol == 0.5
    assert m(np.array([1.0, 2.0, 3.0]), np.array([1.2, 2.9, 3.0])) == pytest.approx(2 / 3)


def brute_force_confusion(true, pred, classes, weight=None):
    out = np.zeros((classes, classes), np.int64)
    for i, (t, p) in enumerate(zip(true, pred)):
        out[t, p] += 1 if weight is None else int(weight[i])
    return out


def test_confusion_matrix_of_labels_one_hot_and_scores():
    rng = np.random.default_rng(0)
    labels, scores = rng.integers(0, 4, 50), rng.uniform(size=(50, 4))
    expected = brute_force_confusion(labels, scores.argmax(1), 4)
    for y_true in (labels, labels[:, None], np.eye(4)[labels], labels.astype(np.float32)):
        for y_pred in (scores, scores.argmax(1), scores.argmax(1)[:, None], Tensor(scores.astype(np.float32))):
            got = metrics.confusion_matrix(y_true, y_pred, num_classes=4)
            assert got.dtype == np.int64 and got.shape == (4, 4)
            np.testing.assert_array_equal(got, expected)
    weight = rng.integers(0, 3, 50)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, scores, 4, sample_weight=weight),
                                  brute_force_confusion(labels, scores.argmax(1), 4, weight))


def test_confusion_matrix_of_binary_probabilities():
    labels, p = np.array([0, 1, 1, 0, 1]), np.array([[0.2], [0.7], [0.4], [0.9], [0.51]])
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, p, 2), [[1, 1], [1, 2]])


def test_confusion_matrix_metric_accumulates():
    rng = np.random.default_rng(1)
    m, total = metrics.ConfusionMatrix(5), np.zeros((5, 5), np.int64)
    for _ in range(3):
        labels, scores = rng.integers(0, 5, 20), rng.uniform(size=(20, 5))
        m.update_state(labels, scores)
        total += brute_force_confusion(labels, scores.argmax(1), 5)
    result = m.result()
    np.testing.assert_array_equal(result, total)
    assert result.dtype == np.int64 and result.sum() == 60
    assert metrics.get({"class_name": "ConfusionMatrix", "config": m.get_config()}).num_classes == 5
    m.reset_state()
    assert m.result().sum() == 0


def test_confusion_matrix_bad_inputs():
    with pytest.raises(ValueError, match=r"y_true holds class 3, out of range for num_classes=3"):
        metrics.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match=r"y_pred holds class -1"):
        metrics.confusion_matrix([0, 1], [0, -1], 3)
    with pytest.raises(ValueError, match=r"y_true of shape \(3,\) and y_pred of shape \(2, 3\)"):
        metrics.confusion_matrix([0, 1, 2], np.eye(3)[:2], 3)
    with pytest.raises(ValueError, match="whole numbers, received 0.5"):
        metrics.confusion_matrix([0, 1], [0, 1], 2, sample_weight=[1.0, 0.5])
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        metrics.ConfusionMatrix(0)


def test_get():
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("AUC"), metrics.AUC) and isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("top_k_categorical_accuracy"), metrics.TopKCategoricalAccuracy)
    assert type(metrics.get("mse")) is metrics.MeanSquaredError and metrics.get("mse").name == "mean_squared_error"
    assert isinstance(metrics.get("rmse"), metrics.RootMeanSquaredError)
    for name, cls in [("mape", "MeanAbsolutePercentageError"), ("MSLE", "MeanSquaredLogarithmicError"),
                      ("kl_divergence", "KLDivergence"), ("log_cosh_error", "LogCoshError"),
                      ("cosine_similarity", "CosineSimilarity"), ("categorical_hinge", "CategoricalHinge")]:
        assert type(metrics.get(name)) is getattr(metrics, cls)
        assert type(keras.metrics.get(name)).__name__ == cls
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy) and isinstance(metrics.get("acc"), metrics.Accuracy)
    instance = metrics.Recall()
    assert metrics.get(instance) is instance and metrics.get(len) is len and metrics.get(None) is None
    with pytest.raises(ValueError) as e:
        metrics.get("precison")
    assert str(e.value) == "Unknown metric 'precison'. Did you mean 'precision'?"
    with pytest.raises(ValueError, match="Did you mean 'sparse_categorical_accuracy'"):
        metrics.get("sparse_categorical_acuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get(3.0)


@pytest.mark.parametrize("name,kwargs", [
    ("AUC", {"num_thresholds": 50, "curve": "PR", "from_logits": True}),
    ("Precision", {"thresholds": [0.3, 0.6], "class_id": 1}),
    ("Recall", {"top_k": 3}),
    ("BinaryAccuracy", {"threshold": 0.3}),
    ("TopKCategoricalAccuracy", {"k": 2}),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("SparseCategoricalCrossentropy", {"ignore_class": 0}),
    ("SparseTopKCategoricalAccuracy", {"k": 3}),
    ("RootMeanSquaredError", {}),
    ("Mean", {"name": "loss"}),
    ("MeanAbsolutePercentageError", {}),
    ("CosineSimilarity", {}),
    ("LogCoshError", {}),
    ("KLDivergence", {}),
    ("Poisson", {}),
    ("Hinge", {}),
])
def test_config_matches_keras_and_round_trips(name, kwargs):
    kwargs = {"name": "m", **kwargs}
    ours, ref = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    config, ref_config = ours.get_config(), ref.get_config()
    shared = config.keys() & ref_config.keys()
    assert {k: config[k] for k in shared} == {k: ref_config[k] for k in shared}
    assert metrics.get({"class_name": name, "config": ref_config}).get_config() == config
    assert type(ours).from_config(config).get_config() == config


def test_wrapper_config_names_the_function():
    m = metrics.MeanMetricWrapper(losses.mean_absolute_error, name="l1")
    assert m.get_config() == {"name": "l1", "dtype": "float32", "fn": "mean_absolute_error"}
    assert metrics.MeanMetricWrapper.from_config(m.get_config()).fn is losses.mean_absolute_error


SHAPES = [((32, 1), (32, 1)), ((32,), (32, 1)), ((32,), (32, 10)), ((32, 1), (32, 10)), ((32, 10), (32, 10)),
          ((32, 5), (32, 5)), ((32, 28, 28), (32, 28, 28, 3)), ((32, 28, 28, 3), (32, 28, 28, 3))]


@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
@pytest.mark.parametrize("y_true_shape,y_pred_shape", SHAPES)
def test_resolve_accuracy_as_keras_compile(identifier, y_true_shape, y_pred_shape):
    ref = keras_get_metric(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    ours = metrics.resolve_metric(identifier, y_true_shape, y_pred_shape)
    assert type(ours).__name__ == type(ref).__name__ and ours.name == ref.name == identifier
    direct = metrics.resolve_accuracy(y_true_shape, y_pred_shape)
    assert type(direct) is type(ours) and direct.name == "accuracy"


def test_resolve_metric_names_and_wraps():
    assert metrics.resolve_metric("mse", (8, 1), (8, 1)).name == "mse"
    assert metrics.resolve_metric("AUC", (8, 1), (8, 1)).name == "AUC"
    wrapped = metrics.resolve_metric(metrics.binary_accuracy, (8, 1), (8, 1))
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_accuracy"
    instance = metrics.Precision(name="p")
    assert metrics.resolve_metric(instance, (8, 1), (8, 1)) is instance and instance.name == "p"


def test_metric_functions_and_names_as_keras():
    y_true, y_pred = [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    expected = keras.metrics.CosineSimilarity()
    expected.update_state(y_true, y_pred)
    np.testing.assert_allclose(metrics.cosine_similarity(y_true, y_pred), [0.0, 1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(metrics.CosineSimilarity()(y_true, y_pred), keras_value(expected), atol=1e-6)
    for name in ("MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity", "LogCoshError",
                 "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson"):
        assert getattr(metrics, name)().name == getattr(keras.metrics, name)().name


def test_compile_names_metrics_as_keras():
    import striate
    model = striate.Sequential([striate.Input(shape=(3,)), striate.layers.Dense(2)])
    model.compile(loss="mse", metrics=["mape", "msle", metrics.KLDivergence(), "cosine_similarity"])
    logs = model.evaluate(np.ones((4, 3)), np.ones((4, 2)), verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mape", "msle", "kl_divergence", "cosine_similarity"]
