"""Fake MNIST-like IDX files, and dataset descriptions whose checksums match them."""
import dataclasses
import gzip
import hashlib
import struct

import numpy as np

from striate.datasets._files import IdxFile

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(array):
    """The IDX encoding of a uint8 array."""
    return bytes((0, 0, 8, array.ndim)) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.tobytes()


def fake_arrays(seed, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n_test, dtype=np.uint8)]


def write_fake(folder, arrays, names=NAMES):
    """Write ``arrays`` as gzipped IDX files in ``folder``; return the payloads written."""
    folder.mkdir(parents=True, exist_ok=True)
    payloads = [gzip.compress(idx_bytes(a), mtime=0) for a in arrays]
    for name, payload in zip(names, payloads):
        (folder / name).write_bytes(payload)
    return payloads


def md5(data):
    return hashlib.md5(data).hexdigest()


def spec_for(spec, arrays, mirrors=()):
    """``spec`` with the checksums of ``arrays`` as written by :func:`write_fake`."""
    files = tuple(IdxFile(f.filename, (md5(gzip.compress(idx_bytes(a), mtime=0)),))
                  for f, a in zip(spec.files, arrays))
    return dataclasses.replace(spec, files=files, mirrors=tuple(mirrors))


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, want in zip((x_train, y_train, x_test, y_test), arrays):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
