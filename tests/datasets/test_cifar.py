"""datasets.cifar10 / cifar100 on small archives written in the real format (pickled batches in a tar.gz)."""
import dataclasses
import hashlib
import io
import os
import pickle
import socket
import struct
import tarfile

import numpy as np
import pytest

from striate.datasets import DatasetError, cifar, cifar10, cifar100

keras = pytest.importorskip("keras")


class _Python2Pickler(pickle._Pickler):
    """Protocol 2 with bytes written as Python 2 wrote its str (the CIFAR files came from Python 2)."""

    def save_bytes(self, obj):
        n = len(obj)
        self.write((pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n))
                   + obj)
        self.memoize(obj)

    dispatch = {**pickle._Pickler.dispatch, bytes: save_bytes}


def _pickle(batch):
    """A batch pickled as the CIFAR files are: Python 2's protocol 2, NumPy 1's module names."""
    out = io.BytesIO()
    _Python2Pickler(out, protocol=2).dump(batch)
    return out.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def _batch(rng, n, label_keys):
    batch = {b"batch_label": b"a fake batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    for key, classes in label_keys:
        batch[key] = [int(v) for v in rng.integers(0, classes, n)]
    return batch


def _fake(spec, seed=0):
    """``{member: batch}`` for ``spec``: a few images per batch file."""
    rng = np.random.default_rng(seed)
    keys = [(b"labels", 10)] if spec.folder.startswith("cifar-10-") else [(b"fine_labels", 100),
                                                                           (b"coarse_labels", 20)]
    return {name: _batch(rng, 3 + i, keys) for i, name in enumerate(spec.train + spec.test)}


def _archive(path, spec, batches, extra=()):
    """Write the tar.gz of ``batches`` (as its real members, in ``spec.folder/``); return its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        members = [(f"{spec.folder}/{name}", _pickle(b)) for name, b in batches.items()]
        for name, data in members + [(f"{spec.folder}/readme.html", b"<html/>")] + list(extra):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_folder(folder, batches):
    folder.mkdir(parents=True)
    for name, batch in batches.items():
        (folder / name).write_bytes(_pickle(batch))


def _expected(batches, names, label_key, dtype):
    x = np.concatenate([b[b"data"] for n, b in batches.items() if n in names]).reshape(-1, 3, 32, 32)
    y = np.concatenate([b[label_key] for n, b in batches.items() if n in names]).astype(dtype)
    return x.transpose(0, 2, 3, 1), y.reshape(-1, 1)


def _check(loaded, batches, spec, label_key, dtype):
    for (x, y), names in zip(loaded, (spec.train, spec.test)):
        want_x, want_y = _expected(batches, names, label_key, dtype)
        assert x.dtype == np.uint8 and x.shape[1:] == (32, 32, 3) and y.dtype == dtype and y.shape[1] == 1
        np.testing.assert_array_equal(x, want_x)
        np.testing.assert_array_equal(y, want_y)


def _closed_port_url(name):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/{name}"


@pytest.mark.parametrize("layout", ["{folder}", "{folder}-target/{folder}"])   # plain, and Keras's cache
def test_cifar10_from_striate_data_folder(isolated, layout):
    data, _ = isolated
    batches = _fake(cifar10.CIFAR10)
    _write_folder(data / layout.format(folder="cifar-10-batches-py"), batches)
    _check(cifar10.load_data(download=False), batches, cifar10.CIFAR10, b"labels", np.uint8)


def test_batches_read_as_keras_reads_them(isolated):
    data, _ = isolated
    from keras.src.datasets.cifar import load_batch
    batches = _fake(cifar10.CIFAR10)
    _write_folder(data / "cifar-10-batches-py", batches)
    for name in batches:
        ours, theirs = (f(str(data / "cifar-10-batches-py" / name)) for f in (cifar.load_batch, load_batch))
        np.testing.assert_array_equal(ours[0], theirs[0])
        assert ours[1] == theirs[1]


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras_load_data(isolated, monkeypatch, label_mode):
    data, _ = isolated
    batches = _fake(cifar100.CIFAR100)
    _write_folder(data / "cifar-100-python", batches)
    ours = cifar100.load_data(label_mode, download=False)
    _check(ours, batches, cifar100.CIFAR100, f"{label_mode}_labels".encode(), np.int64)
    import keras.src.datasets.cifar100 as keras_cifar100
    monkeypatch.setattr(keras_cifar100, "get_file", lambda **kwargs: str(data))
    theirs = keras_cifar100.load_data(label_mode)
    for a, b in zip([*ours[0], *ours[1]], [*theirs[0], *theirs[1]]):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse', received 'medium'"):
        cifar100.load_data("medium")


def test_archive_in_striate_data_is_checked_extracted_and_cached(isolated, monkeypatch):
    data, home = isolated
    batches = _fake(cifar10.CIFAR10, seed=3)
    sha = _archive(data / "cifar-10-python.tar.gz", cifar10.CIFAR10, batches)
    monkeypatch.setattr(cifar10, "CIFAR10", dataclasses.replace(cifar10.CIFAR10, sha256=sha))
    _check(cifar10.load_data(download=False), batches, cifar10.CIFAR10, b"labels", np.uint8)
    cached = home / ".striate" / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    assert sorted(os.listdir(cached)) == sorted(list(batches) + ["readme.html"])
    (data / "cifar-10-python.tar.gz").unlink()
    _check(cifar10.load_data(download=False), batches, cifar10.CIFAR10, b"labels", np.uint8)


def test_archive_with_wrong_checksum_is_refused(isolated):
    data, _ = isolated
    _archive(data / "cifar-10-python.tar.gz", cifar10.CIFAR10, _fake(cifar10.CIFAR10))
    with pytest.raises(DatasetError, match=f"sha256 hash .*, expected {cifar10.CIFAR10.sha256}"):
        cifar10.load_data(download=False)


def test_download_through_get_file(isolated, tmp_path, monkeypatch, capsys):
    _, home = isolated
    batches = _fake(cifar100.CIFAR100, seed=5)
    sha = _archive(tmp_path / "mirror" / "cifar-100-python.tar.gz", cifar100.CIFAR100, batches)
    origin = (tmp_path / "mirror" / "cifar-100-python.tar.gz").as_uri()
    monkeypatch.setattr(cifar100, "CIFAR100", dataclasses.replace(cifar100.CIFAR100, origin=origin, sha256=sha))
    _check(cifar100.load_data(), batches, cifar100.CIFAR100, b"fine_labels", np.int64)
    assert f"Downloading data from {origin}" in capsys.readouterr().out
    assert (home / ".striate" / "datasets" / "cifar-100-python-target_archive").is_file()
    _check(cifar100.load_data("coarse"), batches, cifar100.CIFAR100, b"coarse_labels", np.int64)
    assert "Downloading" not in capsys.readouterr().out


def test_downloaded_archive_with_wrong_checksum(isolated, tmp_path, monkeypatch):
    _, home = isolated
    _archive(tmp_path / "cifar-10-python.tar.gz", cifar10.CIFAR10, _fake(cifar10.CIFAR10))
    origin = (tmp_path / "cifar-10-python.tar.gz").as_uri()
    monkeypatch.setattr(cifar10, "CIFAR10", dataclasses.replace(cifar10.CIFAR10, origin=origin))
    with pytest.raises(DatasetError, match=f"downloaded from {origin} has sha256 hash"):
        cifar10.load_data()
    assert os.listdir(home / ".striate" / "datasets") == []


def test_offline_errors_say_where_to_put_the_files(isolated, monkeypatch):
    data, home = isolated
    with pytest.raises(FileNotFoundError) as error:
        cifar10.load_data(download=False)
    message = str(error.value)
    assert "download=False" in message and str(data / "cifar-10-python.tar.gz") in message
    assert "STRIATE_DATA=DIR" in message
    origin = _closed_port_url("cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar10, "CIFAR10", dataclasses.replace(cifar10.CIFAR10, origin=origin))
    with pytest.raises(FileNotFoundError) as error:
        cifar10.load_data()
    message = str(error.value)
    assert origin in message and "STRIATE_DATA=DIR" in message
    assert str(home / ".striate" / "datasets" / "cifar-10-batches-py-target_archive") in message


class _Exploit:
    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


@pytest.mark.parametrize("payload", [
    lambda marker: _Exploit(os.system, f"touch {marker}"),
    lambda marker: _Exploit(eval, f"open({str(marker)!r}, 'w')"),
    lambda marker: {b"data": _Exploit(np.save, str(marker), np.zeros(1)), b"labels": []},
])
def test_hostile_pickle_is_refused(isolated, tmp_path, payload):
    data, _ = isolated
    marker = tmp_path / "pwned"
    batches = _fake(cifar10.CIFAR10)
    _write_folder(data / "cifar-10-batches-py", batches)
    (data / "cifar-10-batches-py" / "data_batch_2").write_bytes(pickle.dumps(payload(marker), protocol=2))
    with pytest.raises(DatasetError, match="data_batch_2 .*refusing to unpickle"):
        cifar10.load_data(download=False)
    assert not marker.exists() and not marker.with_suffix(".npy").exists()


def test_wrong_content_is_a_dataset_error(isolated):
    data, _ = isolated
    batches = _fake(cifar10.CIFAR10)
    batches["test_batch"][b"data"] = batches["test_batch"][b"data"][:, :100]
    _write_folder(data / "cifar-10-batches-py", batches)
    with pytest.raises(DatasetError, match=r"test_batch: expected uint8 data of shape \(N, 3072\)"):
        cifar10.load_data(download=False)


def test_archive_escaping_its_folder_is_refused(isolated, monkeypatch):
    data, _ = isolated
    sha = _archive(data / "cifar-10-python.tar.gz", cifar10.CIFAR10, _fake(cifar10.CIFAR10),
                   extra=[("../../escaped.txt", b"evil")])
    monkeypatch.setattr(cifar10, "CIFAR10", dataclasses.replace(cifar10.CIFAR10, sha256=sha))
    with pytest.raises(DatasetError, match="refusing to extract the member '../../escaped.txt'"):
        cifar10.load_data(download=False)
    assert not any(p.name == "escaped.txt" for p in data.parent.rglob("*"))
