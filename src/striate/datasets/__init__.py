"""Datasets in Keras's format: ``(x_train, y_train), (x_test, y_test)`` of uint8 NumPy arrays.

- ``mnist``, ``fashion_mnist``, ``cifar10`` and ``cifar100``: found under ``$STRIATE_DATA`` or
  ``~/.striate/datasets``, else downloaded, always checksum-verified.
- ``shapes``: drawn on the spot, needs no files.
- ``mnist_segmentation``: scenes of 2-4 MNIST digits with a class label per pixel.

Example:
    >>> from striate.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
"""
from striate.datasets import cifar10, cifar100, fashion_mnist, mnist, shapes
from striate.datasets import mnist_scenes as mnist_segmentation
from striate.datasets._files import DatasetError

SHAPES_NAME = "shapes (embedded)"


def load_mnist_or_shapes(download=True):
    """Load MNIST when it can be had, else the embedded shapes dataset.

    Args:
        download: whether MNIST may be downloaded when it is not found locally.

    Returns:
        ``(data, name, reason)``: ``data`` as from ``mnist.load_data()``; ``name`` is ``"MNIST"``
        or ``"shapes (embedded)"``; ``reason`` is one line saying where MNIST came from or why it
        could not be used.

    Example:
        >>> from striate.datasets import load_mnist_or_shapes
        >>> ((x_train, y_train), (x_test, y_test)), name, reason = load_mnist_or_shapes()
        >>> print(f"Dataset: {name} ({reason})")
        Dataset: MNIST (MNIST found (checksums verified))
    """
    fix = "set STRIATE_DATA=DIR with the MNIST IDX files in DIR/mnist/ to use it"
    try:
        data = mnist.load_data(download=download)
    except FileNotFoundError:
        where = "found locally nor downloaded" if download else "found locally"
        return shapes.load_data(), SHAPES_NAME, f"MNIST was not {where}; {fix}"
    except DatasetError:
        return shapes.load_data(), SHAPES_NAME, (
            "MNIST files were found but are corrupt or fail their checksums "
            f"(mnist.load_data() says which); {fix}")
    return data, "MNIST", "MNIST found (checksums verified)"
