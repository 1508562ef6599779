"""Metrics from confusion counts: Precision, Recall, AUC (thresholded, Keras 3's numbers) and the
multi-class ConfusionMatrix."""
from striate import backend
from striate.losses.loss import squeeze_or_expand_to_same_rank
from striate.metrics.metric import Metric
from striate.ops._base import data

EPSILON = 1e-7  # keras.config.epsilon(): AUC's outer thresholds are -EPSILON and 1 + EPSILON
NEG_INF = -1e10  # Keras's score for predictions outside the top k


def _thresholds_are_even(thresholds):
    """Keras's test for thresholds ``i / (T - 1)``, which allows counting by buckets in one pass."""
    xp = backend.xp()
    t = len(thresholds)
    return t >= 3 and bool(xp.allclose(xp.asarray(thresholds), xp.arange(t, dtype="float32") / (t - 1),
                                       atol=EPSILON))


def _threshold_counts(y_true, y_pred, thresholds, sample_weight, even, dtype, multi_label=False):
    """Weighted true/false positives/negatives of ``y_pred > t`` for every threshold ``t``.

    Returns four arrays of shape ``(T,)``, or ``(T, L)`` per label with ``multi_label``.
    """
    xp = backend.xp()
    labels = y_pred.shape[-1] if multi_label else 1
    p = y_pred.astype(dtype, copy=False).reshape(-1, labels)
    positive = (y_true != 0).astype(dtype).reshape(-1, labels)
    weight = 1 if sample_weight is None else \
        _weights_like(sample_weight, y_pred.shape).astype(dtype, copy=False).reshape(-1, labels)
    pos_w, neg_w = positive * weight, (1 - positive) * weight
    n = len(thresholds)
    if even:
        # NOTE: Keras's bucket count: score p lies above thresholds 0 .. ceil(p (T-1)) - 1, so
        # counting each bucket once and summing from the top gives all T counts in O(N).
        bucket = xp.ceil(xp.clip(p, 0, 1) * dtype.type(n - 1)) - 1
        if thresholds[0] < 0:
            bucket = xp.maximum(bucket, 0)
        bucket = bucket.astype("int64")
        keep = bucket >= 0
        index = (bucket + n * xp.arange(labels))[keep]

        def above(w):
            counts = xp.bincount(index, xp.broadcast_to(w, keep.shape)[keep], minlength=n * labels)
            return counts.reshape(labels, n).T[::-1].cumsum(axis=0)[::-1].astype(dtype)
    else:
        over = p[None] > xp.asarray(thresholds, dtype)[:, None, None]

        def above(w):
            return (over * w).sum(axis=1, dtype=dtype)
    tp, fp = above(pos_w), above(neg_w)
    fn = pos_w.sum(axis=0, dtype=dtype) - tp
    tn = neg_w.sum(axis=0, dtype=dtype) - fp
    if not multi_label:
        tp, fp, tn, fn = (c[:, 0] for c in (tp, fp, tn, fn))
    return tp, fp, tn, fn


def _weights_like(sample_weight, shape):
    """Per-sample weights broadcast to ``shape``: trailing size-1 axes dropped or added as needed."""
    w = data(sample_weight)
    while w.ndim > len(shape) and w.shape[-1] == 1:
        w = w[..., 0]
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    if w.ndim > len(shape) or any(a not in (1, b) for a, b in zip(w.shape, shape)):
        raise ValueError(f"sample_weight of shape {data(sample_weight).shape} does not fit predictions of shape "
                         f"{tuple(shape)}; pass one weight per sample")
    return backend.xp().broadcast_to(w, tuple(shape))


def _divide(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras's divide_no_nan)."""
    xp = backend.xp()
    return xp.where(b != 0, a / xp.where(b != 0, b, 1), 0)


class _ThresholdMetric(Metric):
    """Shared by Precision and Recall: tp/fp/tn/fn per threshold, after top_k and class_id."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        listed = [thresholds] if isinstance(thresholds, (int, float)) else thresholds
        if listed is not None and any(t is None or not 0 <= t <= 1 for t in listed):
            raise ValueError(f"{type(self).__name__}: thresholds must be in [0, 1], received {thresholds}")
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = list(listed) if listed is not None else [0.5 if top_k is None else NEG_INF]
        self._even = _thresholds_are_even(self.thresholds)
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Count one batch: labels are positive where nonzero, predictions where ``> threshold``."""
        xp = backend.xp()
        y_pred, y_true = squeeze_or_expand_to_same_rank(data(y_pred), data(y_true))
        if self.top_k is not None:
            rows = y_pred.reshape(-1, y_pred.shape[-1])
            in_top = xp.zeros(rows.shape, bool)
            top = xp.argpartition(-rows, self.top_k - 1, axis=-1)[:, :self.top_k]
            in_top[xp.arange(len(rows))[:, None], top] = True
            y_pred = xp.where(in_top, rows, NEG_INF).reshape(y_pred.shape)
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError(f"{self.name}: class_id needs y_pred of shape (N, C), received {y_pred.shape}")
            y_true, y_pred = y_true[..., self.class_id, None], y_pred[..., self.class_id, None]
        counts = _threshold_counts(y_true, y_pred, self.thresholds, sample_weight, self._even, xp.dtype(self.dtype))
        self.counts = [a + b for a, b in zip(self.counts, counts)]

    def reset_state(self):
        self.counts = [backend.xp().zeros(len(self.thresholds), self.dtype) for _ in range(4)]

    def _value(self, x):
        return float(x[0]) if len(self.thresholds) == 1 else backend.to_numpy(x)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_ThresholdMetric):
    """Of the predicted positives, the fraction that are positive: ``tp / (tp + fp)``.

    Args:
        thresholds: a float or list of floats in [0, 1]; a prediction above it counts as positive
            (default 0.5). With several, ``result()`` returns one value per threshold.
        top_k: count only the ``k`` largest predictions of each sample as positive.
        class_id: measure one class of a ``(N, C)`` prediction.
        name, dtype: see :class:`Metric`.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666865348816
    """

    def result(self):
        tp, fp, _, _ = self.counts
        return self._value(_divide(tp, tp + fp))


class Recall(_ThresholdMetric):
    """Of the positives, the fraction predicted positive: ``tp / (tp + fn)``.

    Args: as :class:`Precision`.

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> m.result()
        0.6666666865348816
    """

    def result(self):
        tp, _, _, fn = self.counts
        return self._value(_divide(tp, tp + fn))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at ``num_thresholds`` thresholds.

    The same thresholds, counts and summation as ``keras.metrics.AUC``, so the numbers agree.

    Args:
        num_thresholds: how many thresholds (evenly spaced over [0, 1]) to use.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR, Davis & Goadrich's
            interpolation), ``"minoring"`` or ``"majoring"``.
        name, dtype: see :class:`Metric`.
        thresholds: explicit thresholds in (0, 1) instead of ``num_thresholds``.
        multi_label: one curve per label of a ``(N, L)`` prediction, the AUCs averaged.
        num_labels: with ``multi_label``, the number of labels L (checked against predictions).
        label_weights: one weight per label: with ``multi_label``, the AUCs' weights in the
            average; without, weights on each label's counts.
        from_logits: apply a sigmoid to predictions first.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', received {curve!r}")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                             f"received {summation_method!r}")
        if num_labels and not multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label is True")
        if thresholds is None and num_thresholds <= 1:
            raise ValueError(f"AUC: num_thresholds must be an integer > 1, received {num_thresholds}")
        self.init_thresholds = thresholds
        if thresholds is not None:
            inner = sorted(thresholds)
            self._even = _thresholds_are_even([0.0] + inner + [1.0])
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._even = True
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.num_thresholds = len(self.thresholds)
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = None if label_weights is None else list(label_weights)
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Count one batch: labels are positive where nonzero."""
        xp = backend.xp()
        y_pred, y_true = squeeze_or_expand_to_same_rank(data(y_pred), data(y_true))
        if self.multi_label and (y_pred.ndim != 2 or self.num_labels not in (None, y_pred.shape[-1])):
            raise ValueError(f"{self.name}: multi_label needs y_pred of shape (N, {self.num_labels or 'L'}), "
                             f"received {y_pred.shape}")
        if self.from_logits:
            y_pred = 0.5 * (1 + xp.tanh(0.5 * y_pred))
        if self.label_weights is not None and not self.multi_label:
            sample_weight = _weights_like(1.0 if sample_weight is None else sample_weight, y_pred.shape) * \
                xp.asarray(self.label_weights, self.dtype)
        counts = _threshold_counts(y_true, y_pred, self.thresholds, sample_weight, self._even, xp.dtype(self.dtype),
                                   self.multi_label)
        self.counts = counts if self.counts is None else [a + b for a, b in zip(self.counts, counts)]

    def reset_state(self):
        self.counts = None

    def result(self):
        if self.counts is None:
            return 0.0
        xp = backend.xp()
        tp, fp, tn, fn = (c.astype("float64") for c in self.counts)
        if self.curve == "PR" and self.summation_method == "interpolation":
            area = self._interpolated_pr_area(tp, fp, fn)
        else:
            recall = _divide(tp, tp + fn)
            x, y = (_divide(fp, fp + tn), recall) if self.curve == "ROC" else (recall, _divide(tp, tp + fp))
            heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": xp.minimum(y[:-1], y[1:]),
                       "majoring": xp.maximum(y[:-1], y[1:])}[self.summation_method]
            area = ((x[:-1] - x[1:]) * heights).sum(axis=0)
        if self.label_weights is not None and self.multi_label:
            weights = xp.asarray(self.label_weights, "float64")
            return float(_divide((area * weights).sum(), weights.sum()))
        return float(area.mean())

    @staticmethod
    def _interpolated_pr_area(tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds, as Keras computes it."""
        xp = backend.xp()
        p = tp + fp
        dtp, dp = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = _divide(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = xp.where((p[:-1] > 0) & (p[1:] > 0), _divide(p[:-1], xp.maximum(p[1:], 0)), 1)
        return _divide(slope * (dtp + intercept * xp.log(ratio)), xp.maximum(tp[1:] + fn[1:], 0)).sum(axis=0)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights, "from_logits": self.from_logits}
        if self.init_thresholds is not None:
            config["thresholds"] = self.init_thresholds
        return config


def confusion_matrix(y_true, y_pred, num_classes, sample_weight=None):
    """Count (true class, predicted class) pairs into a ``(num_classes, num_classes)`` matrix.

    Rows are true classes, columns predicted ones. Counted with one ``bincount``.

    Args:
        y_true: integer labels of any shape (a trailing axis of 1 is dropped), or one-hot labels
            with a last axis of ``num_classes``.
        y_pred: integer predictions, or scores with a last axis of ``num_classes`` (the argmax is
            taken); for ``num_classes == 2``, probabilities of class 1 (above 0.5 counts as 1).
        num_classes: the number of classes.
        sample_weight: optional whole-number weight per sample (e.g. a 0/1 mask).

    Returns:
        A NumPy int64 array of shape ``(num_classes, num_classes)``.

    Example:
        >>> confusion_matrix([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], num_classes=2)
        array([[1, 0],
               [1, 1]])
    """
    return backend.to_numpy(_confusion_counts(y_true, y_pred, num_classes, sample_weight))


def _confusion_counts(y_true, y_pred, num_classes, sample_weight):
    """:func:`confusion_matrix` as an int64 array of the backend (no copy off the GPU)."""
    xp = backend.xp()
    true, pred = _class_ids("y_true", y_true, num_classes), _class_ids("y_pred", y_pred, num_classes)
    if true.shape != pred.shape:
        raise ValueError(f"confusion_matrix: y_true of shape {data(y_true).shape} and y_pred of shape "
                         f"{data(y_pred).shape} give {true.shape} labels and {pred.shape} predictions")
    weight = None
    if sample_weight is not None:
        weight = _weights_like(sample_weight, true.shape).ravel()
        if not bool(xp.all(weight == xp.round(weight))):
            raise ValueError("confusion_matrix counts samples: sample_weight must hold whole numbers, received "
                             f"{float(weight[weight != xp.round(weight)][0])}")
    counts = xp.bincount((true * num_classes + pred).ravel(), weight, minlength=num_classes * num_classes)
    return counts.astype("int64").reshape(num_classes, num_classes)


def _class_ids(arg, y, num_classes):
    """Integer class ids from labels, one-hot rows, scores, or (2 classes) probabilities of class 1."""
    xp = backend.xp()
    y = data(y)
    if y.ndim >= 2 and y.shape[-1] == num_classes > 1:
        return xp.argmax(y, axis=-1)
    if y.ndim >= 2 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.dtype.kind == "f":
        if num_classes == 2:
            return (y > 0.5).astype("int64")
        if not bool(xp.all(y == xp.round(y))):
            raise ValueError(f"confusion_matrix: {arg} must hold integer classes or scores with a last axis of "
                             f"{num_classes}, received non-integer values in shape {y.shape}")
    ids = y.astype("int64")
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= num_classes):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"confusion_matrix: {arg} holds class {bad}, out of range for num_classes={num_classes} "
                         f"(classes are 0 to {num_classes - 1})")
    return ids


class ConfusionMatrix(Metric):
    """The running ``(num_classes, num_classes)`` confusion matrix (rows: true, columns: predicted).

    Not in Keras. ``result()`` returns the matrix as a NumPy int64 array.

    Args:
        num_classes: the number of classes.
        name: the metric's name.

    Example:
        >>> m = ConfusionMatrix(3)
        >>> m.update_state([0, 2], [[0.8, 0.1, 0.1], [0.1, 0.7, 0.2]])
        >>> m.result()
        array([[1, 0, 0],
               [0, 0, 0],
               [0, 1, 0]])
    """

    def __init__(self, num_classes, name="confusion_matrix"):
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"ConfusionMatrix: num_classes must be a positive int, received {num_classes!r}")
        self.num_classes = num_classes
        super().__init__(name=name, dtype="int64")
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch's counts (see :func:`confusion_matrix`)."""
        self.matrix = self.matrix + _confusion_counts(y_true, y_pred, self.num_classes, sample_weight)

    def result(self):
        return backend.to_numpy(self.matrix).copy()

    def reset_state(self):
        self.matrix = backend.xp().zeros((self.num_classes, self.num_classes), "int64")

    def get_config(self):
        return {"name": self.name, "num_classes": self.num_classes}
