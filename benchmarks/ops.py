"""Forward + backward time of striate's hot ops against PyTorch on the CPU, side by side in one run.

    python benchmarks/ops.py [--repeats 9] [--seconds 0.05]

Each case is one training step's worth of an op at batch 32 and 128: a dense layer's matmul,
LeNet-style convolutions, max pooling and softmax cross-entropy. Inputs that a network would not
differentiate (the images entering the first layer) do not require a gradient, on either side.
Both libraries run interleaved, after a warm-up, with their default threads; each number is the
median over the repeats of the mean time of a loop. ratio = torch / striate: >= 1 means striate is
at least as fast.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from striate import ops  # noqa: E402
from striate.autodiff import Tensor  # noqa: E402

rng = np.random.default_rng(0)


def _leaf(shape, grad):
    a = rng.standard_normal(shape).astype(np.float32)
    return Tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _step(forward, leaves):
    """One forward and backward, gradients cleared first (so none accumulate across steps)."""
    def run():
        for t in leaves:
            t.grad = None
        y = forward()
        y.backward(grad)
    y0 = forward()
    grad = (np.ones if isinstance(y0, Tensor) else torch.ones)(tuple(y0.shape), dtype=y0.dtype) \
        if y0.ndim else None
    return run


def matmul_case(batch):
    x, xt = _leaf((batch, 784), False)
    w, wt = _leaf((784, 256), True)
    return _step(lambda: ops.matmul(x, w), [w]), _step(lambda: xt @ wt, [wt])


def conv_case(batch, hw, cin, k, cout, input_grad):
    x, xt = _leaf((batch, hw, hw, cin), input_grad)
    w, wt = _leaf((k, k, cin, cout), True)
    xt = xt.detach().permute(0, 3, 1, 2).contiguous().requires_grad_(input_grad)  # torch's own layout: NCHW
    wt = wt.detach().permute(3, 2, 0, 1).contiguous().requires_grad_()
    return (_step(lambda: ops.conv(x, w), [x, w]), _step(lambda: F.conv2d(xt, wt), [xt, wt]))


def max_pool_case(batch):
    x, xt = _leaf((batch, 24, 24, 6), True)
    xt = xt.detach().permute(0, 3, 1, 2).contiguous().requires_grad_()
    return _step(lambda: ops.max_pool(x, 4), [x]), _step(lambda: F.max_pool2d(xt, 4), [xt])


def cross_entropy_case(batch):
    if not hasattr(ops, "sparse_categorical_crossentropy"):
        return None
    logits, logits_t = _leaf((batch, 10), True)
    labels = rng.integers(0, 10, size=batch)
    labels_t = torch.tensor(labels)
    return (_step(lambda: ops.mean(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)), [logits]),
            _step(lambda: F.cross_entropy(logits_t, labels_t), [logits_t]))


def cases():
    for batch in (32, 128):
        yield f"matmul {batch}x784 @ 784x256", lambda b=batch: matmul_case(b)
        yield f"conv {batch}x28x28x1 -> 6@5x5", lambda b=batch: conv_case(b, 28, 1, 5, 6, False)
        yield f"conv {batch}x28x28x1 -> 32@3x3", lambda b=batch: conv_case(b, 28, 1, 3, 32, False)
        yield f"conv {batch}x13x13x32 -> 64@3x3", lambda b=batch: conv_case(b, 13, 32, 3, 64, True)
        yield f"max_pool {batch}x24x24x6, 4", lambda b=batch: max_pool_case(b)
        yield f"softmax-xent {batch}x10", lambda b=batch: cross_entropy_case(b)


def _loop_ms(step, n):
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="loops timed per library and case (>= 7)")
    parser.add_argument("--seconds", type=float, default=0.05, help="rough length of one timed loop")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}; "
          f"median of {args.repeats} loops, forward + backward")
    print(f"{'case':36s} {'striate ms':>10s} {'torch ms':>9s} {'ratio':>6s}")
    ratios = []
    for name, make in cases():
        pair = make()
        if pair is None:
            print(f"{name:36s}    skipped: ops.sparse_categorical_crossentropy is not there yet")
            continue
        for step in pair:  # warm-up, and the loop length that fills about --seconds
            step()
        n = max(1, int(args.seconds * 1e3 / max(_loop_ms(pair[0], 3), _loop_ms(pair[1], 3))))
        times = ([], [])
        for r in range(args.repeats):
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                times[i].append(_loop_ms(pair[i], n))
        ours, theirs = statistics.median(times[0]), statistics.median(times[1])
        ratios.append(theirs / ours)
        print(f"{name:36s} {ours:10.3f} {theirs:9.3f} {ratios[-1]:6.2f}")
    print(f"minimum ratio: {min(ratios):.2f}")


if __name__ == "__main__":
    main()
