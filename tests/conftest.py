import os
import pathlib

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
_shared = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if "STRIATE_DATA" not in os.environ and _shared.is_dir():
    os.environ["STRIATE_DATA"] = str(_shared)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state, so failures reproduce."""
    import numpy as np

    from striate import backend
    backend.set_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def split_work(monkeypatch):
    """striate on two threads in a session, splitting every op it can, however small (``backend.threads``)."""
    from striate.backend import threads
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    monkeypatch.setattr(threads, "MIN_COST", 1)
    with threads.session():
        yield
    threads.set_num_threads(before)


@pytest.fixture(params=["numpy", "threads+compiled"])
def engine(request):
    """The case run twice: on NumPy alone, each op in one piece; and split across two threads
    wherever it can be, with striate[fast]'s compiled kernels where Numba is installed."""
    from striate.backend import accel
    before = accel._state["wanted"]
    accel.set_accelerated(request.param != "numpy")
    if request.param != "numpy":
        request.getfixturevalue("split_work")
    yield request.param
    accel.set_accelerated(before)
