"""Throughput of image augmentation: striate's layers against Keras 3's (torch backend) and
torchvision.transforms.v2, and what augmentation inside a model costs fit, in one run.

    python benchmarks/augment.py [--repeats 3] [--samples 2048]

striate runs twice: on NumPy alone ("numpy") and with striate[fast]'s compiled kernels ("fast",
when Numba is installed; ``striate.backend.set_accelerated`` picks one before each run).

1. The stack RandomFlip("horizontal") -> RandomRotation(0.1) -> RandomZoom(0.1) ->
   RandomTranslation(0.1, 0.1) (reflect fill, bilinear) on batches of 128 images of 28x28x1 and
   32x32x3, in training mode: striate on NumPy arrays, Keras 3 on torch tensors (channels last),
   torchvision.transforms.v2 on batched torch tensors (channels first), when torchvision is
   installed. striate and Keras draw each image's own transform; torchvision's transforms draw once
   per call, for the whole batch, and fill with zeros (it has no reflect fill). Each runs one
   warm-up batch, then they take turns, one batch each, ``--repeats`` times; the median time per
   batch gives images/s.
2. The lecture CNN (Conv2D(6, 5x5) -> MaxPooling2D(4) -> Flatten -> Dense(32, relu) ->
   Dense(10, softmax); 28x28x1, batch 32, Adam) fit for one epoch of ``--samples`` images, without
   and with the stack as its first layers, taking turns; images/s are the median of the repeats.

ratio = striate's images/s over the other's: >= 1 means striate is at least as fast. The
environment variable STRIATE_NUM_THREADS sets striate's threads (on a machine that other work keeps
busy, 1 gives steadier numbers).
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import striate  # noqa: E402

BATCH, FIT_BATCH = 128, 32
SHAPES = ((28, 28, 1), (32, 32, 3))


def stack(lib):
    """The augmentation layers, the same code for striate and Keras."""
    L = lib.layers
    return [L.RandomFlip("horizontal"), L.RandomRotation(0.1), L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1)]


def keras_like(lib, x, accelerated=None):
    """One batch through the stack of ``lib`` (striate or Keras), in training mode; for striate,
    ``accelerated`` picks NumPy alone (False) or the compiled kernels (True)."""
    layers = stack(lib)

    def run():
        if accelerated is not None:
            lib.backend.set_accelerated(accelerated)
        y = x
        for layer in layers:
            y = layer(y, training=True)
        return y
    return run


def striate_runs(make):
    """``{"numpy": make(False), "fast": make(True)}``, without "fast" where Numba is missing."""
    import importlib.util
    modes = {"numpy": False, "fast": True} if importlib.util.find_spec("numba") else {"numpy": False}
    return {name: make(accelerated) for name, accelerated in modes.items()}


def torchvision_stack(x):
    """The same augmentation in torchvision.transforms.v2, or None when torchvision is missing."""
    try:
        from torchvision.transforms import v2
    except ImportError:
        return None
    bilinear = v2.InterpolationMode.BILINEAR
    transform = v2.Compose([v2.RandomHorizontalFlip(), v2.RandomRotation(36, interpolation=bilinear),
                            v2.RandomAffine(0, scale=(0.9, 1.1), interpolation=bilinear),
                            v2.RandomAffine(0, translate=(0.1, 0.1), interpolation=bilinear)])
    return lambda: transform(x)


def seconds(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def take_turns(runs, repeats):
    """``{name: median seconds of one call}``, the runs taking turns after one warm-up call each."""
    for run in runs.values():
        run()
    times = {name: [] for name in runs}
    for r in range(repeats):
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            times[name].append(seconds(runs[name]))
    return {name: statistics.median(t) for name, t in times.items()}


def cell(rate, name, width, digits=0, over=None):
    """``rate[name]`` (over ``rate[over]``), right-aligned in ``width``; "-" where either is missing."""
    if name not in rate or (over is not None and over not in rate):
        return f"{'-':>{width}s}"
    return f"{rate[name] / (rate[over] if over else 1):{width}.{digits}f}"


def augmentation(repeats):
    print(f"1. augmentation stack, batch {BATCH}, training mode (images/s)")
    print(f"{'images':10s} {'numpy':>9s} {'fast':>9s} {'keras':>9s} {'torchvision':>12s} {'numpy/keras':>12s} "
          f"{'fast/keras':>11s} {'fast/tv':>8s}")
    rng = np.random.default_rng(0)
    skipped = False
    for shape in SHAPES:
        x = rng.uniform(0, 1, (BATCH,) + shape).astype("float32")
        runs = {**striate_runs(lambda accelerated: keras_like(striate, x, accelerated)),
                "keras": keras_like(keras, torch.from_numpy(x))}
        tv = torchvision_stack(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
        if tv is None:
            skipped = True
        else:
            runs["torchvision"] = tv
        rate = {name: BATCH / t for name, t in take_turns(runs, repeats).items()}
        print(f"{'x'.join(map(str, shape)):10s} {cell(rate, 'numpy', 9)} {cell(rate, 'fast', 9)} "
              f"{cell(rate, 'keras', 9)} {cell(rate, 'torchvision', 12)} {cell(rate, 'numpy', 12, 2, 'keras')} "
              f"{cell(rate, 'fast', 11, 2, 'keras')} {cell(rate, 'fast', 8, 2, 'torchvision')}")
    if skipped:
        print("torchvision skipped: it is not installed (pip install torchvision, matching the installed torch)")


def lecture_cnn(augmented):
    L = striate.layers
    layers = [striate.Input(shape=(28, 28, 1))] + (stack(striate) if augmented else []) + [
        L.Conv2D(6, (5, 5)), L.MaxPooling2D(pool_size=(4, 4)), L.Flatten(), L.Dense(32, activation="relu"),
        L.Dense(10, activation="softmax")]
    model = striate.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def fit_cost(repeats, samples):
    print(f"\n2. the lecture CNN, fit, batch {FIT_BATCH}, {samples} images an epoch (images/s)")
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (samples, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, samples)

    def fit_epoch(augmented, accelerated):
        model = lecture_cnn(augmented)

        def run():
            striate.backend.set_accelerated(accelerated)
            model.fit(x, y, batch_size=FIT_BATCH, epochs=1, verbose=0)
        return run
    runs = {(mode, augmented): run for augmented in (False, True)
            for mode, run in striate_runs(lambda accelerated: fit_epoch(augmented, accelerated)).items()}
    rate = {key: samples / t for key, t in take_turns(runs, repeats).items()}
    modes = [mode for mode in ("numpy", "fast") if (mode, False) in rate]
    print(f"{'':18s}" + "".join(f"{mode:>9s}" for mode in modes))
    print(f"{'without the stack':18s}" + "".join(f"{rate[mode, False]:9.0f}" for mode in modes))
    print(f"{'with the stack':18s}" + "".join(f"{rate[mode, True]:9.0f}" for mode in modes))
    print(f"{'throughput lost':18s}" + "".join(f"{1 - rate[mode, True] / rate[mode, False]:9.0%}" for mode in modes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per library and case")
    parser.add_argument("--samples", type=int, default=2048, help="images in one epoch of the fit benchmark")
    args = parser.parse_args()
    print(f"striate {striate.__version__}, numpy {np.__version__}; keras {keras.__version__} on torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; median of {args.repeats}")
    augmentation(args.repeats)
    fit_cost(args.repeats, args.samples)


if __name__ == "__main__":
    main()
