"""Every figure reads on a projector: each text at least 9 pt where it is shown, in a font that has its glyphs.

The measure (display width 900 px, effective size = size × dpi/96 ×
min(1, 900 / PNG width)) is documented in :mod:`conv_lab.figure_text`. This
file checks:

- the checker itself, on figures made to pass and to fail;
- every public drawing function of :mod:`conv_lab.draw`, with the arguments
  and figure sizes the notebooks use and the hard cases (padding, dilation,
  leftover rows, a large input);
- the linked views (:mod:`conv_lab.views`), both modes, several settings;
- the backend that checks every figure a notebook shows
  (:mod:`conv_lab._checked_inline`): that ipykernel honours ``MPLBACKEND``,
  that the shown PNG is byte-identical to the plain inline backend's, and that
  a small text or a missing glyph reaches stderr. The notebooks themselves are
  checked by the nbval passes (``conftest.py`` starts nbval's kernels with this
  backend; ``tests/test_portability.py`` sets it in its run's environment).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import animation
from matplotlib import pyplot as plt

from conv_lab import draw, figure_text, views


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_reads(fig, **kwargs):
    found = figure_text.check_figure(fig, **kwargs)
    assert not found, figure_text.report(found, "this figure")


# ----------------------------------------------------------------------------- the checker


class TestChecker:
    def test_a_small_text_fails_and_a_large_one_passes(self):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_title("tiny", fontsize=6)
        ax.set_xlabel("fine", fontsize=12)
        found = figure_text.check_figure(fig)
        assert [p.text for p in found] == ["tiny"]
        assert found[0].effective == pytest.approx(6 * 100 / 96)

    def test_a_figure_wider_than_the_display_is_scaled_down(self):
        fig, ax = plt.subplots(figsize=(18, 3))  # about 1400 px once cropped: shown at about two thirds
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("10 pt, shown at about 6.6", fontsize=10)
        (problem,) = figure_text.check_figure(fig)
        width, _ = figure_text.png_size(_png(fig))
        assert problem.effective == pytest.approx(10 * 100 / 96 * figure_text.DISPLAY_WIDTH / width)
        assert problem.effective < 7

    def test_a_72_dpi_image_shows_its_points_at_three_quarters(self):
        fig = plt.figure(figsize=(4, 3), dpi=72)
        fig.text(0.5, 0.5, "12 pt passes", fontsize=12)
        fig.text(0.5, 0.2, "11 pt fails", fontsize=11)
        assert [p.text for p in figure_text.check_figure(fig, bbox_inches=None)] == ["11 pt fails"]

    def test_texts_outside_the_view_are_not_counted(self):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "hidden", fontsize=3, visible=False)
        assert figure_text.check_figure(fig) == []

    def test_a_glyph_the_default_font_lacks_is_named(self):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_title("cross-correlation (互相关)", fontsize=12)
        with pytest.warns(UserWarning, match="missing from font"):
            found = figure_text.check_figure(fig)
        assert [p.missing for p in found] == ["互关相"]
        assert figure_text.missing_glyphs("⌊(H + 2p − d·(K−1) − 1)/s⌋ + 1 = 3, x₀ × w₁ ≠ 5") == ""


def _png(fig):
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


# ----------------------------------------------------------------------------- conv_lab.draw

rng = np.random.default_rng(0)
X6 = rng.integers(0, 9, (6, 6)).astype(float)
W3 = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)


def _axes(figsize, n=1):
    fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False)
    return fig, axes[0]


def fig_matrix():
    fig, (a, b) = _axes((8, 3.8), 2)
    draw.matrix(a, X6, "x: 6×6 values")
    draw.matrix(b, np.arange(64).reshape(8, 8) - 30, "an 8×8 grid of signed values")
    return fig


def fig_matrix_dense():  # notebook 02's coverage grids: 10×10 in a third of a 9.6-inch figure
    fig, axes = _axes((9.6, 3.8), 3)
    for ax in axes:
        draw.matrix(ax, np.arange(100).reshape(10, 10) % 9, "coverage")
    return fig


def fig_legend():
    fig, (ax,) = _axes((6, 3.8))
    draw.matrix(ax, X6, "x")
    draw.legend(ax, ["padding", "inserted zeros", "unread", "cropped", "window", "output"])
    return fig


def fig_signed_image():
    fig, axes = _axes((12, 3.6), 3)
    draw.signed_image(axes[0], X6 - 4, "x − 4")
    draw.signed_image(axes[1], np.zeros((4, 4)), "all zero")
    draw.signed_image(axes[2], rng.normal(size=(28, 28)), "a 28×28 map", vmax=2)
    return fig


def fig_window_step():
    return draw.window_step(X6, W3, 1, 0)


def fig_window_step_hard():  # padding, stride 2 with an unread row, dilation, bias, marks
    x = np.arange(49, dtype=float).reshape(7, 7) - 20
    marks = {"inserted zeros": np.zeros((9, 9), bool)}
    marks["inserted zeros"][1, 1] = True
    return draw.window_step(x, W3, 1, 1, stride=2, padding=1, dilation=1, bias=-3, marks=marks)


def fig_window_step_dilated():
    return draw.window_step(np.arange(64, dtype=float).reshape(8, 8), W3, 0, 1, stride=1, padding=2, dilation=2)


def fig_multichannel():
    return draw.multichannel_picture(C=3, H=6, W=6, F=4, kernel_size=3, at=(1, 2))


def fig_multichannel_hard():
    return draw.multichannel_picture(C=4, H=7, W=5, F=2, kernel_size=(3, 2), at=(1, 1), stride=2, padding=1)


def fig_gemm():
    return draw.gemm_diagram((2, 3, 5, 5), (4, 3, 3, 3), stride=2, padding=1)


def fig_gemm_hard():
    return draw.gemm_diagram((8, 16, 32, 32), (32, 16, 3, 3), stride=1, padding=1)


def fig_gemm_tall():
    return draw.gemm_diagram((1, 1, 4, 4), (1, 1, 1, 1))


def fig_channel_sum():
    x = rng.integers(-3, 4, (2, 3, 5, 5)).astype(float)
    w = rng.integers(-2, 3, (4, 3, 3, 3)).astype(float)
    return draw.channel_sum_picture(x, w, n=0, f=0, at=(0, 0))


def fig_geometry():
    fig, axes = plt.subplots(3, 2, figsize=(9, 12))  # as notebook 01 lays it out
    for ax, (H, K, s, p, d) in zip(
        axes.ravel(),
        [(6, 3, 1, 0, 1), (7, 3, 2, 0, 1), (5, 3, 2, 1, 1), (9, 3, 1, 0, 2), (6, 2, 3, 0, 1), (8, 3, 3, 1, 2)],
    ):
        draw.geometry(ax, H, K, s, p, d, title=f"H={H} K={K} s={s} p={p} d={d}")
    return fig


def fig_window_rows():
    fig, axes = _axes((11, 4.6), 5)
    for ax, (H, K, s, p, d) in zip(
        axes, [(6, 3, 1, 0, 1), (7, 3, 2, 0, 1), (6, 3, 2, 1, 1), (9, 3, 1, 0, 2), (7, 2, 3, 0, 1)]
    ):
        draw.window_rows(ax, H, K, s, p, d)
    draw.legend(axes[2], ["padding", "unread", "window"], ncol=3, loc="lower center", bbox_to_anchor=(0.5, 0.0))
    return fig


def fig_rows_diagram():
    fig, axes = _axes((11, 3.8), 2)
    draw.rows_diagram(axes[0], 6, 3, stride=2, title="H = 6, K = 3, s = 2")
    draw.rows_diagram(axes[1], 7, 3, stride=2, padding=1, dilation=1, title="H = 7, p = 1")
    return fig


def fig_scatter_diagram():
    fig, axes = plt.subplots(2, 1, figsize=(9, 8.5), gridspec_kw={"hspace": 0.7})  # as notebook 05 lays it out
    draw.scatter_diagram(axes[0], np.array([1.0, 2, 3]), np.array([1.0, -1, 2]), stride=2, title="s = 2")
    draw.scatter_diagram(axes[1], np.array([1.0, 2, 3]), np.array([1.0, -1, 2]), stride=2, padding=3, title="crop")
    return fig


def fig_gradient_grid():
    fig, axes = plt.subplots(2, 1, figsize=(9, 11))  # notebook 05 gives the padded grid the figure's width
    dy = np.arange(1, 10, dtype=float).reshape(3, 3)
    draw.gradient_grid(axes[0], dy, 2, ((2, 3), (2, 3)), "zeros inserted, padded")
    draw.gradient_grid(axes[1], dy, 3, ((3, 3), (3, 3)), "dilated", window=(2, 1), kernel=(3, 3), dilation=2)
    return fig


def fig_readable():
    return draw.readable(draw.window_step(X6, W3, 1, 0))


SHARED = {  # the functions this file's fixes cover
    "matrix": fig_matrix,
    "matrix, 10×10 grids": fig_matrix_dense,
    "legend": fig_legend,
    "signed_image": fig_signed_image,
    "window_step": fig_window_step,
    "window_step, padding + stride 2 + marks": fig_window_step_hard,
    "window_step, dilation": fig_window_step_dilated,
    "multichannel_picture": fig_multichannel,
    "multichannel_picture, padding + stride": fig_multichannel_hard,
    "gemm_diagram": fig_gemm,
    "gemm_diagram, large": fig_gemm_hard,
    "gemm_diagram, tall": fig_gemm_tall,
}
NOTEBOOK_OWNED = {  # drawn for one notebook; fixed by that notebook's engineer
    "readable (01)": fig_readable,
    "geometry (01)": fig_geometry,
    "window_rows (01)": fig_window_rows,
    "rows_diagram (05)": fig_rows_diagram,
    "scatter_diagram (05)": fig_scatter_diagram,
    "gradient_grid (05)": fig_gradient_grid,
    "channel_sum_picture (03)": fig_channel_sum,
}


class TestDraw:
    @pytest.mark.parametrize("name", list(SHARED))
    def test_shared_drawings(self, name):
        assert_reads(SHARED[name]())

    @pytest.mark.parametrize("name", list(NOTEBOOK_OWNED))
    def test_notebook_drawings(self, name):
        assert_reads(NOTEBOOK_OWNED[name]())

    def test_every_public_drawing_function_is_drawn_here(self):
        import inspect

        drawing = {
            name
            for name, f in vars(draw).items()
            if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == draw.__name__
        }
        not_drawing = {"window_mask", "unread_mask", "colour_matrix"}  # masks and a terminal string
        covered = {name.split(" ")[0].rstrip(",") for name in list(SHARED) + list(NOTEBOOK_OWNED)}
        covered.add("sliding_animation")  # TestAnimation
        assert drawing - not_drawing <= covered, f"not drawn here: {sorted(drawing - not_drawing - covered)}"

    def test_animation_frames(self, monkeypatch):
        """sliding_animation's frames, at the size and dpi its HTML shows them."""
        found = []

        def check_instead(anim, *args, **kwargs):
            anim._init_draw()
            anim._func(0)
            found.extend(figure_text.check_figure(anim._fig, bbox_inches=None))
            return ""

        monkeypatch.setattr(animation.FuncAnimation, "to_jshtml", check_instead)
        draw.sliding_animation(X6, W3, stride=2, padding=1)
        assert not found, figure_text.report(found, "sliding_animation's first frame")


# ----------------------------------------------------------------------------- conv_lab.views

VIEW_SETTINGS = [
    dict(H=6, W=6, KH=3, KW=3, stride=2, out_pixel=(1, 0), in_pixel=(5, 0)),  # 01's start
    dict(H=6, W=6, KH=3, KW=3, stride=2, out_pixel=(1, 0), in_pixel=(2, 1)),  # 05's start
    dict(H=10, W=10, KH=4, KW=4, stride=1, padding=3, dilation=1, out_pixel=(2, 3), in_pixel=(4, 4)),  # largest grid
    dict(H=9, W=7, KH=3, KW=2, stride=3, padding=2, dilation=3, output_padding=2, out_pixel=(0, 1), in_pixel=(8, 6)),
    dict(H=5, W=5, KH=3, KW=3, stride=2, padding=3, out_pixel=(0, 0), in_pixel=(0, 0)),  # rot180 route crops
    dict(H=2, W=2, KH=4, KW=4),  # does not fit
    dict(H=6, W=6, KH=3, KW=3, stride=2, output_padding=2, out_pixel=(1, 1), in_pixel=(2, 2)),  # not allowed
]


class TestViews:
    @pytest.mark.parametrize("mode", ["forward", "backward"])
    @pytest.mark.parametrize("kw", VIEW_SETTINGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
    def test_view(self, mode, kw):
        fig = views.draw_view(views.view_state(**kw), mode)
        assert_reads(fig, bbox_inches=None)  # views.png saves the whole figure

    def test_products_that_cannot_fit_are_dropped_and_the_title_says_so(self):
        st = views.view_state(10, 10, 4, 4, padding=3, out_pixel=(2, 3))
        fig = views.draw_view(st, "forward")
        (labels,) = [c.conv_lab_labels for c in fig.axes[0].collections if hasattr(c, "conv_lab_labels")]
        products = [t for t, _ in labels if "×" in t]
        assert len(products) < len(st.window)
        assert "printed below" in fig.axes[0].get_title()
        small = views.draw_view(views.view_state(6, 6, 3, 3, stride=2, out_pixel=(1, 0)), "forward")
        (labels,) = [c.conv_lab_labels for c in small.axes[0].collections if hasattr(c, "conv_lab_labels")]
        assert sum("×" in t for t, _ in labels) == 9 and "printed below" not in small.axes[0].get_title()


# ----------------------------------------------------------------------------- the notebook backend


def test_the_backend_reports_a_small_text_and_keeps_the_picture(capsys):
    from IPython.core import pylabtools

    import conv_lab._checked_inline as checked

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("fine", fontsize=12)
    ax.text(0.5, 0.5, "too small", fontsize=5)
    shown = pylabtools.print_figure(fig, "png")
    assert pylabtools.print_figure is checked._checked_print_figure
    assert shown == checked._original_print_figure(fig, "png")
    err = capsys.readouterr().err
    assert (
        "figure text check failed for a" in err
        and "'too small': 5 pt" in err
        and "'fine':" not in err.split("\n", 1)[1]
    )


def test_ipykernel_honours_mplbackend_and_the_outputs_stay_identical():
    """Two real kernels, plain and checked: the same PNG; only the checked one writes the report to stderr."""
    import os

    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    cells = [
        "import matplotlib, matplotlib.pyplot as plt\nprint(matplotlib.get_backend())",
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.set_title('small', fontsize=5)\nplt.show()",
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.set_title('large', fontsize=12)",  # shown by flush at cell end
    ]
    outputs = {}
    for backend in ("module://matplotlib_inline.backend_inline", "module://conv_lab._checked_inline"):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        env = dict(os.environ, MPLBACKEND=backend)
        # this Python's own ipykernel, as nbval --nbval-current-env starts it
        km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
        client = NotebookClient(nb, km=km, timeout=120)
        try:
            with _env(env):  # the kernel inherits this process's environment
                client.execute(cleanup_kc=True)
        finally:
            km.shutdown_kernel(now=True)
            km.cleanup_resources()
        outputs[backend] = [c.outputs for c in nb.cells]
    plain, checked = outputs.values()
    assert plain[0][0]["text"].strip() == "module://matplotlib_inline.backend_inline"
    assert checked[0][0]["text"].strip() == "module://conv_lab._checked_inline"
    for k in (1, 2):
        images = [
            [o["data"]["image/png"] for o in out[k] if o["output_type"] == "display_data"] for out in (plain, checked)
        ]
        assert images[0] == images[1] and len(images[0]) == 1
    errors = [o["text"] for o in checked[1] if o.get("name") == "stderr"]
    assert len(errors) == 1 and "'small': 5 pt" in errors[0]
    assert not [o for o in plain[1] + checked[2] if o.get("name") == "stderr"]


class _env:
    def __init__(self, env):
        import os

        self.env, self.saved, self.os = env, dict(os.environ), os

    def __enter__(self):
        self.os.environ.clear()
        self.os.environ.update(self.env)

    def __exit__(self, *exc):
        self.os.environ.clear()
        self.os.environ.update(self.saved)
