"""The lectures' programs in examples/ run, with their tiny settings, as a user runs them: each script in
its own Python process, from a fresh folder."""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run_example(script, tmp_path, *args):
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--tiny", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_example_is_tested():
    tested = {"mnist_dff_vs_cnn.py", "keras_functional_api.py", "cifar_zoo.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_seed_000_dff_vs_cnn(tmp_path):
    out = run_example("mnist_dff_vs_cnn.py", tmp_path, "--out-dir", str(tmp_path))
    assert "Total params: 235,146" in out and "Total params: 7,430" in out
    assert out.count("obs\\pred") == 2
    assert "accuracy: DFF 0." in out and "(the lecture: 0.9814, 0.9845)" in out
    pytest.importorskip("PIL")
    assert (tmp_path / "cnn_filters.png").stat().st_size > 0


def test_seed_002_functional_api_snippets(tmp_path):
    out = run_example("keras_functional_api.py", tmp_path, "--out-dir", str(tmp_path))
    for section in ("1. Sequential: test loss", "2. Functional: loss", "3. Residual: z = x + conv(x)",
                    "4. Shared vision model (53,057 parameters, 37,568 of them shared)"):
        assert section in out
    assert "the rebuilt model predicts the same" in out
    assert (tmp_path / "model_weights.h5").is_file()


def test_seed_004_alexnet_vgg_resnet_on_cifar_shaped_data(tmp_path):
    out = run_example("cifar_zoo.py", tmp_path)
    assert 'Model: "alexnet_on_cifar"' in out and 'Model: "vgg16_on_cifar"' in out
    assert 'Model: "resnet20_on_cifar"' in out
    assert "Total params: 271,098" in out  # ResNet20 with 10 classes, the paper's 0.27M
    table = out.split("s/epoch")[-1]
    assert [line.split()[0] for line in table.strip().splitlines()] == ["alexnet", "vgg16", "resnet20"]
