"""plot_confusion_matrix: the image is striate.metrics.confusion_matrix, the cells say its values."""
import numpy as np
import pytest

from striate.metrics import confusion_matrix
from striate.visualize import plot_confusion_matrix

pytest.importorskip("matplotlib")

Y_TRUE = [0, 0, 1, 1, 1, 2, 2, 2, 2]
Y_PRED = [0, 1, 1, 1, 2, 2, 2, 0, 2]
COUNTS = [[1, 1, 0], [0, 2, 1], [1, 0, 3]]


def _cells(axes):
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in axes.texts}


def test_the_image_is_the_matrix_and_each_cell_its_count():
    figure = plot_confusion_matrix(Y_TRUE, Y_PRED)
    axes = figure.axes[0]
    np.testing.assert_array_equal(axes.images[0].get_array(), COUNTS)
    np.testing.assert_array_equal(COUNTS, confusion_matrix(Y_TRUE, Y_PRED, num_classes=3))
    assert _cells(axes) == {(i, j): str(COUNTS[i][j]) for i in range(3) for j in range(3)}
    assert axes.get_ylabel() == "true" and axes.get_xlabel() == "predicted"
    assert len(figure.axes) == 2  # the matrix and its colour bar


def test_probabilities_and_class_names():
    probs = np.eye(3)[Y_PRED] * 0.8 + 0.05
    figure = plot_confusion_matrix(Y_TRUE, probs, class_names=["cat", "dog", "fox"])
    axes = figure.axes[0]
    np.testing.assert_array_equal(axes.images[0].get_array(), COUNTS)
    assert [t.get_text() for t in axes.get_xticklabels()] == ["cat", "dog", "fox"]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["cat", "dog", "fox"]


def test_class_names_set_the_number_of_classes():
    figure = plot_confusion_matrix([0, 1], [1, 1], class_names=["a", "b", "c", "d"])
    assert figure.axes[0].images[0].get_array().shape == (4, 4)


@pytest.mark.parametrize("normalize, axis", [(True, 1), ("true", 1), ("pred", 0), ("all", None)])
def test_normalized_matrices_divide_rows_columns_or_the_whole(normalize, axis):
    figure = plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=normalize)
    counts = np.array(COUNTS, float)
    want = counts / (counts.sum() if axis is None else counts.sum(axis=axis, keepdims=True))
    axes = figure.axes[0]
    np.testing.assert_allclose(axes.images[0].get_array(), want)
    assert _cells(axes)[(2, 2)] == f"{want[2, 2]:.2f}"
    with pytest.raises(ValueError, match="normalize must be False, True, 'true', 'pred' or 'all', received 'rows'"):
        plot_confusion_matrix(Y_TRUE, Y_PRED, normalize="rows")


def test_binary_probabilities_are_thresholded_at_one_half():
    figure = plot_confusion_matrix([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.7])
    np.testing.assert_array_equal(figure.axes[0].images[0].get_array(), [[1, 1], [1, 1]])
