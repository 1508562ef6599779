"""Where a training step's time goes: milliseconds per step for each kind of op, forward and backward.

Wraps every Function subclass's forward and backward with a timer (an op called inside another op's
forward or backward counts for the inner op only), trains a few epochs of one of train_vs_torch's
models and prints a table per batch size: convolution, batch normalization, add, ReLU, the other ops,
and the rest of the step outside ops (the optimizer's update, the tape, the training loop). Ops are
sorted into kinds by their class names; ``--detail`` lists each class.

    python benchmarks/profile_step.py resnet20 --batches 32,128 [--samples 1024] [--epochs 2] [--detail]
"""
import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, HERE)

# (kind, words in an op's class name that put it there), tried in order: a convolution or a batch
# normalization fused with its ReLU counts as the convolution or the normalization, a residual Add
# fused with its ReLU (AddReLU) as add.
KINDS = (("convolution", ("conv",)), ("batch normalization", ("batchnorm",)), ("add", ("add",)),
         ("ReLU", ("relu",)))
OTHER = "other ops"


def kind_of(op_name):
    """The kind of op named ``op_name`` (a Function subclass's name): one of KINDS's, else OTHER."""
    lowered = op_name.lower()
    return next((kind for kind, words in KINDS if any(w in lowered for w in words)), OTHER)


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def instrument(totals):
    """Time every op's forward and backward into ``totals[(class name, "forward" | "backward")]``, in
    seconds, each op's own time (keyed by the class of the op that ran): what an op runs of other ops
    inside it is theirs."""
    from striate.autodiff import Function
    inner = [0.0]  # time taken by ops nested in the one now running

    for cls in set(subclasses(Function)):
        for direction in ("forward", "backward"):
            fn = cls.__dict__.get(direction)
            if fn is None:
                continue

            def timed(self, *args, _fn=fn, _direction=direction):
                outer, inner[0] = inner[0], 0.0
                t = time.perf_counter()
                try:
                    return _fn(self, *args)
                finally:
                    spent = time.perf_counter() - t
                    totals[type(self).__name__, _direction] += spent - inner[0]
                    inner[0] = outer + spent
            setattr(cls, direction, timed)


def profile(model_name, batch, samples, epochs):
    """Per-op seconds and wall time of ``epochs`` epochs of ``model_name`` at ``batch``, after a warm-up
    epoch. Returns ``(totals, wall seconds, steps)``."""
    import striate
    from train_vs_torch import build_striate, make_data
    x, y = make_data(model_name, samples)
    model = build_striate(striate, model_name)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    totals = collections.Counter()
    instrument(totals)
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
    return totals, time.perf_counter() - t, epochs * -(-samples // batch)


def table(model_name, batch, images, totals, wall, steps, detail=False):
    """The lines of the per-kind table, ms per step, for ``steps`` steps of ``images`` images in all."""
    ms = 1e3 / steps
    by_kind = collections.defaultdict(lambda: [0.0, 0.0])
    for (name, direction), sec in totals.items():
        by_kind[kind_of(name)][direction == "backward"] += sec
    lines = [f"{model_name} batch {batch}: {wall * ms:.1f} ms/step ({images / wall:.0f} img/s)",
             f"  {'':<24} {'forward':>8} {'backward':>8} {'total':>8}"]
    for kind in [k for k, _ in KINDS] + [OTHER]:
        fw, bw = by_kind[kind]
        lines.append(f"  {kind:<24} {fw * ms:8.1f} {bw * ms:8.1f} {(fw + bw) * ms:8.1f}")
    outside = wall - sum(totals.values())
    lines.append(f"  {'outside ops':<24} {'':>8} {'':>8} {outside * ms:8.1f}")
    lines.append(f"  {'step':<24} {'':>8} {'':>8} {wall * ms:8.1f}")
    if detail:
        for (name, direction), sec in totals.most_common():
            lines.append(f"    {name:<28} {direction:<8} {sec * ms:7.2f}")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", default="resnet20")
    p.add_argument("--batches", default="32,128")
    p.add_argument("--batch", type=int, help="one batch size (instead of --batches)")
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--detail", action="store_true", help="also list each op class")
    a = p.parse_args()
    import striate
    print(f"striate threads {striate.backend.get_num_threads()}; ms per step, {a.epochs} epochs of {a.samples} "
          "images after a warm-up epoch")
    for batch in [a.batch] if a.batch else [int(b) for b in a.batches.split(",")]:
        totals, wall, steps = profile(a.model, batch, a.samples, a.epochs)
        print("\n".join(table(a.model, batch, a.samples * a.epochs, totals, wall, steps, a.detail)), flush=True)


if __name__ == "__main__":
    main()
