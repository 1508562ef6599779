"""``striate demo`` end to end, briefly: both lecture models learn, and their test accuracy (which the
demo measures through ``predict`` on slices of the test set, not on training batches) shows it."""
import re

import pytest

from striate import cli, datasets


def demo_accuracies(capsys, *args):
    assert cli.main(["demo", "--epochs", "1", "--limit", "6000", "--verbose", "0", "--report", "", *args]) == 0
    table = capsys.readouterr().out.split("lecture (Keras)")[-1]
    return {name: float(acc) for name, acc in re.findall(r"(model_\w+)\s+([0-9.]+)", table)}


def test_demo_on_mnist_learns(capsys):
    try:
        datasets.mnist.load_data(download=False)
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"MNIST not found ({e})")
    acc = demo_accuracies(capsys, "--dataset", "mnist")
    assert acc["model_dff"] > 0.8 and acc["model_cnn"] > 0.75, acc


def test_demo_on_the_embedded_dataset_learns(capsys):
    acc = demo_accuracies(capsys, "--dataset", "shapes")
    assert acc["model_dff"] > 0.6 and acc["model_cnn"] > 0.45, acc


def test_help_lists_the_three_demos(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    listing = capsys.readouterr().out.split("demos:")[-1]
    assert re.findall(r"striate demo(?: (\w+))?", listing) == ["", "transfer", "segmentation"]


def test_demo_transfer_passes_its_settings(capsys):
    assert cli.main(["demo", "transfer", "--dataset", "shapes", "--limit", "300", "--base-epochs", "1",
                     "--head-epochs", "1", "--fine-tune-epochs", "1", "--scratch-epochs", "1", "--per-class", "10",
                     "--test-limit", "50"]) == 0
    out = capsys.readouterr().out
    assert "Dataset: shapes (embedded) (asked for)" in out
    assert "Base: classes circle, ring, square, frame, triangle: 300 training images, 1 epoch(s)" in out
    assert "10 labelled images per class (50 in all); tested on 50 images" in out
    rows = re.findall(r"^\((a|b|c)\) .*?\s+([0-9.]+)\s+([0-9.]+)$", out, re.M)
    assert [r[0] for r in rows] == ["a", "b", "c"]
    assert "head 1 ep., then top block 1 ep." in out and "from scratch: 1 ep." in out


def test_demo_segmentation_passes_its_settings(capsys, tmp_path):
    assert cli.main(["demo", "segmentation", "--dataset", "shapes", "--epochs", "1", "--num-train", "32",
                     "--num-test", "8", "--out-dir", str(tmp_path / "out"), "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "32 training scenes, 8 test scenes" in out and "1 epoch(s)" in out
    assert re.search(r"Test mean IoU [0-9.]+ after 1 epoch\(s\)", out)
    pytest.importorskip("PIL")
    assert (tmp_path / "out" / "segmentation.png").stat().st_size > 0


def test_plain_demo_still_runs_the_lecture_comparison(capsys, monkeypatch):
    """``striate demo`` (``make demo``) is the MNIST comparison, with no other demo's settings."""
    seen = []
    monkeypatch.setattr(cli, "demo", lambda args: seen.append(args) or 0)
    assert cli.main(["demo", "--epochs", "3"]) == 0
    assert seen[0].epochs == 3 and seen[0].demo is None and seen[0].batch_size == 32 and seen[0].verbose == 2
