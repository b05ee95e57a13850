"""Every command in the README's ```bash blocks runs, as written, after the README's set-up.

The set-up (a virtual environment in .venv with requirements.txt installed) is what CI's own run of
the README's test command creates, so this test needs .venv: without it, it skips when run by hand
and fails in CI. Each command is either

- the marked test command, which CI runs verbatim (tests/test_project.py checks that .ci/run does);
- the set-up followed by `&&` and a command, whose set-up part must be that same set-up (so it is
  what CI ran) and whose command part is run here;
- a command run here: JupyterLab is started, asked over its REST API what it serves, and stopped;
  the benchmark runs with --quick (its full run takes minutes; the README says so).

JupyterLab refuses to start as root without --allow-root, as the README says: as root the test adds
it, exactly as the README tells root users to.
"""

import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETUP = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
LAB = ".venv/bin/jupyter lab"
BENCHMARK = ".venv/bin/python benchmarks/conv_speed.py"
TEST_COMMAND = re.search(r"<!-- test-command.*?-->\n```bash\n(.+?)\n```", README, re.S).group(1)


def readme_commands():
    """Every non-comment line of every ```bash block in the README."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip() and line[0] != "#"]


def split(command):
    """(set-up part or "", the command to run here) for a README command."""
    if command.startswith(SETUP + " && "):
        return SETUP, command[len(SETUP) + 4 :]
    return "", command


def test_every_command_is_the_set_up_and_one_the_test_knows():
    commands = readme_commands()
    assert TEST_COMMAND in commands
    assert any(c.startswith(LAB) for c in map(lambda c: split(c)[1], commands)), "no command to open JupyterLab"
    assert any(split(c)[1].startswith(LAB) and not split(c)[0] for c in commands), "no command to reopen JupyterLab"
    assert any(split(c)[1].startswith(BENCHMARK) for c in commands), "no benchmark command"
    for command in commands:
        setup, rest = split(command)
        assert setup or not command.startswith("python3 -m venv"), f"a set-up other than CI's: {command}"
        assert command == TEST_COMMAND or rest.startswith((LAB, BENCHMARK)), f"a command no test runs: {command}"


def _venv():
    if not (ROOT / ".venv" / "bin" / "python").exists():
        if os.environ.get("CI"):
            pytest.fail("no .venv: CI's run of the README's test command should have made it")
        pytest.skip("no .venv at the repository root: run the README's set-up first")


def _lab_commands():
    return sorted({split(c)[1] for c in readme_commands() if split(c)[1].startswith(LAB)})


@pytest.mark.parametrize("command", _lab_commands())
def test_jupyterlab_opens_on_the_repository_with_the_notebooks_first(command, tmp_path):
    _venv()
    if os.geteuid() == 0 and "--allow-root" not in command:
        command += " --allow-root"  # the README tells root users to add it
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), BROWSER="true")  # no browser to open on a server
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    log = []
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                line = lines.get(timeout=1)  # never block on a server that has gone quiet
            except queue.Empty:
                continue
            log.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+/)\S*\?token=(\w+)", line)
            if found:
                url = found.groups()
        assert url, f"JupyterLab did not start: {''.join(log)[-2000:]}"
        base, token = url
        while True:  # the URL is printed just before the server starts to accept connections
            try:
                with urllib.request.urlopen(f"{base}api/contents?token={token}", timeout=30) as response:
                    listing = response.read().decode()
                break
            except urllib.error.URLError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # polling interval while the server finishes starting
        for name in ("notebooks", "solutions", "README.md"):
            assert f'"name": "{name}"' in listing or f'"name":"{name}"' in listing, f"{name} not served: {listing}"
        opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())
        with opener.open(f"{base}?token={token}", timeout=30) as response:
            assert "/lab/tree/notebooks" in response.url, f"JupyterLab opens at {response.url}, not on the notebooks"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        reader.join(timeout=30)  # it ends at the end of the server's output
        proc.stdout.close()


def test_the_benchmark_runs_quick():
    _venv()
    (command,) = {split(c)[1] for c in readme_commands() if split(c)[1].startswith(BENCHMARK)}
    if "--quick" not in command:
        command += " --quick"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "forward" in result.stdout and "matmul" in result.stdout, result.stdout[-2000:]


def test_the_test_command_uses_the_same_set_up():
    assert split(TEST_COMMAND) == (SETUP, ".venv/bin/python -m pytest"), TEST_COMMAND
