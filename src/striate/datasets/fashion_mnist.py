"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing, in Keras's format."""
from striate.datasets._files import IdxDataset, IdxFile, load_idx_dataset

FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    files=(
        IdxFile("train-images-idx3-ubyte.gz", ("8d4fb7e6c68d591d4c3dfef9ec88bf0d",)),
        IdxFile("train-labels-idx1-ubyte.gz", ("25c81989df183df01b3e8a0aad5dffbe",)),
        IdxFile("t10k-images-idx3-ubyte.gz", ("bef4ecab320f06d8554ea6380940ec79",)),
        IdxFile("t10k-labels-idx1-ubyte.gz", ("bb300cfdad3c16e7a12a480ee83cd310",)),
    ),
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
)

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def load_data(download=True):
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Looks in each folder of ``$STRIATE_DATA`` (``DIR/fashion-mnist/`` then ``DIR/``), then in
    ``~/.striate/datasets/fashion-mnist/``, for the four canonical IDX files, verifying their
    checksums; missing files are downloaded to ``~/.striate/datasets/fashion-mnist/``.

    Args:
        download: whether to download missing files.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,); label ``i`` is ``CLASS_NAMES[i]``.

    Raises:
        FileNotFoundError: not found and not downloadable; the message says where it looked.
        striate.datasets.DatasetError: a file is corrupt or fails its checksum.

    Example:
        >>> import striate as keras
        >>> (x_train, y_train), _ = keras.datasets.fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, keras.datasets.fashion_mnist.CLASS_NAMES[y_train[0]]  # doctest: +SKIP
        ((60000, 28, 28), 'Ankle boot')
    """
    return load_idx_dataset(FASHION_MNIST, download_missing=download)
