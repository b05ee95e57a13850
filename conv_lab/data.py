"""Small data sets the notebooks use; nothing is downloaded."""

import numpy as np
from matplotlib import cbook
from matplotlib import pyplot as plt

from . import _checks as ck


def sample_image(step=4):
    """The photograph of Grace Hopper that ships with matplotlib, in grayscale.

    Parameters
    ----------
    step : int, default 4
        Downsampling factor: each output pixel is the mean of a step x step block.

    Returns
    -------
    ndarray, shape (H, W), float64 in [0, 1]
        (150, 128) for the default step; the full image is 600 x 512.
    """
    step = ck.integer(step, "step", minimum=1)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = plt.imread(f, format="jpg")  # (600, 512, 3) uint8
    gray = rgb[..., :3] @ np.array([0.299, 0.587, 0.114]) / 255.0  # (600, 512)
    H, W = (gray.shape[0] // step) * step, (gray.shape[1] // step) * step
    blocks = gray[:H, :W].reshape(H // step, step, W // step, step)  # (H/step, step, W/step, step)
    return blocks.mean(axis=(1, 3))
