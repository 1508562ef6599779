"""Intersection-over-union metrics for segmentation, as Keras 3's: IoU, MeanIoU, OneHotIoU,
OneHotMeanIoU and BinaryIoU, each from a running confusion matrix counted with one ``bincount``.

For class ``c``, ``IoU = TP / (TP + FP + FN)`` over every pixel seen so far (not a mean of
per-image values); classes absent from both labels and predictions are left out of the mean.
"""
import warnings

from striate import backend
from striate.metrics.confusion import _weights_like
from striate.metrics.metric import Metric
from striate.ops._base import data


class _IoUBase(Metric):
    """The running ``(num_classes, num_classes)`` confusion matrix (rows: true, columns: predicted)
    that the IoU metrics read. Arguments: see :class:`IoU`."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be a positive int, received {num_classes!r}")
        # as Keras: the matrix counts in int32 unless told otherwise ("int" is int32)
        dtype = "int32" if dtype in (None, "int") else backend.xp().dtype(dtype).name
        super().__init__(name=name, dtype=dtype)
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch to the confusion matrix.

        Args:
            y_true: class ids of any shape (one-hot or scores along ``axis`` when not
                ``sparse_y_true``).
            y_pred: class ids (scores along ``axis`` when not ``sparse_y_pred``), as many as ``y_true``.
            sample_weight: optional weight per element (or per sample, or one number); cast to the
                metric's dtype as Keras does, so fractions count as 0 under the default int32.

        Ids outside ``[0, num_classes)``, and ``ignore_class``, are not counted; as in Keras,
        float ids are truncated toward zero.
        """
        xp = backend.xp()
        y_true, y_pred = data(y_true), data(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        true, pred = y_true.astype(self.dtype).ravel(), y_pred.astype(self.dtype).ravel()
        if true.shape != pred.shape:
            raise ValueError(f"{self.name}: y_true of shape {tuple(y_true.shape)} and y_pred of shape "
                             f"{tuple(y_pred.shape)} hold different numbers of class ids ({true.size} and "
                             f"{pred.size})")
        keep = (true >= 0) & (true < self.num_classes) & (pred >= 0) & (pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= true != self.ignore_class
        weight = None
        if sample_weight is not None:
            weight = data(sample_weight)
            if weight.dtype.kind == "f" and xp.dtype(self.dtype).kind in "iu":
                warnings.warn(f"{self.name}: sample_weight is float but the metric counts in {self.dtype}, so "
                              "fractional weights are truncated (as in Keras); pass integer weights or "
                              "dtype='float32'", stacklevel=2)
            weight = weight.astype(self.dtype)
            weight = weight.ravel() if weight.size == true.size else _weights_like(weight, y_true.shape).ravel()
            weight = weight[keep]
        cell = true[keep].astype("int64") * self.num_classes + pred[keep].astype("int64")
        counts = xp.bincount(cell, weight, minlength=self.num_classes ** 2)
        self.total_cm = self.total_cm + counts.astype(self.dtype).reshape(self.num_classes, self.num_classes)

    def reset_state(self):
        self.total_cm = backend.xp().zeros((self.num_classes, self.num_classes), self.dtype)


class IoU(_IoUBase):
    """Intersection over union, ``TP / (TP + FP + FN)``, averaged over ``target_class_ids``.

    Labels and predictions are integer class ids (``sparse_y_true``/``sparse_y_pred``) or scores
    whose ``argmax`` along ``axis`` is taken; the counts are accumulated over all batches, and a
    target class absent from both labels and predictions is left out of the mean.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoUs are averaged (one id: that class's IoU).
        name: the metric's name (default ``"io_u"``).
        dtype: the confusion matrix's dtype (default ``"int32"``, as Keras: use ``"float32"`` for
            fractional sample weights).
        ignore_class: a class id (e.g. a "void" label) whose pixels are not counted.
        sparse_y_true: whether labels are class ids (else the argmax along ``axis``).
        sparse_y_pred: whether predictions are class ids (else the argmax along ``axis``).
        axis: the class axis of dense labels or predictions.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)     # class 0: 1 / (2 + 2 - 1)
        0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(target_class_ids)
        if not target_class_ids or max(target_class_ids) >= num_classes or min(target_class_ids) < 0:
            raise ValueError(f"{type(self).__name__}: target_class_ids must be class ids in [0, {num_classes}), "
                             f"received {target_class_ids}")
        self.target_class_ids = target_class_ids

    def result(self):
        """The mean IoU of the target classes seen so far, as a Python float (computed in float32)."""
        xp = backend.xp()
        cm = self.total_cm
        true_positives = xp.diagonal(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - true_positives)[self.target_class_ids].astype("float32")
        true_positives = true_positives[self.target_class_ids].astype("float32")
        valid = denominator > 1e-9
        epsilon = xp.float32(backend.epsilon())
        iou = xp.where(valid, true_positives / (denominator + epsilon), xp.float32(0))
        return float(iou.sum(dtype="float32") / (valid.sum(dtype="float32") + epsilon))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task whose predictions are scores: ``y_pred >= threshold`` counts as class 1.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (the mean of both, the default).
        threshold: predictions at or above it are class 1, below it class 0.
        name, dtype: see :class:`IoU`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(m.result(), 4)     # predicted [0, 0, 1, 1]: IoUs 1/3 and 1/3
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add one batch: labels 0/1, predictions thresholded (see :meth:`IoU.update_state`)."""
        y_pred = data(y_pred).astype("float32") >= self.threshold
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean of every class's IoU (classes absent from labels and predictions left out).

    Args:
        num_classes: the number of classes.
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: see :class:`IoU`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.MeanIoU(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 2, 2]], [[0, 1, 1], [1, 2, 0]])
        >>> round(m.result(), 4)     # IoUs 1/3, 2/3, 1/2
        0.5
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels; predictions are scores (or class ids with ``sparse_y_pred``).

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class, sparse_y_pred, axis: see :class:`IoU`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(m.result(), 4)     # class 0: 0 / 3, class 2: 1 / 3
        0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids, "name": self.name,
                "dtype": self.dtype, "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels; predictions are scores (or class ids with ``sparse_y_pred``).

    Args:
        num_classes, name, dtype, ignore_class, sparse_y_pred, axis: see :class:`IoU`.

    Example:
        >>> import striate as keras
        >>> m = keras.metrics.OneHotMeanIoU(num_classes=3)
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
        >>> round(m.result(), 4)     # IoUs 0, 0 and 1/3
        0.1111
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
