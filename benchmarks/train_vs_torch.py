"""Training throughput of striate's model.fit against a hand-written PyTorch loop and Keras 3 fit.

Four models (the lecture DFF and CNN, LeNet-5, the Keras MNIST convnet) at batch 32 and 128, on the
same data, the same architecture and Adam. Runs are interleaved in one process, warm-up first, and
the median of several repeats is reported as images/s with two ratios: striate/PyTorch and
striate/Keras. Then peak memory for one epoch of the lecture CNN (separate processes), import time
and installed size.

    python benchmarks/train_vs_torch.py [--repeats 5] [--samples 4096] [--quick]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

MODELS = ("dff", "cnn", "lenet5", "convnet")
# NOTE: BLAS and OpenMP worker threads spin for a while after their last task; without a pause the
# framework that ran just before steals CPU from the one being timed (seen here as 2x swings).
# The pause is busy, not a sleep: after 0.3 s idle, the first ~50 ms of work ran up to 1.8x slower on
# a 2-core VM (its host's power management), a cost no training run pays between its epochs, and
# which fell on whichever framework hands work between threads most often (LeNet-5 at batch 128:
# striate's epoch 198 -> 225 ms after a sleep, PyTorch's 201 -> 206).
SETTLE = 0.3


def settle():
    """Wait SETTLE seconds with this thread busy, so the CPU stays awake."""
    end = time.perf_counter() + SETTLE
    while time.perf_counter() < end:
        pass


def build_striate(lib, name):
    """The same four models in striate or Keras (identical code: that is the point of the API)."""
    L = lib.layers
    if name == "dff":
        layers = [lib.Input(shape=(28, 28)), L.Flatten(), L.Dense(256, activation="relu"),
                  L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    elif name == "cnn":
        layers = [lib.Input(shape=(28, 28, 1)), L.Conv2D(6, (5, 5)), L.MaxPooling2D(pool_size=(4, 4)),
                  L.Flatten(), L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")]
    elif name == "lenet5":
        layers = [lib.Input(shape=(28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="tanh"),
                  L.AveragePooling2D(2), L.Conv2D(16, 5, activation="tanh"), L.AveragePooling2D(2), L.Flatten(),
                  L.Dense(120, activation="tanh"), L.Dense(84, activation="tanh"), L.Dense(10, activation="softmax")]
    else:
        layers = [lib.Input(shape=(28, 28, 1)), L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                  L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)), L.Flatten(), L.Dropout(0.5),
                  L.Dense(10, activation="softmax")]
    model = lib.Sequential(layers)
    model.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def build_torch(name):
    import torch.nn as nn
    if name == "dff":
        net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                            nn.Linear(128, 10))
    elif name == "cnn":
        net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(216, 32), nn.ReLU(),
                            nn.Linear(32, 10))
    elif name == "lenet5":
        net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                            nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(),
                            nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    return net


def torch_epoch_fn(name, x, y, batch):
    """A hand-written PyTorch eager loop: zero_grad, forward, loss, backward, step (the usual way)."""
    import torch
    net = build_torch(name)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x if name == "dff" else x.transpose(0, 3, 1, 2).copy())
    yt = torch.from_numpy(y)

    def epoch():
        net.train()
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return epoch


def fit_epoch_fn(lib, name, x, y, batch, accelerated=None):
    """One epoch of ``model.fit``; for striate, ``accelerated`` picks NumPy alone (False) or the compiled
    kernels of striate[fast] (True)."""
    model = build_striate(lib, name)

    def epoch():
        if accelerated is not None:
            lib.backend.set_accelerated(accelerated)
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
    return epoch


def has_numba():
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def throughput(repeats, samples, batches, models, with_keras=True):
    import numpy as np
    import torch

    import striate
    rng = np.random.default_rng(0)
    rows = []
    for name in models:
        shape = (samples, 28, 28) if name == "dff" else (samples, 28, 28, 1)
        x = rng.random(shape, dtype=np.float32)
        y = rng.integers(0, 10, samples).astype(np.int64)
        for batch in batches:
            runners = {"striate": fit_epoch_fn(striate, name, x, y, batch, accelerated=False)}
            if has_numba():
                runners["fast"] = fit_epoch_fn(striate, name, x, y, batch, accelerated=True)
            runners["torch"] = torch_epoch_fn(name, x, y, batch)
            if with_keras:
                import keras
                runners["keras"] = fit_epoch_fn(keras, name, x, y, batch)
            for run in runners.values():  # warm-up: first-call costs (allocation, building) excluded
                run()
            times = {k: [] for k in runners}
            for _ in range(repeats):  # interleaved, so drifts in machine load hit all alike
                for k, run in runners.items():
                    settle()
                    t = time.perf_counter()
                    run()
                    times[k].append(time.perf_counter() - t)
            ips = {k: samples / statistics.median(v) for k, v in times.items()}
            shipped = ips.get("fast", ips["striate"])  # what an install with striate[fast] runs, if present
            row = {"model": name, "batch": batch, **{f"{k}_ips": v for k, v in ips.items()},
                   "vs_torch": ips["striate"] / ips["torch"], "fast_vs_torch": shipped / ips["torch"]}
            if with_keras:
                row["vs_keras"] = shipped / ips["keras"]
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


def format_row(r):
    def cell(key, width, digits):  # "-" where the row has no such column
        return f"{r[key]:>{width}.{digits}f}" if key in r else f"{'-':>{width}}"
    return (f"{r['model']:<8} {r['batch']:>5} {cell('striate_ips', 9, 0)} {cell('fast_ips', 9, 0)} "
            f"{cell('torch_ips', 9, 0)} {cell('keras_ips', 9, 0)} {cell('vs_torch', 8, 2)} "
            f"{cell('fast_vs_torch', 8, 2)} {cell('vs_keras', 8, 2)}")


MEMORY_SCRIPT = r"""
import importlib.util, resource, sys
spec = importlib.util.spec_from_file_location("bench", {path!r})
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
import numpy as np
rng = np.random.default_rng(0)
x = rng.random((60000, 28, 28, 1), dtype=np.float32)
y = rng.integers(0, 10, 60000)
if {which!r} == "striate":
    import striate
    bench.fit_epoch_fn(striate, "cnn", x, y, 32)()
else:
    bench.torch_epoch_fn("cnn", x, y, 32)()
# NOTE: VmHWM, the peak of this process's own memory map; ru_maxrss would carry over the parent's peak
# through fork and exec (Linux keeps it), so a large parent made both children report its size.
try:
    print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024)
except OSError:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_memory():
    """Peak resident memory (MiB) of a process that trains the lecture CNN for one epoch of 60,000 images."""
    out = {}
    for which in ("striate", "torch"):
        code = MEMORY_SCRIPT.format(path=os.path.abspath(__file__), which=which)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if res.returncode:
            raise RuntimeError(res.stderr)
        out[which] = float(res.stdout.strip().splitlines()[-1])
    return out


def import_time(module, repeats=5):
    """Median seconds to import ``module`` in a fresh process, with its bytecode cached as an installed
    package has it (a first, untimed import writes the cache even where PYTHONDONTWRITEBYTECODE is set)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = dict(os.environ, PYTHONPATH=os.path.join(HERE, "..", "src"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def run():
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout)
    run()
    return statistics.median(run() for _ in range(repeats))


def installed_size(*modules):
    """Bytes on disk of the named packages' folders (and their .libs folders)."""
    import importlib.util
    total = 0
    for m in modules:
        spec = importlib.util.find_spec(m)
        roots = [os.path.dirname(spec.origin)]
        libs = roots[0] + ".libs"
        if os.path.isdir(libs):
            roots.append(libs)
        for root in roots:
            for d, _, files in os.walk(root):
                total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--batches", default="32,128")
    p.add_argument("--no-keras", action="store_true")
    p.add_argument("--no-extras", action="store_true", help="skip memory, import time and size")
    p.add_argument("--json", help="write the results here")
    a = p.parse_args()
    import torch
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; {a.samples} images per epoch, "
          f"median of {a.repeats} interleaved repeats")
    print("images/s. striate: NumPy alone; fast: with striate[fast]'s compiled kernels (Numba"
          f"{'' if has_numba() else ', not installed: fast/ columns show NumPy alone'}); /torch: NumPy alone")
    print(f"{'model':<8} {'batch':>5} {'striate':>9} {'fast':>9} {'torch':>9} {'keras':>9} {'/torch':>8} "
          f"{'fast/tor':>8} {'fast/ker':>8}")
    rows = throughput(a.repeats, a.samples, [int(b) for b in a.batches.split(",")], a.models.split(","),
                      not a.no_keras)
    print(f"minimum striate/torch (NumPy alone): {min(r['vs_torch'] for r in rows):.2f}")
    print(f"minimum striate[fast]/torch: {min(r['fast_vs_torch'] for r in rows):.2f}")
    if not a.no_keras:
        print(f"minimum striate[fast]/keras: {min(r['vs_keras'] for r in rows):.2f}")
    result = {"throughput": rows}
    if not a.no_extras:
        mem = peak_memory()
        result["peak_mib"] = mem
        print(f"peak memory, one epoch of the lecture CNN: striate {mem['striate']:.0f} MiB, "
              f"torch {mem['torch']:.0f} MiB")
        imp = {"striate": import_time("striate"), "torch": import_time("torch")}
        result["import_s"] = imp
        print(f"import time: striate {imp['striate']:.3f} s, torch {imp['torch']:.3f} s")
        size = {"striate+numpy": installed_size("striate", "numpy"), "torch": installed_size("torch")}
        result["installed_bytes"] = size
        print(f"installed size: striate with numpy {size['striate+numpy'] / 2**20:.0f} MiB, "
              f"torch {size['torch'] / 2**20:.0f} MiB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
