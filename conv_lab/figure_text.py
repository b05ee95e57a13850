"""Check that every text on a figure reads on a projector, and that its font has every glyph.

Test tooling, not part of the teaching API: ``tests/test_figure_text.py`` runs
it over every drawing of :mod:`conv_lab.draw` and :mod:`conv_lab.views`, and
:mod:`conv_lab._checked_inline` (a matplotlib backend selected with
``MPLBACKEND``) runs it over every figure a notebook shows.

The size a reader sees
----------------------
The notebooks are projected at 1280×720 in JupyterLab's presentation mode.
Measured there (JupyterLab 4.6, Chromium, 2026-12-08), a notebook's output area
is 1054 CSS pixels wide with the left sidebar closed and 802 with the file
browser open. We assume ``DISPLAY_WIDTH = 900`` (override with the environment
variable ``CONV_LAB_DISPLAY_WIDTH``): with the file browser open a figure wider
than 802 px is shown at most 11 % smaller than assumed here, with it closed
nothing is smaller. JupyterLab shows an inline PNG at its pixel
width, scaled down to the output area's width when it is wider. So a text of
``size`` points in a PNG of ``dpi`` dots per inch and ``width`` pixels is
shown at::

    effective = size * (dpi / 96) * min(1, DISPLAY_WIDTH / width)

CSS points (the browser draws 96 pixels per inch, 72 points per inch). At 96
dpi this is ``size * min(1, DISPLAY_WIDTH / width)``; a 72-dpi image (the
inline animations, the linked views) shows its text at three quarters of its
nominal size, which is why its "9-pt" labels looked like 7 px. Every text must
be at least ``MIN_POINTS = 9`` effective points.

What counts as a text: every string the Agg renderer draws (titles, tick
labels, legends, colourbar ticks, annotations, math text), recorded while the
figure is saved exactly as the inline backend saves it, and the cell labels
:mod:`conv_lab.views` draws as glyph outlines (one collection tagged
``conv_lab_labels``).
"""

import io
import os
import struct
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from matplotlib.backends.backend_agg import RendererAgg

DISPLAY_WIDTH = int(os.environ.get("CONV_LAB_DISPLAY_WIDTH", 900))  # CSS px: the output area (see above)
MIN_POINTS = 9.0  # the smallest text a projected figure may show, in effective points
CSS_DPI = 96


@dataclass(frozen=True)
class TextProblem:
    """One text that fails: too small where shown, or a glyph its font lacks."""

    text: str
    size: float  # nominal size, points
    effective: float  # size where shown, CSS points
    missing: str = ""  # characters the font has no glyph for

    def __str__(self):
        if self.missing:
            return f"{self.text!r}: the font has no glyph for {self.missing!r}"
        return f"{self.text!r}: {self.size:.3g} pt shown at {self.effective:.3g} pt (< {MIN_POINTS:g})"


# --------------------------------------------------------------------------- recording what Agg draws

_active = threading.local()
_original_draw_text = RendererAgg.draw_text


def _recording_draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    record = getattr(_active, "record", None)
    if record is not None and s and s.strip():
        record[(id(mtext), s) if mtext is not None else (s, x, y)] = (s, prop.get_size_in_points(), prop)
    return _original_draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)


RendererAgg.draw_text = _recording_draw_text


@contextmanager
def recording():
    """Record every text the Agg renderer draws in this thread: yields a dict ``key -> (text, size, prop)``."""
    previous = getattr(_active, "record", None)
    _active.record = {}
    try:
        yield _active.record
    finally:
        _active.record = previous


def png_size(data):
    """(width, height) in pixels from PNG bytes."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


# --------------------------------------------------------------------------- glyphs


@cache
def _font_for(path):
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


def missing_glyphs(text, prop=None):
    """Characters of ``text`` that the font matplotlib picks for ``prop`` (default: DejaVu Sans) has no glyph for.

    Only the font ``findfont`` picks counts, not a fallback font that happens
    to be installed here: a student's machine may not have it.
    """
    from matplotlib.font_manager import FontProperties, findfont

    font = _font_for(findfont(prop or FontProperties(family="DejaVu Sans")))
    return "".join(sorted({c for c in text if not c.isspace() and not font.get_char_index(ord(c))}))


# --------------------------------------------------------------------------- the check


def glyph_label_sizes(fig):
    """(text, size in points) of the cell labels drawn as glyph outlines (:mod:`conv_lab.views`)."""
    out = []
    for ax in fig.get_axes():
        for coll in ax.collections:
            labels = getattr(coll, "conv_lab_labels", None)
            if labels is None:
                continue
            y0 = ax.transData.transform((0, 0))[1]
            y1 = ax.transData.transform((0, 1))[1]
            px_per_unit = abs(y1 - y0)
            out += [(text, units * px_per_unit * 72 / fig.dpi) for text, units in labels]  # pixels to points
    return out


def check_figure(fig, display_width=DISPLAY_WIDTH, minimum=MIN_POINTS, bbox_inches="tight", dpi=None):
    """Save ``fig`` to PNG as the inline backend does and return the :class:`TextProblem` list (empty: all good).

    ``bbox_inches="tight"`` is the inline backend's default; pass None for a
    figure saved whole (the linked views' ``png``).
    """
    dpi = dpi or fig.dpi
    buffer = io.BytesIO()
    with recording() as record:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=bbox_inches)
    width, _ = png_size(buffer.getvalue())
    return problems(record.values(), glyph_label_sizes(fig), dpi, width, display_width, minimum)


def problems(drawn, glyph_labels, dpi, width, display_width=DISPLAY_WIDTH, minimum=MIN_POINTS):
    """The problems among recorded texts ``(text, size, prop)`` and glyph labels ``(text, size)``."""
    factor = dpi / CSS_DPI * min(1.0, display_width / width)
    found = []
    for text, size, prop in drawn:
        if size * factor < minimum - 1e-9:
            found.append(TextProblem(text, size, size * factor))
        missing = missing_glyphs(text, prop) if not text.isascii() else ""
        if missing:
            found.append(TextProblem(text, size, size * factor, missing))
    for text, size in glyph_labels:
        if size * factor < minimum - 1e-9:
            found.append(TextProblem(text, size, size * factor))
        missing = missing_glyphs(text) if not text.isascii() else ""
        if missing:
            found.append(TextProblem(text, size, size * factor, missing))
    return found


def report(problems_found, where, limit=12):
    """A message naming the figure and its failing texts (the smallest first, repeats counted once)."""
    seen, lines = {}, []
    for p in sorted(problems_found, key=lambda p: (not p.missing, p.effective)):
        seen.setdefault(str(p), 0)
        seen[str(p)] += 1
    for text, n in seen.items():
        lines.append(f"  {text}" + (f" (×{n})" if n > 1 else ""))
    more = len(lines) - limit
    lines = lines[:limit] + ([f"  ... and {more} more"] if more > 0 else [])
    return "\n".join([f"figure text check failed for {where}:"] + lines)
