"""CIFAR-100: 60,000 32x32 colour images of 100 classes in 20 superclasses, in Keras's format."""
from striate.datasets.cifar import CifarSpec, load

CIFAR100 = CifarSpec(
    title="CIFAR-100",
    folder="cifar-100-python",
    origin="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    sha256="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    train=("train",),
    test=("test",),
)


def load_data(label_mode="fine", download=True):
    """Load CIFAR-100 as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Looks in each folder ``DIR`` of ``$STRIATE_DATA`` for the extracted ``cifar-100-python/`` or
    the archive ``cifar-100-python.tar.gz``, then in ``~/.striate/datasets/``; else downloads the
    archive from Keras's URL. The archive's sha256 is checked, and the pickled batches are read
    without running any code they might name.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
        download: whether to download the archive when it is not found.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shapes (50000, 32, 32, 3) and
        (10000, 32, 32, 3), int64 labels of shapes (50000, 1) and (10000, 1) (Keras's dtypes).

    Raises:
        ValueError: ``label_mode`` is neither ``"fine"`` nor ``"coarse"``.
        FileNotFoundError: not found and not downloadable; the message says where it looked.
        striate.datasets.DatasetError: the archive fails its checksum, or a file is not a CIFAR batch.

    Example:
        >>> import striate as keras
        >>> (x_train, y_train), _ = keras.datasets.cifar100.load_data("coarse")  # doctest: +SKIP
        >>> int(y_train.max()) + 1  # doctest: +SKIP
        20
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse', received {label_mode!r}")
    return load(CIFAR100, f"{label_mode}_labels", "int64", download)
