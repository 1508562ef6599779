"""Model zoo predict throughput and peak memory: striate against Keras 3 (torch backend).

VGG16 and ResNet50 with their classifiers, batch 8 of 224x224x3 images, the same random weights in
both (written once by striate in Keras 2's HDF5 layout, loaded by each). Every measurement runs in a
fresh process of its own, so each framework's peak resident memory (VmHWM: weights, activations and
the framework itself) is its own; the processes alternate between the frameworks (striate, Keras, then
Keras, striate, ...) so that neither always runs on a warmer or a busier machine. Each process builds
the model, loads the weights, predicts once to warm up, then times ``--iterations`` calls of
``model.predict`` on the batch and reports the fastest.

    python benchmarks/zoo.py [--models vgg16,resnet50] [--repeats 1] [--iterations 2] [--batch 8]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

MODELS = {"vgg16": "VGG16", "resnet50": "ResNet50"}
SIZE = 224


def random_weights_file(model_name, folder):
    """Random weights for ``model_name`` (He-scaled kernels, batch normalization's variances in [0.5, 1.5]),
    saved by striate in Keras 2's ``.h5`` layout, which both frameworks load."""
    import numpy as np

    import striate
    model = getattr(striate.applications, MODELS[model_name])(weights=None)
    rng = np.random.default_rng(0)
    values = []
    for v in model.weights:
        shape, kind = tuple(v.shape), v.path.rsplit("/", 1)[-1]
        if kind == "kernel":
            values.append(rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[:-1])))
        elif kind in ("gamma", "moving_variance"):
            values.append(rng.uniform(0.5, 1.5, shape))
        else:
            values.append(rng.standard_normal(shape) * 0.1)
    model.set_weights([value.astype("float32") for value in values])
    path = os.path.join(folder, f"{model_name}.h5")
    model.save_weights(path)
    return path


def measure(framework, model_name, weights, batch, iterations):
    """In this process: ``{"images_s": ..., "peak_mib": ..., "output": ...}`` of one framework's predict."""
    import numpy as np
    if framework == "striate":
        import striate as lib
    else:
        import keras as lib
    model = getattr(lib.applications, MODELS[model_name])(weights=None)
    model.load_weights(weights)
    x = np.random.default_rng(1).uniform(-1, 1, (batch, SIZE, SIZE, 3)).astype("float32")
    out = model.predict(x, batch_size=batch, verbose=0)  # warm-up
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        times.append(time.perf_counter() - start)
    return {"images_s": batch / min(times), "peak_mib": peak_mib(), "output": np.asarray(out).tolist()}


def peak_mib():
    """This process's peak resident memory (MiB).

    NOTE: VmHWM, the peak of this process's own memory map: ru_maxrss would carry over the parent's
    peak through fork and exec (Linux keeps it)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(framework, model_name, weights, batch, iterations):
    command = [sys.executable, os.path.abspath(__file__), "--child", framework, "--models", model_name,
               "--weights", weights, "--batch", str(batch), "--iterations", str(iterations)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{framework} {model_name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--repeats", type=int, default=1, help="processes per framework and model")
    p.add_argument("--iterations", type=int, default=2, help="timed predict calls per process")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--json", help="write the results here")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--weights", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(measure(a.child, a.models, a.weights, a.batch, a.iterations)))
        return

    import numpy as np
    import torch
    print(f"predict, batch {a.batch} of {SIZE}x{SIZE}x3, fastest of {a.iterations} calls per process, "
          f"{a.repeats} process(es) per framework; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for model_name in a.models.split(","):
            weights = random_weights_file(model_name, folder)
            runs = {"striate": [], "keras": []}
            for repeat in range(a.repeats):
                order = ("striate", "keras") if repeat % 2 == 0 else ("keras", "striate")
                for framework in order:
                    runs[framework].append(run_child(framework, model_name, weights, a.batch, a.iterations))
            ours, theirs = (max(runs[f], key=lambda r: r["images_s"]) for f in ("striate", "keras"))
            peak = {f: min(r["peak_mib"] for r in runs[f]) for f in runs}
            expected = np.asarray(theirs["output"])
            same = bool(np.abs(np.asarray(ours["output"]) - expected).max() <= 1e-4 * np.abs(expected).max())
            rows.append({"model": model_name, "striate_images_s": ours["images_s"],
                         "keras_images_s": theirs["images_s"], "speed_ratio": ours["images_s"] / theirs["images_s"],
                         "striate_peak_mib": peak["striate"], "keras_peak_mib": peak["keras"],
                         "memory_ratio": peak["striate"] / peak["keras"], "same_predictions": same})
    print(f"{'model':<9} {'striate img/s':>13} {'keras img/s':>12} {'speed x':>8} {'striate MiB':>12} "
          f"{'keras MiB':>10} {'memory x':>9}  same output")
    for r in rows:
        print(f"{r['model']:<9} {r['striate_images_s']:>13.2f} {r['keras_images_s']:>12.2f} {r['speed_ratio']:>8.2f} "
              f"{r['striate_peak_mib']:>12.0f} {r['keras_peak_mib']:>10.0f} {r['memory_ratio']:>9.2f}  "
              f"{'yes' if r['same_predictions'] else 'NO'}")
    print("speed x: striate's images/s over Keras's (>= 1 is the target); memory x: striate's peak over "
          "Keras's (<= 1 is the target)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
