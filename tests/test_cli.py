"""``striate demo`` end to end, briefly: both lecture models learn, and their test accuracy (which the
demo measures through ``predict`` on slices of the test set, not on training batches) shows it."""
import re

import pytest

from striate import cli, datasets


def demo_accuracies(capsys, *args):
    assert cli.main(["demo", "--epochs", "1", "--limit", "6000", "--verbose", "0", *args]) == 0
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
