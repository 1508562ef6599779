"""Training curves: each logged metric per epoch, training beside validation."""
import math

from striate.visualize._figure import finish, new_figure


def plot_history(history, metrics=None, to_file=None, dpi=100):
    """Plot the training (and validation) curves of a ``fit`` run, one subplot per metric.

    Each subplot shows the training values of one metric and, when logged, its ``val_`` values,
    against the epoch numbered from 1 as ``fit`` prints it (``Epoch 1/10``); a run resumed with
    ``initial_epoch`` keeps its numbers.

    Args:
        history: the History ``fit`` returns, or its ``history`` dict (``{"loss": [...], ...}``).
        metrics: the names to plot, in order, without the ``val_`` prefix; default: ``"loss"`` first,
            then every other logged name in the order logged.
        to_file: optional path to save the figure to (the format from its extension: ``.png``, ``.pdf``,
            ``.svg``, ...), written atomically.
        dpi: the resolution of the saved file.

    Returns:
        The matplotlib Figure.

    Example:
        >>> figure = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
        ...                        "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.5, 0.7, 0.75]},
        ...                       to_file="history.png")
        >>> [axes.get_title() for axes in figure.axes]
        ['loss', 'accuracy']
        >>> figure.axes[0].lines[1].get_xydata().tolist()
        [[1.0, 1.0], [2.0, 0.7], [3.0, 0.6]]
    """
    logs = history.history if hasattr(history, "history") else history
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history expects a History or a non-empty dict of per-epoch values, received "
                         f"{type(history).__name__} {logs!r:.100}")
    first = history.epoch[0] + 1 if getattr(history, "epoch", None) else 1
    logged = [name for name in logs if not name.startswith("val_")]
    if metrics is None:
        metrics = sorted(logged, key=lambda name: name != "loss")
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [name for name in metrics if name not in logs]
        if unknown or not metrics:
            raise ValueError(f"plot_history: metrics {metrics!r} must be logged names, the history has "
                             f"{', '.join(logged)}")
    columns = min(len(metrics), 3)
    rows = math.ceil(len(metrics) / columns)
    figure = new_figure("plot_history", (4.2 * columns, 3.2 * rows))
    for k, name in enumerate(metrics):
        axes = figure.add_subplot(rows, columns, k + 1)
        for key, label, style in ((name, "training", "o-"), ("val_" + name, "validation", "s--")):
            if key in logs:
                values = [float(v) for v in logs[key]]
                axes.plot(range(first, first + len(values)), values, style, markersize=3, label=label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(alpha=0.3)
        axes.legend()
    return finish(figure, to_file, dpi)
