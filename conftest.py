"""Repository-wide pytest setup: point nbval at the sanitize file, wherever pytest starts."""

from pathlib import Path


def pytest_configure(config):
    if getattr(config.option, "nbval_sanitize_with", "missing") is None:
        config.option.nbval_sanitize_with = str(Path(__file__).parent / "tests" / "nbval_sanitize.cfg")
