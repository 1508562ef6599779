"""The ``gpu`` fixture shared by the GPU tests: striate on ``tests/fake_cupy.py`` installed as ``cupy``
(or on the real CuPy where CuPy sees a GPU; ``STRIATE_REAL_CUPY=0`` keeps the stand-in there)."""
import os
import pathlib
import sys

import pytest

from striate import backend

TESTS = pathlib.Path(__file__).resolve().parents[1]


def _real_gpu():
    if os.environ.get("STRIATE_REAL_CUPY") == "0":
        return False
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001  not installed, or no driver or device
        return False


REAL = _real_gpu()


@pytest.fixture
def gpu(monkeypatch):
    """striate on the stand-in GPU (or on the real CuPy where there is a GPU); the CPU after."""
    if REAL:
        import cupy
    else:
        monkeypatch.syspath_prepend(str(TESTS))
        import fake_cupy as cupy
        monkeypatch.setitem(sys.modules, "cupy", cupy)
    backend.set_device("gpu")
    assert backend.xp() is cupy and backend.device() == "gpu"
    yield cupy
    backend.set_device("cpu")
