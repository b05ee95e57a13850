"""The notebooks as a student meets them: a real JupyterLab, in a real browser.

For every numbered notebook this test does what a student does: open it in
JupyterLab, choose Kernel -> Restart Kernel and Run All Cells, and wait.
Then it checks what is on the screen: every code cell has an execution
number, no cell shows a traceback (unless tagged ``raises-exception``),
figures are images, termcolor output is coloured, and widgets are live.
Before the run, the first "Going deeper" section must open folded (its
heading cell carries ``jp-MarkdownHeadingCollapsed``), and one click on its
heading must show it.
In notebooks 01 and 05 it then drives the linked view (conv_lab.views): it
types a new stride into the stride slider, as a student would, and checks
that both the printed values and the picture change.

JupyterLab runs on localhost with a random token, on a temporary *copy* of
the notebooks, with its own settings and workspace folders, so nothing can
be saved over the repository. The browser is Debian's Chromium, driven by
Playwright (whose own browser download does not work here). Without
Chromium the test skips when run by hand; in CI (``CI`` set) it fails.
The page is 1280x720, a projector's size. After the run the test switches to
View -> Appearance -> Presentation Mode, as a teacher does, and saves a
screenshot of the whole notebook, screen by screen stitched into one image, in
``test-artifacts/`` (not committed).
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# CONV_LAB_NOTEBOOKS points the test at another folder of notebooks (e.g. scratch copies being prepared)
NOTEBOOK_DIR = Path(os.environ.get("CONV_LAB_NOTEBOOKS", ROOT / "notebooks"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
LINKED_VIEWS = {"01_sliding_windows.ipynb": "forward", "05_rot180.ipynb": "backward"}  # must have a linked view
VIEW_UPDATE_S = 30  # the view must redraw within this after a control changes
CHROMIUM = Path(os.environ.get("CONV_LAB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_S = 90  # JupyterLab must answer within this
NOTEBOOK_OPEN_S = 60  # the notebook and its kernel must be ready within this
RUN_ALL_S = int(os.environ.get("CONV_LAB_RUN_ALL_S", "300"))  # Restart and Run All must finish within this
VIEWPORT = {"width": 1280, "height": 720}  # a projector's resolution

SETTINGS = {
    # no autosave: nothing is written back, not even to the temporary copy
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # no news or update checks (this machine has no internet, and no pop-ups)
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    # start the notebook's kernel without asking; attach every cell to the page
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
}


def _skip_or_fail(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI: .ci/run installs it)")
    pytest.skip(reason)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on localhost, serving a temporary copy of notebooks/."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        work = tmp / "work"
        shutil.copytree(NOTEBOOK_DIR, work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name, values in SETTINGS.items():
            path = tmp / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        (tmp / "workspaces").mkdir()
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={work}",
            f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self):
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)  # polling interval while the server boots, not a guess at readiness
        self.stop()
        log = (self.tmp / "jupyterlab.log").read_text()[-3000:]
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s; its log ends with:\n{log}")

    def api(self, method, path):
        req = urllib.request.Request(f"{self.url}{path}?token={self.token}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self):
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not CHROMIUM.exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM}; install Debian's chromium to run the browser test")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _skip_or_fail("playwright is not installed")
    cjk = (
        subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
        if shutil.which("fc-list")
        else None
    )
    if not (cjk and cjk.stdout.strip()):
        _skip_or_fail("no CJK font (fc-list :lang=zh): the notebooks' Chinese glosses would show as boxes")
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )  # fmt: skip
        try:
            yield chromium
        finally:
            chromium.close()


WIDGET = "application/vnd.jupyter.widget-view+json"


def _expected(nb_path):
    """What the stored outputs, made in a fresh kernel, say the page must show."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in code for o in c.get("outputs", [])]
    return {
        "code_cells": len(code),
        "allowed_errors": {
            i for i, c in enumerate(code) if "raises-exception" in c.get("metadata", {}).get("tags", [])
        },
        "first_lines": ["".join(c["source"]).splitlines()[0] if c["source"] else "" for c in code],
        # a linked view's output also carries its picture as image/png, shown only when the widget cannot be
        "images": sum("image/png" in o.get("data", {}) and WIDGET not in o.get("data", {}) for o in outputs),
        "colour": any("\x1b[" in "".join(o.get("text", "")) for o in outputs),
        "widgets": sum(WIDGET in o.get("data", {}) for o in outputs),
    }


# Read the rendered notebook: one record per code cell, in order.
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show
READ_CELLS = """() => Array.from(document.querySelectorAll('PANEL .jp-CodeCell')).map(cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    errors: Array.from(cell.querySelectorAll(
                 '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
             )).map(e => e.textContent.slice(0, 600)),
    images: Array.from(cell.querySelectorAll('.jp-RenderedImage img'))
                 .filter(i => i.complete && i.naturalWidth > 0).length,
    colour: cell.querySelectorAll('.jp-RenderedText span[class*="ansi-"]').length,
    widgets: cell.querySelectorAll('.jupyter-widgets.widget-slider, .jupyter-widgets .widget-slider').length,
    widget_errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).filter(
                 o => /Error displaying widget|Loading widget/.test(o.textContent)).length,
}))""".replace("PANEL", PANEL)

# Run All has finished when every code cell has a number, or has stopped early when
# a cell shows an error and no cell is still queued or running ("[*]").
FINISHED = """(n) => {
    const prompts = Array.from(document.querySelectorAll('PANEL .jp-CodeCell .jp-InputArea-prompt'))
        .map(p => p.textContent.trim());
    const done = prompts.length === n && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
    const error = document.querySelector('PANEL [data-mime-type="application/vnd.jupyter.stderr"]');
    return done || (error !== null && !prompts.includes('[*]:'));
}""".replace("PANEL", PANEL)

NONE_NUMBERED = """() => Array.from(document.querySelectorAll('PANEL .jp-CodeCell .jp-InputArea-prompt'))
    .every(p => !/\\d/.test(p.textContent))""".replace("PANEL", PANEL)

IMAGES_SHOWN = """(n) => Array.from(document.querySelectorAll('PANEL .jp-RenderedImage img'))
    .filter(i => i.complete && i.naturalWidth > 0).length >= n""".replace("PANEL", PANEL)

IDLE = f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']"

# The linked view (conv_lab.views.linked_view) carries this CSS class. Its picture is an <img> whose bytes
# are fetched and hashed here, so "the picture changed" means the image data changed, not just its URL.
VIEW = f"{PANEL} .conv-lab-linked-view"
READ_VIEW = """async (sel) => {
    const views = document.querySelectorAll(sel);
    if (views.length !== 1) return {count: views.length};
    const view = views[0];
    const img = view.querySelector('img');
    const values = view.querySelector('.widget-html-content');
    let picture = '';
    if (img && img.src) {
        const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        let h = 2166136261;  // FNV-1a
        for (const b of bytes) { h = Math.imul(h ^ b, 16777619) >>> 0; }
        picture = bytes.length + ':' + h.toString(16);
    }
    return {count: 1, values: values ? values.innerText : '', picture: picture};
}"""
VIEW_CHANGED = """(arg) => {
    const view = document.querySelector(arg.sel);
    const values = view && view.querySelector('.widget-html-content');
    return values !== null && values.innerText !== arg.before && values.innerText.includes(arg.expect);
}"""


def _menu(page, menu, *items):
    """Click a menu of the menu bar, then each item in turn (a submenu opens on hover, then click)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    for item in items[:-1]:
        page.locator(".lm-Menu-itemLabel", has_text=item).first.hover()
    page.locator(".lm-Menu-itemLabel", has_text=items[-1]).first.click()


CELL_SHOWN = """(arg) => {
    const cells = document.querySelectorAll(arg.panel + ' .jp-Notebook .jp-Cell');
    const cell = cells[arg.index];
    return cell !== undefined && cell.offsetParent !== null && !cell.classList.contains('lm-mod-hidden');
}"""


def _check_going_deeper_folded(page, nb_path):
    """The first folded "Going deeper" heading hides the cell after it, and one click on it shows that cell.

    Returns the problems seen (empty if it works). A notebook with no folded section has nothing to check.
    """
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    folded = [
        i
        for i, c in enumerate(cells)
        if c["metadata"].get("jp-MarkdownHeadingCollapsed")
        and "".join(c["source"]).lstrip("# ").startswith("Going deeper")
    ]
    if not folded or folded[0] + 1 >= len(cells):
        return []
    heading, below = folded[0], folded[0] + 1
    name = nb_path.name
    arg = {"panel": PANEL, "index": below}
    if page.evaluate(CELL_SHOWN, arg):
        return [f"{name}: the cell under the folded heading (cell {heading}) is shown when the notebook opens"]
    cell = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(heading)
    shown_hidden = cell.locator(".jp-showHiddenCellsButton")  # "N cells hidden", under a folded heading
    try:
        shown_hidden.wait_for(state="visible", timeout=30_000)
    except Exception:  # noqa: BLE001 - reported as a problem of the notebook
        return [f"{name}: the folded heading (cell {heading}) shows no 'cells hidden' button to open it"]
    shown_hidden.scroll_into_view_if_needed()
    shown_hidden.click()
    try:
        page.wait_for_function(CELL_SHOWN, arg=arg, timeout=30_000)
    except Exception:  # noqa: BLE001 - reported as a problem of the notebook
        return [f"{name}: one click on the folded heading's 'cells hidden' button (cell {heading}) showed nothing"]
    # fold it again with the heading's own button (shown on hover): the run and the screenshot see it as it opens
    cell.locator(".jp-collapseHeadingButton").evaluate("b => b.click()")
    return []


SCROLLER = f"{PANEL} .jp-WindowedPanel-outer"


def _screenshot_whole_notebook(page, path):
    """Scroll the notebook screen by screen and stitch the screenshots into one image of the whole notebook."""
    from PIL import Image

    box = page.locator(SCROLLER).bounding_box()
    total, step = page.evaluate(
        f"() => {{ const o = document.querySelector('{SCROLLER}'); return [o.scrollHeight, o.clientHeight]; }}"
    )
    shots, top = [], 0
    while True:
        page.evaluate(f"(t) => {{ document.querySelector('{SCROLLER}').scrollTop = t; }}", top)
        page.wait_for_timeout(200)  # let the page repaint after the scroll
        actual = page.evaluate(f"() => document.querySelector('{SCROLLER}').scrollTop")
        shot = path.with_name(f"{path.stem}-part{len(shots)}.png")
        page.screenshot(path=str(shot), clip=box)
        shots.append((actual, shot))
        if actual + step >= total or len(shots) > 200:
            break
        top = actual + step
    with Image.open(shots[0][1]) as first:
        width, scale = first.width, first.height / step  # device pixels per CSS pixel
    whole = Image.new("RGB", (width, round(total * scale)), "white")
    for offset, shot in shots:
        with Image.open(shot) as part:
            whole.paste(part, (0, round(offset * scale)))
        shot.unlink()
    whole.save(path)


def _clear_all_outputs(page, name, attempts=3):
    """Edit -> Clear Outputs of All Cells, until no prompt shows a number.

    On a freshly started JupyterLab the first notebook can take a while to become the active
    panel, and a menu command clicked before that does nothing; so the command is given again
    (after focusing the notebook) rather than waited on for ever.
    """
    for attempt in range(1, attempts + 1):
        page.keyboard.press("Escape")  # close any menu left open
        page.locator(f"{PANEL} .jp-Notebook").first.click(position={"x": 5, "y": 5})  # make it the active panel
        _menu(page, "Edit", "Clear Outputs of All Cells")
        try:
            page.wait_for_function(NONE_NUMBERED, timeout=30_000)
            return
        except Exception as exc:  # noqa: BLE001 - try the command again, then report in terms of the notebook
            if attempt == attempts:
                raise AssertionError(
                    f"{name}: Edit -> Clear Outputs of All Cells left numbered prompts after {attempts} tries"
                ) from exc


def _accept_dialog(page, name, what):
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.locator(".jp-mod-accept").click(timeout=30_000)  # a loaded machine can be slow to show it
    except Exception as exc:  # noqa: BLE001 - report in terms of the notebook
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / f"{Path(name).stem}-no-dialog.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{name}: no confirmation dialog appeared for {what} (screenshot: {shot.name})") from exc


def _drive_linked_view(page, name):
    """Change the stride of the notebook's linked view; return the problems seen (empty if it works)."""
    before = page.evaluate(READ_VIEW, VIEW)
    if before["count"] != 1:
        return [
            f"{name}: expected exactly one linked view (conv_lab.views.linked_view, CSS class "
            f"conv-lab-linked-view) after Run All, found {before['count']}"
        ]
    problems = []
    if not before["picture"]:
        problems.append(f"{name}: the linked view shows no picture")
    if "OH = " not in before["values"]:
        problems.append(f"{name}: the linked view prints no formula values: {before['values'][:200]!r}")
    view = page.locator(VIEW)
    view.scroll_into_view_if_needed()
    slider = view.locator(".widget-slider", has=page.locator(".widget-label", has_text=re.compile(r"^stride$")))
    if slider.count() != 1:
        return problems + [f"{name}: the linked view has {slider.count()} sliders labelled 'stride', expected 1"]
    readout = slider.locator(".widget-readout")
    old = readout.inner_text().strip()
    new = "1" if old != "1" else "2"
    readout.click()  # the readout is editable: type a value and press Enter, as a student can
    page.keyboard.press("Control+A")
    page.keyboard.type(new)
    page.keyboard.press("Enter")
    expect = f"stride ({new}, {new})"
    try:
        page.wait_for_function(
            VIEW_CHANGED, arg={"sel": VIEW, "before": before["values"], "expect": expect}, timeout=VIEW_UPDATE_S * 1000
        )
    except Exception:  # noqa: BLE001 - reported below with what the page shows
        pass
    after = page.evaluate(READ_VIEW, VIEW)
    deadline = time.monotonic() + VIEW_UPDATE_S
    while after.get("picture") == before["picture"] and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # polling interval for the image bytes, not a guess at readiness
        after = page.evaluate(READ_VIEW, VIEW)
    if after.get("values") == before["values"] or expect not in after.get("values", ""):
        problems.append(
            f"{name}: after setting stride {old} -> {new} the printed values did not change to {expect!r} "
            f"within {VIEW_UPDATE_S} s; they read {after.get('values', '')[:200]!r}"
        )
    if after.get("picture") == before["picture"]:
        problems.append(f"{name}: after setting stride {old} -> {new} the picture (image data) did not change")
    return problems


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_restart_and_run_all_in_jupyterlab(lab, browser, nb_path):
    name = nb_path.name
    expect = _expected(nb_path)
    page = browser.new_page(viewport=VIEWPORT)
    try:
        # a workspace of its own, so no tab from an earlier notebook is restored
        workspace = f"{nb_path.stem}-{secrets.token_hex(4)}"
        url = f"{lab.url}/lab/workspaces/{workspace}/tree/notebooks/{name}?token={lab.token}"
        page.goto(url, timeout=NOTEBOOK_OPEN_S * 1000)
        page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=NOTEBOOK_OPEN_S * 1000)
        # The kernel must start by itself: no "Select Kernel" dialog may be waiting.
        page.wait_for_selector(IDLE, timeout=NOTEBOOK_OPEN_S * 1000)
        assert page.locator(".jp-Dialog").count() == 0, (
            f"{name}: a dialog is open after loading: " + page.locator(".jp-Dialog").first.inner_text()
        )

        folding_problems = _check_going_deeper_folded(page, nb_path)

        # Clear the stored outputs first, so everything checked below comes from this run.
        _clear_all_outputs(page, name)

        _menu(page, "Kernel", "Restart Kernel and Run All Cells")
        _accept_dialog(page, name, "Restart Kernel and Run All Cells")
        try:
            page.wait_for_function(FINISHED, arg=expect["code_cells"], timeout=RUN_ALL_S * 1000)
        except Exception as exc:  # noqa: BLE001 - turn a timeout into a message about the notebook
            prompts = [c["prompt"].strip() for c in page.evaluate(READ_CELLS)]
            raise AssertionError(
                f"{name}: Restart and Run All did not finish within {RUN_ALL_S} s; prompts: {prompts}; "
                f"finished: {page.evaluate(FINISHED, expect['code_cells'])}"
            ) from exc
        page.wait_for_selector(IDLE, timeout=60_000)
        cells = page.evaluate(READ_CELLS)
        if not any(c["errors"] for c in cells):
            # Images are decoded after their cell finishes; wait for them, bounded, then look again.
            try:
                page.wait_for_function(IMAGES_SHOWN, arg=expect["images"], timeout=30_000)
            except Exception:  # noqa: BLE001, S110 - too few images is reported below, with the count
                pass
            cells = page.evaluate(READ_CELLS)
        linked_view_problems = []
        if name in LINKED_VIEWS and not any(c["errors"] for c in cells):
            linked_view_problems = _drive_linked_view(page, name)
        _menu(page, "View", "Appearance", "Presentation Mode")
        presenting = page.locator(".jp-mod-presentationMode").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        _screenshot_whole_notebook(page, ARTIFACTS / f"{nb_path.stem}.png")
    finally:
        try:
            lab.shut_down_kernels()
        finally:
            page.close()

    assert len(cells) == expect["code_cells"], (
        f"{name}: JupyterLab shows {len(cells)} code cells, the file has {expect['code_cells']}"
    )
    problems = []
    for i, cell in enumerate(cells):
        where = f"{name}, code cell {i} ({expect['first_lines'][i][:60]!r})"
        if not cell["prompt"].strip().strip("[]:").isdigit():
            problems.append(f"{where} did not run (prompt {cell['prompt'].strip()!r})")
        if cell["errors"] and i not in expect["allowed_errors"]:
            problems.append(f"{where} shows an error or stderr output:\n{cell['errors'][0]}")
        if cell["widget_errors"]:
            problems.append(f"{where}: a widget did not render")
    images = sum(c["images"] for c in cells)
    if images < expect["images"]:
        problems.append(f"{name}: {images} figures rendered as images, expected {expect['images']}")
    if expect["colour"] and not any(c["colour"] for c in cells):
        problems.append(f"{name}: termcolor output is not rendered as coloured spans")
    widgets = sum(c["widgets"] for c in cells)
    if expect["widgets"] and not widgets:
        problems.append(f"{name}: no live widget (slider) rendered, expected {expect['widgets']} widget output(s)")
    problems += linked_view_problems + folding_problems
    if not presenting:
        problems.append(f"{name}: View -> Appearance -> Presentation Mode did not switch presentation mode on")
    assert not problems, "\n".join(problems)


NOT_RUN = """(i) => {
    const cell = document.querySelectorAll('PANEL .jp-CodeCell')[i];
    const img = cell && cell.querySelector('.jp-OutputArea .jp-RenderedImage img');
    return {
        found: cell !== undefined,
        width: img && img.complete ? img.naturalWidth : 0,
        text: cell ? cell.querySelector('.jp-OutputArea').innerText.slice(0, 300) : '',
    };
}""".replace("PANEL", PANEL)


@pytest.mark.parametrize("name", sorted(LINKED_VIEWS))
def test_a_notebook_not_yet_run_shows_the_linked_views_picture(lab, browser, name):
    """Opened before any cell runs, the linked view's cell shows its stored picture, not ``LinkedView(children=...``.

    The widget model does not exist until the kernel runs the cell, and the
    notebook is not trusted yet, so JupyterLab skips the widget renderer (not
    "safe") and shows the output's image/png (conv_lab.views puts the first
    frame there).
    """
    import base64
    import struct

    nb = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    (index,) = [
        i
        for i, c in enumerate(code)
        if "linked_view(" in "".join(c["source"]) and any(WIDGET in o.get("data", {}) for o in c.get("outputs", []))
    ]
    (png,) = [o["data"]["image/png"] for o in code[index]["outputs"] if WIDGET in o.get("data", {})]
    width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    try:
        url = f"{lab.url}/lab/workspaces/notrun-{secrets.token_hex(4)}/tree/notebooks/{name}?token={lab.token}"
        page.goto(url, timeout=NOTEBOOK_OPEN_S * 1000)
        page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=NOTEBOOK_OPEN_S * 1000)
        page.locator(f"{PANEL} .jp-CodeCell").nth(index).scroll_into_view_if_needed()
        try:
            page.wait_for_function(f"(i) => ({NOT_RUN})(i).width > 0", arg=index, timeout=30_000)
        except Exception:  # noqa: BLE001 - reported below with what the cell shows
            pass
        seen = page.evaluate(NOT_RUN, index)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}-not-run-view.png"))
    finally:
        try:
            lab.shut_down_kernels()
        finally:
            page.close()
    assert seen["found"] and seen["width"] == width, (
        f"{name}, code cell {index}: before a run the linked view shows no {width}-px picture; it shows "
        f"{seen['text']!r}"
    )
    assert "LinkedView(children" not in seen["text"]
