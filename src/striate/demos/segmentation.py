"""``striate demo segmentation``: a U-Net learns to label every pixel of scenes of MNIST digits (seed 002).

The scenes (:mod:`striate.datasets.mnist_scenes`) hold 2-4 digits on a 64x64 canvas; each pixel is
background or one of the ten digits (11 classes). A small U-Net ("same" padding, 3 down steps, 16
filters at the top, batch normalization: 484,027 parameters) is trained with Adam (learning rate 3e-3,
halved when the test scenes' loss has not improved for 2 epochs) on the per-pixel sparse categorical
cross-entropy, batch 32, and scored after every epoch by its mean IoU on the test scenes (made of
MNIST's test digits only) over the 11 classes. With ``epochs=None`` it trains until that mean IoU
reaches the target (0.90), at most ``max_epochs`` epochs. The test scenes steer the learning rate and
the stop, so the mean IoU reported is that of the first epoch to reach the target.

Batch normalization and 16 filters (more features in the last layer than there are classes) are what
get it there in about 8 epochs, under 15 minutes on two CPU cores; without either it learns the
digits' classes several times more slowly.

A picture of a few test scenes is saved: the image, the true mask and the predicted mask side by side,
one colour per digit (Pillow needed: ``pip install 'striate[image]'``).

Without MNIST the scenes are made of the embedded shapes dataset's ten classes instead, and the demo
says so.
"""
import os
import time

import numpy as np

from striate import applications, callbacks, datasets, metrics, optimizers, utils
from striate.demos import load_dataset

TARGET = 0.90
# background black, then one colour per class (the ten of matplotlib's "tab10")
PALETTE = np.array([(0, 0, 0), (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)], np.uint8)


class _StopAtTarget(callbacks.Callback):
    """Stop training once the test scenes' mean IoU (logged as ``val_mean_io_u``) reaches ``target``."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if (logs or {}).get("val_mean_io_u", 0.0) >= self.target:
            self.model.stop_training = True


def picture(images, true_masks, predicted_masks):
    """One RGB picture of scenes in rows: the image, the true mask and the predicted mask side by side.

    Args:
        images: ``(n, h, w)`` grey images, uint8 or in [0, 1].
        true_masks, predicted_masks: ``(n, h, w)`` class ids 0-10, coloured with ``PALETTE``.

    Returns:
        A uint8 array ``(n * (h + 2), 3 * (w + 2), 3)`` (a 2-pixel grey border around each panel).

    Example:
        >>> from striate.demos.segmentation import picture
        >>> picture(np.zeros((2, 8, 8)), np.zeros((2, 8, 8), int), np.ones((2, 8, 8), int)).shape
        (20, 30, 3)
    """
    images = np.asarray(images, np.float32)
    grey = np.rint(images * (255 if images.max() <= 1 else 1)).astype(np.uint8)
    panels = np.stack([np.repeat(grey[..., None], 3, axis=-1), PALETTE[true_masks], PALETTE[predicted_masks]],
                      axis=1)  # (n, 3, h, w, 3)
    panels = np.pad(panels, ((0, 0), (0, 0), (1, 1), (1, 1), (0, 0)), constant_values=96)
    n, k, h, w, c = panels.shape
    return panels.transpose(0, 2, 1, 3, 4).reshape(n * h, k * w, c)


def run(epochs=None, out_dir=".", verbose=2, num_train=4000, num_test=1000, filters=16, max_epochs=30,
        dataset="auto", seed=0):
    """Train a U-Net on the MNIST segmentation scenes and report its mean IoU on the test scenes.

    Prints the dataset, the recipe, the per-class IoUs, the mean IoU, the epochs and the wall time, and
    saves ``segmentation.png`` (image | true mask | predicted mask for 8 test scenes) in ``out_dir``.

    Args:
        epochs: epochs to train; ``None``: until the test scenes' mean IoU reaches 0.90 (at most
            ``max_epochs``).
        out_dir: where the picture is written (created if needed).
        verbose: ``fit``'s verbosity.
        num_train: training scenes (from MNIST's training digits).
        num_test: test scenes (from MNIST's test digits).
        filters: the U-Net's width at full resolution.
        max_epochs: the most epochs with ``epochs=None``.
        dataset: ``"auto"`` (MNIST if found, else the embedded shapes), ``"mnist"`` or ``"shapes"``.
        seed: seeds the scenes, the weights and the shuffling.

    Returns:
        A dict: ``dataset`` (its name), ``mean_iou``, ``class_iou`` (11 floats), ``epochs``,
        ``seconds`` (training wall time) and ``picture`` (its path, ``None`` without Pillow).

    Example:
        >>> from striate.demos import segmentation
        >>> results = segmentation.run(epochs=1, verbose=0, num_train=64, num_test=16, filters=4,
        ...                            dataset="shapes")  # doctest: +ELLIPSIS
        Dataset: shapes (embedded) (asked for): scenes of 2-4 of its images ...
        ...
        >>> sorted(results)
        ['class_iou', 'dataset', 'epochs', 'mean_iou', 'picture', 'seconds']
    """
    utils.set_random_seed(seed)
    source, name, why = load_dataset(dataset)
    (x_train, y_train), (x_test, y_test) = datasets.mnist_segmentation.load_data(num_train, num_test, seed=seed,
                                                                                  source=source)
    print(f"Dataset: {name} ({why}): scenes of 2-4 of its images on a 64x64 canvas, 11 classes per pixel "
          f"(background and 10); {len(x_train):,} training scenes, {len(x_test):,} test scenes")
    x_train = x_train[..., None].astype("float32") / 255.0
    x_test = x_test[..., None].astype("float32") / 255.0
    classes = datasets.mnist_segmentation.NUM_CLASSES

    model = applications.UNet(input_shape=x_train.shape[1:], classes=classes, padding="same", depth=3,
                              filters=filters, batch_norm=True)
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=[metrics.MeanIoU(classes, sparse_y_pred=False)])
    plan = f"{epochs} epoch(s)" if epochs else f"until the test mean IoU reaches {TARGET} (at most {max_epochs} epochs)"
    print(f"Recipe: U-Net, 'same' padding, depth 3, {filters} filters, batch normalization "
          f"({model.count_params():,} parameters); Adam 3e-3 (halved after 2 epochs without progress), sparse "
          f"categorical cross-entropy, batch 32; {plan}")

    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs or max_epochs,
                        validation_data=(x_test, y_test), verbose=verbose,
                        callbacks=[callbacks.ReduceLROnPlateau(factor=0.5, patience=2)] +
                        ([] if epochs else [_StopAtTarget(TARGET)]))
    seconds = time.perf_counter() - start
    trained = len(history.history["loss"])

    predicted = np.argmax(model.predict(x_test, batch_size=64, verbose=0), axis=-1)
    iou = metrics.MeanIoU(classes)
    iou.update_state(y_test, predicted)
    per_class = [metrics.IoU(classes, [c]) for c in range(classes)]
    for m in per_class:
        m.update_state(y_test, predicted)
    class_iou = [m.result() for m in per_class]
    names = ("background",) + (datasets.shapes.CLASS_NAMES if name == datasets.SHAPES_NAME else tuple("0123456789"))
    print("IoU per class: " + ", ".join(f"{n} {v:.3f}" for n, v in zip(names, class_iou)))
    print(f"Test mean IoU {iou.result():.4f} after {trained} epoch(s), {seconds:.0f} s of training "
          f"({seconds / trained:.1f} s per epoch)")

    path = os.path.join(out_dir, "segmentation.png")
    try:
        os.makedirs(out_dir, exist_ok=True)
        utils.save_img(path, picture(x_test[:8, ..., 0], y_test[:8], predicted[:8]), scale=False)
        print(f"Saved {path}: image | true mask | predicted mask for 8 test scenes")
    except ImportError as e:
        path = None
        print(f"No picture saved: {e}")
    return {"dataset": name, "mean_iou": iou.result(), "class_iou": class_iou, "epochs": trained,
            "seconds": seconds, "picture": path}
