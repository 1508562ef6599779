"""Where a training step's time goes: milliseconds per step for each op's forward and backward.

Wraps every Function subclass's forward/backward with a timer, trains a few epochs of one of
train_vs_torch's models, and prints the table (the rest of the step, outside ops, last).

    python benchmarks/profile_step.py lenet5 --batch 128
"""
import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def instrument(totals):
    from striate.autodiff import Function
    for cls in set(subclasses(Function)):
        for kind in ("forward", "backward"):
            fn = cls.__dict__.get(kind)
            if fn is None:
                continue

            def timed(self, *args, _fn=fn, _key=(cls.__name__, kind)):
                t = time.perf_counter()
                out = _fn(self, *args)
                totals[_key] += time.perf_counter() - t
                return out
            setattr(cls, kind, timed)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--samples", type=int, default=4096)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    import numpy as np
    import striate
    from train_vs_torch import build_striate
    rng = np.random.default_rng(0)
    shape = (a.samples, 28, 28) if a.model == "dff" else (a.samples, 28, 28, 1)
    x, y = rng.random(shape, dtype=np.float32), rng.integers(0, 10, a.samples)
    model = build_striate(striate, a.model)
    model.fit(x, y, batch_size=a.batch, epochs=1, verbose=0)
    totals = collections.Counter()
    instrument(totals)
    t = time.perf_counter()
    model.fit(x, y, batch_size=a.batch, epochs=a.epochs, verbose=0)
    wall = time.perf_counter() - t
    steps = a.epochs * -(-a.samples // a.batch)
    print(f"{a.model} batch {a.batch}: {1e3 * wall / steps:.2f} ms/step ({a.samples * a.epochs / wall:.0f} img/s)")
    for (name, kind), sec in totals.most_common():
        print(f"  {name:<28} {kind:<8} {1e3 * sec / steps:7.2f} ms")
    print(f"  {'outside ops':<37} {1e3 * (wall - sum(totals.values())) / steps:7.2f} ms")


if __name__ == "__main__":
    main()
