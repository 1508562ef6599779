"""The segmentation demo with tiny settings: it trains, reports, saves image | true mask | predicted mask,
and on a clone without MNIST it uses the embedded shapes and says so."""
import numpy as np
import pytest

import striate
from striate.demos import segmentation

TINY = {"epochs": 1, "verbose": 0, "num_train": 64, "num_test": 16, "filters": 4}


def test_a_tiny_run_reports_and_saves_the_picture(tmp_path, capsys):
    results = segmentation.run(out_dir=str(tmp_path / "out"), dataset="shapes", **TINY)
    out = capsys.readouterr().out
    assert "Dataset: shapes (embedded)" in out and "64 training scenes, 16 test scenes" in out
    assert "Test mean IoU" in out and "IoU per class: background" in out
    assert results["epochs"] == 1 and len(results["class_iou"]) == 11 and 0.0 <= results["mean_iou"] <= 1.0
    saved = striate.utils.img_to_array(striate.utils.load_img(results["picture"])).astype(np.uint8)
    assert saved.shape == (8 * 66, 3 * 66, 3)
    # the middle panel of each row is the true mask of that test scene, in the palette's colours
    source = striate.datasets.shapes.load_data()
    _, (x_test, y_test) = striate.datasets.mnist_segmentation.load_data(64, 16, source=source)
    rows = saved.reshape(8, 66, 3, 66, 3)[:, 1:-1, :, 1:-1]
    np.testing.assert_array_equal(rows[:, :, 1], segmentation.PALETTE[y_test[:8]])
    np.testing.assert_array_equal(rows[:, :, 0, :, 0], x_test[:8])
    assert set(map(tuple, rows[:, :, 2].reshape(-1, 3))) <= set(map(tuple, segmentation.PALETTE))


def test_without_mnist_it_uses_the_shapes_and_says_so(tmp_path, capsys, monkeypatch):
    def missing(**kwargs):
        raise FileNotFoundError("MNIST could not be loaded")
    monkeypatch.setattr(striate.datasets.mnist, "load_data", missing)
    results = segmentation.run(out_dir=str(tmp_path), **TINY)
    out = capsys.readouterr().out
    assert results["dataset"] == "shapes (embedded)" and "MNIST was not found" in out


def test_the_picture_puts_image_true_and_predicted_masks_side_by_side():
    images = np.full((2, 4, 5), 0.25)
    true, predicted = np.zeros((2, 4, 5), int), np.full((2, 4, 5), 3)
    grid = segmentation.picture(images, true, predicted)
    assert grid.shape == (2 * 6, 3 * 7, 3) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[1:5, 1:6], 64)
    np.testing.assert_array_equal(grid[1:5, 8:13], 0)
    np.testing.assert_array_equal(grid[1:5, 15:20], np.broadcast_to(segmentation.PALETTE[3], (4, 5, 3)))
    assert (grid[0] == 96).all()


def test_an_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="dataset must be 'auto', 'mnist' or 'shapes', received 'cifar'"):
        segmentation.run(dataset="cifar", **TINY)
