"""The docstrings' examples run as tests: every module of the package (``src/striate``) is collected
for its ``>>>`` examples, as ``--doctest-modules`` would, but not the test files.

Each example runs in a fresh temporary folder (the ones that save files leave nothing behind), from the
same random state, with ``np``, ``striate`` and ``keras`` (striate, imported as the lectures do) already
in its namespace: an example shows the call it documents, not the imports every example would repeat.
"""
import os
import pathlib

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
_shared = pathlib.Path(__file__).resolve().parent.parent / "shared" / "datasets"
if "STRIATE_DATA" not in os.environ and _shared.is_dir():
    os.environ["STRIATE_DATA"] = str(_shared)  # real MNIST for the examples that load it, as in tests/


_PACKAGE = pathlib.Path(__file__).resolve().parent / "src" / "striate"


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and _PACKAGE in file_path.resolve().parents \
            and not parent.config.getoption("doctestmodules"):
        from _pytest.doctest import DoctestModule
        return DoctestModule.from_parent(parent, path=file_path)
    return None


@pytest.fixture(autouse=True)
def _doctest_setup(request, doctest_namespace):
    if type(request.node).__name__ != "DoctestItem":
        yield
        return
    import numpy as np

    import striate
    doctest_namespace.update(np=np, striate=striate, keras=striate)
    striate.utils.set_random_seed(0)
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
    np.set_printoptions(precision=4, suppress=True)
    yield
    np.set_printoptions(precision=8, suppress=False)
