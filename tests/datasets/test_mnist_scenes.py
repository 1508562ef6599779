"""The MNIST segmentation scenes: deterministic by seed, training and test digits kept apart, labels that
agree with the pixels, 2-4 digits a scene; on real MNIST when $STRIATE_DATA has it."""
import numpy as np
import pytest

import striate
from striate.datasets import mnist_segmentation


def fake_source(n=50):
    """Digits that tell where they came from: training digits ink 200 and test digits 250, each a
    filled 20x20 square (so a scene's label shows every digit placed)."""
    rng = np.random.default_rng(1)

    def half(ink):
        images = np.zeros((n, 28, 28), np.uint8)
        images[:, 4:24, 4:24] = ink
        return images, rng.integers(0, 10, n).astype(np.uint8)
    return half(200), half(250)


def test_the_same_seed_gives_the_same_scenes_and_another_seed_others():
    source = fake_source()
    first = mnist_segmentation.load_data(40, 10, seed=3, source=source)
    again = mnist_segmentation.load_data(40, 10, seed=3, source=source)
    other = mnist_segmentation.load_data(40, 10, seed=4, source=source)
    for a, b, c in zip(first[0] + first[1], again[0] + again[1], other[0] + other[1]):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_the_test_scenes_do_not_depend_on_the_number_of_training_scenes():
    source = fake_source()
    (_, _), (x_a, y_a) = mnist_segmentation.load_data(10, 20, source=source)
    (_, _), (x_b, y_b) = mnist_segmentation.load_data(30, 20, source=source)
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(y_a, y_b)


def test_training_scenes_use_training_digits_and_test_scenes_test_digits_only():
    (x_train, y_train), (x_test, y_test) = mnist_segmentation.load_data(100, 100, source=fake_source())
    assert set(np.unique(x_train)) == {0, 200} and set(np.unique(x_test)) == {0, 250}


def test_every_scene_has_two_to_four_digits_drawn_from_the_source_labels():
    (x, y), _ = mnist_segmentation.load_data(300, 1, size=64, source=fake_source())
    assert x.shape == y.shape == (300, 64, 64) and x.dtype == y.dtype == np.uint8
    # a fake digit's 20x20 square stays inside its quadrant (its centre strays at most 6 pixels), so
    # the number of inked quadrants is the number of digits
    inked = (x > 0).reshape(300, 2, 32, 2, 32).any(axis=(2, 4)).sum(axis=(1, 2))
    assert set(np.unique(inked)) == {2, 3, 4}
    assert 1 <= y.max() <= 10


def test_a_pixel_is_labelled_a_digit_exactly_where_it_is_inked_above_the_threshold():
    (x, y), (x_t, y_t) = mnist_segmentation.load_data(50, 50, size=48, threshold=100, source="shapes")
    for images, labels in ((x, y), (x_t, y_t)):
        np.testing.assert_array_equal(labels > 0, images > 100)
        assert labels.max() <= 10


def test_the_digit_on_top_wins_where_digits_overlap():
    # two digits on a 28x28 canvas overlap completely: the second one painted labels every pixel it inks
    train = np.zeros((2, 28, 28), np.uint8)
    train[0, 2:20, 2:20] = 255  # a big square, digit 3
    train[1, 10:14, 10:14] = 180  # a small square, digit 7
    source = ((train, np.array([3, 7])), (train, np.array([3, 7])))
    (x, y), _ = mnist_segmentation.load_data(200, 1, size=28, source=source)
    both = (y == 4).any(axis=(1, 2)) & (y == 8).any(axis=(1, 2))
    assert both.any()
    small = np.zeros((28, 28), bool)
    small[10:14, 10:14] = True
    for scene_x, scene_y in zip(x[both], y[both]):
        # whichever is on top labels the small square; where the big one is on top, the small one is hidden
        if (scene_y[small] == 8).all():
            assert (scene_x[small] == 180).all()
        else:
            assert (scene_y[small] == 4).all() and (scene_x[small] == 255).all()


def test_bad_arguments_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="non-negative int num_train, received -1"):
        mnist_segmentation.load_data(num_train=-1, source=fake_source())
    with pytest.raises(ValueError, match="size >= 28 .* received 20"):
        mnist_segmentation.load_data(size=20, source=fake_source())
    with pytest.raises(ValueError, match="source must be 'mnist', 'shapes' or a dataset"):
        mnist_segmentation.load_data(source="cifar")
    with pytest.raises(ValueError, match=r"source images of shape \(n, 28, 28\)"):
        mnist_segmentation.load_data(source=((np.zeros((3, 32, 32)), np.zeros(3)),) * 2)


def test_real_mnist_scenes():
    try:
        striate.datasets.mnist.load_data(download=False)
    except FileNotFoundError:
        pytest.skip("MNIST not found (set STRIATE_DATA)")
    (x, y), (x_t, y_t) = mnist_segmentation.load_data(num_train=500, num_test=200)
    assert x.shape == (500, 64, 64) and x_t.shape == (200, 64, 64)
    np.testing.assert_array_equal(y > 0, x > 127)
    counts = np.bincount(y.ravel(), minlength=11)
    assert counts.shape == (11,) and (counts[1:] > 0).all() and 0.85 < counts[0] / counts.sum() < 0.97
