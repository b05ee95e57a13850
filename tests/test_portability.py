"""The stored notebook outputs reproduce on another machine.

The normal nbval pass (pytest collects ``notebooks/``) re-executes every notebook
under this machine's BLAS kernel. This test runs one more strict nbval pass, in a
subprocess, that differs from it in three ways a student's laptop may differ:

- another OpenBLAS kernel (``OPENBLAS_CORETYPE``), chosen so that its matrix
  products round differently from the active one;
- one BLAS thread instead of the default;
- the notebooks folder copied on its own to a temporary folder, away from the
  repository, so that a notebook reaching outside ``notebooks/`` fails.

Identical outputs under those conditions are what "independent of the CPU, the
BLAS kernel and the thread count" means in practice.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# x86-64 OpenBLAS kernels from oldest to newest, each with the CPU features it needs
# (names as numpy reports them). Prescott (SSE3, no FMA) rounds differently from
# every FMA kernel (Haswell, Zen, SkylakeX and newer); Sandybridge (AVX, no FMA)
# is the alternative when Prescott is the active one.
X86_KERNELS = [("Prescott", ("SSE3",)), ("Sandybridge", ("AVX",)), ("Haswell", ("AVX2", "FMA3"))]
ARM_KERNELS = [("ARMV8", ("ASIMD",)), ("NEOVERSEN1", ("ASIMD",))]


def _probe(env):
    """The BLAS library and kernel numpy uses under ``env``, as reported by threadpoolctl."""
    code = (
        "import numpy, threadpoolctl\n"
        "info = [i for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas']\n"
        "print(info[0]['internal_api'] if info else 'none', info[0].get('architecture') if info else 'none')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    api, arch = done.stdout.split()
    return api, arch


def _cpu_features():
    from numpy._core._multiarray_umath import __cpu_features__

    return {name for name, present in __cpu_features__.items() if present}


def choose_other_kernel(active, features):
    """The first kernel this CPU can run whose name differs from the active one, or None."""
    for name, needs in X86_KERNELS + ARM_KERNELS:
        if name.lower() != str(active).lower() and all(f in features for f in needs):
            return name
    return None


def test_choose_other_kernel():
    x86 = {"SSE3", "AVX", "AVX2", "FMA3", "AVX512F"}
    assert choose_other_kernel("SkylakeX", x86) == "Prescott"
    assert choose_other_kernel("Haswell", x86) == "Prescott"
    assert choose_other_kernel("Prescott", x86) == "Sandybridge"
    assert choose_other_kernel("Prescott", {"SSE3"}) is None  # nothing else this CPU can run
    assert choose_other_kernel("NEOVERSEN1", {"ASIMD"}) == "ARMV8"


def test_notebooks_reproduce_under_another_blas_kernel_alone_in_a_folder(tmp_path):
    base = dict(os.environ)
    api, active = _probe(base)
    if api != "openblas":
        pytest.skip(f"numpy uses {api}, not OpenBLAS: OPENBLAS_CORETYPE cannot switch its kernel")
    other = choose_other_kernel(active, _cpu_features())
    if other is None:
        pytest.skip(f"no other OpenBLAS kernel runs on this CPU (active: {active})")
    env = dict(base, OPENBLAS_CORETYPE=other, OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
    if os.environ.get("CONV_LAB_FIGURE_CHECK", "1") != "0":
        # the inline backend that also checks every shown figure's texts (conv_lab.figure_text); a failure goes
        # to stderr, which this strict run reports (this run has no conftest.py to set it, unlike the main pass)
        env["MPLBACKEND"] = "module://conv_lab._checked_inline"
    env.pop("PYTEST_ADDOPTS", None)
    _, active2 = _probe(env)  # OpenBLAS may report a kernel by another name (Prescott as Katmai)
    assert active2 != active, f"OPENBLAS_CORETYPE={other} left the kernel at {active2}"

    alone = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", alone, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # no repository config up here
    command = [
        sys.executable, "-m", "pytest", "notebooks", "-q", "-p", "no:cacheprovider", "-W", "error",
        "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
    assert done.returncode == 0, (
        f"the notebooks' stored outputs did not reproduce with OPENBLAS_CORETYPE={other} (active here: {active}), "
        f"one BLAS thread, outside the repository:\n{tail}"
    )
