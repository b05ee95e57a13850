"""ruff keeps the library, the tests and the notebooks clean (ruff reads .ipynb itself)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["conv_lab", "tests", "notebooks", "solutions", "benchmarks", "conftest.py"]


def ruff(*args):
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return subprocess.run([exe, *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["ruff check", "ruff format --check"])
def test_ruff(command):
    result = ruff(*command)
    assert result.returncode == 0, result.stdout + result.stderr
