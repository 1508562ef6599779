"""Train on real MNIST until the test accuracy reaches a target (default 99.0%); print the wall time.

Two recipes, one model each (no ensembles), inputs scaled to [0, 1], Adam whose learning rate is
multiplied by ``--decay`` each epoch; the test set is evaluated after each epoch (its time counted too).

- ``small`` (the default for targets up to 99.3%): Conv 32@3x3, MaxPool 2, Conv 64@3x3, MaxPool 2,
  Dense 128, Dropout 0.5, Dense 10; batch 128.
- ``augmented`` (the default above 99.3%): data augmentation inside the model (RandomRotation of up to
  10 degrees, RandomZoom and RandomTranslation of up to 10%: the lectures' "shifted / rotated versions"),
  which act in training only, then Conv 32@3x3 twice, MaxPool 2, Conv 64@3x3 twice, MaxPool 2, Dense 256,
  Dropout 0.5, Dense 10; batch 128.

    STRIATE_DATA=../shared/datasets python benchmarks/time_to_accuracy.py [--target 0.99] [--max-epochs 15]
    STRIATE_DATA=../shared/datasets python benchmarks/time_to_accuracy.py --target 0.996 --max-epochs 30
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
    p.add_argument("--decay", type=float, default=0.9, help="learning-rate factor per epoch")
    p.add_argument("--recipe", choices=("small", "augmented"), default=None,
                   help="default: small up to a 99.3%% target, augmented above")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    recipe = a.recipe or ("small" if a.target <= 0.993 else "augmented")
    import striate as keras
    from striate import layers
    keras.utils.set_random_seed(a.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = (x_train.astype("float32") / 255.0)[..., None]
    x_test = (x_test.astype("float32") / 255.0)[..., None]
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))] + RECIPES[recipe](layers))
    print(f"recipe {recipe}: {model.count_params():,} parameters", flush=True)
    schedule = keras.optimizers.schedules.ExponentialDecay(a.learning_rate, decay_steps=len(x_train) // a.batch_size,
                                                           decay_rate=a.decay)
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


def small(layers):
    return [layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
            layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
            layers.Dense(10, activation="softmax")]


def augmented(layers):
    return [layers.RandomRotation(10 / 360, fill_mode="constant"),
            layers.RandomZoom(0.1, fill_mode="constant"),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
            layers.Conv2D(32, (3, 3), activation="relu"), layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"), layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dropout(0.5),
            layers.Dense(10, activation="softmax")]


RECIPES = {"small": small, "augmented": augmented}


if __name__ == "__main__":
    sys.exit(main())
