"""Linked views: the forward window, the backward gradient and the transposed convolution in one picture.

:func:`view_state` computes everything the view shows, from the library's own
routines, and is tested on its own. :func:`linked_view` draws it with
ipywidgets sliders (ipywidgets 8 and matplotlib only; no build step, no
ipympl): choose an output pixel and its window lights up in the padded input
with the products written in; choose an input pixel and every output whose
window touched it lights up, with the kernel taps that carry its gradient and
its ``dx`` as that sum.

Settings that do not fit (a kernel larger than the padded input, an
``output_padding`` that is neither smaller than the stride nor than the
dilation) are explained in the view, never raised.
"""

import functools
import io
from dataclasses import dataclass, field

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath

from . import _checks as ck
from . import draw
from .blocks import dilate2d, output_size, pad2d, rot180, rows_read
from .conv import conv2d, conv2d_backward, conv_transpose2d

PIXEL = "#1f4e9c"  # the chosen input pixel and everything linked to it (outline)


def example_arrays(H, W, KH, KW, OH, OW):
    """The small integer example every view uses: x (H, W) in 1..9, w (KH, KW) in {-2, -1, 1, 2}, dy (OH, OW) in 1..4.

    Fixed formulas of the indices, so the numbers stay put while a slider moves
    and every product is easy to check by hand.
    """
    r, q = np.indices((H, W))
    x = (3 * r + q) % 9 + 1  # (H, W)
    u, v = np.indices((KH, KW))
    w = np.array([-1, 2, 1, -2])[(u * KW + v) % 4]  # (KH, KW)
    i, j = np.indices((OH, OW))
    dy = (i + 2 * j) % 4 + 1  # (OH, OW)
    return x.astype(np.int64), w.astype(np.int64), dy.astype(np.int64)


@dataclass(frozen=True)
class Tap:
    """One kernel tap of a window: kernel index (u, v), padded-input index (r, q), the values and their product."""

    u: int
    v: int
    r: int
    q: int
    x: int
    w: int
    product: int
    padding: bool


@dataclass(frozen=True)
class Touch:
    """Output (i, j) read the chosen input pixel with kernel tap (u, v); it sends back ``dy * w``."""

    i: int
    j: int
    u: int
    v: int
    dy: int
    w: int
    product: int


@dataclass
class ViewState:
    """Everything a linked view shows, for one setting. Built by :func:`view_state`.

    Pairs are (height, width). ``fits`` is False when the kernel does not fit
    the padded input; then ``message`` explains why and the arrays are None.
    """

    H: int
    W: int
    KH: int
    KW: int
    stride: tuple
    padding: tuple
    dilation: tuple
    output_padding: tuple
    fits: bool = True
    message: str = ""
    OH: int | None = None
    OW: int | None = None
    a: tuple | None = None  # rows/cols of the padded input below/right of the last window
    leftover_input: tuple | None = None  # how many of those are input rows/cols: max(0, a - p)
    rows_read: np.ndarray | None = None  # (H,) bool
    cols_read: np.ndarray | None = None  # (W,) bool
    unread_rows: tuple = ()
    unread_cols: tuple = ()
    rot_pad: tuple | None = None  # ((top, bottom), (left, right)) for dx: d(K-1)-p and d(K-1)-p+a; < 0 crops
    x: np.ndarray | None = None  # (H, W)
    w: np.ndarray | None = None  # (KH, KW)
    dy: np.ndarray | None = None  # (OH, OW)
    y: np.ndarray | None = None  # (OH, OW), conv2d(x, w)
    dx: np.ndarray | None = None  # (H, W), conv2d_backward(dy, x, w)[0]
    out_pixel: tuple | None = None
    window: tuple = ()  # Taps of the chosen output pixel's window
    y_value: int | None = None  # sum of the window's products
    in_pixel: tuple | None = None
    touching: tuple = ()  # Touches: every output whose window read the chosen input pixel
    dx_value: int | None = None  # sum of the touches' products
    dx_library: int | None = None  # conv2d_backward's dx at the chosen input pixel
    transposed_ok: bool = False
    transposed_message: str = ""
    transposed_pad: tuple | None = None  # like rot_pad, with output_padding in place of a
    transposed_size: tuple | None = None  # (Ht, Wt) of conv_transpose2d(dy, w, output_padding)
    transposed: np.ndarray | None = None  # (Ht, Wt)
    transposed_forward: tuple | None = None  # (OH, OW) of the forward convolution of an Ht×Wt input
    notes: list = field(default_factory=list)

    def summary(self, mode="forward"):
        """The formula values, as the lines the view prints.

        ``mode="forward"`` says which outputs read the chosen input pixel, and
        writes its gradient as the sum notebook 04 derives (names only: the
        forward view shows no dy); ``"backward"`` writes its dx as that sum,
        with the values.
        """
        (sh, sw), (ph, pw), (dh, dw) = self.stride, self.padding, self.dilation
        lines = [
            f"H×W = {self.H}×{self.W}, K = {self.KH}×{self.KW}, stride {self.stride}, "
            f"padding {self.padding}, dilation {self.dilation}"
        ]
        if not self.fits:
            return lines + [self.message]
        (ah, aw), (lh, lw) = self.a, self.leftover_input
        lines += [
            f"OH = ⌊({self.H} + 2·{ph} − {dh}·({self.KH}−1) − 1)/{sh}⌋ + 1 = {self.OH}, "
            f"OW = ⌊({self.W} + 2·{pw} − {dw}·({self.KW}−1) − 1)/{sw}⌋ + 1 = {self.OW}",
            f"a = ({ah}, {aw}) padded rows/cols below/right of the last window; "
            f"input rows/cols among them: max(0, a − p) = ({lh}, {lw})",
            f"unread input rows: {_listing(self.unread_rows)}; unread input columns: {_listing(self.unread_cols)}",
        ]
        if mode == "backward":  # notebook 05's padding; the forward view (notebook 01) has not met it yet
            lines.append(
                "rot180 route for dx pads dy by d(K−1) − p on top/left, d(K−1) − p + a on bottom/right: "
                + _pads_text(self.rot_pad)
            )
        if self.out_pixel is not None:
            i, j = self.out_pixel
            terms = " + ".join(f"{t.x}·{_paren(t.w)}" for t in self.window)
            lines.append(f"y[{i},{j}] = {terms} = {self.y_value}")
        if self.in_pixel is not None:
            if mode == "backward":
                lines.append(self.dx_text())
            else:
                lines += [self.reads_text(), self.gradient_text()]
        return lines

    def reads_text(self):
        """Which outputs read the chosen input pixel, and with which kernel tap."""
        r, q = self.in_pixel
        if not self.touching:
            return f"x[{r},{q}] is read by no window, so its gradient dx[{r},{q}] is 0"
        reads = ", ".join(f"y[{t.i},{t.j}] (with w[{t.u},{t.v}])" for t in self.touching)
        return f"x[{r},{q}] is read by {len(self.touching)} output(s): {reads}"

    def gradient_text(self):
        """The chosen input pixel's gradient as a sum over the outputs that read it, by name (forward mode)."""
        r, q = self.in_pixel
        if not self.touching:
            return f"its gradient (notebook 04): dx[{r},{q}] = 0, a sum with no terms"
        return f"its gradient (notebook 04): dx[{r},{q}] = {self._dx_terms()}"

    def _dx_terms(self):
        """``dy[i,j]·w[u,v] + ...`` over the outputs that read the chosen input pixel."""
        return " + ".join(f"dy[{t.i},{t.j}]·w[{t.u},{t.v}]" for t in self.touching)

    def dx_text(self):
        """dx at the chosen input pixel, written as the sum over the outputs that read it."""
        r, q = self.in_pixel
        if not self.touching:
            why = []
            if not self.rows_read[r]:
                why.append(f"row {r}")
            if not self.cols_read[q]:
                why.append(f"column {q}")
            return f"dx[{r},{q}] = 0: no window reads this pixel ({' and '.join(why)} unread)"
        names = self._dx_terms()
        values = " + ".join(f"{t.dy}·{_paren(t.w)}" for t in self.touching)
        return f"dx[{r},{q}] = {names} = {values} = {self.dx_value} (cl.conv2d_backward: {self.dx_library})"

    def transposed_summary(self):
        """The transposed convolution's lines (backward mode)."""
        if not self.fits:
            return []
        op = self.output_padding
        if not self.transposed_ok:
            return [self.transposed_message]
        (Ht, Wt), (sh, sw), (ph, pw), (dh, dw) = self.transposed_size, self.stride, self.padding, self.dilation
        same = (Ht, Wt) == (self.H, self.W)
        return [
            f"conv_transpose2d(dy, w, output_padding={op}): (OH−1)·s − 2p + d·(K−1) + output_padding + 1: "
            f"Ht = ({self.OH}−1)·{sh} − 2·{ph} + {dh}·({self.KH}−1) + {op[0]} + 1 = {Ht}, "
            f"Wt = ({self.OW}−1)·{sw} − 2·{pw} + {dw}·({self.KW}−1) + {op[1]} + 1 = {Wt}",
            f"Ht×Wt = H×W = {self.H}×{self.W}: with output_padding = a it is dx"
            if same
            else f"Ht×Wt ≠ H×W = {self.H}×{self.W}: output_padding = a = {self.a} gives H×W",
            "its rot180 route pads dy by d(K−1) − p and d(K−1) − p + output_padding: "
            + _pads_text(self.transposed_pad),
        ] + (
            []
            if self.transposed_forward == (self.OH, self.OW)
            else [
                f"output_padding ≥ stride: the forward convolution of an input of size {Ht}×{Wt} gives "
                f"{self.transposed_forward[0]}×{self.transposed_forward[1]}, not OH×OW = {self.OH}×{self.OW}; "
                f"PyTorch allows this size only because output_padding < dilation"
            ]
        )


def _paren(v):
    return f"({v})" if v < 0 else f"{v}"


def _listing(items, limit=10):
    if not items:
        return "none"
    text = ", ".join(str(i) for i in items[:limit])
    return text + (", …" if len(items) > limit else "")


def _pads_text(pads):
    (top, bottom), (left, right) = pads
    parts = []
    for name, n in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
        parts.append(f"{name} {n}" + (f" (crop {-n})" if n < 0 else ""))
    return ", ".join(parts)


def _fit_message(axis, size, K, s, p, d):
    span, padded = d * (K - 1) + 1, size + 2 * p
    return (
        f"The kernel does not fit: its {axis} after dilation, d·(K−1)+1 = {d}·({K}−1)+1 = {span}, is larger than "
        f"the padded input {axis}, {'H' if axis == 'height' else 'W'}+2p = {size}+2·{p} = {padded}. "
        f"No window fits, so there is no output. Make the input larger, the padding larger, or the kernel "
        f"(or dilation) smaller."
    )


def view_state(H, W, KH, KW, stride=1, padding=0, dilation=1, output_padding=0, out_pixel=None, in_pixel=None):
    """Everything the linked view shows for one setting, computed by the library's own routines.

    Parameters
    ----------
    H, W : int
        Input height and width, >= 1.
    KH, KW : int
        Kernel height and width, >= 1.
    stride, padding, dilation, output_padding : int or (h, w) pair
        PyTorch semantics; ``output_padding`` is for the transposed convolution.
    out_pixel : (i, j), optional
        Output pixel whose window is shown; clamped into (0..OH-1, 0..OW-1).
    in_pixel : (r, q), optional
        Input pixel whose gradient is shown; clamped into (0..H-1, 0..W-1).

    Returns
    -------
    ViewState
        With the example arrays ``x (H, W)``, ``w (KH, KW)``, ``dy (OH, OW)``
        of :func:`example_arrays`. A kernel that does not fit the padded
        input, or an ``output_padding`` that PyTorch refuses, gives a state
        whose ``message`` / ``transposed_message`` explains why; bad types or
        negative sizes raise ``TypeError`` / ``ValueError``.

    Examples
    --------
    >>> st = view_state(6, 6, 3, 3, stride=2)
    >>> st.OH, st.a, st.unread_rows
    (2, (1, 1), (5,))
    """
    H = ck.integer(H, "H", minimum=1)
    W = ck.integer(W, "W", minimum=1)
    KH = ck.integer(KH, "KH", minimum=1)
    KW = ck.integer(KW, "KW", minimum=1)
    s = ck.pair(stride, "stride", minimum=1)
    p = ck.pair(padding, "padding", minimum=0)
    d = ck.pair(dilation, "dilation", minimum=1)
    op = ck.pair(output_padding, "output_padding", minimum=0)
    state = ViewState(H, W, KH, KW, s, p, d, op)
    problems = [
        _fit_message(axis, size, K, s[k], p[k], d[k])
        for k, (axis, size, K) in enumerate((("height", H, KH), ("width", W, KW)))
        if d[k] * (K - 1) + 1 > size + 2 * p[k]
    ]
    if problems:
        state.fits = False
        state.message = " ".join(problems)
        return state

    OH = (H + 2 * p[0] - d[0] * (KH - 1) - 1) // s[0] + 1
    OW = (W + 2 * p[1] - d[1] * (KW - 1) - 1) // s[1] + 1
    a = ((H + 2 * p[0] - d[0] * (KH - 1) - 1) % s[0], (W + 2 * p[1] - d[1] * (KW - 1) - 1) % s[1])
    state.OH, state.OW, state.a = OH, OW, a
    state.leftover_input = (max(0, a[0] - p[0]), max(0, a[1] - p[1]))
    state.rows_read = rows_read(H, KH, s[0], p[0], d[0])
    state.cols_read = rows_read(W, KW, s[1], p[1], d[1])
    state.unread_rows = tuple(int(r) for r in np.flatnonzero(~state.rows_read))
    state.unread_cols = tuple(int(q) for q in np.flatnonzero(~state.cols_read))
    reach = (d[0] * (KH - 1), d[1] * (KW - 1))
    state.rot_pad = ((reach[0] - p[0], reach[0] - p[0] + a[0]), (reach[1] - p[1], reach[1] - p[1] + a[1]))

    x, w, dy = example_arrays(H, W, KH, KW, OH, OW)
    state.x, state.w, state.dy = x, w, dy
    settings = dict(stride=s, padding=p, dilation=d)
    state.y = conv2d(x[None, None], w[None, None], **settings)[0, 0]  # (OH, OW)
    state.dx = conv2d_backward(dy[None, None], x[None, None], w[None, None], **settings)[0][0, 0]  # (H, W)

    if out_pixel is not None:
        i, j = (min(max(int(t), 0), n - 1) for t, n in zip(out_pixel, (OH, OW)))
        if (i, j) != tuple(out_pixel):
            state.notes.append(f"output pixel {tuple(out_pixel)} moved into range: ({i}, {j})")
        state.out_pixel = (i, j)
        taps = []
        for u in range(KH):
            for v in range(KW):
                r, q = i * s[0] + u * d[0], j * s[1] + v * d[1]  # padded-input index
                inside = p[0] <= r < p[0] + H and p[1] <= q < p[1] + W
                xv = int(x[r - p[0], q - p[1]]) if inside else 0
                taps.append(Tap(u, v, r, q, xv, int(w[u, v]), xv * int(w[u, v]), not inside))
        state.window = tuple(taps)
        state.y_value = sum(t.product for t in taps)

    if in_pixel is not None:
        r, q = (min(max(int(t), 0), n - 1) for t, n in zip(in_pixel, (H, W)))
        if (r, q) != tuple(in_pixel):
            state.notes.append(f"input pixel {tuple(in_pixel)} moved into range: ({r}, {q})")
        state.in_pixel = (r, q)
        touches = []
        for u in range(KH):
            t_h = r + p[0] - u * d[0]  # = i * sh for the output that reads row r with tap u
            if t_h < 0 or t_h % s[0] or t_h // s[0] >= OH:
                continue
            for v in range(KW):
                t_w = q + p[1] - v * d[1]
                if t_w < 0 or t_w % s[1] or t_w // s[1] >= OW:
                    continue
                i, j = t_h // s[0], t_w // s[1]
                touches.append(Touch(i, j, u, v, int(dy[i, j]), int(w[u, v]), int(dy[i, j]) * int(w[u, v])))
        state.touching = tuple(sorted(touches, key=lambda t: (t.i, t.j)))
        state.dx_value = sum(t.product for t in touches)
        state.dx_library = int(state.dx[r, q])

    bad = [k for k in range(2) if op[k] >= s[k] and op[k] >= d[k]]
    if bad:
        state.transposed_message = (
            f"output_padding = {op} is not allowed: on each axis it must be smaller than the stride {s} or the "
            f"dilation {d} (PyTorch's rule, which cl.conv_transpose2d follows). "
            f"The s input sizes H − a, ..., H − a + s − 1 all give this OH, "
            f"and output_padding = 0, ..., s − 1 picks one of them."
        )
    else:
        Ht = (OH - 1) * s[0] - 2 * p[0] + reach[0] + op[0] + 1
        Wt = (OW - 1) * s[1] - 2 * p[1] + reach[1] + op[1] + 1
        state.transposed_size = (Ht, Wt)
        state.transposed_pad = ((reach[0] - p[0], reach[0] - p[0] + op[0]), (reach[1] - p[1], reach[1] - p[1] + op[1]))
        if min(Ht, Wt) < 1:
            state.transposed_message = (
                f"With output_padding = {op} the transposed convolution would have height×width {Ht}×{Wt}: "
                f"the padding p = {p} crops away everything. output_padding = a = {a} gives H×W = {H}×{W}."
            )
        else:
            state.transposed_ok = True
            state.transposed = conv_transpose2d(dy[None, None], w[None, None], s, p, op, d)[0, 0]  # (Ht, Wt)
            back = (output_size(Ht, KH, s[0], p[0], d[0]), output_size(Wt, KW, s[1], p[1], d[1]))
            state.transposed_forward = back
    return state


# ----------------------------------------------------------------------------- drawing


def _labels(m, blank=None):
    return [
        [("" if blank is not None and blank[r, q] else f"{v:g}") for q, v in enumerate(row)] for r, row in enumerate(m)
    ]


_FONT = FontProperties(family="DejaVu Sans")
_GLYPHS = {}
_CAP = 0.73  # height of a digit in DejaVu Sans at size 1


def _glyphs(text):
    if text not in _GLYPHS:
        path = TextPath((0, 0), text, size=1, prop=_FONT)
        _GLYPHS[text] = (path, path.get_extents())
    return _GLYPHS[text]


VIEW_DPI = 72  # the picture's PNG; 12.5 in wide = 900 px, the output area's width on a 1280×720 projector
VIEW_SIZE = {"forward": (12.5, 5.0), "backward": (12.5, 8.8)}
FONT = 12  # points at 72 dpi = 12 px = 9 CSS pt: the smallest text a projected figure may show
LABEL_MIN = 12.0  # smallest cell label, pixels: labels that do not fit at this size are dropped, not shrunk


def _px_per_unit(ax):
    """Pixels per data unit of an equal-aspect grid axes, once its box is placed (no renderer needed)."""
    ax.apply_aspect()
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (1, 1)])
    return min(abs(x1 - x0), abs(y1 - y0))


def _path_labels(ax, labels, height=0.3):
    """Write each cell's label as glyph outlines: one collection, far faster than Text objects.

    A label is as tall as ``height`` of its cell, or smaller to fit the cell's
    width, but never smaller than ``LABEL_MIN`` pixels: a label that would be
    is split at "×" onto two lines (a product ``x×w``: x over ×w); a product
    that still does not fit shows x alone, and any other label that does not
    fit is left out. Returns the labels not drawn whole. The collection keeps
    ``conv_lab_labels``, the (text, font size in data units) it drew, for the
    figure-text test.
    """
    minimum = LABEL_MIN / _px_per_unit(ax)  # in data units
    paths, drawn, dropped = [], [], []
    for r, row in enumerate(labels):
        for q, text in enumerate(row):
            if not text:
                continue
            lines = [text]
            size = _size(lines, height, minimum)
            if size < minimum and "×" in text:  # a product: x over ×w, the weight's sign needing no parentheses
                factor, weight = text.split("×", 1)
                lines = [factor, "×" + weight.strip("()").replace("-", "−")]
                size = _size(lines, height, minimum)
                if size < minimum:  # no room for the product: the cell keeps its value, the title says so
                    dropped.append(text)
                    lines = [factor]
                    size = _size(lines, height, minimum)
            if size < minimum:
                dropped.append(text)
                continue
            for k, line in enumerate(lines):
                path, ext = _glyphs(line)
                centre = r + 0.5 + (k - (len(lines) - 1) / 2) * _PITCH * _CAP * size
                v = path.vertices.copy()
                v[:, 0] = (v[:, 0] - (ext.x0 + ext.x1) / 2) * size + q + 0.5
                v[:, 1] = -(v[:, 1] - _CAP / 2) * size + centre  # the y axis points down
                paths.append(Path(v, path.codes))
                drawn.append((line, size))
    collection = PathCollection(paths, facecolors="#111111", edgecolors="none", zorder=3)
    collection.conv_lab_labels = drawn
    ax.add_collection(collection)
    return dropped


_PITCH = 1.45  # line pitch of a two-line label, in cap heights


def _size(lines, height, minimum):
    """Font size (data units) of ``lines`` in a unit cell: cap height ``height``, at least ``minimum``."""
    widest = max(_glyphs(line)[1].width for line in lines)
    tallest = 0.62 / _CAP if len(lines) == 1 else 0.86 / ((_PITCH * (len(lines) - 1) + 1) * _CAP)
    return min(max(height / _CAP, minimum), tallest, 0.86 / max(widest, 1e-9))


def _grid(ax, m, title, highlight=None, shade=None, labels=None, outline=None):
    """draw.matrix's grid and colours, with the labels drawn by :func:`_path_labels`.

    Returns the labels too small to draw (then the title says so).
    """
    m = np.asarray(m)
    blank = [[""] * m.shape[1] for _ in range(m.shape[0])]
    draw.matrix(ax, m, title, highlight, shade=shade, labels=blank, fontsize=FONT, outline=outline)
    dropped = _path_labels(ax, labels if labels is not None else _labels(m))
    if dropped:
        note = "products printed below" if any("×" in t for t in dropped) else "some values too long for their cells"
        ax.set_title(f"{title}\n({note})", fontsize=FONT + 1)
    return dropped


def _outline(ax, cells, colour, lw=2.5):
    for r, q in cells:
        ax.add_patch(Rectangle((q + 0.04, r + 0.04), 0.92, 0.92, fill=False, edgecolor=colour, lw=lw, zorder=4))


def _padded_input_panel(ax, st, products):
    """The padded x: padding hatched, unread rows/cols red, the output pixel's window, the input pixel."""
    (ph, pw) = st.padding
    xp = pad2d(st.x, st.padding)  # (H + 2ph, W + 2pw)
    pad_mask = np.ones(xp.shape, dtype=bool)
    pad_mask[ph : ph + st.H, pw : pw + st.W] = False
    unread = draw.unread_mask(st.H, st.W, (st.KH, st.KW), st.stride, st.padding, st.dilation)
    labels = _labels(xp, blank=pad_mask)
    window = np.zeros(xp.shape, dtype=bool)
    for t in st.window:
        window[t.r, t.q] = True
        if products:
            labels[t.r][t.q] = f"{t.x}×{_paren(t.w)}"
    title = "x, zero-padded" if pad_mask.any() else "x (no padding)"
    _grid(ax, xp, title, {draw.UNREAD: unread}, shade=pad_mask, labels=labels, outline={draw.WINDOW: window})
    if st.in_pixel is not None:
        _outline(ax, [(st.in_pixel[0] + ph, st.in_pixel[1] + pw)], PIXEL, lw=3)
    return pad_mask.any(), unread.any()


def _kernel_panel(ax, st):
    labels = _labels(st.w)
    for t in st.touching:
        labels[t.u][t.v] = f"{t.w}×{t.dy}"
    _grid(ax, st.w, "w (taps: ×dy)" if st.touching else "w", labels=labels)
    _outline(ax, [(t.u, t.v) for t in st.touching], PIXEL)


def _output_panel(ax, st, m, title):
    chosen = np.zeros(m.shape, dtype=bool)
    if st.out_pixel is not None:
        chosen[st.out_pixel] = True
    _grid(ax, m, title, {draw.OUTPUT: chosen})
    _outline(ax, [(t.i, t.j) for t in st.touching], PIXEL)


def _route_panel(ax, st):
    """dy with s-1 zeros inserted, padded by transposed_pad; rows a negative amount removes are drawn purple."""
    (top, bottom), (left, right) = st.transposed_pad
    dil = dilate2d(st.dy, st.stride)  # ((OH-1)sh+1, (OW-1)sw+1)
    real = dilate2d(np.ones_like(st.dy), st.stride).astype(bool)
    amounts = ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)))
    grid = pad2d(dil, amounts)
    is_real = pad2d(real.astype(np.int64), amounts).astype(bool)
    inside = pad2d(np.ones(dil.shape, dtype=np.int64), amounts).astype(bool)
    cropped = np.zeros(grid.shape, dtype=bool)
    ct, cb, cl_, cr = max(-top, 0), max(-bottom, 0), max(-left, 0), max(-right, 0)
    cropped[:ct, :] = cropped[grid.shape[0] - cb :, :] = True
    cropped[:, :cl_] = cropped[:, grid.shape[1] - cr :] = True
    fills = {draw.INSERTED: inside & ~is_real, draw.PAD: ~inside, draw.CROPPED: cropped}
    window = np.zeros(grid.shape, dtype=bool)
    Ht, Wt = st.transposed_size
    if st.in_pixel is not None and st.in_pixel[0] < Ht and st.in_pixel[1] < Wt:
        r, q = st.in_pixel
        dh, dw = st.dilation
        window[ct + r : ct + r + dh * (st.KH - 1) + 1 : dh, cl_ + q : cl_ + q + dw * (st.KW - 1) + 1 : dw] = True
    _grid(
        ax,
        grid,
        "dy: zeros inserted, padded (purple: cropped)" if cropped.any() else "dy: zeros inserted, then padded",
        fills,
        labels=_labels(grid, blank=~is_real),
        outline={draw.WINDOW: window},
    )
    kinds = [
        k for k, m in (("padding", ~inside), ("inserted zeros", inside & ~is_real), ("cropped", cropped)) if m.any()
    ]
    return kinds


def _legend_handles(kinds, with_pixel, mode="forward"):
    handles = [draw._patch_for(k) for k in kinds]
    if mode == "backward":  # the chosen output pixel is marked on dy here, which it does not produce
        handles = [
            Patch(facecolor=draw.OUTPUT, edgecolor="#555555", lw=0.8, label="the chosen output pixel")
            if k == "output"
            else h
            for k, h in zip(kinds, handles)
        ]
    if with_pixel:
        handles.append(
            Patch(facecolor="none", edgecolor=PIXEL, lw=2.5, label="input pixel, the outputs and taps it meets")
        )
    return handles


def draw_view(st, mode="forward", fig=None):
    """Draw a :class:`ViewState` into a matplotlib Figure (created if not given) and return the figure.

    ``mode="forward"``: padded x with the output pixel's window and its
    products, w, y. ``mode="backward"``: padded x, w with the taps that carry
    the input pixel's gradient, dy with the outputs that read it, dx; below,
    the rot180 route of the transposed convolution (dy with zeros inserted and
    padded or cropped), rot180(w), and conv_transpose2d's output.
    """
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode must be 'forward' or 'backward', got {mode!r}")
    if fig is None:
        fig = Figure(figsize=VIEW_SIZE[mode], dpi=VIEW_DPI)
    fig.clear()
    if not st.fits:
        ax = fig.subplots()
        xp = np.zeros((st.H + 2 * st.padding[0], st.W + 2 * st.padding[1]))
        pad_mask = np.ones(xp.shape, dtype=bool)
        pad_mask[st.padding[0] : st.padding[0] + st.H, st.padding[1] : st.padding[1] + st.W] = False
        _grid(ax, xp, "the kernel does not fit", shade=pad_mask, labels=_labels(xp, blank=np.ones(xp.shape, bool)))
        spans = (st.dilation[0] * (st.KH - 1) + 1, st.dilation[1] * (st.KW - 1) + 1)
        ax.add_patch(
            Rectangle((0, 0), spans[1], spans[0], fill=False, edgecolor=draw.WINDOW, lw=2.5, ls="--", zorder=4)
        )
        ax.set_xlim(-0.1, max(xp.shape[1], spans[1]) + 0.1)
        ax.set_ylim(max(xp.shape[0], spans[0]) + 0.1, -0.1)
        ax.legend(
            handles=[Patch(facecolor="none", edgecolor=draw.WINDOW, lw=2.5, ls="--", label="the dilated kernel's span")]
            + ([draw._patch_for("padding")] if pad_mask.any() else []),
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            fontsize=FONT,
            frameon=False,
        )
        return fig
    Wp = st.W + 2 * st.padding[1]
    if mode == "forward":
        axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [Wp, st.KW + 0.5, st.OW + 0.5]})
        fig.subplots_adjust(left=0.03, right=0.97, top=0.88, bottom=0.16)  # room for the legend below
        has_pad, has_unread = _padded_input_panel(axes[0], st, products=True)
        _grid(axes[1], st.w, "w")
        _outline(axes[1], [(t.u, t.v) for t in st.touching], PIXEL)
        title = f"y = conv(x, w); y[{st.out_pixel[0]},{st.out_pixel[1]}] = {st.y_value}" if st.out_pixel else "y"
        _output_panel(axes[2], st, st.y, title)
        kinds = [k for k, on in (("padding", has_pad), ("unread", has_unread)) if on] + ["window", "output"]
    else:
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.15])
        axes = top.subplots(1, 4, gridspec_kw={"width_ratios": [Wp, st.KW + 0.5, st.OW + 0.5, st.W]})
        top.subplots_adjust(left=0.03, right=0.97, top=0.9, bottom=0.04)
        has_pad, has_unread = _padded_input_panel(axes[0], st, products=True)
        _kernel_panel(axes[1], st)
        _output_panel(axes[2], st, st.dy, "dy")
        unread = ~st.rows_read[:, None] | ~st.cols_read[None, :]
        _grid(axes[3], st.dx, f"dx[{st.in_pixel[0]},{st.in_pixel[1]}] = {st.dx_value}" if st.in_pixel else "dx",
                    {draw.UNREAD: unread})  # fmt: skip
        if st.in_pixel is not None:
            _outline(axes[3], [st.in_pixel], PIXEL, lw=3)
        kinds = [k for k, on in (("padding", has_pad), ("unread", has_unread)) if on] + ["window", "output"]
        if st.transposed_ok:
            Ht, Wt = st.transposed_size
            dil_w = (st.OW - 1) * st.stride[1] + 1
            (left, right) = st.transposed_pad[1]
            route_w = dil_w + max(left, 0) + max(right, 0)
            low = bottom.subplots(1, 3, gridspec_kw={"width_ratios": [route_w, st.KW + 0.5, Wt + 0.5]})
            bottom.subplots_adjust(left=0.03, right=0.97, top=0.9, bottom=0.16)  # room for the legend below
            kinds += [k for k in _route_panel(low[0], st) if k not in kinds]
            _grid(low[1], rot180(st.w), "rot180(w)")
            op = st.output_padding
            _grid(low[2], st.transposed, f"conv_transpose2d, output_padding={op}: {Ht}×{Wt}")
            if st.in_pixel is not None and st.in_pixel[0] < Ht and st.in_pixel[1] < Wt:
                _outline(low[2], [st.in_pixel], PIXEL, lw=3)
        else:
            ax = bottom.subplots()
            ax.axis("off")
            ax.text(0.5, 0.5, _wrap(st.transposed_message, 100), ha="center", va="center", fontsize=FONT)
    fig.legend(
        handles=_legend_handles(kinds, st.in_pixel is not None, mode),
        loc="lower center",
        ncol=3,
        fontsize=FONT,
        frameon=False,
    )
    return fig


def _wrap(text, width):
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join(lines + [line])


def png(fig):
    """The figure as PNG bytes (Agg), for an ipywidgets Image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# ----------------------------------------------------------------------------- the widget

_RANGES = {
    "H": (1, 10, 6),
    "W": (1, 10, 6),
    "KH": (1, 4, 3),
    "KW": (1, 4, 3),
    "stride": (1, 3, 2),
    "padding": (0, 3, 0),
    "dilation": (1, 3, 1),
    "output_padding": (0, 2, 0),
}
# the pixels the view starts on: in 01 an input pixel in the unread row, in 05 one that two outputs read
_PIXELS = {
    "forward": {"out_i": 1, "out_j": 0, "in_r": 5, "in_q": 0},
    "backward": {"out_i": 1, "out_j": 0, "in_r": 2, "in_q": 1},
}


@functools.cache
def _linked_view_class():
    import ipywidgets as widgets  # only the widget needs ipywidgets; view_state and draw_view do not

    class LinkedView(widgets.VBox):
        """The linked view: sliders, the picture (an Image widget) and the printed values (an HTML widget).

        ``controls`` maps each setting's name to its slider; ``state`` is the
        current :class:`ViewState`; ``update()`` redraws.
        """

        def __init__(self, mode, **initial):
            self.mode = mode
            names = ["H", "W", "KH", "KW", "stride", "padding", "dilation"]
            if mode == "backward":
                names.append("output_padding")
            self.controls = {}
            for name in names:
                low, high, default = _RANGES[name]
                self.controls[name] = widgets.IntSlider(
                    value=initial.pop(name, default),
                    min=low,
                    max=high,
                    description=name,
                    continuous_update=False,
                    style={"description_width": "110px"},
                    layout=widgets.Layout(width="300px"),
                )
            for name, desc in (("out_i", "output row i"), ("out_j", "output col j"), ("in_r", "input row r"),
                               ("in_q", "input col q")):  # fmt: skip
                self.controls[name] = widgets.IntSlider(
                    value=initial.pop(name, _PIXELS[mode][name]),
                    min=0,
                    max=9,
                    description=desc,
                    continuous_update=False,
                    style={"description_width": "110px"},
                    layout=widgets.Layout(width="300px"),
                )
            if initial:
                raise ValueError(f"unknown settings {sorted(initial)}; valid names are {sorted(self.controls)}")
            self.values = widgets.HTML(layout=widgets.Layout(width="100%"))
            self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
            self.figure = Figure(figsize=VIEW_SIZE[mode], dpi=VIEW_DPI)
            self.state = None
            self._busy = False
            settings = [self.controls[n] for n in names]
            pixels = [self.controls[n] for n in ("out_i", "out_j", "in_r", "in_q")]
            box = widgets.HBox(
                [
                    widgets.VBox(settings[: (len(settings) + 1) // 2]),
                    widgets.VBox(settings[(len(settings) + 1) // 2 :]),
                    widgets.VBox(pixels),
                ]
            )
            super().__init__([box, self.values, self.image])
            self.add_class("conv-lab-linked-view")
            for slider in self.controls.values():
                slider.observe(self._changed, names="value")
            self.update()

        def _repr_mimebundle_(self, **kwargs):
            """The widget, plus its current picture as ``image/png`` and a one-line ``text/plain``.

            JupyterLab renders the widget when it can. The widget renderer is
            not "safe", so in a notebook not yet trusted (one just opened,
            before it is run) JupyterLab shows the richest safe type instead:
            the picture, not the repr ``LinkedView(children=...``.
            """
            import base64

            bundle = super()._repr_mimebundle_(**kwargs)
            bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
            bundle["text/plain"] = f"linked view ({self.mode}): run the notebook to move its sliders"
            return bundle

        def _changed(self, change):
            if not self._busy:
                self.update()

        def settings(self):
            """The current control values as view_state's keyword arguments."""
            c = {name: slider.value for name, slider in self.controls.items()}
            return dict(
                H=c["H"],
                W=c["W"],
                KH=c["KH"],
                KW=c["KW"],
                stride=c["stride"],
                padding=c["padding"],
                dilation=c["dilation"],
                output_padding=c.get("output_padding", 0),
                out_pixel=(c["out_i"], c["out_j"]),
                in_pixel=(c["in_r"], c["in_q"]),
            )

        def update(self):
            """Recompute the state from the controls, fit the pixel sliders to the sizes, redraw."""
            self._busy = True
            try:
                st = view_state(**self.settings())
                limits = {"in_r": st.H - 1, "in_q": st.W - 1}
                if st.fits:
                    limits.update(out_i=st.OH - 1, out_j=st.OW - 1)
                for name, high in limits.items():
                    slider = self.controls[name]
                    if slider.value > high:
                        slider.value = high
                    slider.max = high
                for name in ("out_i", "out_j"):
                    self.controls[name].disabled = not st.fits
                st = view_state(**self.settings())  # with the pixels now in range
                self.state = st
                lines = st.summary(self.mode) + (st.transposed_summary() if self.mode == "backward" else [])
                draw_view(st, self.mode, fig=self.figure)
                self.image.value = png(self.figure)  # the picture first: whoever sees new values finds the new picture
                self.values.value = html_values(lines)
            finally:
                self._busy = False

    return LinkedView


def _html_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_OPEN, _CLOSE = "([{⌊", ")]}⌋"


def _break_points(line):
    """Indices of the spaces where ``line`` may wrap: after ", " or "; ", before " + ", or between two words.

    Never inside brackets, and never next to "=", so a formula does not wrap
    between its sum and its value.
    """
    points, depth = [], 0
    for k, c in enumerate(line):
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth = max(depth - 1, 0)
        elif c == " " and depth == 0 and 0 < k < len(line) - 1:
            before, after = line[k - 1], line[k + 1]
            if (
                before in ",;"
                or (after == "+" and line[k + 2 : k + 3] == " ")
                or (before.isalpha() and after.isalpha())
            ):
                points.append(k)
    return points


def html_line(line):
    """One printed line as HTML that wraps only at :func:`_break_points`, continuation lines indented."""
    pieces, start = [], 0
    for k in _break_points(line) + [len(line)]:
        pieces.append(f"<span style='white-space: nowrap'>{_html_escape(line[start:k])}</span>")
        start = k + 1
    return "<div style='padding-left: 2em; text-indent: -2em'>" + " ".join(pieces) + "</div>"


def html_values(lines):
    """The view's printed values: 14-px monospace lines, each wrapping only between its clauses."""
    return (
        "<div class='conv-lab-values' style='font-family: var(--jp-code-font-family, monospace); font-size: 14px; "
        "line-height: 1.35'>" + "".join(html_line(line) for line in lines) + "</div>"
    )


def plain_text(html):
    """The text of :func:`html_values`' HTML, one printed line per line (for tests and the display's text/plain)."""
    import re

    text = re.sub(r"</div>", "\n", html)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip("\n")


def linked_view(mode="forward", **initial):
    """An interactive view linking inputs, windows, outputs and gradients (ipywidgets sliders).

    Parameters
    ----------
    mode : {"forward", "backward"}
        ``"forward"`` (notebook 01): choose an output pixel, its window lights
        up in the padded input with the products written in. ``"backward"``
        (notebook 05) adds dy, dx, the rot180 route and the transposed
        convolution with an ``output_padding`` slider. In both, choosing an
        input pixel lights up every output whose window read it and the
        kernel taps that carry its gradient.
    **initial
        Starting values for the sliders: H, W, KH, KW, stride, padding,
        dilation, output_padding, out_i, out_j, in_r, in_q. By default the
        view starts on H = W = 6, K = 3, stride 2 (one unread row), output
        pixel (1, 0), and input pixel (5, 0) (forward: in the unread row) or
        (2, 1) (backward: read by two outputs).

    Returns
    -------
    LinkedView (an ipywidgets VBox)
        Display it (last expression of a cell). ``view.controls`` are the
        sliders, ``view.state`` the current :class:`ViewState`,
        ``view.values`` the printed values (HTML), ``view.image`` the picture.
    """
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode must be 'forward' or 'backward', got {mode!r}")
    return _linked_view_class()(mode, **initial)
