import os

import pytest

from striate.datasets import DatasetError, fashion_mnist, mnist
from idx_fakes import assert_loaded, fake_arrays, spec_for, write_fake


def test_canonical_files_and_checksums():
    spec = fashion_mnist.FASHION_MNIST
    assert [f.filename for f in spec.files] == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert spec.files[0].md5 == ("8d4fb7e6c68d591d4c3dfef9ec88bf0d",)
    assert all(m.startswith("https://") and m.endswith("/") for m in spec.mirrors)


def test_loads_fake_files_from_its_folder(isolated, monkeypatch):
    data, _ = isolated
    arrays = fake_arrays(3)
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST", spec_for(fashion_mnist.FASHION_MNIST, arrays))
    write_fake(data / "fashion-mnist", arrays)
    assert_loaded(fashion_mnist.load_data(download=False), arrays)


def test_skips_mnist_files_of_the_same_names(isolated, monkeypatch):
    data, home = isolated
    digits, clothes = fake_arrays(1), fake_arrays(2)
    monkeypatch.setattr(mnist, "MNIST", spec_for(mnist.MNIST, digits))
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST",
                        spec_for(fashion_mnist.FASHION_MNIST, clothes))
    write_fake(data, digits)                                   # MNIST directly in $STRIATE_DATA
    write_fake(home / ".striate" / "datasets" / "fashion-mnist", clothes)
    assert_loaded(mnist.load_data(download=False), digits)
    assert_loaded(fashion_mnist.load_data(download=False), clothes)
    os.remove(home / ".striate" / "datasets" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz has md5"):
        fashion_mnist.load_data(download=False)


def test_download_with_checksum_verification(isolated, tmp_path, monkeypatch):
    _, home = isolated
    arrays = fake_arrays(4)
    write_fake(tmp_path / "mirror", arrays)
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST", spec_for(
        fashion_mnist.FASHION_MNIST, arrays, mirrors=[(tmp_path / "mirror").as_uri() + "/"]))
    assert_loaded(fashion_mnist.load_data(), arrays)
    assert len(os.listdir(home / ".striate" / "datasets" / "fashion-mnist")) == 4


def test_not_available_offline(isolated):
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST could not be loaded"):
        fashion_mnist.load_data(download=False)
