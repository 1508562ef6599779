"""Train on real MNIST until the test accuracy reaches a target (default 99.0%); print the wall time.

The recipe: a small convnet (Conv 32@3x3, MaxPool 2, Conv 64@3x3, MaxPool 2, Dense 128, Dropout 0.5,
Dense 10) with Adam (1e-3, times 0.9 each epoch), batch 128, inputs scaled to [0, 1]; the test set is
evaluated after each epoch (its time counted too).

    STRIATE_DATA=../shared/datasets python benchmarks/time_to_accuracy.py [--target 0.99] [--max-epochs 15]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", type=float, default=0.99)
    p.add_argument("--max-epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    import striate as keras
    from striate import layers
    keras.utils.set_random_seed(a.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = (x_train.astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    schedule = keras.optimizers.schedules.ExponentialDecay(a.learning_rate, decay_steps=len(x_train) // a.batch_size,
                                                           decay_rate=0.9)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    for epoch in range(1, a.max_epochs + 1):
        model.fit(x_train, y_train, batch_size=a.batch_size, epochs=1, verbose=0)
        _, acc = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
        elapsed = time.perf_counter() - start
        print(f"epoch {epoch}: test accuracy {acc:.4f} after {elapsed:.1f} s", flush=True)
        if acc >= a.target:
            print(f"reached {a.target:.2%} in {elapsed:.1f} s ({epoch} epochs)")
            return 0
    print(f"did not reach {a.target:.2%} in {a.max_epochs} epochs")
    return 1


if __name__ == "__main__":
    sys.exit(main())
