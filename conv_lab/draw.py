"""Pictures for the notebooks, drawn from the same arrays the library computes.

Every function draws onto matplotlib axes (or returns a figure) and prints
nothing, so a notebook cell shows exactly one figure per call.
"""

import numpy as np
from matplotlib import animation
from matplotlib import pyplot as plt
from matplotlib.patches import Rectangle
from termcolor import colored

from . import _checks as ck
from .blocks import corr2d, output_size, pad2d, stride_leftover

WINDOW = "#f4a259"  # the current window
OUTPUT = "#5b8e7d"  # the output cell it produces
PAD = "#e5e5e5"  # zero padding / inserted zeros
LEFTOVER = "#bc4b51"  # rows and columns the stride never reaches


def matrix(ax, m, title=None, highlight=None, shade=None, labels=None, fontsize=10, fmt="{:g}"):
    """Draw a 2-D array as a grid of numbered cells.

    Parameters
    ----------
    ax : matplotlib Axes
    m : array_like, shape (R, Q)
    title : str, optional
    highlight : dict, optional
        Maps a colour to a boolean mask (R, Q) of cells to fill with it.
    shade : array_like of bool, shape (R, Q), optional
        Cells drawn grey, e.g. zero padding.
    labels : array of str, shape (R, Q), optional
        Text for each cell instead of the formatted value.
    """
    m = np.asarray(m)
    R, Q = m.shape
    ax.set_xlim(-0.05, Q + 0.05)
    ax.set_ylim(R + 0.05, -0.05)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fills = {}
    if shade is not None:
        fills[PAD] = np.asarray(shade, dtype=bool)
    for colour, mask in (highlight or {}).items():
        fills[colour] = np.asarray(mask, dtype=bool)
    for r in range(R):
        for q in range(Q):
            face = "white"
            for colour, mask in fills.items():
                if mask[r, q]:
                    face = colour
            ax.add_patch(Rectangle((q, r), 1, 1, facecolor=face, edgecolor="#555555", lw=0.8))
            text = labels[r][q] if labels is not None else fmt.format(m[r, q])
            ax.text(q + 0.5, r + 0.5, text, ha="center", va="center", fontsize=fontsize)
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    for side in ax.spines.values():
        side.set_visible(False)


def window_mask(shape, i, j, kernel, stride=1, dilation=1):
    """Boolean mask of the cells of a (padded) grid read by output pixel (i, j)."""
    (KH, KW), (sh, sw), (dh, dw) = (ck.pair(kernel, "kernel"), ck.pair(stride, "stride"), ck.pair(dilation, "dilation"))
    mask = np.zeros(shape, dtype=bool)
    mask[i * sh : i * sh + dh * (KH - 1) + 1 : dh, j * sw : j * sw + dw * (KW - 1) + 1 : dw] = True
    return mask


def window_step(x, w, i, j, stride=1, padding=0, dilation=1, bias=0, fig=None):
    """Three panels: the padded input with window (i, j) and its products, the kernel, the output.

    x (H, W) and w (KH, KW) are single-channel. Returns the figure.
    """
    x, w = np.asarray(x), np.asarray(w)
    p = ck.pair(padding, "padding")
    xp = pad2d(x, p)
    y = corr2d(x, w, stride, padding, dilation) + bias
    mask = window_mask(xp.shape, i, j, w.shape, stride, dilation)
    pad_mask = np.ones(xp.shape, dtype=bool)
    pad_mask[p[0] : p[0] + x.shape[0], p[1] : p[1] + x.shape[1]] = False
    labels = [[f"{v:g}" for v in row] for row in xp]
    rows, cols = np.nonzero(mask)
    for (r, q), wv in zip(zip(rows, cols), w.ravel()):
        labels[r][q] = f"{xp[r, q]:g}×{wv:g}"
    if fig is None:
        fig = plt.figure(figsize=(3 + 0.75 * (xp.shape[1] + w.shape[1] + y.shape[1]), 0.75 * xp.shape[0] + 1.2))
    fig.clear()
    widths = [xp.shape[1], w.shape[1], y.shape[1]]
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": widths})
    matrix(axes[0], xp, "input (padding grey)", {WINDOW: mask}, shade=pad_mask, labels=labels, fontsize=8)
    matrix(axes[1], w, "kernel w")
    out_mask = np.zeros(y.shape, dtype=bool)
    out_mask[i, j] = True
    b_text = f" + {bias:g}" if bias else ""
    matrix(axes[2], y, f"y[{i},{j}] = Σ x·w{b_text} = {y[i, j]:g}", {OUTPUT: out_mask})
    return fig


def sliding_animation(x, w, stride=1, padding=0, dilation=1, bias=0, interval=900):
    """An animation of the window visiting every output position, as embeddable HTML."""
    OH, OW = corr2d(x, w, stride, padding, dilation).shape
    fig = plt.figure(figsize=(9, 3.2))
    steps = [(i, j) for i in range(OH) for j in range(OW)]

    def frame(k):
        window_step(x, w, *steps[k], stride, padding, dilation, bias, fig=fig)

    anim = animation.FuncAnimation(fig, frame, frames=len(steps), interval=interval)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return html


def geometry(ax, size, kernel_size, stride=1, padding=0, dilation=1, title=None):
    """One spatial axis pair drawn as a square grid: padding, the first window's taps,
    where every window starts, and the leftover rows/columns no window reaches."""
    K, s, p, d = kernel_size, stride, padding, dilation
    n = size + 2 * p
    OH = output_size(size, K, s, p, d)
    a = stride_leftover(size, K, s, p, d)
    grid = np.zeros((n, n))
    pad_mask = np.ones((n, n), dtype=bool)
    pad_mask[p : p + size, p : p + size] = False
    left = np.zeros((n, n), dtype=bool)
    if a:
        left[n - a :, :] = True
        left[:, n - a :] = True
    taps = window_mask((n, n), 0, 0, K, s, d)
    starts = np.zeros((n, n), dtype=bool)
    for i in range(OH):
        for j in range(OH):
            starts[i * s, j * s] = True
    labels = [["" for _ in range(n)] for _ in range(n)]
    for r, q in zip(*np.nonzero(starts)):
        labels[r][q] = "•"
    matrix(ax, grid, title, {LEFTOVER: left, WINDOW: taps}, shade=pad_mask, labels=labels, fontsize=9)
    summary = f"H={size}, K={K}, s={s}, p={p}, d={d}\nOH = ⌊({size}+2·{p}−{d}·({K}−1)−1)/{s}⌋+1 = {OH}, a = {a}"
    ax.set_xlabel(summary, fontsize=9)
    return OH, a


def colour_matrix(m, mask, colour="red"):
    """The matrix as text, with entries under ``mask`` in colour (termcolor), for print()."""
    m = np.asarray(m)
    width = max(len(f"{v:g}") for v in m.ravel())
    lines = []
    for row, mrow in zip(m, np.asarray(mask, dtype=bool)):
        cells = [f"{v:g}".rjust(width) for v in row]
        cells = [colored(c, colour, attrs=["bold"]) if flag else c for c, flag in zip(cells, mrow)]
        lines.append("[" + " ".join(cells) + "]")
    return "\n".join(lines)


INSERTED = "#f2f2f2"  # zeros inserted between gradient entries


def gradient_grid(ax, dy, stride, pads, title=None, window=None, kernel=None):
    """Draw the rot180 route's input: dy (OH, OW) zero-dilated by ``stride`` and
    padded by ``pads = ((top, bottom), (left, right))``; negative amounts crop.

    Real gradient entries are white with their value, inserted zeros light
    grey, padding grey; the ``a`` extra rows/columns beyond the symmetric
    padding are red. Rows and columns removed by a crop are listed under the
    grid. ``window=(i, j)`` with ``kernel`` (KH, KW) outlines one correlation window.
    """
    dy = np.asarray(dy, dtype=float)
    (top, bottom), (left, right) = pads
    (sh, sw) = ck.pair(stride, "stride")
    dil = np.zeros(((dy.shape[0] - 1) * sh + 1, (dy.shape[1] - 1) * sw + 1))
    real = np.zeros(dil.shape, dtype=bool)
    dil[::sh, ::sw] = dy
    real[::sh, ::sw] = True
    grid = pad2d(dil, ((top, bottom), (left, right)))
    is_real = pad2d(real.astype(int), ((top, bottom), (left, right))).astype(bool)
    inside = pad2d(np.ones(dil.shape, dtype=int), ((top, bottom), (left, right))).astype(bool)
    extra = np.zeros(grid.shape, dtype=bool)
    if bottom > top:
        extra[grid.shape[0] - (bottom - top) :, :] = True
    if right > left:
        extra[:, grid.shape[1] - (right - left) :] = True
    extra &= ~inside
    labels = [[f"{v:.2g}" if is_real[r, q] else "0" for q, v in enumerate(row)] for r, row in enumerate(grid)]
    highlight = {INSERTED: inside & ~is_real, PAD: ~inside, LEFTOVER: extra}
    matrix(ax, grid, title, highlight=highlight, labels=labels, fontsize=8)
    notes = [
        f"{-n} {side} cropped"
        for n, side in ((top, "top"), (bottom, "bottom"), (left, "left"), (right, "right"))
        if n < 0
    ]
    if notes:
        ax.set_xlabel(", ".join(notes), fontsize=9, color=LEFTOVER)
    if window is not None:
        i, j = window
        KH, KW = kernel
        ax.add_patch(Rectangle((j, i), KW, KH, fill=False, edgecolor=WINDOW, lw=3))
    return grid
