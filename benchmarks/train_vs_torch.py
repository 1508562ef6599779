"""Training throughput of striate's model.fit against a hand-written PyTorch loop and Keras 3 fit.

Seven models on random data of the right shapes, with the same architecture and Adam in each
framework: the four lecture models (the DFF and CNN, LeNet-5, the Keras MNIST convnet) on 28x28x1,
and three deeper ones on 32x32x3: the CIFAR ResNet-20 of He et al. (``striate.applications.ResNet20``),
a VGG-style net with batch normalization and a small U-Net with a per-pixel softmax. Throughput is
images/s of one training epoch, the median of several repeats, with two ratios: striate/PyTorch and
striate/Keras.

Two ways to take turns:

- interleaved (the default): every framework in this one process, one epoch each in turn;
- ``--separate``: every measurement (framework, model, batch, repeat) in a fresh Python process of
  its own, the frameworks alternating, so one framework's idle BLAS/OpenMP threads cannot slow the
  next one's epoch.

PyTorch runs on as many threads as this process may use cores, striate on its default; ``--threads N``
puts both on N. Then peak
memory for one epoch of the lecture CNN (separate processes), import time and installed size.

    python benchmarks/train_vs_torch.py [--separate] [--models resnet20,dff] [--batches 32,128]
        [--repeats 3] [--samples 4096] [--threads N] [--quick] [--no-keras] [--no-fast] [--no-extras]
        [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

LECTURE_MODELS = ("dff", "cnn", "lenet5", "convnet")
DEEP_MODELS = ("resnet20", "vgg_cifar", "unet_small")
MODELS = LECTURE_MODELS + DEEP_MODELS
# Keras has no option A shortcut layer (striate's ZeroPaddingShortcut), so no Keras ResNet-20 here; the
# U-Net's training step fails in Keras 3.15 on torch ("grad_input must be contiguous").
KERAS_MODELS = ("dff", "cnn", "lenet5", "convnet", "vgg_cifar")
UNET_CLASSES = 4
VGG_BLOCKS = (64, 64, "M", 128, 128, "M", 256, 256, "M")
# NOTE: BLAS and OpenMP worker threads spin for a while after their last task; without a pause the
# framework that ran just before steals CPU from the one being timed (in the interleaved mode).
# The pause is busy, not a sleep: after an idle pause the first work of a virtual machine runs
# slower (its host's power management), a cost no training run pays between its epochs, and which
# would fall on whichever framework hands work between threads most often.
SETTLE = 0.3


def settle():
    """Wait SETTLE seconds with this thread busy, so the CPU stays awake."""
    end = time.perf_counter() + SETTLE
    while time.perf_counter() < end:
        pass


def cores():
    """The number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def make_data(name, samples, seed=0):
    """Random inputs and integer labels of ``name``'s shapes: 28x28(x1) digits for the lecture models,
    32x32x3 images and 10 classes for ResNet-20 and the VGG net, 32x32x3 images and 32x32 masks of
    UNET_CLASSES classes for the U-Net."""
    import numpy as np
    rng = np.random.default_rng(seed)
    if name == "dff":
        shape = (samples, 28, 28)
    elif name in LECTURE_MODELS:
        shape = (samples, 28, 28, 1)
    else:
        shape = (samples, 32, 32, 3)
    x = rng.random(shape, dtype=np.float32)
    if name == "unet_small":
        return x, rng.integers(0, UNET_CLASSES, (samples, 32, 32)).astype(np.int64)
    return x, rng.integers(0, 10, samples).astype(np.int64)


def build_striate(lib, name):
    """The models in striate or Keras (identical code: that is the point of the API), compiled with Adam
    and sparse categorical cross-entropy."""
    L = lib.layers
    if name == "dff":
        model = lib.Sequential([lib.Input(shape=(28, 28)), L.Flatten(), L.Dense(256, activation="relu"),
                                L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    elif name == "cnn":
        model = lib.Sequential([lib.Input(shape=(28, 28, 1)), L.Conv2D(6, (5, 5)), L.MaxPooling2D(pool_size=(4, 4)),
                                L.Flatten(), L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")])
    elif name == "lenet5":
        model = lib.Sequential([lib.Input(shape=(28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="tanh"),
                                L.AveragePooling2D(2), L.Conv2D(16, 5, activation="tanh"), L.AveragePooling2D(2),
                                L.Flatten(), L.Dense(120, activation="tanh"), L.Dense(84, activation="tanh"),
                                L.Dense(10, activation="softmax")])
    elif name == "convnet":
        model = lib.Sequential([lib.Input(shape=(28, 28, 1)), L.Conv2D(32, (3, 3), activation="relu"),
                                L.MaxPooling2D((2, 2)), L.Conv2D(64, (3, 3), activation="relu"),
                                L.MaxPooling2D((2, 2)), L.Flatten(), L.Dropout(0.5),
                                L.Dense(10, activation="softmax")])
    elif name == "resnet20":
        if not hasattr(lib.applications, "ResNet20"):
            raise ValueError(f"build_striate: {lib.__name__} has no ResNet20 (an option A shortcut layer)")
        model = lib.applications.ResNet20()
    elif name == "vgg_cifar":
        layers = [lib.Input(shape=(32, 32, 3))]
        for block in VGG_BLOCKS:
            if block == "M":
                layers.append(L.MaxPooling2D(2))
            else:
                layers += [L.Conv2D(block, 3, padding="same", use_bias=False), L.BatchNormalization(),
                           L.Activation("relu")]
        layers += [L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
        model = lib.Sequential(layers)
    elif name == "unet_small":
        def twice(t, filters):
            for _ in range(2):
                t = L.Conv2D(filters, 3, padding="same", activation="relu")(t)
            return t
        inputs = lib.Input(shape=(32, 32, 3))
        down1 = twice(inputs, 16)
        down2 = twice(L.MaxPooling2D(2)(down1), 32)
        bottom = twice(L.MaxPooling2D(2)(down2), 64)
        up2 = twice(L.Concatenate()([L.Conv2DTranspose(32, 2, strides=2)(bottom), down2]), 32)
        up1 = twice(L.Concatenate()([L.Conv2DTranspose(16, 2, strides=2)(up2), down1]), 16)
        model = lib.Model(inputs, L.Conv2D(UNET_CLASSES, 1, activation="softmax")(up1))
    else:
        raise ValueError(f"build_striate: model must be one of {MODELS}, received {name!r}")
    model.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def build_torch(name):
    """The same models as PyTorch modules, channels first, ending in logits (CrossEntropyLoss takes the
    softmax). Batch normalization as Keras's: epsilon 1e-3, moving averages kept at 0.99."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    def bn(channels):
        return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)

    class BasicBlock(nn.Module):
        """striate.applications.resnet_cifar.basic_block: conv-BN-ReLU-conv-BN, plus the option A
        shortcut (subsampled, new zero channels after the input's), then ReLU."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), bn(cout)
            self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), bn(cout)
            self.stride, self.extra = stride, cout - cin

        def forward(self, x):
            out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            if self.stride != 1 or self.extra:
                x = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, 0, self.extra))
            return F.relu(out + x)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()

            def twice(cin, cout):
                return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                                     nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())
            self.down1, self.down2, self.bottom = twice(3, 16), twice(16, 32), twice(32, 64)
            self.up2t, self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2), twice(64, 32)
            self.up1t, self.up1 = nn.ConvTranspose2d(32, 16, 2, stride=2), twice(32, 16)
            self.head = nn.Conv2d(16, UNET_CLASSES, 1)

        def forward(self, x):
            d1 = self.down1(x)
            d2 = self.down2(F.max_pool2d(d1, 2))
            b = self.bottom(F.max_pool2d(d2, 2))
            u2 = self.up2(torch.cat([self.up2t(b), d2], 1))
            return self.head(self.up1(torch.cat([self.up1t(u2), d1], 1)))

    if name == "dff":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(216, 32), nn.ReLU(),
                             nn.Linear(32, 10))
    if name == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5),
                             nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Tanh(),
                             nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    if name == "convnet":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    if name == "resnet20":
        layers, cin = [nn.Conv2d(3, 16, 3, padding=1, bias=False), bn(16), nn.ReLU()], 16
        for stage, cout in enumerate((16, 32, 64)):
            for block in range(3):
                layers.append(BasicBlock(cin, cout, 2 if block == 0 and stage > 0 else 1))
                cin = cout
        net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        return net
    if name == "vgg_cifar":
        layers, cin = [], 3
        for block in VGG_BLOCKS:
            if block == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, block, 3, padding=1, bias=False), bn(block), nn.ReLU()]
                cin = block
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(4 * 4 * 256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "unet_small":
        return UNet()
    raise ValueError(f"build_torch: model must be one of {MODELS}, received {name!r}")


def torch_epoch_fn(name, x, y, batch):
    """A hand-written PyTorch eager loop: zero_grad, forward, loss, backward, step (the usual way). The
    returned ``epoch(n=None)`` trains on ``n`` random images of ``x`` (all by default)."""
    import torch
    net = build_torch(name)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x if name == "dff" else x.transpose(0, 3, 1, 2).copy())
    yt = torch.from_numpy(y)

    def epoch(n=None):
        net.train()
        perm = torch.randperm(len(xt))[:n]
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return epoch


def fit_epoch_fn(lib, name, x, y, batch, accelerated=None):
    """One epoch of ``model.fit``; for striate, ``accelerated`` picks NumPy alone (False) or the compiled
    kernels of striate[fast] (True). The returned ``epoch(n=None)`` trains on the first ``n`` images of ``x``
    (all by default)."""
    model = build_striate(lib, name)

    def epoch(n=None):
        if accelerated is not None:
            lib.backend.set_accelerated(accelerated)
        model.fit(x[:n], y[:n], batch_size=batch, epochs=1, verbose=0, shuffle=True)
    return epoch


def has_numba():
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def frameworks(name, with_keras, with_fast=True):
    """The columns measured for model ``name``: striate (NumPy alone), fast (striate[fast], where Numba
    is installed), torch, keras."""
    names = ["striate"] + (["fast"] if with_fast and has_numba() else []) + ["torch"]
    return names + (["keras"] if with_keras and name in KERAS_MODELS else [])


def epoch_fn(framework, name, x, y, batch):
    """One epoch of ``framework`` ('striate', 'fast', 'torch' or 'keras') training ``name``."""
    if framework == "torch":
        return torch_epoch_fn(name, x, y, batch)
    if framework == "keras":
        import keras
        return fit_epoch_fn(keras, name, x, y, batch)
    import striate
    return fit_epoch_fn(striate, name, x, y, batch, accelerated=framework == "fast")


def set_threads(n=None):
    """Both frameworks on ``n`` threads; by default PyTorch on this machine's cores and striate on its
    default."""
    import torch
    torch.set_num_threads(n or cores())
    if n:
        import striate
        striate.backend.set_num_threads(n)


def thread_settings():
    """Thread counts each framework runs on now."""
    import torch

    import striate
    return {"cores": cores(), "torch": torch.get_num_threads(), "striate": striate.backend.get_num_threads()}


def make_row(name, batch, ips):
    """A table row from images/s per framework: the ratios striate/torch (NumPy alone), striate[fast]/torch
    and striate[fast]/keras (NumPy alone where Numba is missing; none where fast was not measured)."""
    row = {"model": name, "batch": batch, **{f"{k}_ips": v for k, v in ips.items()},
           "vs_torch": ips["striate"] / ips["torch"]}
    if "fast" not in ips and has_numba():
        return row
    shipped = ips.get("fast", ips["striate"])  # what an install with striate[fast] runs, if present
    row["fast_vs_torch"] = shipped / ips["torch"]
    if "keras" in ips:
        row["vs_keras"] = shipped / ips["keras"]
    return row


def throughput(repeats, samples, batches, models, with_keras=True, with_fast=True):
    """The interleaved mode: every framework in this process, one epoch each in turn, after a warm-up."""
    rows = []
    for name in models:
        x, y = make_data(name, samples)
        for batch in batches:
            runners = {k: epoch_fn(k, name, x, y, batch) for k in frameworks(name, with_keras, with_fast)}
            for run in runners.values():  # warm-up: first-call costs (allocation, building) excluded
                run()
            times = {k: [] for k in runners}
            for _ in range(repeats):  # interleaved, so drifts in machine load hit all alike
                for k, run in runners.items():
                    settle()
                    t = time.perf_counter()
                    run()
                    times[k].append(time.perf_counter() - t)
            row = make_row(name, batch, {k: samples / statistics.median(v) for k, v in times.items()})
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


def child(framework, name, batch, samples, threads=None):
    """One measurement in this fresh process: a warm-up of two batches (first-call costs: allocation,
    building, compiling kernels), then one timed epoch. Returns a dict with images/s and the thread
    settings, which the parent reads as JSON."""
    set_threads(threads)
    x, y = make_data(name, samples)
    run = epoch_fn(framework, name, x, y, batch)
    run(2 * batch)
    t = time.perf_counter()
    run()
    return {"ips": samples / (time.perf_counter() - t), "threads": thread_settings()}


def run_child(framework, name, batch, samples, threads=None):
    """Start this script as a fresh Python process for one measurement; its result dict."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework, "--models", name,
           "--batches", str(batch), "--samples", str(samples)] + (["--threads", str(threads)] if threads else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{framework} {name} batch {batch} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def throughput_separate(repeats, samples, batches, models, with_keras=True, with_fast=True, threads=None,
                        reported=None):
    """The separate mode: each (framework, model, batch) measurement in a fresh process on ``threads``
    threads (None: each framework's default, see ``set_threads``); the frameworks take turns, the first
    of each repeat rotating, and each column is the median of ``repeats``. Fills ``reported`` (a dict)
    with the thread settings the children reported."""
    rows = []
    for name in models:
        for batch in batches:
            names = frameworks(name, with_keras, with_fast)
            ips = {k: [] for k in names}
            for r in range(repeats):
                for k in names[r % len(names):] + names[:r % len(names)]:
                    result = run_child(k, name, batch, samples, threads)
                    ips[k].append(result["ips"])
                    if reported is not None:
                        reported.update(result["threads"])
            row = make_row(name, batch, {k: statistics.median(v) for k, v in ips.items()})
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


def format_row(r):
    def cell(key, width, digits):  # "-" where the row has no such column
        return f"{r[key]:>{width}.{digits}f}" if key in r else f"{'-':>{width}}"
    return (f"{r['model']:<10} {r['batch']:>5} {cell('striate_ips', 9, 0)} {cell('fast_ips', 9, 0)} "
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


def write_json(path, result):
    """Write ``result`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--separate", action="store_true",
                   help="each measurement in a fresh process of its own, the frameworks alternating")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {','.join(MODELS)}")
    p.add_argument("--batches", default="32,128")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 256 images, one repeat, batch 32, no memory/import/size extras")
    p.add_argument("--threads", type=int,
                   help="both frameworks on this many threads (default: PyTorch on this machine's cores, "
                        "striate on its default)")
    p.add_argument("--no-keras", action="store_true")
    p.add_argument("--no-fast", action="store_true", help="skip striate[fast]'s column")
    p.add_argument("--no-extras", action="store_true", help="skip memory, import time and size")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--child", help=argparse.SUPPRESS)  # the separate mode's one measurement, in this process
    a = p.parse_args(argv)
    if a.quick:
        a.samples, a.repeats, a.batches, a.no_extras = 256, 1, "32", True
    a.models, a.batches = a.models.split(","), [int(b) for b in a.batches.split(",")]
    unknown = sorted(set(a.models) - set(MODELS))
    if unknown:
        p.error(f"--models: expected names among {','.join(MODELS)}, received {','.join(unknown)}")
    return a


def main():
    a = parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.models[0], a.batches[0], a.samples, a.threads)))
        return
    import torch
    mode = "each in a fresh process, alternating" if a.separate else "interleaved in this process"
    print(f"torch {torch.__version__}; {a.samples} images per epoch, median of {a.repeats} repeats, {mode}")
    fast = ("not measured (--no-fast)" if a.no_fast else "with striate[fast]'s compiled kernels (Numba"
            f"{'' if has_numba() else ', not installed: fast/ columns show NumPy alone'})")
    print(f"images/s. striate: NumPy alone; fast: {fast}; /torch: NumPy alone")
    print(f"{'model':<10} {'batch':>5} {'striate':>9} {'fast':>9} {'torch':>9} {'keras':>9} {'/torch':>8} "
          f"{'fast/tor':>8} {'fast/ker':>8}", flush=True)
    if a.separate:
        threads = {}
        rows = throughput_separate(a.repeats, a.samples, a.batches, a.models, not a.no_keras, not a.no_fast,
                                   a.threads, threads)
    else:
        set_threads(a.threads)
        rows = throughput(a.repeats, a.samples, a.batches, a.models, not a.no_keras, not a.no_fast)
        threads = thread_settings()
    how = "both set by --threads" if a.threads else "torch set to the cores, striate its default"
    print(f"threads: torch {threads['torch']}, striate {threads['striate']} ({how}; "
          f"this machine has {threads['cores']} cores)")
    print(f"minimum striate/torch (NumPy alone): {min(r['vs_torch'] for r in rows):.2f}")
    if any("fast_vs_torch" in r for r in rows):
        print(f"minimum striate[fast]/torch: {min(r['fast_vs_torch'] for r in rows if 'fast_vs_torch' in r):.2f}")
    if any("vs_keras" in r for r in rows):
        print(f"minimum striate[fast]/keras: {min(r['vs_keras'] for r in rows if 'vs_keras' in r):.2f}")
    result = {"mode": "separate" if a.separate else "interleaved", "samples": a.samples, "repeats": a.repeats,
              "threads": threads, "throughput": rows}
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
        write_json(a.json, result)


if __name__ == "__main__":
    main()
