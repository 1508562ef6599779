"""The IoU metrics against keras.metrics (torch backend) on the same arrays: segmentation-shaped batches,
sample weights, ignore_class, out-of-range ids, one-hot inputs, thresholds; configs as Keras's."""
import warnings

import keras
import numpy as np
import pytest

import striate
from striate import Tensor, metrics

C = 5


def keras_value(metric):
    return float(metric.result().detach().numpy())


def masks(rng, n=3, size=6, classes=C):
    """A batch of label masks and per-pixel scores, predictions agreeing with the labels ~60% of the time."""
    y_true = rng.integers(0, classes, (n, size, size))
    scores = rng.uniform(size=(n, size, size, classes)).astype(np.float32)
    agree = rng.uniform(size=(n, size, size)) < 0.6
    scores[agree, y_true[agree]] += 1.0
    return y_true, scores


CASES = [
    ("IoU", {"num_classes": C, "target_class_ids": [0]}),
    ("IoU", {"num_classes": C, "target_class_ids": [1, 3, 4]}),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2], "ignore_class": 1}),
    ("MeanIoU", {"num_classes": C}),
    ("MeanIoU", {"num_classes": C, "ignore_class": 0}),
    ("MeanIoU", {"num_classes": C, "dtype": "float32"}),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [0, 4]}),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [2], "sparse_y_pred": True}),
    ("OneHotMeanIoU", {"num_classes": C}),
    ("OneHotMeanIoU", {"num_classes": C, "dtype": "float32", "ignore_class": 3}),
]


def _inputs(name, kwargs, y_true, scores):
    """The labels and predictions as the metric expects them (ids, one-hot labels, scores)."""
    labels = np.eye(C, dtype=np.float32)[y_true] if name.startswith("OneHot") else y_true
    dense_pred = not kwargs.get("sparse_y_pred", not name.startswith("OneHot"))
    return labels, scores if dense_pred else scores.argmax(-1)


@pytest.mark.parametrize("weighting", ["none", "whole", "fractional"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_iou_matches_keras_over_batches(name, kwargs, weighting):
    ours, ref = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    rng = np.random.default_rng(len(name) + len(kwargs))
    for _ in range(3):
        y_true, scores = masks(rng)
        labels, pred = _inputs(name, kwargs, y_true, scores)
        weight = {"none": None, "whole": rng.integers(0, 3, y_true.shape),
                  "fractional": rng.uniform(0, 2, y_true.shape).astype(np.float32)}[weighting]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both warn that fractional weights are truncated to int32
            ours.update_state(labels, Tensor(pred) if pred.dtype.kind == "f" else pred, sample_weight=weight)
            ref.update_state(labels, pred, sample_weight=weight)
    result = ours.result()
    assert isinstance(result, float) and 0.0 < result < 1.0
    assert result == pytest.approx(keras_value(ref), rel=1e-6, abs=1e-7)
    ours.reset_state()
    ref.reset_state()
    assert ours.result() == keras_value(ref) == 0.0
    ours.update_state(labels, pred)
    ref.update_state(labels, pred)
    assert ours.result() == pytest.approx(keras_value(ref), rel=1e-6)


def test_default_counts_in_int32_so_fractional_weights_truncate_as_in_keras():
    m = metrics.MeanIoU(num_classes=2)
    with pytest.warns(UserWarning, match="truncated"):
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 1.7])
    assert m.result() == pytest.approx(1.0)  # only the last pixel counts (weight 1)
    exact = metrics.MeanIoU(num_classes=2, dtype="float32")
    exact.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert exact.result() == pytest.approx((0.3 / 0.9 + 0.1 / 0.7) / 2, rel=1e-6)


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.0])
@pytest.mark.parametrize("target", [[0, 1], [0], [1]])
def test_binary_iou_matches_keras(threshold, target):
    ours = metrics.BinaryIoU(target_class_ids=target, threshold=threshold)
    ref = keras.metrics.BinaryIoU(target_class_ids=target, threshold=threshold)
    rng = np.random.default_rng(3)
    for _ in range(2):
        y_true = rng.integers(0, 2, (4, 8, 8, 1))
        y_pred = rng.uniform(-0.2, 1, (4, 8, 8, 1)).astype(np.float32)
        weight = rng.integers(0, 4, (4, 8, 8, 1))
        ours.update_state(y_true, y_pred, sample_weight=weight)
        ref.update_state(y_true, y_pred, sample_weight=weight)
    assert ours.result() == pytest.approx(keras_value(ref), rel=1e-6)


def test_ids_out_of_range_and_the_ignored_class_are_not_counted():
    y_true = np.array([0, 1, 2, 255, -1, 1, 2])
    y_pred = np.array([0, 1, 1, 0, 0, 7, 2])
    ours, ref = metrics.MeanIoU(3, ignore_class=255), keras.metrics.MeanIoU(3, ignore_class=255)
    ours.update_state(y_true, y_pred)
    ref.update_state(y_true, y_pred)
    np.testing.assert_array_equal(ours.total_cm, [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
    assert ours.result() == pytest.approx(keras_value(ref), rel=1e-6)


def test_a_class_absent_from_labels_and_predictions_is_left_out_of_the_mean():
    m = metrics.MeanIoU(num_classes=4)
    m.update_state([[0, 0], [1, 1]], [[0, 0], [1, 0]])
    assert m.result() == pytest.approx((2 / 3 + 1 / 2) / 2, rel=1e-6)  # classes 2 and 3 never appear


def test_per_sample_weights_weigh_every_pixel_of_a_mask():
    y_true, y_pred = np.array([[[0, 1], [1, 1]], [[0, 0], [0, 1]]]), np.array([[[0, 1], [0, 1]], [[1, 1], [1, 1]]])
    per_sample = metrics.MeanIoU(2)
    per_sample.update_state(y_true, y_pred, sample_weight=np.array([1, 0]))
    first_only = metrics.MeanIoU(2)
    first_only.update_state(y_true[:1], y_pred[:1])
    assert per_sample.result() == first_only.result()


def test_errors_name_the_metric_and_what_was_received():
    with pytest.raises(ValueError, match=r"target_class_ids must be class ids in \[0, 3\), received \[3\]"):
        metrics.IoU(num_classes=3, target_class_ids=[3])
    with pytest.raises(ValueError, match="MeanIoU: num_classes must be a positive int, received 0"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"mean_io_u: y_true of shape \(2, 3\) and y_pred of shape \(2, 2\)"):
        metrics.MeanIoU(3).update_state(np.zeros((2, 3), int), np.zeros((2, 2), int))


@pytest.mark.parametrize("name,kwargs", [*CASES, ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.4})],
                         ids=[f"{c}-{i}" for i, (c, _) in enumerate([*CASES, ("BinaryIoU", {})])])
def test_config_equals_keras_and_round_trips(name, kwargs):
    ours, ref = getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)
    ref_config = ref.get_config()
    ref_config["name"] = ours.name  # Keras numbers the names of repeated instances (mean_io_u_2)
    assert ours.get_config() == ref_config
    clone = striate.saving.deserialize_keras_object(keras.saving.serialize_keras_object(ref))
    assert type(clone) is type(ours) and clone.get_config()["dtype"] == ours.dtype
    assert type(metrics.deserialize(metrics.serialize(ours))) is type(ours)


def test_mean_iou_in_compile_reports_the_validation_mean_iou():
    model = striate.Sequential([striate.Input(shape=(4, 4, 1)), striate.layers.Conv2D(3, 1, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=[metrics.MeanIoU(num_classes=3, sparse_y_pred=False)])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(8, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, (8, 4, 4))
    history = model.fit(x, y, epochs=1, batch_size=4, validation_data=(x, y), verbose=0)
    expected = metrics.MeanIoU(3)
    expected.update_state(y, model.predict(x, verbose=0).argmax(-1))
    assert history.history["val_mean_io_u"][0] == pytest.approx(expected.result())
