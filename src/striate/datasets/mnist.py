"""MNIST: 70,000 28x28 grayscale images of handwritten digits, in Keras's format."""
from striate.datasets._files import IdxDataset, IdxFile, load_idx_dataset

MNIST = IdxDataset(
    name="mnist",
    title="MNIST",
    files=(
        IdxFile("train-images-idx3-ubyte.gz",
                ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb")),
        IdxFile("train-labels-idx1-ubyte.gz",
                ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624")),
        IdxFile("t10k-images-idx3-ubyte.gz",
                ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea")),
        IdxFile("t10k-labels-idx1-ubyte.gz",
                ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637")),
    ),
    mirrors=("https://storage.googleapis.com/cvdf-datasets/mnist/",
             "https://ossci-datasets.s3.amazonaws.com/mnist/"),
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)


def load_data(path="mnist.npz", download=True):
    """Load MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Looks in each folder of ``$STRIATE_DATA`` (``DIR/mnist/`` then ``DIR/``), then in
    ``~/.striate/datasets/mnist/``, for the four canonical IDX files
    (``train-images-idx3-ubyte.gz``, ...) or else Keras's ``mnist.npz``; every file's checksum is
    verified. Missing files are downloaded from the canonical mirrors to
    ``~/.striate/datasets/mnist/``.

    Args:
        path: name (or absolute path) of a Keras ``mnist.npz`` archive to accept instead of the
            IDX files.
        download: whether to download missing files.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,).

    Raises:
        FileNotFoundError: not found and not downloadable; the message says where it looked.
        striate.datasets.DatasetError: a file is corrupt or fails its checksum.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = striate.datasets.mnist.load_data()
        >>> x_train.shape
        (60000, 28, 28)
    """
    return load_idx_dataset(MNIST, npz=path, download_missing=download)
