"""The benchmark scripts in benchmarks/ run as a user runs them: the training benchmark's smallest
configuration, each framework in a process of its own, prints a table with its ratios."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def test_separate_mode_prints_a_ratio(tmp_path):
    pytest.importorskip("torch")
    out_json = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "train_vs_torch.py"), "--separate", "--models", "dff",
                           "--batches", "32", "--samples", "256", "--repeats", "1", "--no-extras", "--no-keras",
                           "--no-fast", "--json", str(out_json)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "each in a fresh process, alternating" in done.stdout
    row = re.search(r"^dff\s+32\s+(\d+)\s+-\s+(\d+)\s+-\s+(\d+\.\d\d)", done.stdout, re.MULTILINE)
    assert row, done.stdout
    striate_ips, torch_ips, ratio = float(row[1]), float(row[2]), float(row[3])
    assert striate_ips > 0 and torch_ips > 0
    assert ratio == pytest.approx(striate_ips / torch_ips, rel=0.02, abs=0.01)
    assert re.search(r"threads: torch \d+, striate \d+ \(torch set to the cores, striate its default; "
                     r"this machine has \d+ cores\)", done.stdout)
    assert re.search(r"minimum striate/torch \(NumPy alone\): \d+\.\d\d", done.stdout)
    assert '"vs_torch"' in out_json.read_text()
