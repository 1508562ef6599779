import dataclasses
import functools
import gzip
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

from striate.datasets import DatasetError, mnist
from idx_fakes import NAMES, assert_loaded, fake_arrays, idx_bytes, md5, spec_for, write_fake


@pytest.fixture
def fake(isolated, monkeypatch):
    """Fake MNIST arrays, with mnist.MNIST's checksums replaced by theirs; no mirrors."""
    arrays = fake_arrays(0)
    monkeypatch.setattr(mnist, "MNIST", spec_for(mnist.MNIST, arrays))
    return arrays


def test_real_mnist_from_striate_data():
    if not os.environ.get("STRIATE_DATA"):
        pytest.skip("STRIATE_DATA is not set")
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data(download=False)
    except FileNotFoundError:
        pytest.skip("MNIST is not under $STRIATE_DATA")
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.max() == 255 and x_train.min() == 0
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851,
                                             5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize("subfolder", ["mnist", ""])
def test_loads_idx_files_from_dir_or_dir_mnist(fake, isolated, subfolder):
    data, _ = isolated
    write_fake(data / subfolder if subfolder else data, fake)
    assert_loaded(mnist.load_data(download=False), fake)


def test_search_order(fake, isolated, tmp_path, monkeypatch):
    data, home = isolated
    second = tmp_path / "second"
    other = fake_arrays(1)
    both = spec_for(mnist.MNIST, fake)
    both = dataclasses.replace(both, files=tuple(
        dataclasses.replace(f, md5=f.md5 + g.md5)
        for f, g in zip(both.files, spec_for(mnist.MNIST, other).files)))
    monkeypatch.setattr(mnist, "MNIST", both)
    monkeypatch.setenv("STRIATE_DATA", os.pathsep.join([str(data), str(second)]))

    write_fake(home / ".striate" / "datasets" / "mnist", other)
    assert_loaded(mnist.load_data(download=False), other)      # only in the cache
    write_fake(second, fake)
    assert_loaded(mnist.load_data(download=False), fake)       # $STRIATE_DATA before the cache
    write_fake(data, other)
    assert_loaded(mnist.load_data(download=False), other)      # its folders in order
    write_fake(data / "mnist", fake)
    assert_loaded(mnist.load_data(download=False), fake)       # DIR/mnist before DIR


def test_accepts_decompressed_idx_files(fake, isolated, monkeypatch):
    data, _ = isolated
    spec = mnist.MNIST
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(spec, files=tuple(
        dataclasses.replace(f, md5=(md5(idx_bytes(a)),)) for f, a in zip(spec.files, fake))))
    for name, array in zip(NAMES, fake):
        (data / name.removesuffix(".gz")).write_bytes(idx_bytes(array))
    assert_loaded(mnist.load_data(download=False), fake)


def test_accepts_keras_npz(fake, isolated, monkeypatch):
    data, _ = isolated
    path = data / "mnist" / "mnist.npz"
    path.parent.mkdir()
    np.savez(path, x_train=fake[0], y_train=fake[1], x_test=fake[2], y_test=fake[3])
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(
        mnist.MNIST, npz_sha256=hashlib.sha256(path.read_bytes()).hexdigest()))
    assert_loaded(mnist.load_data(download=False), fake)
    assert_loaded(mnist.load_data(path=str(path), download=False), fake)


def test_npz_with_wrong_checksum_is_rejected(fake, isolated):
    data, _ = isolated
    np.savez(data / "mnist.npz", x_train=fake[0], y_train=fake[1], x_test=fake[2], y_test=fake[3])
    with pytest.raises(DatasetError, match="mnist.npz has sha256"):
        mnist.load_data(download=False)


def test_bad_checksum_names_the_file(fake, isolated):
    data, _ = isolated
    write_fake(data, fake[:2] + fake_arrays(5)[2:])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte.gz has md5 [0-9a-f]{32}"):
        mnist.load_data(download=False)


def test_real_checksums_reject_fake_files(isolated):
    data, _ = isolated
    write_fake(data, fake_arrays(0))
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz has md5"):
        mnist.load_data(download=False)


def _with_checksums(monkeypatch, payloads):
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, files=tuple(
        dataclasses.replace(f, md5=(md5(p),)) for f, p in zip(mnist.MNIST.files, payloads))))


def test_corrupt_magic_names_the_file(fake, isolated, monkeypatch):
    data, _ = isolated
    payloads = write_fake(data, fake)
    raw = bytearray(idx_bytes(fake[1]))
    raw[2] = 0x0D                                    # float32 instead of uint8
    payloads[1] = gzip.compress(bytes(raw))
    (data / NAMES[1]).write_bytes(payloads[1])
    _with_checksums(monkeypatch, payloads)
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte.gz is not an IDX file of "
                                           r"1-d uint8 data: magic number 0x00000d01"):
        mnist.load_data(download=False)


def test_truncated_idx_names_the_file(fake, isolated, monkeypatch):
    data, _ = isolated
    payloads = write_fake(data, fake)
    payloads[2] = gzip.compress(idx_bytes(fake[2])[:-100])
    (data / NAMES[2]).write_bytes(payloads[2])
    _with_checksums(monkeypatch, payloads)
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte.gz holds 3036 bytes of data, "
                                           r"its header declares shape \(4, 28, 28\)"):
        mnist.load_data(download=False)


def test_truncated_gzip_names_the_file(fake, isolated, monkeypatch):
    data, _ = isolated
    payloads = write_fake(data, fake)
    payloads[0] = payloads[0][: len(payloads[0]) // 2]
    (data / NAMES[0]).write_bytes(payloads[0])
    _with_checksums(monkeypatch, payloads)
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz is not a valid gzip file"):
        mnist.load_data(download=False)


def test_mismatched_image_and_label_counts(isolated, monkeypatch):
    data, _ = isolated
    arrays = fake_arrays(0)
    arrays[1] = arrays[1][:5]
    write_fake(data, arrays)
    monkeypatch.setattr(mnist, "MNIST", spec_for(mnist.MNIST, arrays))
    with pytest.raises(DatasetError, match=r"labels \(N,\), received uint8 \(6, 28, 28\) and "
                                           r"uint8 \(5,\)"):
        mnist.load_data(download=False)


def test_not_found_says_where_it_looked_and_how_to_fix(isolated):
    data, home = isolated
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data(download=False)
    message = str(e.value)
    for place in (data / "mnist", data, home / ".striate" / "datasets" / "mnist"):
        assert f"\n  {place}\n" in message + "\n"
    assert "train-images-idx3-ubyte.gz" in message and "mnist.npz" in message
    assert "STRIATE_DATA" in message and "not attempted" in message


# --- downloading, from a local HTTP server and file:// URLs --------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 for a folder; return its base URL."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _cache(home):
    return home / ".striate" / "datasets" / "mnist"


def test_download_from_local_http_server(fake, isolated, tmp_path, serve, monkeypatch):
    _, home = isolated
    write_fake(tmp_path / "mirror", fake)
    url = serve(tmp_path / "mirror")
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, mirrors=(url,)))
    assert_loaded(mnist.load_data(), fake)
    assert sorted(os.listdir(_cache(home))) == sorted(NAMES)       # no temporary files left
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, mirrors=()))
    assert_loaded(mnist.load_data(download=False), fake)             # now found in the cache


def test_download_only_fetches_missing_files(fake, isolated, tmp_path, monkeypatch):
    data, home = isolated
    write_fake(data, fake[:2], NAMES[:2])
    write_fake(tmp_path / "mirror", fake)
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(
        mnist.MNIST, mirrors=((tmp_path / "mirror").as_uri() + "/",)))
    assert_loaded(mnist.load_data(), fake)
    assert sorted(os.listdir(_cache(home))) == sorted(NAMES[2:])


def test_download_falls_back_to_next_mirror(fake, isolated, tmp_path, serve, monkeypatch):
    _, home = isolated
    write_fake(tmp_path / "bad", fake_arrays(7))            # served, but the checksums differ
    (tmp_path / "empty").mkdir()                            # every file 404s
    write_fake(tmp_path / "good", fake)
    mirrors = (serve(tmp_path / "empty"), serve(tmp_path / "bad"), (tmp_path / "good").as_uri() + "/")
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, mirrors=mirrors))
    assert_loaded(mnist.load_data(), fake)
    assert sorted(os.listdir(_cache(home))) == sorted(NAMES)


def test_download_failure_lists_every_attempt_and_leaves_nothing(fake, isolated, tmp_path, serve,
                                                                 monkeypatch):
    _, home = isolated
    write_fake(tmp_path / "bad", fake_arrays(7))
    bad = serve(tmp_path / "bad")
    dead = serve(tmp_path)
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, mirrors=(bad, dead + "nowhere/")))
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data()
    message = str(e.value)
    assert message.count(bad) == 4 and message.count("HTTP Error 404") == 4
    assert "has md5" in message and "STRIATE_DATA" in message
    assert os.listdir(_cache(home)) == []


def test_unreachable_mirror_is_tried_once(fake, isolated, monkeypatch):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                      # closed once the block ends: refused
    url = f"http://127.0.0.1:{port}/"
    monkeypatch.setattr(mnist, "MNIST", dataclasses.replace(mnist.MNIST, mirrors=(url,)))
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data()
    assert str(e.value).count(url) == 1
