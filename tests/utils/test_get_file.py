"""utils.get_file: downloads into the cache, hash checks, safe extraction, offline errors."""
import functools
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import zipfile

import pytest

from striate import utils
from striate.utils import file_utils

keras = pytest.importorskip("keras")

PAYLOAD = b"striate " * 1000


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; ``/short`` announces more bytes than it sends, then hangs up."""

    def do_GET(self):
        if self.path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"only a little")
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    """An HTTP server on 127.0.0.1 for the folder ``tmp_path/www``; yields its base URL and folder."""
    www = tmp_path / "www"
    www.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(www)))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", www
    server.shutdown()
    server.server_close()


@pytest.fixture
def source(tmp_path):
    """A file to download by file:// URL."""
    path = tmp_path / "src" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith("."))


def test_downloads_into_cache_then_uses_the_cached_copy(source, tmp_path, capsys):
    cache = tmp_path / "cache"
    path = utils.get_file(origin=source.as_uri(), cache_dir=cache)
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == PAYLOAD
    assert f"Downloading data from {source.as_uri()}" in capsys.readouterr().out
    source.unlink()                                     # now only the cache has it
    assert utils.get_file(origin=source.as_uri(), cache_dir=cache) == path
    assert "Downloading" not in capsys.readouterr().out


def test_default_cache_is_home_striate(source, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = utils.get_file("named.bin", source.as_uri(), cache_subdir="models")
    assert path == str(tmp_path / "home" / ".striate" / "models" / "named.bin")


@pytest.mark.parametrize("algorithm, digest", [("sha256", hashlib.sha256), ("md5", hashlib.md5)])
def test_hash_checked_after_download(source, tmp_path, algorithm, digest):
    good = digest(PAYLOAD).hexdigest()
    assert open(utils.get_file(origin=source.as_uri(), file_hash=good, cache_dir=tmp_path / "a"), "rb").read() \
        == PAYLOAD
    bad = "0" * len(good)
    with pytest.raises(ValueError, match=f"{algorithm} hash {good}, expected {bad}"):
        utils.get_file(origin=source.as_uri(), file_hash=bad, cache_dir=tmp_path / "b")
    folder = tmp_path / "b" / "datasets"
    assert list(folder.iterdir()) == []                 # neither the file nor a temporary one is kept


def test_md5_hash_argument_and_explicit_algorithm(source, tmp_path):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    utils.get_file(origin=source.as_uri(), md5_hash=md5, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="sha256 hash"):
        utils.get_file(origin=source.as_uri(), file_hash=md5, hash_algorithm="sha256", cache_dir=tmp_path / "x")
    with pytest.raises(ValueError, match="hash_algorithm must be"):
        utils.get_file(origin=source.as_uri(), file_hash=md5, hash_algorithm="sha1", cache_dir=tmp_path)


def test_stale_cached_file_is_downloaded_again(source, tmp_path, capsys):
    target = tmp_path / "datasets" / "data.bin"
    target.parent.mkdir()
    target.write_bytes(b"truncated")
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    utils.get_file(origin=source.as_uri(), file_hash=sha, cache_dir=tmp_path)
    assert target.read_bytes() == PAYLOAD
    assert "downloading it again" in capsys.readouterr().out


def test_force_download(source, tmp_path):
    path = utils.get_file(origin=source.as_uri(), cache_dir=tmp_path)
    source.write_bytes(b"new")
    assert open(utils.get_file(origin=source.as_uri(), cache_dir=tmp_path), "rb").read() == PAYLOAD
    assert open(utils.get_file(origin=source.as_uri(), cache_dir=tmp_path, force_download=True), "rb").read() \
        == b"new"
    assert _leftovers(tmp_path) == [] and os.path.isfile(path)


def test_download_from_http_server(serve, tmp_path):
    url, www = serve
    (www / "w.bin").write_bytes(PAYLOAD)
    path = utils.get_file(origin=url + "w.bin", cache_dir=tmp_path / "c",
                          file_hash=hashlib.sha256(PAYLOAD).hexdigest())
    assert open(path, "rb").read() == PAYLOAD


def test_http_404_names_url_and_where_to_put_the_file(serve, tmp_path):
    url, _ = serve
    with pytest.raises(FileNotFoundError) as error:
        utils.get_file(origin=url + "missing.bin", cache_dir=tmp_path, file_hash="a" * 64)
    message = str(error.value)
    assert url + "missing.bin" in message and "404" in message
    assert str(tmp_path / "datasets" / "missing.bin") in message and "sha256 hash must be " + "a" * 64 in message


def test_cut_short_download_leaves_nothing(serve, tmp_path):
    url, _ = serve
    with pytest.raises(FileNotFoundError, match="Could not download .*short.*received 13 of 100000 bytes"):
        utils.get_file(origin=url + "short", cache_dir=tmp_path)
    assert list((tmp_path / "datasets").iterdir()) == []


def test_offline_error_names_url_and_path(tmp_path):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    origin = f"http://127.0.0.1:{port}/weights.h5"
    with pytest.raises(FileNotFoundError) as error:
        utils.get_file("w.h5", origin, cache_subdir=str(tmp_path / "abs"), cache_dir=tmp_path / "ignored")
    message = str(error.value)
    assert origin in message and f"put it at {tmp_path / 'abs' / 'w.h5'}" in message


def test_argument_errors(source, tmp_path):
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("x")
    with pytest.raises(ValueError, match="fname must be a file name"):
        utils.get_file(os.path.join("sub", "x"), source.as_uri(), cache_dir=tmp_path)


# --- extraction ---------------------------------------------------------------------------------

def _tar(path, members, mode="w:gz"):
    """A tar archive of ``(name, bytes)`` files and ``(name, tarfile type, linkname)`` special members."""
    with tarfile.open(path, mode) as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if len(member) == 2:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
            else:
                info.type, info.linkname = member[1], member[2]
                tar.addfile(info)
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("fname, archive, folder", [
    ("pack", "pack_archive", "pack"),                       # Keras's names for each case
    ("pack.tar.gz", "pack.tar.gz", "pack_extracted"),
    (None, "pack.tar.gz_archive", "pack.tar.gz"),
])
def test_extract_paths_as_keras(tmp_path, fname, archive, folder):
    src = _tar(tmp_path / "pack.tar.gz", [("inner/a.txt", b"a"), ("inner/sub/b.txt", b"b")])
    path = utils.get_file(fname, src.as_uri(), extract=True, cache_dir=tmp_path / "ours")
    assert path == str(tmp_path / "ours" / "datasets" / folder)
    assert os.path.isfile(tmp_path / "ours" / "datasets" / archive)
    assert open(os.path.join(path, "inner", "sub", "b.txt")).read() == "b"
    (tmp_path / "keras").mkdir()        # Keras uses /tmp/.keras instead of a cache_dir not yet made
    theirs = keras.utils.get_file(fname, src.as_uri(), extract=True, cache_dir=str(tmp_path / "keras"))
    assert os.path.relpath(theirs, tmp_path / "keras") == os.path.relpath(path, tmp_path / "ours")


def test_untar_and_zip(tmp_path):
    tar = _tar(tmp_path / "t.tar", [("x.txt", b"x")], mode="w")
    assert open(os.path.join(utils.get_file("t", tar.as_uri(), untar=True, cache_dir=tmp_path), "x.txt")).read() \
        == "x"
    z = _zip(tmp_path / "z.zip", [("d/y.txt", b"y")])
    path = utils.get_file("z", z.as_uri(), extract=True, archive_format="zip", cache_dir=tmp_path)
    assert open(os.path.join(path, "d", "y.txt")).read() == "y"


def test_extracted_again_only_when_downloaded_again(tmp_path):
    src = _tar(tmp_path / "p.tar.gz", [("a.txt", b"1")])
    path = utils.get_file("p", src.as_uri(), extract=True, cache_dir=tmp_path)
    open(os.path.join(path, "mine.txt"), "w").close()
    assert os.path.exists(os.path.join(utils.get_file("p", src.as_uri(), extract=True, cache_dir=tmp_path),
                                       "mine.txt"))
    _tar(src, [("a.txt", b"2")])
    path = utils.get_file("p", src.as_uri(), extract=True, cache_dir=tmp_path, force_download=True)
    assert os.listdir(path) == ["a.txt"] and open(os.path.join(path, "a.txt")).read() == "2"


def test_not_an_archive(source, tmp_path):
    with pytest.raises(ValueError, match="is not an archive"):
        utils.get_file("d", source.as_uri(), extract=True, cache_dir=tmp_path)


@pytest.mark.parametrize("members", [
    [("ok.txt", b"ok"), ("../escaped.txt", b"evil")],
    [("/tmp/escaped-absolute.txt", b"evil")],
    [("inner/../../escaped.txt", b"evil")],
    [("link", tarfile.SYMTYPE, "../"), ("link/escaped.txt", b"evil")],
    [("link", tarfile.SYMTYPE, "/etc")],
    [("hard", tarfile.LNKTYPE, "../escaped.txt")],
    [("dev", tarfile.CHRTYPE, "")],
])
def test_tar_members_outside_the_folder_are_refused(tmp_path, members):
    src = _tar(tmp_path / "evil.tar.gz", members)
    cache = tmp_path / "deep" / "cache"
    with pytest.raises(ValueError, match="refusing to extract"):
        utils.get_file("evil", src.as_uri(), extract=True, cache_dir=cache)
    assert sorted(os.listdir(cache / "datasets")) == ["evil_archive"]     # nothing was extracted
    assert not any(p.name.startswith("escaped") for p in tmp_path.rglob("*"))
    assert not os.path.exists("/tmp/escaped-absolute.txt")


@pytest.mark.parametrize("name", ["../escaped.txt", "/abs/escaped.txt", "a/../../escaped.txt"])
def test_zip_slip_is_refused(tmp_path, name):
    src = _zip(tmp_path / "evil.zip", [("fine.txt", b"ok"), (name, b"evil")])
    with pytest.raises(ValueError, match="refusing to extract the member"):
        file_utils.extract_archive(src, tmp_path / "deep" / "out")
    assert not (tmp_path / "deep" / "out").exists()
    assert not any(p.name == "escaped.txt" for p in tmp_path.rglob("*"))


def test_links_inside_the_folder_are_kept(tmp_path):
    src = _tar(tmp_path / "ok.tar", [("d/a.txt", b"a"), ("d/link", tarfile.SYMTYPE, "a.txt")], mode="w")
    assert file_utils.extract_archive(src, tmp_path / "out")
    assert open(tmp_path / "out" / "d" / "link").read() == "a"


def test_hash_file_matches_keras(source):
    from keras.src.utils.file_utils import hash_file
    for algorithm in ("sha256", "md5"):
        assert file_utils.hash_file(source, algorithm) == hash_file(str(source), algorithm)
