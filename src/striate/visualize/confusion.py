"""The confusion matrix as a picture: true classes down, predicted classes across, counts in the cells."""
import numpy as np

from striate.metrics import confusion_matrix
from striate.visualize._figure import finish, new_figure

_NORMALIZED = {True: ("true", 1), "true": ("true", 1), "pred": ("predicted", 0), "all": ("all", None)}


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, to_file=None, dpi=100,
                          cmap="Blues"):
    """Show the confusion matrix of predictions, its value written in each cell, with a colour bar.

    The matrix is :func:`striate.metrics.confusion_matrix`'s: rows are true classes, columns
    predicted ones.

    Args:
        y_true: integer labels (or one-hot rows).
        y_pred: integer predictions, or scores / probabilities with a last axis of one per class (the
            argmax is taken), or for two classes the probability of class 1.
        class_names: one name per class for the ticks; its length sets the number of classes
            (default: the scores' last axis, else the largest class id + 1).
        normalize: ``False`` for counts; ``True`` or ``"true"`` to divide each row by its sum (the
            fraction of each true class), ``"pred"`` each column, ``"all"`` the whole matrix.
        to_file: optional path to save the figure to (format from its extension), written atomically.
        dpi: the resolution of the saved file.
        cmap: the colour map.

    Returns:
        The matplotlib Figure; its first axes holds the matrix image.

    Example:
        >>> figure = plot_confusion_matrix([0, 1, 1, 2], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7],
        ...                                               [0.1, 0.8, 0.1], [0.0, 0.1, 0.9]],
        ...                                class_names=["cat", "dog", "fox"], to_file="confusion.png")
        >>> figure.axes[0].images[0].get_array().tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    if normalize is not False and normalize not in _NORMALIZED:
        raise ValueError(f"plot_confusion_matrix: normalize must be False, True, 'true', 'pred' or 'all', "
                         f"received {normalize!r}")
    num_classes = len(class_names) if class_names is not None else _num_classes(y_true, y_pred)
    counts = confusion_matrix(y_true, y_pred, num_classes=num_classes)
    names = [str(n) for n in class_names] if class_names is not None else [str(k) for k in range(num_classes)]
    matrix, text = counts, "{:d}"
    if normalize is not False:
        over, axis = _NORMALIZED[normalize]
        totals = counts.sum() if axis is None else counts.sum(axis=axis, keepdims=True)
        matrix, text = counts / np.maximum(totals, 1), "{:.2f}"
    side = max(4.0, 0.45 * num_classes + 2.5)
    figure = new_figure("plot_confusion_matrix", (side + 1.0, side))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap=cmap, interpolation="nearest")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    font = max(5, min(10, 120 // num_classes))
    dark = matrix.max() / 2
    for (i, j), value in np.ndenumerate(matrix):
        axes.text(j, i, text.format(value), ha="center", va="center", fontsize=font,
                  color="white" if value > dark else "black")
    axes.set_xticks(range(num_classes), names, rotation=45 if max(map(len, names)) > 2 else 0, fontsize=font)
    axes.set_yticks(range(num_classes), names, fontsize=font)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title("confusion matrix" + (f" (normalized over {over})" if normalize is not False else ""))
    return finish(figure, to_file, dpi)


def _num_classes(y_true, y_pred):
    """The number of classes the labels and predictions show: the scores' last axis, else the largest id + 1."""
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    for y in (pred, true):
        if y.ndim >= 2 and y.shape[-1] > 1:
            return y.shape[-1]
    if pred.dtype.kind == "f" and not np.all(pred == np.round(pred)):
        return 2
    return int(max(true.max(initial=0), pred.max(initial=0))) + 1
