"""Saving onto a full disk: an OSError naming the file (not its temporary), the previous file intact
byte for byte, no temporary left behind, and the interpreter alive.

The disk fills in a child process, in two ways: a file-size limit (``RLIMIT_FSIZE``, with SIGXFSZ
ignored so that a write past it fails with EFBIG), which works anywhere on Linux and macOS; and, where
this process may mount one (root on Linux), a small tmpfs, which fails with ENOSPC as a real full disk
does.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import striate
from striate import layers

FILES = ["w.weights.h5", "w.h5", "m.keras", "w.npz"]
CHILD = textwrap.dedent("""
    import json, os, resource, signal, sys
    import striate
    from striate import layers
    path, limit = sys.argv[1], int(sys.argv[2])
    model = striate.Sequential([striate.Input(shape=(64,)), layers.Dense(128), layers.Dense(10)])  # 37 kB
    save = model.save if path.endswith(".keras") else model.save_weights
    if limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        save(path)
        print(json.dumps(None))
    except Exception as e:
        print(json.dumps({"type": type(e).__name__, "is_oserror": isinstance(e, OSError), "message": str(e)}))
""")


def _save_previous(path):
    """A small model's file at ``path``: the file a failed save must leave as it was."""
    model = striate.Sequential([striate.Input(shape=(4,)), layers.Dense(2)])
    (model.save if str(path).endswith(".keras") else model.save_weights)(path)
    return path.read_bytes()


def _save_in_child(path, limit=0):
    """Save a 37 kB model to ``path`` in a child process (with a file-size ``limit``); what it raised."""
    run = subprocess.run([sys.executable, "-c", CHILD, str(path), str(limit)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, f"the interpreter died (status {run.returncode}): {run.stderr[-2000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])


def _check_refused(raised, path, before):
    assert raised is not None, "the save should have failed"
    assert raised["is_oserror"], f"expected an OSError, received {raised['type']}: {raised['message']}"
    assert str(path) in raised["message"] and ".tmp" not in raised["message"], raised["message"]
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name], "a temporary file was left behind"


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_FSIZE on Windows")
@pytest.mark.parametrize("name", FILES)
def test_a_save_past_the_file_size_limit_fails_cleanly(name, tmp_path):
    path = tmp_path / name
    before = _save_previous(path)
    _check_refused(_save_in_child(path, limit=8192), path, before)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 kB tmpfs, or a skip where this process cannot mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("name", FILES)
def test_a_save_onto_a_full_disk_fails_cleanly(name, small_disk):
    path = small_disk / name
    before = _save_previous(path)
    filler = small_disk / "filler"  # leave less room than the new file needs
    filler.write_bytes(b"\0" * (40 << 10))
    raised = _save_in_child(path)
    filler.unlink()
    _check_refused(raised, path, before)


def test_a_save_into_a_missing_folder_names_the_file(tmp_path):
    model = striate.Sequential([striate.Input(shape=(4,)), layers.Dense(2)])
    path = tmp_path / "missing" / "w.weights.h5"
    with pytest.raises(FileNotFoundError) as caught:
        model.save_weights(path)
    assert caught.value.filename == str(path) and ".tmp" not in str(caught.value)
    assert os.listdir(tmp_path) == []
