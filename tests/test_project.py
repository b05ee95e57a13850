"""The project's promises about itself: the README's commands, the notebook list, CI."""

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

import conv_lab as cl
from conv_lab import exercises

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    block = re.search(r"<!-- test-command.*?-->\n```bash\n(.+?)\n```", README, re.S)
    assert block, "README has no marked test command"
    command = block.group(1)
    assert "pytest" in command and "requirements.txt" in command
    extracted = subprocess.run(
        ["bash", "-c", "sed -n '/<!-- test-command/,/^```$/p' README.md | sed -n '3p'"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert extracted == command
    assert "sed -n '/<!-- test-command/,/^```$/p' README.md | sed -n '3p'" in (ROOT / ".ci" / "run").read_text()


def test_readme_lists_every_notebook():
    listed = re.findall(r"`(\d\d_\w+\.ipynb)`", README)
    on_disk = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert set(on_disk) <= set(listed), f"notebooks missing from the README: {set(on_disk) - set(listed)}"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_seven_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_redefines_no_public_conv_lab_name(path):
    """Notebooks derive under their own names and compare with conv_lab; they never shadow it."""
    public = set(cl.__all__) | {n for n in dir(exercises) if n.startswith("check_")}
    defined = set()
    for cell in _code_cells(path):
        source = "".join(cell["source"])
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    assert not defined & public, f"{path.name} redefines {sorted(defined & public)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    """Executed 1..n in one fresh kernel, no stderr (warnings), no machine paths, under 3 MB."""
    assert path.stat().st_size < 3 * 2**20, f"{path.name} is {path.stat().st_size / 2**20:.1f} MB"
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    for section in ("Learning goals", "Exercises", "Summary"):
        assert any(section in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"), section
    cells = _code_cells(path)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1))
    figures = 0
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i} stores an error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"{path.name} cell {i} stores stderr output: {''.join(out['text'])[:200]}"
            )
            figures += "image/png" in out.get("data", {})
            blob = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"/(tmp|root|home|work|Users)/\w", blob), f"{path.name} cell {i} shows a machine path"
    assert figures >= 3, f"{path.name} has {figures} figures"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_text_speaks_to_students(path):
    """Students never saw the source tutorials' file names or the test machinery; nothing reaches outside notebooks/."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"])
        assert not re.search(r"\bseeds? ?0\d\d", source, re.I), (
            f"{path.name} cell {i} names a seed file: {source[:80]!r}"
        )
        assert "nbval" not in source.lower(), f"{path.name} cell {i} mentions nbval; use the nbval-ignore-output tag"
        if cell["cell_type"] == "code":
            assert not re.search(r"[\'\"]\.\./", source), f"{path.name} cell {i} reaches outside notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_links_the_teachers_guide_and_its_solutions(path):
    """The first cell links TEACHING.md; every link to a solutions file leads to a file (Lab opens at the root)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert "](TEACHING.md)" in "".join(cells[0]["source"]), f"{path.name}: no link to the teacher's guide"
    assert (path.parent / "TEACHING.md").exists()
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    links = re.findall(r"\]\((\.\./solutions/nb\d\d\.py)\)", text)
    assert links, f"{path.name}: the exercises do not link their solutions file"
    for link in links:
        assert (path.parent / link).resolve().exists(), f"{path.name}: {link} leads nowhere"
