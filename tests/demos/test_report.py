"""``striate demo`` writes a report folder: one HTML page whose pictures all load in a real browser."""
import contextlib
import io
import os
import re
import sys

import pytest

from striate import cli

pytest.importorskip("matplotlib")
from browser import browser  # noqa: E402,F401  (the fixture)

PICTURES = {"model_dff_history.png", "model_dff_confusion.png", "model_cnn_history.png", "model_cnn_confusion.png",
            "cnn_filters.png", "cnn_feature_maps_0.png", "cnn_feature_maps_1.png", "cnn_feature_maps_2.png"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out, printed = tmp_path_factory.mktemp("demo") / "report", io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(["demo", "--dataset", "shapes", "--epochs", "2", "--limit", "1200", "--verbose", "0",
                         "--report", str(out)]) == 0
    return out, printed.getvalue()


def test_the_demo_prints_where_its_report_is(report):
    report, printed = report
    assert printed.splitlines()[-1] == f"Report: {report / 'index.html'}"
    assert sorted(os.listdir(report)) == sorted(PICTURES | {"index.html"})


def test_every_picture_of_the_report_loads_in_chromium(report, browser):
    report, _ = report
    browser.get((report / "index.html").as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth,"
        " i.naturalHeight]);")
    assert {src for src, *_ in images} == PICTURES
    from PIL import Image
    for src, complete, width, height in images:
        assert complete and width > 0, src
        assert (width, height) == Image.open(report / src).size, src
    text = browser.find_element("tag name", "body").text
    assert re.search(r"model_dff: test accuracy 0\.\d{4}", text) and re.search(r"model_cnn: test accuracy 0\.\d{4}", text)
    assert "the 6 learned 5x5 filters of 'conv2d'" in text


def test_without_matplotlib_the_demo_says_what_to_install(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["demo", "--dataset", "shapes", "--epochs", "1", "--limit", "300", "--verbose", "0",
                     "--report", str(tmp_path / "r")]) == 0
    assert "No report: its pictures need matplotlib: pip install 'striate[plot]'" in capsys.readouterr().out
    assert not (tmp_path / "r").exists()
