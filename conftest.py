"""Repository-wide pytest setup: point nbval at the sanitize file, wherever pytest starts; check notebook figures.

nbval's kernels run with ``MPLBACKEND=module://conv_lab._checked_inline``: the
inline backend, which also checks every shown figure's texts (at least 9 pt
where shown, glyphs in the default font) and writes a failure to stderr, which
strict nbval reports as a changed output. The stored PNGs are the same bytes.
``CONV_LAB_FIGURE_CHECK=0`` turns it off.
"""

import os
from pathlib import Path

CHECKED_BACKEND = "module://conv_lab._checked_inline"


def pytest_configure(config):
    if getattr(config.option, "nbval_sanitize_with", "missing") is None:
        config.option.nbval_sanitize_with = str(Path(__file__).parent / "tests" / "nbval_sanitize.cfg")
    if os.environ.get("CONV_LAB_FIGURE_CHECK", "1") != "0":
        _start_nbval_kernels_with(CHECKED_BACKEND)
    _show_unexpected_stderr()


def _start_nbval_kernels_with(backend):
    """Give nbval's kernels (and only them) MPLBACKEND; ipykernel keeps an MPLBACKEND it finds set."""
    try:
        from nbval import kernel
    except ImportError:
        return
    if getattr(kernel.start_new_kernel, "conv_lab_backend", None):
        return
    start = kernel.start_new_kernel

    def start_new_kernel(*args, **kwargs):
        kwargs.setdefault("env", dict(os.environ, MPLBACKEND=backend))
        return start(*args, **kwargs)

    start_new_kernel.conv_lab_backend = backend
    kernel.start_new_kernel = start_new_kernel


def _show_unexpected_stderr():
    """nbval names an unexpected stderr output but not its text: add the text (the figure check's report)."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return
    if getattr(IPyNbCell.compare_outputs, "conv_lab_shows_stderr", False):
        return
    compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        same = compare(self, test, ref, skip_compare)
        if not same:
            errors = [o.get("text", "") for o in test if o.get("output_type") == "stream" and o.get("name") == "stderr"]
            if errors:
                self.comparison_traceback.append("the cell wrote to stderr:\n" + "".join(errors))
        return same

    compare_outputs.conv_lab_shows_stderr = True
    IPyNbCell.compare_outputs = compare_outputs
