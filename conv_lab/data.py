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


BAR_CLASSES = ("horizontal", "vertical", "diagonal \\", "diagonal /")


def bars(n, size=12, noise=0.3, rng=None):
    """A generated data set of short bars in four orientations, on noisy backgrounds.

    Parameters
    ----------
    n : int
        Number of images.
    size : int, default 12
        Images are size x size pixels.
    noise : float, default 0.3
        Standard deviation of the Gaussian noise added everywhere.
    rng : numpy Generator or int, optional

    Returns
    -------
    x : ndarray, shape (n, 1, size, size), float64
    labels : ndarray, shape (n,), int
        Index into :data:`BAR_CLASSES`: 0 horizontal, 1 vertical, 2 diagonal
        from top-left to bottom-right, 3 diagonal from bottom-left to top-right.
    """
    n = ck.integer(n, "n", minimum=1)
    size = ck.integer(size, "size", minimum=6)
    rng = np.random.default_rng(rng)
    steps = {0: (0, 1), 1: (1, 0), 2: (1, 1), 3: (-1, 1)}  # (row step, column step) along the bar
    x = rng.normal(0.0, noise, size=(n, 1, size, size))
    labels = rng.integers(0, 4, size=n)
    for k, label in enumerate(labels):
        dr, dc = steps[int(label)]
        length = int(rng.integers(4, 7))
        # choose a start so that the whole bar stays inside the image
        rows = range(0 if dr >= 0 else length - 1, size - (length - 1 if dr > 0 else 0))
        cols = range(0, size - (length - 1))
        r0, c0 = int(rng.choice(rows)), int(rng.choice(cols))
        for t in range(length):
            x[k, 0, r0 + t * dr, c0 + t * dc] += 1.0
    return x, labels
