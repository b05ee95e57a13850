"""The project's promises about itself: the README's commands, the notebook list, CI."""

import re
import subprocess
from pathlib import Path

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
