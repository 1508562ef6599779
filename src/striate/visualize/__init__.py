"""Pictures of training and of what a network learned: training curves, filters, feature maps, confusion
matrices, weight histograms, Grad-CAM heat maps and the inputs that excite a filter most.

Every ``plot_*`` function returns a ``matplotlib.figure.Figure`` (drawn by the Agg canvas, without
pyplot, so nothing global changes and no display is needed) and, given ``to_file``, also writes it
there atomically. matplotlib is the optional extra ``striate[plot]``, imported on first use:
``import striate.visualize`` does not load it. :func:`grad_cam` and :func:`max_activation` compute
arrays and need no matplotlib.

Example:
    >>> from striate import visualize
    >>> figure = visualize.plot_history({"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.7]})
    >>> [line.get_label() for line in figure.axes[0].lines]
    ['training', 'validation']
"""
from striate.visualize.activation import max_activation, plot_max_activations
from striate.visualize.cam import grad_cam, plot_grad_cam
from striate.visualize.confusion import plot_confusion_matrix
from striate.visualize.history import plot_history
from striate.visualize.maps import plot_feature_maps
from striate.visualize.weights import plot_filters, plot_weight_histograms

__all__ = ["grad_cam", "max_activation", "plot_confusion_matrix", "plot_feature_maps", "plot_filters",
           "plot_grad_cam", "plot_history", "plot_max_activations", "plot_weight_histograms"]
