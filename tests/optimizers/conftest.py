import pytest


@pytest.fixture(autouse=True)
def both_engines(engine):
    """Every optimizer test runs on NumPy alone and on threads with the compiled kernels (``engine``)."""
