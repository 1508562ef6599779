"""plot_history: one subplot per metric, the logged values as lines against 1-based epochs."""
import numpy as np
import pytest

import striate as keras
from striate.visualize import plot_history

pytest.importorskip("matplotlib")

LOGS = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85], "val_loss": [1.0, 0.7, 0.65],
        "val_accuracy": [0.5, 0.7, 0.75]}


def _lines(axes):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in axes.lines}


def test_one_line_per_metric_and_split_with_the_logged_values():
    figure = plot_history(LOGS)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    for axes, name in zip(figure.axes, ["loss", "accuracy"]):
        assert _lines(axes) == {"training": ([1, 2, 3], LOGS[name]), "validation": ([1, 2, 3], LOGS["val_" + name])}
        assert axes.get_xlabel() == "epoch" and axes.get_ylabel() == name
        assert [t.get_text() for t in axes.get_legend().get_texts()] == ["training", "validation"]


def test_loss_comes_first_and_metrics_pick_and_order_the_subplots():
    logs = {"accuracy": [0.5, 0.6], "loss": [2.0, 1.0]}
    assert [a.get_title() for a in plot_history(logs).axes] == ["loss", "accuracy"]
    figure = plot_history(LOGS, metrics=["accuracy"])
    assert [a.get_title() for a in figure.axes] == ["accuracy"]
    with pytest.raises(ValueError, match="'precision'.*loss, accuracy"):
        plot_history(LOGS, metrics=["precision"])


def test_a_history_from_fit_numbers_epochs_as_fit_prints_them():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(20, 2), np.random.rand(20)
    history = model.fit(x, y, epochs=4, initial_epoch=1, validation_split=0.25, verbose=0)
    lines = _lines(plot_history(history).axes[0])
    assert lines["training"] == ([2, 3, 4], history.history["loss"])
    assert lines["validation"] == ([2, 3, 4], history.history["val_loss"])


def test_without_validation_there_is_only_the_training_line():
    figure = plot_history({"loss": [3.0, 2.0]})
    assert list(_lines(figure.axes[0])) == ["training"]


def test_an_empty_history_is_refused():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_history({})
