"""Fixtures of the dataset tests."""
import pytest


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty $STRIATE_DATA folder and a fresh home (so ~/.striate is empty); returns both."""
    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    monkeypatch.setenv("STRIATE_DATA", str(data))
    monkeypatch.setenv("HOME", str(home))
    return data, home
