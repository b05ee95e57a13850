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
