"""Pictures for the notebooks, drawn from the same arrays the library computes.

Every function draws onto matplotlib axes (or returns a figure) and prints
nothing, so a notebook cell shows exactly one figure per call.

One palette for every notebook (each colour with a legend wherever it appears):

- ``DIVERGING`` ("RdBu_r": red positive, blue negative) for every signed map,
  with symmetric limits and a colourbar (:func:`signed_image`);
- ``PAD`` zero padding, light grey and hatched;
- ``INSERTED`` zeros inserted between gradient entries, pale blue;
- ``UNREAD`` input rows/columns that no window reads, red;
- ``CROPPED`` rows/columns removed by a crop, purple;
- ``WINDOW`` the current window, an orange outline over a translucent tint,
  so the cells under it stay visible (grids whose cell colours carry the
  meaning, like :func:`gradient_grid`'s inserted zeros, draw the outline
  alone, ``window_tint=False``, so every cell keeps its legend colour);
- ``OUTPUT`` the output cell it produces, green.
"""

import numpy as np
from matplotlib import animation
from matplotlib import pyplot as plt
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from termcolor import colored

from . import _checks as ck
from .blocks import corr2d, output_size, pad2d, rows_read, stride_leftover

DIVERGING = "RdBu_r"  # every signed map: red positive, blue negative, symmetric limits
PAD = "#dcdcdc"  # zero padding (drawn hatched)
PAD_HATCH = "///"
PAD_HATCH_COLOUR = "#a6a6a6"
INSERTED = "#cfe2f7"  # zeros inserted between gradient entries
UNREAD = "#e8787a"  # input rows/columns no window reads
CROPPED = "#b48ad8"  # rows/columns removed by a crop
WINDOW = "#f4a259"  # the current window (outline and translucent tint, never an opaque fill)
OUTPUT = "#7fbf9a"  # the output cell it produces
LEFTOVER = UNREAD  # older name, kept for callers that still use it

KINDS = {
    "padding": PAD,
    "inserted zeros": INSERTED,
    "unread": UNREAD,
    "cropped": CROPPED,
    "window": WINDOW,
    "output": OUTPUT,
}
_LEGEND_TEXT = {
    "padding": "zero padding",
    "inserted zeros": "inserted zeros",
    "unread": "input rows/cols that no window reads",
    "cropped": "removed by the crop",
    "window": "window",
    "output": "output it produces",
}
_WINDOW_ALPHA = 0.3


def _window_face(tint):
    return to_rgba(WINDOW, _WINDOW_ALPHA) if tint else "none"


def _patch_for(kind, window_tint=True):
    """The legend handle of one kind, drawn exactly as the grids draw it."""
    if kind == "padding":
        return Patch(facecolor=PAD, edgecolor=PAD_HATCH_COLOUR, hatch=PAD_HATCH, label=_LEGEND_TEXT[kind])
    if kind == "window":
        return Patch(facecolor=_window_face(window_tint), edgecolor=WINDOW, lw=2.5, label=_LEGEND_TEXT[kind])
    return Patch(facecolor=KINDS[kind], edgecolor="#555555", lw=0.8, label=_LEGEND_TEXT[kind])


def legend(ax, kinds, window_tint=True, **kwargs):
    """Add a legend for the grid colours used on ``ax``.

    Parameters
    ----------
    ax : matplotlib Axes
    kinds : iterable of str
        Among "padding", "inserted zeros", "unread", "cropped", "window", "output".
    window_tint : bool, default True
        Draw the "window" entry with its translucent tint, as the grids draw
        it; False for an outline alone (as drawn with ``window_tint=False``).
    **kwargs
        Passed to ``ax.legend`` (defaults: below the axes, no frame, 10 pt).

    Returns
    -------
    matplotlib.legend.Legend
    """
    kinds = list(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown legend kinds {unknown}; valid kinds are {list(KINDS)}")
    options = dict(
        loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(kinds), 2) or 1, fontsize=10, frameon=False
    )
    options.update(kwargs)
    return ax.legend(handles=[_patch_for(k, window_tint) for k in kinds], **options)


def signed_image(ax, m, title=None, vmax=None):
    """Show a signed 2-D map with the diverging colormap, symmetric limits and a colourbar.

    Parameters
    ----------
    ax : matplotlib Axes
    m : array_like, shape (R, Q)
    title : str, optional
    vmax : float, optional
        Colour limit; default ``max|m|`` (1 if ``m`` is all zero). The limits are ``(-vmax, vmax)``.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    m = ck.numeric_array(m, "m", 2, "(R, Q)")
    if vmax is None:
        vmax = float(np.max(np.abs(m))) or 1.0
    image = ax.imshow(m, cmap=DIVERGING, vmin=-vmax, vmax=vmax)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    if title:
        ax.set_title(title)
    return image


def _cells(mask, inset=0.0):
    """Corners (n, 4, 2) of the unit cells under ``mask``, in (column, row) data coordinates."""
    r, q = np.nonzero(mask)
    lo, hi = inset, 1 - inset
    corners = np.array([(lo, lo), (hi, lo), (hi, hi), (lo, hi)])  # (4, 2)
    return np.stack([q, r], axis=-1)[:, None, :] + corners[None]  # (n, 4, 2)


def matrix(
    ax, m, title=None, highlight=None, shade=None, labels=None, fontsize=10, fmt="{:g}", outline=None, outline_tint=True
):
    """Draw a 2-D array as a grid of numbered cells.

    Parameters
    ----------
    ax : matplotlib Axes
    m : array_like, shape (R, Q)
    title : str, optional
    highlight : dict, optional
        Maps a colour to a boolean mask (R, Q) of cells to fill with it; a
        later entry wins. Cells filled with ``PAD`` are hatched.
    shade : array_like of bool, shape (R, Q), optional
        Cells drawn as zero padding (``PAD``, hatched).
    labels : array of str, shape (R, Q), optional
        Text for each cell instead of the formatted value.
    outline : dict, optional
        Maps a colour to a boolean mask (R, Q) of cells drawn with a thick
        border of that colour and a translucent tint, over the fills, so what
        is under them (padding, unread rows) stays visible. Use it for windows.
    outline_tint : bool, default True
        False draws the outlines alone, without the tint, so every cell under
        them keeps exactly its fill colour.

    Labels are never shrunk below ``fontsize``: a product ``x×w`` too wide for
    its cell goes on two lines, then shows ``x`` alone; any other label that
    does not fit is left out, and the title says so. (The fit is measured with
    the axes' size when drawn; a layout engine may still shrink it a little.)
    """
    m = np.asarray(m)
    R, Q = m.shape
    ax.set_xlim(-0.05, Q + 0.05)
    ax.set_ylim(R + 0.05, -0.05)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    face = np.ones((R, Q, 4))  # RGBA, white
    hatched = np.zeros((R, Q), dtype=bool)  # cells whose fill is PAD
    fills = []
    if shade is not None:
        fills.append((PAD, np.asarray(shade, dtype=bool)))
    fills += [(colour, np.asarray(mask, dtype=bool)) for colour, mask in (highlight or {}).items()]
    for colour, mask in fills:
        face[mask] = to_rgba(colour)
        hatched[mask] = to_rgba(colour) == to_rgba(PAD)
    every = np.ones((R, Q), dtype=bool)
    ax.add_collection(
        PolyCollection(_cells(every), facecolors=face.reshape(-1, 4), edgecolors="#555555", linewidths=0.8, zorder=1)
    )
    if hatched.any():
        ax.add_collection(
            PolyCollection(
                _cells(hatched),
                facecolors="none",
                edgecolors=PAD_HATCH_COLOUR,
                linewidths=0,
                hatch=PAD_HATCH,
                zorder=1.5,
            )
        )
    for colour, mask in (outline or {}).items():
        mask = np.asarray(mask, dtype=bool)
        ax.add_collection(
            PolyCollection(
                _cells(mask, inset=0.06),
                facecolors=[to_rgba(colour, _WINDOW_ALPHA)] if outline_tint else "none",
                edgecolors=colour,
                linewidths=2.5,
                zorder=2,
            )
        )
    cell = _cell_points(ax)
    left_out = False
    for r in range(R):
        for q in range(Q):
            text = _fitting(labels[r][q] if labels is not None else fmt.format(m[r, q]), fontsize, cell)
            left_out |= text is None
            if text:
                ax.text(q + 0.5, r + 0.5, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    if left_out:
        title = (title + "\n" if title else "") + "(cells too small for some values: left out)"
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    for side in ax.spines.values():
        side.set_visible(False)


_MEASURE = {}


def _cell_points(ax):
    """Side of one unit cell of an equal-aspect grid axes, in points, at the axes' current place."""
    ax.apply_aspect()
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (1, 1)])
    return min(abs(x1 - x0), abs(y1 - y0)) * 72 / ax.get_figure(root=True).dpi


def _measure(text, fontsize):
    """(width, height) of a possibly multi-line text, in points."""
    key = (text, fontsize)
    if key not in _MEASURE:
        from matplotlib.backends.backend_agg import RendererAgg
        from matplotlib.font_manager import FontProperties

        renderer = RendererAgg(1, 1, 72)  # at 72 dpi one pixel is one point
        prop = FontProperties(size=fontsize)
        lines = text.split("\n")
        width = max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0] for line in lines)
        _MEASURE[key] = (width, len(lines) * 1.2 * fontsize)
    return _MEASURE[key]


def _fitting(text, fontsize, cell):
    """``text`` if it fits a cell of ``cell`` points, else a product x×w on two lines, or x alone; else None."""
    if not text:
        return text
    candidates = [text]
    if "×" in text:
        x, w = text.split("×", 1)
        candidates += [f"{x}\n×{w.strip('()').replace('-', '−')}", x]
    for candidate in candidates:
        width, height = _measure(candidate, fontsize)
        if width <= 0.92 * cell and height <= 0.98 * cell:
            return candidate
    return None


def window_mask(shape, i, j, kernel, stride=1, dilation=1):
    """Boolean mask of the cells of a (padded) grid read by output pixel (i, j)."""
    (KH, KW), (sh, sw), (dh, dw) = (ck.pair(kernel, "kernel"), ck.pair(stride, "stride"), ck.pair(dilation, "dilation"))
    mask = np.zeros(shape, dtype=bool)
    mask[i * sh : i * sh + dh * (KH - 1) + 1 : dh, j * sw : j * sw + dw * (KW - 1) + 1 : dw] = True
    return mask


def unread_mask(H, W, kernel, stride=1, padding=0, dilation=1):
    """Boolean mask (H + top + bottom, W + left + right) of the padded grid: input pixels no window reads.

    A pixel is marked when its row or its column no window reads. Padding cells are never marked: padding
    is not input. ``padding`` takes every form of :func:`conv_lab.conv2d` (``"same"``, uneven sides).
    Uses :func:`conv_lab.rows_read` per axis.
    """
    KH, KW = ck.pair(kernel, "kernel", minimum=1)
    s, d = ck.pair(stride, "stride", minimum=1), ck.pair(dilation, "dilation", minimum=1)
    top, bottom, left, right = ck.padding_sides(padding, (KH, KW), s, d)
    rows = rows_read(H, KH, s[0], (top, bottom), d[0])  # (H,)
    cols = rows_read(W, KW, s[1], (left, right), d[1])  # (W,)
    mask = np.zeros((H + top + bottom, W + left + right), dtype=bool)
    mask[top : top + H, left : left + W] = ~rows[:, None] | ~cols[None, :]
    return mask


_DEFAULT_LABELS = {
    "input": "input x, zero-padded",
    "kernel": "kernel w",
    "output": "y[{i},{j}] = Σ x·w{bias} = {value:g}",
}


def _panel_titles(labels, i, j, value, bias):
    if labels is not None and not isinstance(labels, dict):
        raise TypeError(f"labels must be a dict with keys among {list(_DEFAULT_LABELS)}, got {labels!r}")
    unknown = sorted(set(labels or {}) - set(_DEFAULT_LABELS))
    if unknown:
        raise ValueError(f"unknown labels keys {unknown}; valid keys are {list(_DEFAULT_LABELS)}")
    titles = dict(_DEFAULT_LABELS, **(labels or {}))
    b_text = f" + {bias:g}" if bias else ""
    return {k: t.format(i=i, j=j, value=value, bias=b_text) for k, t in titles.items()}


def _marks_masks(marks, shape):
    """Check ``marks`` (kind -> mask over the padded input) and return [(kind, mask)]."""
    out = []
    for kind, mask in (marks or {}).items():
        if kind not in KINDS or kind in ("window", "output"):
            raise ValueError(
                f"unknown marks kind {kind!r}; valid kinds are 'padding', 'inserted zeros', 'unread', 'cropped'"
            )
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != shape:
            raise ValueError(f"marks[{kind!r}] must have the padded input's shape {shape}, got {mask.shape}")
        out.append((kind, mask))
    return out


def window_step(
    x, w, i, j, stride=1, padding=0, dilation=1, bias=0, fig=None, labels=None, marks=None, window_tint=True
):
    """Three panels: the padded input with window (i, j) and its products, the kernel, the output.

    Parameters
    ----------
    x : array_like, shape (H, W)
        Single channel.
    w : array_like, shape (KH, KW)
    i, j : int
        The output pixel whose window is drawn.
    stride, dilation : int or pair
    padding : int, pair, ((top, bottom), (left, right)), "valid" or "same"
        As in :func:`conv_lab.conv2d`.
    bias : float, default 0
    fig : matplotlib Figure, optional
        Drawn into (cleared first); a new figure otherwise.
    labels : dict, optional
        Panel titles ``dict(input=..., kernel=..., output=...)``; any key left
        out keeps its default. The titles may use ``{i}``, ``{j}``, ``{value}``
        (the output value) and ``{bias}``, e.g. ``output="dx[{i},{j}] = {value:g}"``.
    marks : dict, optional
        More cells to colour in the padded input: ``{"inserted zeros": mask, "cropped": mask, ...}``,
        each mask of the padded input's shape (H + top + bottom, W + left + right).
    window_tint : bool, default True
        Tint the window's cells orange under its outline; False draws the
        outline alone, so every cell keeps the colour its legend entry shows.

    Returns
    -------
    matplotlib Figure
        Padding is hatched grey; input rows/columns no window reads are red;
        the window is an orange outline, with ``x×w`` written in each tap.
    """
    x, w = np.asarray(x), np.asarray(w)
    y = corr2d(x, w, stride, padding, dilation) + bias  # validates every argument first
    top, bottom, left, right = ck.padding_sides(
        padding, w.shape, ck.pair(stride, "stride"), ck.pair(dilation, "dilation")
    )
    xp = pad2d(x, ((top, bottom), (left, right)))
    titles = _panel_titles(labels, i, j, y[i, j], bias)
    extra = _marks_masks(marks, xp.shape)
    mask = window_mask(xp.shape, i, j, w.shape, stride, dilation)
    pad_mask = np.ones(xp.shape, dtype=bool)
    pad_mask[top : top + x.shape[0], left : left + x.shape[1]] = False
    unread = unread_mask(x.shape[0], x.shape[1], w.shape, stride, padding, dilation)
    labels_in = [[f"{v:g}" for v in row] for row in xp]
    rows, cols = np.nonzero(mask)
    for (r, q), wv in zip(zip(rows, cols), w.ravel()):
        labels_in[r][q] = f"{xp[r, q]:g}×{wv:g}" if wv >= 0 else f"{xp[r, q]:g}×({wv:g})"
    if fig is None:  # at most 9 inches wide (900 px: shown unscaled), cells at most 0.75 inch
        n = xp.shape[1] + w.shape[1] + y.shape[1]
        cell = min(0.75, 6.4 / n)
        fig = plt.figure(figsize=(2.6 + cell * n, cell * xp.shape[0] + 2.0))
    fig.clear()
    widths = [xp.shape[1], w.shape[1], y.shape[1]]
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": widths})
    fills = {UNREAD: unread}
    for kind, m in extra:
        fills[KINDS[kind]] = fills.get(KINDS[kind], np.zeros(xp.shape, dtype=bool)) | m
    matrix(
        axes[0],
        xp,
        titles["input"],
        fills,
        shade=pad_mask,
        labels=labels_in,
        fontsize=10,
        outline={WINDOW: mask},
        outline_tint=window_tint,
    )
    kinds = [k for k, m in (("padding", pad_mask), ("unread", unread)) if m.any()]
    kinds += [k for k, m in extra if m.any() and k not in kinds]
    legend(axes[0], kinds + ["window"], window_tint=window_tint, ncol=3)
    matrix(axes[1], w, titles["kernel"])
    out_mask = np.zeros(y.shape, dtype=bool)
    out_mask[i, j] = True
    matrix(axes[2], y, titles["output"], {OUTPUT: out_mask})
    return fig


def readable(fig, size=9):
    """Raise every text on ``fig`` that is smaller than ``size`` points to ``size``; return ``fig``.

    For figures projected at 1280x720: text below 9 pt at the figure's size is hard to read there.
    """
    for text in fig.findobj(Text):
        if text.get_fontsize() < size:
            text.set_fontsize(size)
    return fig


def sliding_animation(
    x, w, stride=1, padding=0, dilation=1, bias=0, interval=900, labels=None, marks=None, window_tint=True
):
    """An animation of the window visiting every output position, as embeddable HTML.

    ``labels``, ``marks`` and ``window_tint`` are passed to :func:`window_step` for every frame.
    """
    OH, OW = corr2d(x, w, stride, padding, dilation).shape  # validates every argument first
    KW = np.shape(w)[1]
    top, bottom, left, right = ck.padding_sides(
        padding, np.shape(w), ck.pair(stride, "stride"), ck.pair(dilation, "dilation")
    )
    Hp, Wp = np.shape(x)[0] + top + bottom, np.shape(x)[1] + left + right
    # window_step's own size (at most 9 inches wide, shown unscaled), saved at the figure's dpi, not the inline 72
    n = Wp + KW + OW
    cell = min(0.75, 6.4 / n)
    fig = plt.figure(figsize=(2.6 + cell * n, cell * Hp + 2.0), dpi=100)
    steps = [(i, j) for i in range(OH) for j in range(OW)]

    def frame(k):
        window_step(
            x,
            w,
            *steps[k],
            stride,
            padding,
            dilation,
            bias,
            fig=fig,
            labels=labels,
            marks=marks,
            window_tint=window_tint,
        )
        readable(fig)

    anim = animation.FuncAnimation(fig, frame, frames=len(steps), interval=interval)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return html


def _row_list(rows, limit=8):
    rows = [int(r) for r in rows]
    if not rows:
        return "none"
    text = ", ".join(str(r) for r in rows[:limit])
    return text + (", …" if len(rows) > limit else "")


def geometry(ax, size, kernel_size, stride=1, padding=0, dilation=1, title=None):
    """One spatial axis pair drawn as a square grid, with the truth about the leftover rows.

    Padding is hatched grey; input rows and columns that no window reads are
    red (at the bottom edge and inside the image); the first window's taps
    are outlined orange; a dot marks where every window starts; the dashed
    line is where the last window ends (not drawn when ``a = 0``: it would lie on
    the border). Of the ``a`` padded rows below it,
    only ``max(0, a - p)`` are input rows. The legend's title prints OH, a and
    the unread input rows.

    Returns
    -------
    (OH, a) : tuple of int
    """
    K, s, p, d = kernel_size, stride, padding, dilation
    n = size + 2 * p
    OH = output_size(size, K, s, p, d)
    a = stride_leftover(size, K, s, p, d)
    read = rows_read(size, K, s, p, d)
    grid = np.zeros((n, n))
    pad_mask = np.ones((n, n), dtype=bool)
    pad_mask[p : p + size, p : p + size] = False
    unread = unread_mask(size, size, K, s, p, d)
    taps = window_mask((n, n), 0, 0, K, s, d)
    labels = [["" for _ in range(n)] for _ in range(n)]
    for i in range(OH):
        for j in range(OH):
            labels[i * s][j * s] = "•"
    matrix(ax, grid, title, {UNREAD: unread}, shade=pad_mask, labels=labels, fontsize=10, outline={WINDOW: taps})
    end = (OH - 1) * s + d * (K - 1) + 1  # padded rows 0 .. end-1 hold the windows
    if a:
        ax.plot([0, n], [end, end], color="#222222", lw=1.6, ls="--", zorder=4)
        ax.plot([end, end], [0, n], color="#222222", lw=1.6, ls="--", zorder=4)
    in_rows = max(0, a - p)
    summary = (
        f"H={size}, K={K}, s={s}, p={p}, d={d}\n"
        f"OH = ⌊({size}+2·{p}−{d}·({K}−1)−1)/{s}⌋+1 = {OH}, a = {a}\n"
        + (
            f"below the dashed line: {a} row(s), {min(a, p)} padding, {in_rows} input\n"
            if a
            else "the last window ends at the edge: no dashed line\n"
        )
        + f"unread input rows: {_row_list(np.flatnonzero(~read))}"
    )
    kinds = [k for k, m in (("padding", pad_mask), ("unread", unread)) if m.any()] + ["window"]
    legend(ax, kinds, title=summary, title_fontsize=10, fontsize=10, ncol=len(kinds))
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


def gradient_grid(ax, dy, stride, pads, title=None, window=None, kernel=None, dilation=1, show_legend=True):
    """Draw the rot180 route's input g: dy zero-inserted by ``stride`` and padded by ``pads``.

    Parameters
    ----------
    ax : matplotlib Axes
    dy : array_like, shape (OH, OW)
        One channel of the output gradient.
    stride : int or (sh, sw)
        ``s - 1`` zeros are inserted between neighbouring entries (zero insertion).
    pads : ((top, bottom), (left, right))
        Rows/columns of zeros added on each side; a negative amount crops.
    title : str, optional
    window : (i, j), optional
        Outline the taps that compute ``dx[i, j]``: the window whose first tap is
        at row ``i``, column ``j`` of g (after any crop). The outline has no
        tint, so the cells under it keep their colours.
    kernel : (KH, KW), optional
        The kernel's size, needed with ``window``.
    dilation : int or (dh, dw), default 1
        The kernel's dilation: its taps are ``d`` apart.
    show_legend : bool, default True
        Add a legend for the colours used.

    Returns
    -------
    g : ndarray, shape (OH_dil + top + bottom, OW_dil + left + right)
        The grid the stride-1 correlation reads, after padding and cropping.

    Notes
    -----
    Real gradient entries are white with their value (a real entry may be 0),
    inserted zeros pale blue (``INSERTED``), padding hatched grey (``PAD``).
    Rows and columns removed by a crop are still drawn, in purple
    (``CROPPED``), so the reader sees what was cut.
    """
    dy = np.asarray(dy, dtype=float)
    (top, bottom), (left, right) = pads
    sh, sw = ck.pair(stride, "stride")
    dil = np.zeros(((dy.shape[0] - 1) * sh + 1, (dy.shape[1] - 1) * sw + 1))
    real = np.zeros(dil.shape, dtype=bool)
    dil[::sh, ::sw] = dy
    real[::sh, ::sw] = True
    shown = ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)))  # crops drawn, not removed
    grid = pad2d(dil, shown)
    is_real = pad2d(real, shown).astype(bool)
    inside = pad2d(np.ones(dil.shape, dtype=bool), shown).astype(bool)
    R, Q = grid.shape
    ct, cb, cl, cr = max(-top, 0), max(-bottom, 0), max(-left, 0), max(-right, 0)
    cropped = np.zeros(grid.shape, dtype=bool)
    cropped[:ct, :] = True
    cropped[R - cb :, :] = True
    cropped[:, :cl] = True
    cropped[:, Q - cr :] = True
    labels = [[f"{v:.2g}" if is_real[r, q] else "0" for q, v in enumerate(row)] for r, row in enumerate(grid)]
    inserted = inside & ~is_real & ~cropped
    highlight = {INSERTED: inserted, PAD: ~inside, CROPPED: cropped}
    outline = None
    if window is not None:
        if kernel is None:
            raise ValueError("gradient_grid: pass kernel=(KH, KW) together with window=(i, j)")
        i, j = window
        outline = {WINDOW: window_mask(grid.shape, i + ct, j + cl, kernel, 1, dilation)}
    matrix(ax, grid, title, highlight=highlight, labels=labels, fontsize=9, outline=outline, outline_tint=False)
    kinds = [k for k, m in (("padding", ~inside), ("inserted zeros", inserted), ("cropped", cropped)) if m.any()]
    if window is not None:
        kinds.append("window")
    if show_legend and kinds:
        legend(ax, kinds, window_tint=False, ncol=2, fontsize=9)
    return pad2d(dil, pads)


def _sub(n):
    """An integer as subscript digits, for labels like dy₁·w₂."""
    return str(n).translate(str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋"))


def rows_diagram(ax, size, kernel_size, stride=1, padding=0, dilation=1, title=None):
    """One axis of a layer as a 1-D diagram: which outputs read which input rows, through which tap.

    The padded input's rows are a strip of cells (padding hatched, input rows
    that no window reads red), the outputs a strip above them, and a line joins
    output ``i`` to every row its window reads, labelled with the tap ``w_u``.
    Under each input row its gradient is written as the sum it receives,
    ``dx_r = Σ dy_i·w_u`` (0 for an unread row): along a row of that sum the
    output index rises while the tap index falls, the 180° rotation.

    Parameters
    ----------
    ax : matplotlib Axes
    size, kernel_size, stride, padding, dilation : int
        One axis of the layer, as in :func:`conv_lab.output_size`.
    title : str, optional

    Returns
    -------
    dict
        ``OH``, ``a`` (:func:`conv_lab.stride_leftover`), ``read`` (bool mask of
        input rows, :func:`conv_lab.rows_read`) and ``sums``: for each input
        row, the list of ``(i, u)`` pairs in its gradient.
    """
    H, K, s, p, d = (int(v) for v in (size, kernel_size, stride, padding, dilation))
    OH = output_size(H, K, s, p, d)
    a = stride_leftover(H, K, s, p, d)
    read = rows_read(H, K, s, p, d)
    n = H + 2 * p
    sums = [[] for _ in range(H)]
    for i in range(OH):
        for u in range(K):
            r = i * s + u * d - p
            if 0 <= r < H:
                sums[r].append((i, u))
    y_in, y_out = 0.0, 2.6
    lines = 1 + max(1, max(len(t) for t in sums))  # "dx_r =" and one line per term
    for q in range(n):
        r = q - p
        is_pad = not 0 <= r < H
        face = PAD if is_pad else (UNREAD if not read[r] else "white")
        hatch = PAD_HATCH if is_pad else None
        ax.add_patch(Rectangle((q, y_in), 1, 1, facecolor=face, edgecolor="#555555", lw=0.8, hatch=hatch))
        ax.text(q + 0.5, y_in + 0.5, "0" if is_pad else f"x{_sub(r)}", ha="center", va="center", fontsize=9)
        if not is_pad:
            terms = [f"dy{_sub(i)}·w{_sub(u)}" for i, u in sums[r]] or ["0"]
            text = f"dx{_sub(r)} =\n" + "\n+ ".join(terms)
            ax.text(q + 0.5, y_in - 0.12, text, ha="center", va="top", fontsize=9, linespacing=1.3)
    span = d * (K - 1) + 1
    for i in range(OH):
        centre = i * s + span / 2
        ax.add_patch(Rectangle((centre - 0.5, y_out), 1, 1, facecolor=OUTPUT, edgecolor="#555555", lw=0.8))
        ax.text(centre, y_out + 0.5, f"y{_sub(i)}", ha="center", va="center", fontsize=9)
        for u in range(K):
            q = i * s + u * d
            ax.plot([centre, q + 0.5], [y_out, y_in + 1], color="#555555", lw=0.9)
            tx, ty = centre + 0.7 * (q + 0.5 - centre), y_out + 0.7 * (y_in + 1 - y_out)
            box = dict(fc="white", ec="none", pad=0.5)
            ax.text(tx, ty, f"w{_sub(u)}", ha="center", va="center", fontsize=9, bbox=box)
    last_end = (OH - 1) * s + span
    if n > last_end:
        ax.plot([last_end, last_end], [y_in - 0.1, y_out + 1], color="#555555", ls="--", lw=1)
        ax.text(last_end + 0.08, y_out + 1, "last window\nends", fontsize=9, va="top")
    ax.set_xlim(-0.3, n + 0.3)
    ax.set_ylim(y_in - 0.5 * lines - 0.3, y_out + 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    kinds = (["padding"] if p else []) + (["unread"] if not read.all() else [])
    if kinds:
        legend(ax, kinds, ncol=len(kinds), fontsize=9)
    return dict(OH=OH, a=a, read=read, sums=sums)


def scatter_diagram(ax, y, w, stride=1, padding=0, output_padding=0, dilation=1, title=None):
    """The 1-D transposed convolution drawn as upsampling: every ``y_i`` scatters ``y_i·w``.

    Row ``i`` holds the copy of the kernel scaled by ``y_i``, starting at
    position ``i*stride`` with taps ``dilation`` apart; the row below adds
    them up; ``padding`` then removes that many positions at each end (purple,
    ``CROPPED``) and ``output_padding`` keeps that many more at the right end,
    zeros where no copy reached (hatched, labelled "output_padding"). The last
    row is the result.

    Parameters
    ----------
    ax : matplotlib Axes
    y : array_like, shape (L,)
    w : array_like, shape (K,)
    stride, padding, output_padding, dilation : int
        As in :func:`conv_lab.conv_transpose2d`, for one axis.
    title : str, optional

    Returns
    -------
    ndarray, shape ((L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1,)
        The result row, computed by the scatter drawn.
    """
    y = ck.numeric_array(y, "y", 1, "(L,)").astype(float)
    w = ck.numeric_array(w, "w", 1, "(K,)").astype(float)
    s, p, op, d = (int(v) for v in (stride, padding, output_padding, dilation))
    L, K = len(y), len(w)
    full_len = (L - 1) * s + d * (K - 1) + 1
    out_len = full_len - 2 * p + op
    if out_len < 1:
        raise ValueError(f"padding={p} removes every position of the {full_len}-long scatter")
    n_cols = max(full_len, p + out_len)
    full = np.zeros(n_cols)
    rows = len(y) + 2
    for i, yi in enumerate(y):
        for u, wu in enumerate(w):
            full[i * s + u * d] += yi * wu
    result = full[p : p + out_len].copy()
    for r in range(rows):
        for q in range(n_cols):
            kept = p <= q < p + out_len
            beyond = q >= full_len
            text, face, hatch = "", "white", None
            if r < L:
                u, rem = divmod(q - r * s, d)
                if rem == 0 and 0 <= u < K:
                    text = f"{y[r] * w[u]:g}"
                    face = "white" if kept else CROPPED
                else:
                    face = "#f7f7f7"
            elif r == L:
                text = "0" if beyond else f"{full[q]:g}"
                face, hatch = (PAD, PAD_HATCH) if beyond else ("white" if kept else CROPPED, None)
            else:
                text = f"{full[q]:g}" if kept else ""
                face = OUTPUT if kept else "white"
            ax.add_patch(Rectangle((q, r), 1, 1, facecolor=face, edgecolor="#555555", lw=0.6, hatch=hatch))
            if text:
                ax.text(q + 0.5, r + 0.5, text, ha="center", va="center", fontsize=9)
    names = [f"y{_sub(i)}·w" for i in range(L)] + ["sum", "result"]
    ax.set_yticks([r + 0.5 for r in range(rows)], names, fontsize=9)
    ax.set_xticks([q + 0.5 for q in range(n_cols)], [str(q) for q in range(n_cols)], fontsize=9)
    ax.tick_params(length=0)
    ax.set_xlim(0, n_cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    kinds = (["cropped"] if p else []) + (["padding"] if n_cols > full_len else []) + ["output"]
    leg = legend(ax, kinds, ncol=len(kinds), bbox_to_anchor=(0.5, -0.12), fontsize=9)
    if "padding" in kinds:  # the hatched cells are the ones output_padding adds, not zero padding
        leg.get_texts()[kinds.index("padding")].set_text("output_padding")
    return result


def window_rows(ax, size, kernel_size, stride=1, padding=0, dilation=1, title=None, fontsize=10):
    """One axis of a layer, drawn as columns: which padded rows each window's taps read.

    Column 0 is the padded input from top to bottom: padding hatched grey,
    input rows numbered, input rows that no window reads in red. Column
    ``o + 1`` is window ``o`` (numbered on top): its K taps outlined in the
    window colour and numbered ``0 .. K-1``. A bracket on the right marks the
    ``a`` padded rows below the last window.

    Parameters
    ----------
    ax : matplotlib Axes
    size, kernel_size, stride, padding, dilation : int
        As in :func:`conv_lab.output_size`.
    title : str, optional
    fontsize : int, default 10
        Row numbers; tap and window numbers are one point smaller.

    Returns
    -------
    (OH, a, read) : (int, int, ndarray of bool, shape (size,))
        The number of windows, the padded rows below the last one, and
        :func:`conv_lab.rows_read`.
    """
    K, s, p, d = kernel_size, stride, padding, dilation
    n = size + 2 * p
    OH = output_size(size, K, s, p, d)
    a = stride_leftover(size, K, s, p, d)
    read = rows_read(size, K, s, p, d)
    for r in range(n):
        i = r - p
        if 0 <= i < size:
            face = "white" if read[i] else UNREAD
            ax.add_patch(Rectangle((0, r), 1, 1, facecolor=face, edgecolor="#555555", lw=0.8))
            ax.text(0.5, r + 0.5, str(i), ha="center", va="center", fontsize=fontsize)
        else:
            ax.add_patch(Rectangle((0, r), 1, 1, facecolor=PAD, edgecolor=PAD_HATCH_COLOUR, hatch=PAD_HATCH, lw=0.8))
    ax.text(0.5, -0.3, "row", ha="center", va="bottom", fontsize=fontsize - 1, color="#555555")
    tint = to_rgba(WINDOW, _WINDOW_ALPHA)
    for o in range(OH):
        left = 1.4 + o
        first, last = o * s, o * s + d * (K - 1)
        ax.plot([left + 0.5, left + 0.5], [first + 0.5, last + 0.5], color=WINDOW, lw=1.2, zorder=1)
        for t in range(K):
            r = o * s + t * d
            ax.add_patch(Rectangle((left + 0.1, r + 0.1), 0.8, 0.8, facecolor=tint, edgecolor=WINDOW, lw=2, zorder=2))
            ax.text(left + 0.5, r + 0.5, str(t), ha="center", va="center", fontsize=fontsize - 1, zorder=3)
        ax.text(left + 0.5, -0.3, str(o), ha="center", va="bottom", fontsize=fontsize - 1, color="#555555")
    right = 1.4 + OH + 0.15
    if a:
        ax.plot([right, right + 0.2, right + 0.2, right], [n - a + 0.05, n - a + 0.05, n - 0.05, n - 0.05], "k", lw=1)
        ax.text(right + 0.35, n - a / 2, f"a={a}", va="center", fontsize=fontsize)
    ax.set_xlim(-0.1, right + 1.6)
    ax.set_ylim(n + 0.1, -1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    ax.text(0, n + 0.4, f"H={size} K={K} s={s}\np={p} d={d}\nOH={OH}, a={a}", va="top", fontsize=fontsize)
    return OH, a, read


# --- notebook 03: the multi-channel layer and its matrix product ---------------------------------


def _sheet(ax, x0, y0, rows, cols, face, edge="#555555", grid=True, lw=0.8, alpha=1.0, zorder=1):
    """One rows × cols sheet of unit cells with its top-left corner at (x0, y0) (y grows downwards)."""
    ax.add_patch(Rectangle((x0, y0), cols, rows, facecolor=face, edgecolor=edge, lw=lw, alpha=alpha, zorder=zorder))
    if grid:
        for r in range(1, rows):
            ax.plot([x0, x0 + cols], [y0 + r, y0 + r], color=edge, lw=0.3, zorder=zorder)
        for q in range(1, cols):
            ax.plot([x0 + q, x0 + q], [y0, y0 + rows], color=edge, lw=0.3, zorder=zorder)


def _stack(ax, x0, y0, depth, rows, cols, faces, step=0.7, grid=True, zorder=1):
    """``depth`` sheets, the first in front at (x0, y0), each further one up and to the right.

    Returns the top-left corner of every sheet, front first.
    """
    corners = [(x0 + k * step, y0 - k * step) for k in range(depth)]
    for k in reversed(range(depth)):
        cx, cy = corners[k]
        _sheet(ax, cx, cy, rows, cols, faces[k % len(faces)], grid=grid and k == 0, zorder=zorder + depth - k)
    return corners


def multichannel_picture(C=3, H=6, W=6, F=4, kernel_size=3, at=(1, 2), stride=1, padding=0, fig=None):
    """How one filter, C deep, makes one output pixel, and how F filters make F maps.

    Draws the C-channel input as stacked sheets with the window under output
    pixel ``at`` outlined on each channel, the F filters (each C sheets of
    KH × KW), and the output: F maps of OH × OW, one per filter, with pixel
    ``at`` of map 0 marked. Returns the figure.
    """
    KH, KW = ck.pair(kernel_size, "kernel_size", minimum=1)
    (sh, sw), (ph, pw) = ck.pair(stride, "stride", minimum=1), ck.pair(padding, "padding", minimum=0)
    OH, OW = output_size(H, KH, sh, ph), output_size(W, KW, sw, pw)
    i, j = at
    if not (0 <= i < OH and 0 <= j < OW):
        raise ValueError(f"at must be an output pixel inside (OH, OW) = {(OH, OW)}, got {at!r}")
    if fig is None:
        fig = plt.figure(figsize=(11, 7))
    ax = fig.add_subplot(1, 1, 1)
    step = 0.8
    top = -(max(C, F) - 1) * step - 1.2  # where the group titles go
    title = dict(ha="center", va="bottom", fontsize=12)
    arrow = dict(arrowstyle="-|>", color="#333333", lw=1.2, mutation_scale=14)

    # the input, C sheets deep (drawn padded, if there is padding)
    Hp, Wp = H + 2 * ph, W + 2 * pw
    corners = _stack(ax, 0, 0, C, Hp, Wp, ["#f3d9d9", "#d9ecd9", "#d9e3f3", "#eeeeee"], step=step)
    r0, c0 = i * sh, j * sw
    for k, (cx, cy) in enumerate(corners):
        ax.add_patch(
            Rectangle(
                (cx + c0, cy + r0), KW, KH, fill=False, edgecolor=WINDOW, lw=2.5 if k == 0 else 1.2, zorder=40 - k
            )
        )
    in_right = Wp + (C - 1) * step
    pad_text = f", padded by {ph}" if ph or pw else ""
    ax.text(in_right / 2, top, f"input x[n]:\n{C} channels of {H}×{W}{pad_text}", **title)

    # the F filters, one column, each C sheets of KH x KW
    fx = in_right + 6.5
    faces = ["#f4c7a1", "#c9b8e0", "#b3cde8", "#e6d39a"]  # no green: green marks the output pixel (OUTPUT)
    gap = KH + (C - 1) * step + 0.5
    rows = [f * gap for f in range(F)]
    for f, fy in enumerate(rows):
        _stack(ax, fx, fy, C, KH, KW, [faces[f % len(faces)]], step=step)
        ax.text(fx - 0.3, fy + KH / 2, f"w[{f}]", ha="right", va="center", fontsize=12)
    f_right = fx + KW + (C - 1) * step
    ax.text((fx + f_right) / 2, top, f"{F} filters,\neach ({C}, {KH}, {KW})", **title)

    # the output, F maps of OH x OW, map f in the colour of filter f
    ox = f_right + 7.5
    _stack(ax, ox, 0, F, OH, OW, [faces[f % len(faces)] for f in range(F)], step=step)
    ax.add_patch(Rectangle((ox + j, i), 1, 1, facecolor=OUTPUT, edgecolor="black", lw=1.5, zorder=60))
    ax.text(ox + (OW + (F - 1) * step) / 2, top, f"output y[n]:\n{F} maps of {OH}×{OW}", **title)

    # window -> filter 0 -> one output pixel
    ax.annotate("", xy=(fx - 2.6, KH / 2), xytext=(c0 + KW + 0.1, r0 + KH / 2), arrowprops=arrow, zorder=70)
    ax.text(
        (in_right + fx) / 2 - 0.4,
        (r0 + KH / 2 + KH / 2) / 2 + 0.8,
        f"window × w[0],\nall {C} channels",
        ha="center",
        va="top",
        fontsize=12,
    )
    ax.annotate("", xy=(ox + j - 0.05, i + 0.5), xytext=(f_right + 0.2, KH / 2), arrowprops=arrow, zorder=70)
    ax.text(
        (f_right + ox) / 2 + 0.2,
        KH / 2 + 1.0,
        f"sum of {C * KH * KW}\nproducts + b[0]\n= y[n, 0, {i}, {j}]",
        ha="center",
        va="top",
        fontsize=12,
        zorder=80,
    )
    ax.text(
        (f_right + ox) / 2 + 0.3,
        rows[-1] + KH / 2,
        "w[f] makes\nmap f",
        ha="center",
        va="center",
        fontsize=12,
        color="#555555",
    )
    ax.set_xlim(-0.5, ox + OW + (F - 1) * step + 0.5)
    ax.set_ylim(max(Hp, rows[-1] + KH) + 0.5, top - 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


_PT_PER_UNIT = 24.0  # gemm_diagram's fixed scale: one data unit is 24 points, so label sizes are known in units


def channel_sum_picture(x, w, b=None, n=0, f=0, at=(0, 0), stride=1, fig=None):
    """One output pixel of a multi-channel convolution, channel by channel, with the numbers written in.

    One row per input channel c: the window of ``x[n, c]`` under output pixel
    ``at`` (no padding), times the kernel ``w[f, c]``, tap by tap, gives the
    partial sum of that channel. The bottom line adds the C partial sums and
    the bias into ``y[n, f, i, j]``. Numbers are printed as integers when they
    are whole, else with 3 significant digits. Returns the figure.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C, KH, KW)
    b : array_like, shape (F,), optional
    n, f : int
        Sample and filter.
    at : (i, j)
        Output pixel.
    stride : int or (h, w) pair
    """
    x = ck.numeric_array(x, "x", 4, "(N, C, H, W)")
    w = ck.numeric_array(w, "w", 4, "(F, C, KH, KW)")
    N, C, H, W = x.shape
    F, Cw, KH, KW = w.shape
    if Cw != C:
        raise ValueError(f"w must have C = {C} channels like x, got w.shape {w.shape}")
    if C > 6 or KH * KW > 36:
        raise ValueError(f"the picture holds at most 6 channels and 36 taps, got C = {C}, KH × KW = {KH} × {KW}")
    sh, sw = ck.pair(stride, "stride", minimum=1)
    OH, OW = output_size(H, KH, sh, 0), output_size(W, KW, sw, 0)
    n, f = ck.integer(n, "n", minimum=0), ck.integer(f, "f", minimum=0)
    if n >= N or f >= F:
        raise ValueError(f"n and f must index x and w: N = {N}, F = {F}, got n = {n}, f = {f}")
    i, j = at
    if not (0 <= i < OH and 0 <= j < OW):
        raise ValueError(f"at must be an output pixel inside (OH, OW) = {(OH, OW)}, got {at!r}")
    bias = 0 if b is None else ck.numeric_array(b, "b", 1, "(F,)")[f]

    def fmt(v):
        v = float(v)
        return f"{v:.0f}" if v.is_integer() else f"{v:.3g}"

    window = x[n, :, i * sh : i * sh + KH, j * sw : j * sw + KW]  # (C, KH, KW)
    partial = (window * w[f]).sum(axis=(1, 2))  # (C,)
    row_h = KH + 1.2
    x_range, y_range = (-3.2, 2 * KW + 5.5), (C * row_h + 1.2, -1.4)
    if fig is None:  # 0.45 inch per cell: room for a 4-digit number at 10 pt
        fig = plt.figure(figsize=(0.45 * (x_range[1] - x_range[0]), 0.45 * (y_range[0] - y_range[1])))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    faces = ["#f3d9d9", "#d9ecd9", "#d9e3f3", "#eeeeee", "#f3ecd9", "#e6d9f3"]
    for c in range(C):
        top = c * row_h
        for x0, values, face in [(0, window[c], faces[c % 6]), (KW + 1.5, w[f, c], "#f4c7a1")]:
            for u in range(KH):
                for v in range(KW):
                    ax.add_patch(Rectangle((x0 + v, top + u), 1, 1, facecolor=face, edgecolor="#555555", lw=0.8))
                    ax.text(x0 + v + 0.5, top + u + 0.5, fmt(values[u, v]), ha="center", va="center", fontsize=10)
        ax.text(KW + 0.75, top + KH / 2, "×", ha="center", va="center", fontsize=14)
        ax.text(2 * KW + 2.0, top + KH / 2, f"= {fmt(partial[c])}", ha="left", va="center", fontsize=12)
        ax.text(-0.3, top + KH / 2, f"channel {c}", ha="right", va="center", fontsize=11)
    total = partial.sum() + bias
    terms = " + ".join(fmt(v) for v in partial) + (f" + b[{f}] ({fmt(bias)})" if b is not None else "")
    ax.text(-0.3, C * row_h + 0.2, f"{terms} = {fmt(total)} = y[{n}, {f}, {i}, {j}]", ha="left", va="top", fontsize=12)
    ax.text(0, -0.4, f"window of x[{n}]", ha="left", va="bottom", fontsize=11)
    ax.text(KW + 1.5, -0.4, f"kernel w[{f}, c]", ha="left", va="bottom", fontsize=11)
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_aspect("equal")
    return fig


def _text_size(text, fontsize, weight="normal"):
    """(width, height) of a possibly multi-line label, in gemm_diagram's data units."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(1, 1, 72)  # at 72 dpi one pixel is one point
    prop = FontProperties(size=fontsize, weight=weight)
    lines = text.split("\n")
    width = max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0] for line in lines)
    return width / _PT_PER_UNIT, len(lines) * 1.2 * fontsize / _PT_PER_UNIT


def gemm_diagram(x_shape, w_shape, stride=1, padding=0, dilation=1, fig=None):
    """The forward pass as one matrix product, drawn to scale, with the sizes of ``x_shape`` and ``w_shape``.

    ``cols (N·OH·OW × C·KH·KW) @ w_mat.T (C·KH·KW × F) -> y_mat (N·OH·OW × F)
    -> reshape (N, OH, OW, F) -> transpose (N, F, OH, OW)``. Dashed lines split the
    rows of cols and y_mat by sample n (dashed). The longest side is 6.5 units; the gaps
    between the pieces are measured from their labels, so no two labels
    overlap. Returns the figure (a given ``fig`` is resized to fit).
    """
    N, C, H, W = (ck.integer(v, "x_shape", minimum=1) for v in x_shape)
    F, Cw, KH, KW = (ck.integer(v, "w_shape", minimum=1) for v in w_shape)
    if Cw != C:
        raise ValueError(f"w_shape has C={Cw} channels but x_shape has C={C}")
    (sh, sw), (ph, pw), (dh, dw) = (
        ck.pair(v, n, minimum=m)
        for v, n, m in ((stride, "stride", 1), (padding, "padding", 0), (dilation, "dilation", 1))
    )
    OH, OW = output_size(H, KH, sh, ph, dh), output_size(W, KW, sw, pw, dw)
    R, K = N * OH * OW, C * KH * KW
    scale = 6.5 / max(R, K, F)  # the longest side is 6.5 units long
    margin = 0.25  # between neighbouring labels
    label, name_size, op_size, stage_size, arrow_size = 12, 13, 18, 12, 12  # at most 900 px wide: shown unscaled

    # (rows, columns, face, name, row label, column label, dashed line every `split` rows)
    boxes = [
        (R, K, "#d9e3f3", "cols", f"N·OH·OW = {R}", f"C·KH·KW = {K}", OH * OW),
        (K, F, "#f4c7a1", "w.reshape(F, -1).T", f"C·KH·KW = {K}", f"F = {F}", None),
        (R, F, "#b9dcc9", "y_mat", f"N·OH·OW = {R}", f"F = {F}", OH * OW),
    ]
    ops = ["@", "="]
    y_mid = R * scale / 2  # the operators and arrows run along the middle of cols and y_mat
    geo = []
    for rows, columns, _, name, row_label, col_label, _ in boxes:
        bw = columns * scale
        col_w, col_h = _text_size(col_label, label)
        row_len, row_thick = _text_size(row_label, label)  # drawn rotated: its width is its length
        name_w, name_h = _text_size(name, name_size, "bold")
        geo.append(
            dict(
                bw=bw,
                h=rows * scale,
                col_h=col_h,
                top_ext=max(0.0, col_w / 2 - bw / 2),  # how far the column label reaches past each side
                name_ext=max(0.0, name_w / 2 - bw / 2),
                name_h=name_h,
                row_len=row_len,
                row_reach=row_thick + 0.1,  # the row label sits left of the box
            )
        )

    # x positions: each gap holds the operator clear of the labels on both sides
    x0s, x = [], 0.2 + max(geo[0]["row_reach"], geo[0]["top_ext"], geo[0]["name_ext"])
    op_x = []
    for k, g in enumerate(geo):
        x0s.append(x)
        x += g["bw"]
        if k < len(ops):
            nxt = geo[k + 1]
            op_w = _text_size(ops[k], op_size)[0]
            right_reach = max(nxt["row_reach"], nxt["top_ext"])
            gap = max(
                1.6,
                g["top_ext"] + margin + op_w + margin + right_reach,
                g["name_ext"] + 3 * margin + nxt["name_ext"],
            )
            op_x.append((x + g["top_ext"] + x + gap - right_reach) / 2)
            x += gap
    box_end = x

    tallest = max(max(g["h"], g["row_len"]) for g in geo)
    name_y = tallest + 0.2 + max(g["name_h"] for g in geo) / 2
    font = dict(ha="center", va="center", fontsize=label)
    artists = []  # (kind, args, kwargs), drawn once the figure has its size
    for (rows, _, face, name, row_label, col_label, split), g, x0 in zip(boxes, geo, x0s):
        artists.append(("rect", ((x0, 0), g["bw"], g["h"]), dict(facecolor=face, edgecolor="#333333", lw=1.2)))
        if split:
            for k in range(1, rows // split):
                artists.append(("line", ([x0, x0 + g["bw"]], [k * split * scale] * 2), dict(lw=1.4, ls="--")))
        artists.append(("text", (x0 + g["bw"] / 2, -0.15 - g["col_h"] / 2, col_label), font))
        row_y = max(g["h"], g["row_len"]) / 2  # a label longer than its box starts at the box's top
        artists.append(("text", (x0 - g["row_reach"] / 2 - 0.05, row_y, row_label), dict(font, rotation=90)))
        artists.append(
            (
                "text",
                (x0 + g["bw"] / 2, name_y, name),
                dict(ha="center", va="center", fontsize=name_size, weight="bold"),
            )
        )
    for op, ox in zip(ops, op_x):
        artists.append(("text", (ox, y_mid, op), dict(ha="center", va="center", fontsize=op_size)))

    # reshape and transpose: the 4-D arrays as labelled boxes
    stages = [
        ("reshape", f"(N, OH, OW, F)\n= ({N}, {OH}, {OW}, {F})\nthe rows (n, oh, ow)\nunfold; F stays last"),
        ("transpose\n(0, 3, 1, 2)", f"(N, F, OH, OW)\n= ({N}, {F}, {OH}, {OW})\nF maps of {OH}×{OW}\nper sample"),
    ]
    x_prev = box_end + max(geo[-1]["top_ext"], geo[-1]["name_ext"])
    top = -0.35 - max(g["col_h"] for g in geo)
    bottom = name_y + max(g["name_h"] for g in geo) / 2 + 0.2
    for arrow_label, text in stages:
        lw, lh = _text_size(arrow_label, arrow_size)
        tw, th = _text_size(text, stage_size)
        sbw, sbh = tw + 0.6, th + 0.6
        x_box = x_prev + max(3.4, lw + 2 * margin)
        y_box = max(y_mid, sbh / 2)  # the box's top stays at or below the matrices' tops
        artists.append(("arrow", ((x_box - 0.1, y_mid), (x_prev + 0.1, y_mid)), {}))
        artists.append(
            (
                "text",
                ((x_prev + x_box) / 2, y_mid - 0.12, arrow_label),
                dict(fontsize=arrow_size, ha="center", va="bottom"),
            )
        )
        artists.append(("rect", ((x_box, y_box - sbh / 2), sbw, sbh), dict(facecolor="#f0f0f0", edgecolor="#333333")))
        artists.append(("text", (x_box + sbw / 2, y_box, text), dict(font, fontsize=stage_size)))
        top = min(top, y_mid - 0.12 - lh - 0.2)
        bottom = max(bottom, y_box + sbh / 2 + 0.2)
        x_prev = x_box + sbw
    right = x_prev + 0.2

    title = (
        f"x {(N, C, H, W)}, w {(F, C, KH, KW)}, stride {stride}, padding {padding}, dilation {dilation}: "
        f"OH = {OH}, OW = {OW}; dashed lines separate the samples"
    )
    # the figure: data units at _PT_PER_UNIT, a strip above for the title, wide enough for the title
    inch = _PT_PER_UNIT / 72
    ax_w, ax_h = right * inch, (bottom - top) * inch
    title_w = _text_size(title, 12)[0] * inch
    fig_w, fig_h = max(ax_w, title_w) + 0.3, ax_h + 0.5
    if fig is None:
        fig = plt.figure(figsize=(fig_w, fig_h))
    else:
        fig.set_size_inches(fig_w, fig_h)
    ax = fig.add_axes([(fig_w - ax_w) / 2 / fig_w, 0.1 / fig_h, ax_w / fig_w, ax_h / fig_h])
    arrow = dict(arrowstyle="-|>", color="#333333", lw=1.2, mutation_scale=14)
    for kind, args, kwargs in artists:
        if kind == "rect":
            ax.add_patch(Rectangle(*args, **kwargs))
        elif kind == "line":
            ax.plot(*args, color="#333333", **kwargs)
        elif kind == "arrow":
            ax.annotate("", xy=args[0], xytext=args[1], arrowprops=arrow)
        else:
            ax.text(*args, **kwargs)
    ax.set_title(title, fontsize=12)
    ax.set_xlim(0, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
