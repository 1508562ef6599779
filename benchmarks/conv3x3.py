"""3x3 convolutions, forward + backward, against this machine's float32 matrix-product rate.

    python benchmarks/conv3x3.py [--repeats 7] [--threads 1 2]

Prints the float32 GEMM rate (a 2048 x 2048 np.matmul on one and on two BLAS threads), then for each
shape of ResNet-20 on CIFAR (batch 32 and 128) and of a VGG-style CIFAR net: the GEMM rate measured
again just before it (the machine may be shared), the time of one forward and backward (the input's
and the kernel's gradients) of the reference convolution (``ops.conv.ReferenceConv``, im2col) and of
``ops.conv`` (the strategy ``choose_strategy`` picks), and each as a percentage of that GEMM rate,
counting 2 * N * OH * OW * C_out * C_in * 9 operations a pass and three passes. Each time is the
median of ``--repeats`` runs, on each thread count of ``--threads``: the reference's products on that
many BLAS threads, ``ops.conv`` on that many striate threads inside ``backend.engaged()`` (as in ``fit``), the
GEMM on as many BLAS threads.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402

from striate import backend  # noqa: E402
from striate.autodiff import Tensor  # noqa: E402
from striate.backend.blas import threads_functions  # noqa: E402
from striate.ops import conv as conv_op  # noqa: E402
from striate.ops.conv import ReferenceConv  # noqa: E402

# (name, batch, height = width, C_in, C_out, stride)
SHAPES = [(f"resnet20 {size}x{size}x{cin}->{cout}{' /2' if stride == 2 else ''}", batch, size, cin, cout, stride)
          for batch in (32, 128)
          for size, cin, cout, stride in ((32, 16, 16, 1), (32, 16, 32, 2), (16, 32, 32, 1), (16, 32, 64, 2),
                                          (8, 64, 64, 1))] + \
         [(f"vgg {size}x{size}x{cin}->{cout}", 32, size, cin, cout, 1)
          for size, cin, cout in ((32, 64, 64), (16, 128, 128), (8, 256, 256), (4, 256, 256))]


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gemm_rate(threads, repeats, size=2048):
    """GFLOP/s of a float32 (size x size) np.matmul with NumPy's BLAS on ``threads`` threads."""
    threads_functions()[0](threads)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    return 2 * size ** 3 / median_time(lambda: a @ b, repeats) / 1e9


def step(conv, x, w, g):
    """One forward and backward of ``conv(x, w)`` (Tensors needing gradients) with output gradient ``g``."""
    x.grad = w.grad = None
    conv(x, w).backward(g)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", default="", help="run only the shapes whose name contains this")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for threads in args.threads:
        print(f"float32 GEMM, {threads} thread(s): {gemm_rate(threads, args.repeats):.1f} GFLOP/s")
    print(f"\nmedians of {args.repeats} runs, forward + backward (input and kernel gradients); GEMM: the rate "
          "measured just before the row's convolutions, on as many threads")
    print(f"{'shape':30} {'batch':>5} {'threads':>7} {'GEMM GF/s':>9} {'reference ms':>12} {'%GEMM':>6} "
          f"{'ops.conv ms':>11} {'%GEMM':>6}")
    for name, batch, size, cin, cout, stride in SHAPES:
        if args.only not in name:
            continue
        x = Tensor(rng.standard_normal((batch, size, size, cin)).astype(np.float32), requires_grad=True)
        w = Tensor((rng.standard_normal((3, 3, cin, cout)) / np.sqrt(9 * cin)).astype(np.float32), requires_grad=True)
        out = -(-size // stride)
        g = rng.standard_normal((batch, out, out, cout)).astype(np.float32)
        pad = max((out - 1) * stride + 3 - size, 0)
        pads = ((pad // 2, pad - pad // 2),) * 2
        gflops = 3 * 2 * batch * out * out * cout * cin * 9 / 1e9
        for threads in args.threads:
            rate = gemm_rate(threads, 3)  # the reference's one product a pass, on BLAS's threads
            reference = median_time(
                lambda: step(lambda a, b: ReferenceConv((stride,) * 2, (1, 1), pads)(a, b), x, w, g), args.repeats)
            backend.set_num_threads(threads)
            # OpenBLAS's threads spin for a while after the GEMM and the reference's products (2^28 cycles
            # by default) and would take a core from striate's: let them fall asleep first
            time.sleep(0.3)
            with backend.engaged():  # as inside fit: striate's threads, BLAS on one thread
                fast = median_time(lambda: step(lambda a, b: conv_op(a, b, stride, "same"), x, w, g), args.repeats)
            print(f"{name:30} {batch:5} {threads:7} {rate:9.1f} {reference * 1e3:12.2f} "
                  f"{100 * gflops / reference / rate:5.0f}% {fast * 1e3:11.2f} {100 * gflops / fast / rate:5.0f}%")


if __name__ == "__main__":
    main()
