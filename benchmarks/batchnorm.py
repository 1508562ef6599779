"""BatchNormalization's training forward and backward against this machine's memory bandwidth.

    python benchmarks/batchnorm.py [--repeats 9] [--loops 5] [--best]

For each NHWC float32 shape: the bandwidth bound, then the time of each lowering of
``ops.normalization`` (the reference; ChannelsLast with NumPy's passes; with the compiled kernels
where Numba is installed), forward and backward separately, and their sum over the bound.

The bound is what the op must move at the speed NumPy reads and copies: forward reads x twice (the
statistics, then y) and writes y, backward reads gy and x twice (the two channel sums, then gx) and
writes gx: 6 reads and 2 writes of an array of the batch's size. A read is timed as ``a.max()``, a
write as ``np.copyto(b, a)`` less a read: bound = 4 reads + 2 copies, each its fastest repeat (the
machine's best: a bound, not a typical time). "traffic" times the same reads and copies made in the
op's order on its own four arrays (x, y, gy, gx), its fastest repeat: where one array fits in L2 and
the four do not, the bound's reads and copies run from L2 and the op's cannot ("xtraf": the op's time
over it). All cases take turns within each repeat; each op's figure is the median over the repeats
of a loop's mean (``--best``: the fastest repeat, for a machine that other work shares). BLAS runs on
one thread (the NumPy passes sum with matrix-vector products; the kernels use none). Freed memory is
kept for the next arrays, as inside ``fit`` (``backend.keep_freed_memory``): each op's output reuses
pages rather than faulting in fresh ones.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

from striate import backend  # noqa: E402
from striate.backend import accel  # noqa: E402
from striate.ops import normalization  # noqa: E402

SHAPES = [(128, 32, 32, 16), (128, 16, 16, 32), (128, 8, 8, 64),  # ResNet-20's three stages
          (32, 32, 32, 16), (32, 16, 16, 32), (32, 8, 8, 64),
          (128, 16, 16, 128), (128, 8, 8, 256)]  # a VGG-style net's wider layers


def lowerings():
    found = {"reference": normalization.REFERENCE,
             "numpy": normalization.ChannelsLast(normalization.NUMPY_PASSES)}
    if accel.kernels() is not None:
        found["compiled"] = normalization.ChannelsLast(accel.kernels())
    return found


def loop_time(fn, loops):
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops


def cases(shape, rng):
    """(name, function) pairs for one shape: the two copies, then forward and backward per lowering."""
    c = shape[-1]
    x = rng.standard_normal(shape, dtype=np.float32) * 2 + 1
    gy = rng.standard_normal(shape, dtype=np.float32)
    gamma, beta = rng.standard_normal((2, c), dtype=np.float32)
    out, y, gx = np.empty_like(x), np.empty_like(x), np.empty_like(x)

    def traffic():  # the op's reads and writes, as NumPy reads and copies of its own four arrays, in order
        x.max()  # the statistics
        np.copyto(y, x)  # y from x
        gy.max(), x.max()  # the gradient's two sums
        gy.max(), np.copyto(gx, x)  # gx from gy and x
    found = [("read", x.max), ("copy", lambda: np.copyto(out, x)), ("traffic", traffic)]
    for name, low in lowerings().items():
        _, mean, var = low.forward(np, x, gamma, beta, 3, 1e-3)
        found.append((f"{name} forward", lambda low=low: low.forward(np, x, gamma, beta, 3, 1e-3)))
        found.append((f"{name} backward",
                      lambda low=low, mean=mean, var=var: low.backward(np, gy, x, gamma, mean, var, 3, 1e-3)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--best", action="store_true", help="each op's fastest repeat instead of the median")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    backend.keep_freed_memory(True)
    names = list(lowerings())
    pick = min if args.best else statistics.median
    print(f"lowerings: {', '.join(names)}; times in ms, {pick.__name__} of {args.repeats} repeats; "
          "bound = 4 reads + 2 copies, their best times; GB/s: the read's")
    print(f"{'shape':>20} {'MB':>5} {'GB/s':>5} {'read':>6} {'copy':>6} {'bound':>6} {'traffic':>7}"
          + "".join(f" | {n + ' fwd + bwd':>24} {'xbound':>6} {'xtraf':>5}" for n in names))
    for shape in SHAPES:
        found = cases(shape, rng)
        for _, fn in found:  # warm-up: caches, compilation, page faults
            fn()
        times = {name: [] for name, _ in found}
        for _ in range(args.repeats):
            for name, fn in found:
                times[name].append(loop_time(fn, args.loops))
        ms = {name: 1e3 * pick(ts) for name, ts in times.items()}
        size = 4 * int(np.prod(shape))
        read, copy, traffic = (1e3 * min(times[name]) for name in ("read", "copy", "traffic"))
        bound = 4 * read + 2 * copy
        row = (f"{str(shape):>20} {size / 1e6:5.1f} {size / read / 1e6:5.1f} {read:6.2f} {copy:6.2f} {bound:6.2f} "
               f"{traffic:7.2f}")
        for n in names:
            forward, backward = ms[n + " forward"], ms[n + " backward"]
            row += (f" | {forward:7.2f} +{backward:7.2f} ={forward + backward:6.2f} {(forward + backward) / bound:6.2f} "
                    f"{(forward + backward) / traffic:5.2f}")
        print(row, flush=True)


if __name__ == "__main__":
    main()
