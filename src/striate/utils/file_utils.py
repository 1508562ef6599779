"""Downloading files into a cache, checking their hashes and extracting archives safely.

:func:`get_file` is ``keras.utils.get_file``; :func:`download` is the one downloader striate has
(the datasets use it too): it streams a URL into a temporary file that replaces the target only once
complete and accepted, so an interrupted or corrupt download never leaves a file behind.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

from striate.utils.progbar import Progbar

DOWNLOAD_TIMEOUT_S = 15


def default_cache_dir():
    """striate's cache folder, ``~/.striate`` (Keras's is ``~/.keras``)."""
    return os.path.join(os.path.expanduser("~"), ".striate")


def download(url, target, verify=None):
    """Download ``url`` to the file ``target``, atomically, with a progress bar.

    The bytes go to a temporary file beside ``target``; ``verify(temporary_path)`` may inspect it
    and raise to reject it. Only a complete, accepted download replaces ``target``; on any error
    the temporary file is removed and ``target`` is left as it was.

    Args:
        url: the URL (``https://``, ``http://``, ``file://``).
        target: the file to write; its folder is created if needed.
        verify: ``None``, or a function of the temporary file's path.

    Returns:
        What ``verify`` returned (``None`` without ``verify``).

    Raises:
        OSError: the download failed (``urllib.error.URLError``, its subclass ``HTTPError``, a
            timeout, or an ``OSError`` for a malformed HTTP response). Whatever ``verify`` raises.

    Example:
        >>> import pathlib, tempfile
        >>> from striate.utils.file_utils import download
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("hello")
        >>> download((folder / "a.txt").as_uri(), folder / "b.txt")  # doctest: +ELLIPSIS
        Downloading data from file:///.../a.txt
        ...
        >>> (folder / "b.txt").read_text()
        'hello'
    """
    # On use: urllib.request brings http.client and ssl (slow to import); striate.saving imports the models,
    # which import striate.utils.
    import http.client
    import urllib.request

    from striate.saving.atomic import atomic_write

    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    print(f"Downloading data from {url}")
    try:   # an unreachable URL fails here, before any file exists
        response = urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S)
    except http.client.HTTPException as e:
        raise OSError(f"{url}: {type(e).__name__}: {e}") from e
    try:
        with response, atomic_write(target) as tmp:
            try:
                done, size = _stream(response, tmp)
            except (OSError, http.client.HTTPException) as e:
                raise _Interrupted(f"{url}: {type(e).__name__}: {e}") from e
            if size is not None and done != size:   # read(n) does not notice a connection cut short
                raise _Interrupted(f"{url}: the download was cut short: received {done} of {size} bytes")
            return None if verify is None else verify(tmp)
    except _Interrupted as e:
        raise OSError(str(e)) from e.__cause__


class _Interrupted(Exception):
    """A download that failed midway, carried out of ``atomic_write`` (which would report an OSError as
    a failure to write the file)."""


def _stream(response, path):
    """Copy ``response`` into the file ``path`` with a progress bar: ``(bytes copied, announced size)``."""
    size = response.headers.get("Content-Length")
    size = int(size) if size and size.isdigit() else None
    bar = Progbar(size or None, unit_name="byte")
    done = 0
    with open(path, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            bar.update(done, finalize=False)
    bar.update(done, finalize=True)
    return done, size


def hash_file(fpath, algorithm="sha256", chunk_size=1 << 20):
    """The hex digest of the file ``fpath``.

    Args:
        fpath: the file.
        algorithm: ``"sha256"`` or ``"md5"``.
        chunk_size: bytes read at a time.

    Returns:
        The digest, as a string of hex digits.

    Example:
        >>> import pathlib, tempfile
        >>> from striate.utils.file_utils import hash_file
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
        >>> path.touch()
        >>> hash_file(path, "md5")
        'd41d8cd98f00b204e9800998ecf8427e'
    """
    hasher = hashlib.new(_algorithm(algorithm, None), usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


def _algorithm(algorithm, file_hash):
    """Keras's rule: ``"auto"`` means sha256 for a 64-digit hash, else md5."""
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"hash_algorithm must be 'auto', 'sha256' or 'md5', received {algorithm!r}")
    if algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return algorithm


def check_file_hash(path, file_hash, algorithm="auto", what=None):
    """Raise ValueError unless the file's hash is ``file_hash``.

    Args:
        path: the file.
        file_hash: the expected hex digest.
        algorithm: ``"auto"`` (sha256 for a 64-digit hash, else md5), ``"sha256"`` or ``"md5"``.
        what: how the message names the file (default: its path).

    Example:
        >>> from striate.utils.file_utils import check_file_hash
        >>> open("empty", "wb").close()
        >>> check_file_hash("empty", "d41d8cd98f00b204e9800998ecf8427e")   # the md5 of no bytes: passes
        >>> check_file_hash("empty", "0" * 32)
        Traceback (most recent call last):
        ...
        ValueError: empty has md5 hash d41d8cd98f00b204e9800998ecf8427e, expected 000...: the file is ...
    """
    algorithm = _algorithm(algorithm, file_hash)
    actual = hash_file(path, algorithm)
    if actual != str(file_hash).lower():
        raise ValueError(f"{what or path} has {algorithm} hash {actual}, expected {file_hash}: the file is "
                         "incomplete, corrupt or not the expected release")


def _unsafe(name):
    """Whether an archive path could point outside the folder it is extracted into."""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or bool(os.path.splitdrive(name)[0]) or ".." in parts


def _check_members(archive, file_path):
    """Refuse the whole archive if one member could write outside the target folder.

    NOTE: a link's target may not use ".." either, so every link points into its own folder and no
    chain of links can lead out (tar's "data" filter checks again as it extracts).
    """
    if isinstance(archive, zipfile.ZipFile):
        members = [(info.filename, "") for info in archive.infolist()]
    else:
        members = []
        for info in archive.getmembers():
            if not (info.isfile() or info.isdir() or info.issym() or info.islnk()):
                raise ValueError(f"{file_path}: refusing to extract {info.name!r}, a device or pipe; "
                                 "an archive of files, folders and links was expected")
            members.append((info.name, info.linkname if info.issym() or info.islnk() else ""))
    for name, link in members:
        if _unsafe(name) or _unsafe(link):
            what = f"{name!r} (a link to {link!r})" if link else repr(name)
            raise ValueError(f"{file_path}: refusing to extract the member {what}: an absolute path "
                             "or one with '..' could write outside the target folder; the archive "
                             "is corrupt or malicious")


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ...) or zip archive into ``path``, safely.

    Every member is checked before anything is written: a member whose name or link target is an
    absolute path or has a ``..``, or a device file, makes the whole archive refused. The
    files are extracted into a temporary folder beside ``path`` that replaces ``path`` when
    complete.

    Args:
        file_path: the archive.
        path: the folder to extract into (replaced if it exists).
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list of these, or
            ``None`` (extract nothing).

    Returns:
        True when the file was an archive of one of those formats and was extracted, else False.

    Raises:
        ValueError: the archive has a member that could land outside ``path``.

    Example:
        >>> import pathlib, tempfile, zipfile
        >>> from striate.utils.file_utils import extract_archive
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with zipfile.ZipFile(folder / "a.zip", "w") as z:
        ...     z.writestr("inner/hello.txt", "hello")
        >>> extract_archive(folder / "a.zip", folder / "out")
        True
        >>> (folder / "out" / "inner" / "hello.txt").read_text()
        'hello'
    """
    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of these or None, "
                             f"received {archive_format!r}")
    file_path, path = os.fspath(file_path), os.path.abspath(os.fspath(path))
    for fmt in formats:
        is_format, open_archive = ((tarfile.is_tarfile, tarfile.open) if fmt == "tar" else
                                   (zipfile.is_zipfile, zipfile.ZipFile))
        if not is_format(file_path):
            continue
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        try:
            with open_archive(file_path) as archive:
                _check_members(archive, file_path)
                if fmt == "tar" and hasattr(tarfile, "data_filter"):
                    archive.extractall(tmp, filter="data")
                else:
                    archive.extractall(tmp)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.remove(path)
            os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True
    return False


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False, archive_format="auto",
             cache_dir=None, force_download=False):
    """Download a file from a URL unless it is already in the cache, as ``keras.utils.get_file``.

    The file ``origin`` is saved as ``cache_dir/cache_subdir/fname`` (by default
    ``~/.striate/datasets/<the URL's file name>``). A file already there is used as it is, after
    checking its hash when ``file_hash`` is given (a file that fails is downloaded again). Downloads
    are atomic and checked before they are kept. With ``extract=True`` the archive is extracted
    safely (see :func:`extract_archive`) into a folder, which is returned; it is extracted again
    only when downloaded again or missing.

    Paths follow Keras: with ``extract=True`` and ``fname="name"`` (no dot) the archive is saved as
    ``name_archive`` and extracted into ``name/``; with ``fname="name.tar.gz"``, saved as
    ``name.tar.gz`` and extracted into ``name_extracted/``.

    Args:
        fname: the file's name in the cache (no folder); ``None``: the last part of ``origin``.
        origin: the URL.
        untar: deprecated, as ``extract=True, archive_format="tar"``.
        md5_hash: deprecated, as ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected sha256 or md5 hex digest of the file.
        cache_subdir: a folder under ``cache_dir``, or an absolute path.
        hash_algorithm: ``"auto"`` (sha256 for a 64-digit hash, else md5), ``"sha256"`` or ``"md5"``.
        extract: whether to extract the archive.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of these, or ``None``.
        cache_dir: the cache's root; ``None``: ``~/.striate`` (or a ``.striate`` folder in the
            temporary folder when that is not writable).
        force_download: download even when the file is in the cache.

    Returns:
        The path of the file, or of the folder it was extracted into.

    Raises:
        FileNotFoundError: the file is not in the cache and could not be downloaded; the message
            names the URL and the path where the file can be put by hand.
        ValueError: the downloaded file fails its hash, or the archive is unsafe or not an archive.

    Example:
        >>> import pathlib, tempfile
        >>> import striate as keras
        >>> source = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
        >>> _ = source.write_text("hello")
        >>> path = keras.utils.get_file(origin=source.as_uri(),
        ...                             cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
        Downloading data from file:///.../hello.txt
        ...
        >>> pathlib.Path(path).read_text()
        'hello'
    """
    if origin is None:
        raise ValueError("get_file: the origin argument (the URL of the file to download) is required")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _algorithm(hash_algorithm, file_hash)
    root = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else default_cache_dir())
    try:
        os.makedirs(root, exist_ok=True)
        writable = os.access(root, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        root = os.path.join(tempfile.gettempdir(), ".striate")
    folder = os.path.join(root, cache_subdir)

    name = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass fname")
    if os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(f"get_file: fname must be a file name without folders, received {name!r}; "
                         "pass the folder as cache_dir")
    if (extract or untar) and fname and "." in name:
        target, extracted = os.path.join(folder, name), os.path.join(folder, name[:name.find(".")] + "_extracted")
    elif extract or untar:
        target, extracted = os.path.join(folder, f"{name}_archive"), os.path.join(folder, name)
    else:
        target = extracted = os.path.join(folder, name)

    rejected = None
    fetch = force_download or not os.path.exists(target)
    if not fetch and file_hash is not None:
        try:
            check_file_hash(target, file_hash, algorithm, f"The cached file {target}")
        except ValueError as e:
            rejected = str(e)
            print(f"{rejected}; downloading it again.")
            fetch = True
    if fetch:
        check = None if file_hash is None else (
            lambda tmp: check_file_hash(tmp, file_hash, algorithm, f"The file downloaded from {origin}"))
        try:
            download(origin, target, check)
        except OSError as e:
            message = f"Could not download {origin}: {getattr(e, 'reason', None) or e}."
            if rejected:
                message += f"\n{rejected}."
            raise FileNotFoundError(
                f"{message}\nTo use it without downloading, fetch it by other means and put it at "
                f"{target}" + (f" (its {algorithm} hash must be {file_hash})" if file_hash else "") +
                ".") from None

    if not (extract or untar):
        return target
    if fetch or not os.path.isdir(extracted):
        if not extract_archive(target, extracted, "tar" if untar else archive_format):
            raise ValueError(f"get_file: {target} (from {origin}) is not an archive of the formats "
                             f"{archive_format!r}, so it cannot be extracted")
    return extracted
