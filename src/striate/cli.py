"""The ``striate`` command: the lectures' demos.

- ``striate demo``: the MNIST comparison of seed 000, a feed-forward net against a small CNN;
- ``striate demo transfer``: transfer learning, digits 0-4 to 5-9 (:mod:`striate.demos.transfer`);
- ``striate demo segmentation``: a U-Net on scenes of MNIST digits (:mod:`striate.demos.segmentation`).
"""
import argparse
import os
import sys
import time


def lecture_models():
    """The two models of the lecture (seed 000): a deep feed-forward net and a small CNN."""
    from striate import Input, Sequential, layers
    dff = Sequential([
        Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="model_dff")
    cnn = Sequential([
        Input(shape=(28, 28, 1)),
        layers.Conv2D(6, (5, 5)),
        layers.MaxPooling2D(pool_size=(4, 4)),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="model_cnn")
    return dff, cnn


def _print_matrix(cm):
    print("obs\\pred " + " ".join(f"{j:>5}" for j in range(cm.shape[1])))
    for i, row in enumerate(cm):
        print(f"{i:>8} " + " ".join(f"{v:>5}" for v in row))


def demo(args):
    import numpy as np

    from striate import demos, metrics, utils
    utils.set_random_seed(args.seed)
    data, name, why = demos.load_dataset(args.dataset)
    (x_train, y_train), (x_test, y_test) = data
    print(f"Dataset: {name} ({why}); {len(x_train)} training and {len(x_test)} test images")
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    results, runs = [], []
    for model in lecture_models():
        print()
        model.summary()
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        cnn = model.name == "model_cnn"
        xtr, xte = (x_train[..., None], x_test[..., None]) if cnn else (x_train, x_test)
        start = time.perf_counter()
        history = model.fit(xtr, y_train, batch_size=args.batch_size, epochs=args.epochs,
                            validation_split=0.2 if cnn else 0.0, verbose=args.verbose)
        seconds = time.perf_counter() - start
        probs = model.predict(xte, batch_size=1024, verbose=0)
        cm = metrics.confusion_matrix(y_test, probs, num_classes=10)
        acc = float(np.trace(cm)) / cm.sum()
        print(f"\n{model.name}: test accuracy {acc:.4f} ({seconds / args.epochs:.1f} s per epoch)")
        _print_matrix(cm)
        results.append((model.name, acc, seconds / args.epochs))
        runs.append({"model": model, "history": history, "y_true": y_test, "probs": probs, "accuracy": acc})
    print("\nmodel       test accuracy   s/epoch   lecture (Keras)")
    for (model_name, acc, spe), lecture in zip(results, ("0.9814", "0.9845")):
        print(f"{model_name:<11} {acc:>13.4f} {spe:>9.1f}   {lecture}")
    if args.report:
        _report(args.report, runs, x_test[..., None], y_test)
    return 0


def _report(out_dir, runs, x_test, y_test):
    """Write the demo's HTML report (:mod:`striate.demos.report`), or say why it cannot."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\nNo report: its pictures need matplotlib: pip install 'striate[plot]'")
        return
    import numpy as np

    from striate.demos.report import write_report
    # the lecture's example digits (seed 000 shows a 0, a 5 and a 1), or the first three classes seen
    wanted = [c for c in (0, 5, 1) if c in set(y_test.tolist())] or list(dict.fromkeys(y_test.tolist()))[:3]
    picks = [int(np.flatnonzero(y_test == c)[0]) for c in wanted]
    page = write_report(out_dir, runs, runs[-1]["model"], x_test[picks], y_test[picks])
    print(f"\nReport: {os.path.abspath(page)}")


def transfer(args):
    """``striate demo transfer``: :func:`striate.demos.transfer.run` with the command line's settings."""
    from striate.demos import transfer as demo_transfer
    demo_transfer.run(base_epochs=args.base_epochs, head_epochs=args.head_epochs,
                      fine_tune_epochs=args.fine_tune_epochs, scratch_epochs=args.scratch_epochs,
                      per_class=args.per_class, dataset=args.dataset, base_limit=args.limit or None,
                      test_limit=args.test_limit or None, seed=args.seed, verbose=args.verbose)
    return 0


def segmentation(args):
    """``striate demo segmentation``: :func:`striate.demos.segmentation.run` with the command line's settings."""
    from striate.demos import segmentation as demo_segmentation
    demo_segmentation.run(epochs=args.epochs, out_dir=args.out_dir, verbose=args.verbose,
                          num_train=args.num_train, num_test=args.num_test, max_epochs=args.max_epochs,
                          dataset=args.dataset, seed=args.seed)
    return 0


_DEMOS = (
    ("", "the lectures' MNIST comparison: feed-forward net vs small CNN"),
    ("transfer", "transfer learning from digits 0-4 to 5-9, 100 labelled images per class"),
    ("segmentation", "a U-Net labels every pixel of scenes of MNIST digits"),
)


def _common_arguments(parser, verbose):
    from striate.demos import DATASETS
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=DATASETS, default="auto",
                        help="auto: MNIST when found, else the embedded shapes dataset (default)")
    parser.add_argument("--verbose", type=int, default=verbose, choices=(0, 1, 2), help="fit's verbosity")


def main(argv=None):
    listing = "\n".join(f"  {'striate demo ' + name:<27} {text}" for name, text in _DEMOS)
    parser = argparse.ArgumentParser(prog="striate", description="striate: deep learning with the Keras API.",
                                     epilog=f"demos:\n{listing}", formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="the lectures' demos: striate demo [transfer|segmentation]",
                       description=f"demos:\n{listing}", formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--epochs", type=int, default=10)
    d.add_argument("--batch-size", type=int, default=32)
    d.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    d.add_argument("--report", default="striate-report", metavar="DIR",
                   help="where the HTML report of curves, filters, feature maps and confusion matrices goes "
                        "(default: striate-report; '' for none)")
    _common_arguments(d, verbose=2)
    # a demo's options follow its name: `striate demo transfer --seed 1`
    which = d.add_subparsers(dest="demo", metavar="{transfer,segmentation}")
    t = which.add_parser("transfer", help=_DEMOS[1][1], description=_DEMOS[1][1])
    t.add_argument("--base-epochs", type=int, default=1, help="epochs of the base on digits 0-4")
    t.add_argument("--head-epochs", type=int, default=20, help="epochs of the new head on the frozen base")
    t.add_argument("--fine-tune-epochs", type=int, default=10, help="epochs with the base's top block unfrozen")
    t.add_argument("--scratch-epochs", type=int, default=30, help="epochs of the network trained from scratch")
    t.add_argument("--per-class", type=int, default=100, help="labelled images per new class")
    t.add_argument("--limit", type=int, default=0, help="train the base on only the first N images")
    t.add_argument("--test-limit", type=int, default=0, help="test on only the first N images of each half")
    _common_arguments(t, verbose=0)
    g = which.add_parser("segmentation", help=_DEMOS[2][1], description=_DEMOS[2][1])
    g.add_argument("--epochs", type=int, default=None,
                   help="epochs to train (default: until the test mean IoU reaches 0.90)")
    g.add_argument("--max-epochs", type=int, default=30, help="the most epochs without --epochs")
    g.add_argument("--num-train", type=int, default=4000, help="training scenes")
    g.add_argument("--num-test", type=int, default=1000, help="test scenes")
    g.add_argument("--out-dir", default=".", help="where segmentation.png is written")
    _common_arguments(g, verbose=2)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return {"transfer": transfer, "segmentation": segmentation}.get(args.demo, demo)(args)
    parser.print_help()
    return 1


if __name__ == "__main__":
    sys.exit(main())
