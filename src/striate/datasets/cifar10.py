"""CIFAR-10: 60,000 32x32 colour images of 10 classes, in Keras's format."""
from striate.datasets.cifar import CifarSpec, load

CIFAR10 = CifarSpec(
    title="CIFAR-10",
    folder="cifar-10-batches-py",
    origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    train=tuple(f"data_batch_{i}" for i in range(1, 6)),
    test=("test_batch",),
)

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(download=True):
    """Load CIFAR-10 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Looks in each folder ``DIR`` of ``$STRIATE_DATA`` for the extracted ``cifar-10-batches-py/``
    or the archive ``cifar-10-python.tar.gz``, then in ``~/.striate/datasets/``; else downloads the
    archive from Keras's URL. The archive's sha256 is checked, and the pickled batches are read
    without running any code they might name.

    Args:
        download: whether to download the archive when it is not found.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3),
        (50000, 1), (10000, 32, 32, 3) and (10000, 1); label ``i`` is ``CLASS_NAMES[i]``.

    Raises:
        FileNotFoundError: not found and not downloadable; the message says where it looked.
        striate.datasets.DatasetError: the archive fails its checksum, or a file is not a CIFAR batch.

    Example:
        >>> import striate as keras
        >>> (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    return load(CIFAR10, "labels", "uint8", download)
