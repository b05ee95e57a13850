"""notebooks/TEACHING.md covers every notebook and cites only headings and exercises that exist.

The guide has one "## " section per notebook, named by its file (``01_sliding_windows.ipynb``).
Inside a section, a notebook heading is cited in curly quotes, “3. How big is the output?”, and
must be a heading ("#", "##", "###", ...) of that notebook's markdown (a quote may wrap lines). An exercise is cited as
"Exercise N", optionally followed by its function, "Exercise 3 (`my_corr2d`)": exercise N must be
a bold "**N." item of the notebook's exercises, and the function must appear in it.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = NOTEBOOKS / "TEACHING.md"

NOTEBOOK_NAME = re.compile(r"\b\d\d_\w+\.ipynb\b")
QUOTED = re.compile(r"“([^”]+)”")
EXERCISE = re.compile(r"\b[Ee]xercise (\d+)(?: \(`(\w+)`)?")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")
EXERCISE_ITEM = re.compile(r"^\*\*(\d+)\.\s", re.MULTILINE)


def notebook_files(folder):
    """The notebooks of the series in `folder`, by name."""
    return sorted(p.name for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _cells(path):
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(Path(path).read_text())["cells"]]


def notebook_headings(path):
    """Every markdown heading of the notebook, without its leading #s (code fences skipped)."""
    found = set()
    for kind, source in _cells(path):
        if kind != "markdown":
            continue
        fenced = False
        for line in source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and (m := HEADING.match(line)):
                found.add(" ".join(m.group(1).split()))
    return found


def notebook_exercises(path):
    """{N: the text of exercise N}: from "**N." in the "Exercises" section up to the next exercise or heading."""
    exercises, current, inside, fenced = {}, None, False, False
    for kind, source in _cells(path):
        if kind != "markdown":
            if inside and current is not None:
                exercises[current] += "\n" + source  # the exercise's code cell
            continue
        for line in source.splitlines(keepends=True):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and (m := HEADING.match(line)):
                inside, current = m.group(1) == "Exercises", None
                continue
            if inside and not fenced and (e := EXERCISE_ITEM.match(line)):
                current = int(e.group(1))
                exercises[current] = ""
            if inside and current is not None:
                exercises[current] += line
    return exercises


def guide_sections(text):
    """[(heading, body)] for every "## " section of the guide."""
    sections = []
    for block in re.split(r"(?m)^(?=## )", text):
        if block.startswith("## "):
            heading, _, body = block.partition("\n")
            sections.append((heading[3:].strip(), body))
    return sections


def problems(guide_text, folder):
    """What is wrong with the guide against the notebooks in `folder`; [] if nothing."""
    files = notebook_files(folder)
    found = []
    per_file = {name: [] for name in files}
    for heading, body in guide_sections(guide_text):
        for name in NOTEBOOK_NAME.findall(heading):
            if name not in per_file:
                found.append(f"section '{heading}' names {name}, which is not in {folder}")
            else:
                per_file[name].append(body)
    for name, bodies in per_file.items():
        if len(bodies) != 1:
            found.append(f"{name}: {len(bodies)} sections name it in their heading, expected exactly 1")
            continue
        body = bodies[0]
        headings = notebook_headings(Path(folder) / name)
        for cited in QUOTED.findall(body):
            cited = " ".join(cited.split())  # a quote may wrap across lines of the guide
            if cited not in headings:
                found.append(f"{name}: cites the heading “{cited}”, which the notebook does not have")
        exercises = notebook_exercises(Path(folder) / name)
        for number, function in EXERCISE.findall(body):
            if int(number) not in exercises:
                found.append(f"{name}: cites Exercise {number}; the notebook has exercises {sorted(exercises)}")
            elif function and function not in exercises[int(number)]:
                found.append(f"{name}: Exercise {number} does not mention `{function}`")
        if "**Timing:**" not in body:
            found.append(f"{name}: the section gives no **Timing:** line")
    return found


def test_guide_covers_every_notebook_and_cites_what_exists():
    assert notebook_files(NOTEBOOKS), "no notebooks found"
    assert problems(GUIDE.read_text(encoding="utf-8"), NOTEBOOKS) == []


def test_guide_cites_headings_and_exercises():
    """The guide really cites sections and exercises, so the checks above have something to check."""
    text = GUIDE.read_text(encoding="utf-8")
    for heading, body in guide_sections(text):
        if NOTEBOOK_NAME.search(heading):
            assert len(QUOTED.findall(body)) >= 5, heading
            assert len(EXERCISE.findall(body)) >= 3, heading


# --- the checker itself, on a small notebook made up for the purpose --------------------------------


def _markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text):
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}


@pytest.fixture
def folder(tmp_path):
    cells = [
        _markdown("# 01 · A title\n\n## Learning goals\n\n1. One."),
        _markdown("## 1. The stamp\n\nText.\n\n```\n# not a heading\n```"),
        _markdown('### Going deeper: "same" padding\n\nOpen this.'),
        _markdown("## Exercises\n\nIntro.\n\n**1. Warm-up.** Write `my_first`."),
        _code("def my_first(x):\n    raise NotImplementedError"),
        _markdown("**2. Find the bug.** Fix it."),
        _code("def buggy_one(x):\n    return x"),
        _markdown("## Summary\n\n**3. Not an exercise.**"),
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "01_made_up.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return tmp_path


GOOD = """# Guide

Intro, with “a quote that is no heading” outside any notebook section.

## 01_made_up.ipynb · A title

**Timing:** 10 min.
Project “1. The stamp”, then “Going deeper: "same"
padding”.
Exercise 1 (`my_first`), then Exercise 2 (`buggy_one`, find the bug).
"""


def test_checker_accepts_a_correct_guide(folder):
    assert notebook_headings(folder / "01_made_up.ipynb") == {
        "01 · A title",
        "Learning goals",
        "1. The stamp",
        'Going deeper: "same" padding',
        "Exercises",
        "Summary",
    }
    assert sorted(notebook_exercises(folder / "01_made_up.ipynb")) == [1, 2]
    assert problems(GOOD, folder) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (("“1. The stamp”", "“1. The stamps”"), "cites the heading “1. The stamps”"),
        (("“1. The stamp”", "“not a heading”"), "cites the heading “not a heading”"),
        (("Exercise 2 (", "Exercise 3 ("), "cites Exercise 3"),
        (("(`my_first`)", "(`my_second`)"), "Exercise 1 does not mention `my_second`"),
        (("## 01_made_up.ipynb", "## The made-up notebook"), "01_made_up.ipynb: 0 sections"),
        (("**Timing:** 10 min.", ""), "no **Timing:** line"),
    ],
)
def test_checker_finds_each_mistake(folder, change, expected):
    guide = GOOD.replace(*change)
    assert guide != GOOD
    assert any(expected in p for p in problems(guide, folder)), problems(guide, folder)


def test_checker_finds_a_second_section_and_a_missing_notebook(folder):
    twice = GOOD + "\n## 01_made_up.ipynb again\n\n**Timing:** 1 min.\n"
    assert any("2 sections" in p for p in problems(twice, folder))
    ghost = GOOD + "\n## 09_ghost.ipynb · Not there\n\n**Timing:** 1 min.\n"
    assert any("09_ghost.ipynb, which is not in" in p for p in problems(ghost, folder))
