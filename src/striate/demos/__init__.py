"""The lectures' demos, each a module with a ``run(...)`` function that the ``striate demo`` command calls.

- ``striate demo``: the MNIST comparison of seed 000 (feed-forward net vs small CNN), in ``striate.cli``.
- ``striate demo transfer`` (:mod:`striate.demos.transfer`): a convnet trained on digits 0-4 reused for
  digits 5-9 from 100 labelled images per class: frozen features, fine-tuning, and training from scratch.
- ``striate demo segmentation`` (:mod:`striate.demos.segmentation`): a U-Net on scenes of MNIST digits.

Each works on a fresh clone: without MNIST it says so and uses the embedded shapes dataset.
"""
from striate import datasets

DATASETS = ("auto", "mnist", "shapes")


def load_dataset(dataset="auto"):
    """The digits a demo learns: MNIST, or the embedded shapes dataset when MNIST is not found.

    Args:
        dataset: ``"auto"`` (MNIST if it can be had, else shapes), ``"mnist"`` or ``"shapes"``.

    Returns:
        ``(data, name, reason)`` as :func:`striate.datasets.load_mnist_or_shapes` returns them.

    Example:
        >>> from striate import demos
        >>> ((x_train, y_train), (x_test, y_test)), name, reason = demos.load_dataset("shapes")
        >>> name, reason, x_train.shape
        ('shapes (embedded)', 'asked for', (6000, 28, 28))
    """
    if dataset == "shapes":
        return datasets.shapes.load_data(), datasets.SHAPES_NAME, "asked for"
    if dataset == "mnist":
        return datasets.mnist.load_data(), "MNIST", "asked for"
    if dataset == "auto":
        return datasets.load_mnist_or_shapes()
    raise ValueError(f"dataset must be 'auto', 'mnist' or 'shapes', received {dataset!r}")
