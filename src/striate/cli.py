"""The ``striate`` command. ``striate demo`` reproduces the lectures' MNIST comparison."""
import argparse
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

    from striate import datasets, metrics, utils
    utils.set_random_seed(args.seed)
    if args.dataset == "shapes":
        data, name, why = datasets.shapes.load_data(), "shapes (embedded)", "asked for with --dataset shapes"
    elif args.dataset == "mnist":
        data, name, why = datasets.mnist.load_data(), "MNIST", "asked for with --dataset mnist"
    else:
        data, name, why = datasets.load_mnist_or_shapes()
    (x_train, y_train), (x_test, y_test) = data
    print(f"Dataset: {name} ({why}); {len(x_train)} training and {len(x_test)} test images")
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    x_train = x_train.astype("float32") / 255.0
    x_test = x_test.astype("float32") / 255.0
    results = []
    for model in lecture_models():
        print()
        model.summary()
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        cnn = model.name == "model_cnn"
        xtr, xte = (x_train[..., None], x_test[..., None]) if cnn else (x_train, x_test)
        start = time.perf_counter()
        model.fit(xtr, y_train, batch_size=args.batch_size, epochs=args.epochs,
                  validation_split=0.2 if cnn else 0.0, verbose=args.verbose)
        seconds = time.perf_counter() - start
        probs = model.predict(xte, batch_size=1024, verbose=0)
        cm = metrics.confusion_matrix(y_test, probs, num_classes=10)
        acc = float(np.trace(cm)) / cm.sum()
        print(f"\n{model.name}: test accuracy {acc:.4f} ({seconds / args.epochs:.1f} s per epoch)")
        _print_matrix(cm)
        results.append((model.name, acc, seconds / args.epochs))
    print("\nmodel       test accuracy   s/epoch   lecture (Keras)")
    for (model_name, acc, spe), lecture in zip(results, ("0.9814", "0.9845")):
        print(f"{model_name:<11} {acc:>13.4f} {spe:>9.1f}   {lecture}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="striate", description="striate: deep learning with the Keras API.")
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="the lectures' MNIST comparison: feed-forward net vs small CNN")
    d.add_argument("--epochs", type=int, default=10)
    d.add_argument("--batch-size", type=int, default=32)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--dataset", choices=("auto", "mnist", "shapes"), default="auto")
    d.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    d.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args)
    parser.print_help()
    return 1


if __name__ == "__main__":
    sys.exit(main())
