"""Small data sets the notebooks use; nothing is downloaded."""

import numpy as np
from matplotlib import cbook
from matplotlib import pyplot as plt

from . import _checks as ck

LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 weights of R, G, B


def sample_image(step=4, color=False):
    """The photograph of Grace Hopper that ships with matplotlib.

    Parameters
    ----------
    step : int, default 4
        Downsampling factor: each output pixel is the mean of a step x step block.
    color : bool, default False
        Return the three colour channels instead of the grayscale image.

    Returns
    -------
    ndarray, float64 in [0, 1]
        Shape (H, W) in grayscale, (3, H, W) in colour: (150, 128) spatially
        for the default step; the full image is 600 x 512.
    """
    step = ck.integer(step, "step", minimum=1)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = plt.imread(f, format="jpg")[..., :3].transpose(2, 0, 1) / 255.0  # (3, 600, 512)
    H, W = (rgb.shape[1] // step) * step, (rgb.shape[2] // step) * step
    blocks = rgb[:, :H, :W].reshape(3, H // step, step, W // step, step)  # (3, H/step, step, W/step, step)
    image = blocks.mean(axis=(2, 4))  # (3, H/step, W/step)
    return image if color else np.tensordot(LUMA, image, axes=1)


def load_digits_split(seed=0, test_size=500):
    """The handwritten digits that ship with scikit-learn, split into train and test.

    1,797 real handwritten digits 0-9 (the test set of the UCI "optical
    recognition of handwritten digits" collection), read from a file inside
    the scikit-learn package: nothing is downloaded. Each digit was a 32x32
    black-and-white bitmap, stored as 8x8 counts of the ink pixels in each
    4x4 block; the counts 0..16 are scaled to [0, 1].

    Parameters
    ----------
    seed : int, default 0
        Seed of the random permutation that picks the test images; the same
        seed gives the same split on every machine.
    test_size : int, default 500
        Number of test images; the rest are training images.

    Returns
    -------
    x_train : ndarray, shape (N_train, 1, 8, 8), float64 in [0, 1]
    y_train : ndarray, shape (N_train,), int64 in 0..9
    x_test : ndarray, shape (test_size, 1, 8, 8), float64 in [0, 1]
    y_test : ndarray, shape (test_size,), int64 in 0..9
    """
    seed = ck.integer(seed, "seed", minimum=0)
    test_size = ck.integer(test_size, "test_size", minimum=1)
    from sklearn.datasets import load_digits  # imported here: only this loader needs scikit-learn

    digits = load_digits()
    x = (digits.images / 16.0)[:, None].astype(np.float64)  # (1797, 1, 8, 8)
    y = digits.target.astype(np.int64)  # (1797,)
    if test_size >= len(y):
        raise ValueError(f"test_size must leave some training images: got {test_size} of {len(y)} images")
    order = np.random.default_rng(seed).permutation(len(y))
    test, train = order[:test_size], order[test_size:]
    return x[train], y[train], x[test], y[test]


def split_validation(x, labels, size, seed=0):
    """Hold out part of a training set as a validation set, for choosing hyper-parameters.

    Parameters
    ----------
    x : ndarray, shape (N, ...)
    labels : ndarray, shape (N,)
    size : int
        Number of validation examples, 1 <= size < N.
    seed : int, default 0
        Seed of the random permutation that picks them.

    Returns
    -------
    x_fit, labels_fit : the N - size examples left for fitting, in their original order
    x_val, labels_val : the size held-out examples

    Examples
    --------
    >>> x_fit, y_fit, x_val, y_val = split_validation(np.zeros((10, 2)), np.arange(10), 3)
    >>> x_fit.shape, x_val.shape, sorted(np.concatenate([y_fit, y_val]).tolist()) == list(range(10))
    ((7, 2), (3, 2), True)
    """
    x, labels = np.asarray(x), np.asarray(labels)
    if x.ndim < 1 or labels.shape != (len(x),):
        raise ValueError(f"labels must have shape ({len(x)},) to match x, got {labels.shape}")
    size = ck.integer(size, "size", minimum=1)
    if size >= len(x):
        raise ValueError(f"size must leave some examples for fitting: got {size} of {len(x)}")
    seed = ck.integer(seed, "seed", minimum=0)
    held = np.zeros(len(x), bool)
    held[np.random.default_rng(seed).permutation(len(x))[:size]] = True
    return x[~held], labels[~held], x[held], labels[held]
