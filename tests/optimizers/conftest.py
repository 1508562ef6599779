import pytest


@pytest.fixture(autouse=True, params=["whole", "split"])
def threading(request):
    """Every case run twice: each op in one piece, and split across two threads wherever it can be."""
    if request.param == "split":
        request.getfixturevalue("split_work")
    return request.param
