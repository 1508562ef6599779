import pytest


@pytest.fixture(autouse=True, params=["numpy", "threads+compiled"])
def engine(request):
    """Every case run twice: on NumPy alone, each op in one piece; and split across two threads
    wherever it can be, with striate[fast]'s compiled kernels where Numba is installed."""
    from striate.backend import accel
    before = accel._state["wanted"]
    accel.set_accelerated(request.param != "numpy")
    if request.param != "numpy":
        request.getfixturevalue("split_work")
    yield request.param
    accel.set_accelerated(before)
