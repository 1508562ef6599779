"""What every picture shares: to_file writes the figure atomically, and matplotlib is optional."""
import os
import subprocess
import sys

import numpy as np
import pytest

from striate import visualize

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


def test_to_file_writes_a_png_of_the_figure_size_and_returns_the_figure(tmp_path):
    path = tmp_path / "history.png"
    figure = visualize.plot_history({"loss": [1.0, 0.5]}, to_file=path, dpi=50)
    with Image.open(path) as png:
        assert png.format == "PNG"
        assert png.size == tuple(round(n * 50) for n in figure.get_size_inches())
        pixels = np.asarray(png.convert("L"))
    assert pixels.min() < 100 and pixels.max() == 255  # drawn lines and text on a white page
    assert os.listdir(tmp_path) == ["history.png"]  # no temporary file left


def test_the_extension_chooses_the_format_and_must_name_one(tmp_path):
    visualize.plot_filters(np.ones((3, 3, 1, 2)), to_file=tmp_path / "filters.svg")
    assert (tmp_path / "filters.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="extension must name an image format.*\\.png"):
        visualize.plot_filters(np.ones((3, 3, 1, 2)), to_file=tmp_path / "filters")
    assert os.listdir(tmp_path) == ["filters.svg"]


def test_an_existing_file_is_replaced_whole(tmp_path):
    path = tmp_path / "h.png"
    path.write_bytes(b"old")
    visualize.plot_history({"loss": [1.0]}, to_file=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"plot_history needs matplotlib: pip install 'striate\[plot\]'"):
        visualize.plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match=r"plot_confusion_matrix needs .*striate\[plot\]"):
        visualize.plot_confusion_matrix([0, 1], [0, 1])


def test_importing_visualize_does_not_import_matplotlib():
    code = "import sys, striate.visualize; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
