"""The inline backend, plus the figure-text check on every figure a notebook shows (test tooling).

Select it with ``MPLBACKEND=module://conv_lab._checked_inline`` in a kernel's
environment (ipykernel keeps an ``MPLBACKEND`` it finds set). Figures are shown
exactly as by ``matplotlib_inline.backend_inline``, which does all the work:
the same PNG bytes, so stored outputs do not change. Each time IPython renders
a figure for display, every text drawn on it is checked with
:mod:`conv_lab.figure_text`; a failure is written to stderr, which a strict
nbval run reports as a changed output (the stored outputs have no stderr).
"""

import sys

from IPython.core import pylabtools
from matplotlib_inline.backend_inline import (  # noqa: F401  (the backend's interface)
    FigureCanvas,
    flush_figures,
    new_figure_manager,
    new_figure_manager_given_figure,
    show,
)

from . import figure_text

INLINE = "module://matplotlib_inline.backend_inline"


def _checked_print_figure(fig, fmt="png", bbox_inches="tight", base64=False, **kwargs):
    with figure_text.recording() as record:
        data = _original_print_figure(fig, fmt, bbox_inches=bbox_inches, base64=False, **kwargs)
    if data is None or fmt not in ("png", "retina"):
        return data if not base64 or data is None else _b64(data)
    width, _ = figure_text.png_size(data)
    dpi = fig.dpi * (2 if fmt == "retina" else 1)
    found = figure_text.problems(record.values(), figure_text.glyph_label_sizes(fig), dpi, width)
    if found:
        title = next((t.get_text() for ax in fig.get_axes() for t in [ax.title] if t.get_text()), "")
        where = f"a {width}-px-wide figure" + (f" titled {title!r}" if title else "")
        print(figure_text.report(found, where), file=sys.stderr)
    return _b64(data) if base64 else data


def _b64(data):
    from binascii import b2a_base64

    return b2a_base64(data, newline=False).decode("ascii")


if getattr(pylabtools.print_figure, "__name__", "") != "_checked_print_figure":
    _original_print_figure = pylabtools.print_figure
    pylabtools.print_figure = _checked_print_figure
else:  # imported twice: keep the first wrapper's original
    _original_print_figure = pylabtools.print_figure.__globals__["_original_print_figure"]


def _enable():
    """What matplotlib_inline does when it is the backend: IPython's display hooks and flush after each cell."""
    from IPython import get_ipython
    from matplotlib_inline.backend_inline import configure_inline_support

    ip = get_ipython()
    if ip is None:
        return
    import matplotlib

    matplotlib.interactive(True)
    configure_inline_support(ip, INLINE)


_enable()
