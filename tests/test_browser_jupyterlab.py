"""A learner's first exercise, end to end, in a real JupyterLab driven through a real browser.

JupyterLab serves a copy of the lessons from a temporary directory, with its own config, data,
runtime, settings and workspace directories, so neither the committed notebooks nor the user's
Jupyter set-up or progress are touched. Playwright drives the system's Chromium through the
page only: it clicks cells, presses Shift+Enter and types into the editor, and it reads what
the learner would read. Screenshots go to ``test-artifacts/browser/``.

Without Chromium the test skips and says how to install it; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect

from autograder import registry
from autograder.authoring import chromium, lessons
from autograder.learner import lab, workspace

EXERCISE_ID = "async-sleep"
ARTIFACTS = registry.project_root() / "test-artifacts" / "browser"

# Generous but bounded: CI machines have two cores and run other tests beside this one.
SERVER_START_MS = 60_000
KERNEL_START_MS = 60_000
CELL_RUN_MS = 60_000
CHECK_RUN_MS = 120_000  # the first check in a fresh kernel imports FastAPI, ruff, blockbuster

# What the starter's failing check shows: the observation, a tool's rule, the raised error.
FAILURE_TEXTS = (
    f"{EXERCISE_ID}: Not yet",
    "GET /reports/{id} blocked the event loop: 10 report requests sent at once took",
    # Backtick spans are shown as code: the page's text has no backticks left.
    "as your app's process saw it: time.sleep called in async def read_report (line 19",
    "ASYNC251",
)
EXECUTED_PROMPT = re.compile(r"^\[\d+\]:$")
# The lab serves under a prefix, as a JupyterHub's single-user server does (/user/NAME/).
LAB_BASE_URL = "/user/learner/"
SERVED_DOCS_SCREENSHOT = Path("/tmp/served_docs.png")  # serve()'s Swagger page, to look at


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture
def chromium_available() -> None:
    try:
        chromium.chromium_path()
    except chromium.ChromiumMissing as error:
        missing = str(error)  # says how to install Chromium
    else:
        return
    # CI installs Chromium (.ci/run): a missing browser there is a broken set-up, never a skip.
    if _in_ci():
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing)


@dataclass(frozen=True)
class Lab:
    base_url: str
    token: str
    root_dir: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"


@pytest.fixture
def jupyterlab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """JupyterLab as ``make lab`` starts it (``autograder.learner.lab``), isolated in tmp_path."""
    root_dir = tmp_path / "workspace"
    workspace.prepare(root_dir)
    jupyter = {name: tmp_path / "jupyter" / name for name in ("config", "data", "runtime")}
    # Nothing of the user's Jupyter or IPython set-up leaks in; progress goes to a scratch file.
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER")}
    env |= {
        "JUPYTER_CONFIG_DIR": str(jupyter["config"]),
        "JUPYTER_DATA_DIR": str(jupyter["data"]),
        "JUPYTER_RUNTIME_DIR": str(jupyter["runtime"]),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "WORKBOOK_PROGRESS": str(tmp_path / "progress.sqlite3"),
    }
    # Where `make lab` lands, read from this scratch progress (nothing done: lesson 01).
    monkeypatch.setenv("WORKBOOK_PROGRESS", env["WORKBOOK_PROGRESS"])
    landing = lab.landing_url()
    setup = lab.setup(root_dir, base_environment=env)
    # Every cell attached to the DOM (JupyterLab's default windowing leaves out-of-view cells
    # unrendered, and the test reads them).
    _write_json(
        setup.settings_dir / "@jupyterlab/notebook-extension/tracker.jupyterlab-settings",
        {"windowingMode": "none"},
    )
    token = secrets.token_hex(16)
    command = setup.command(
        [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            # A free port is found by the server itself (it tries the next one when one is
            # taken); the port it chose is read back from its runtime file.
            f"--ServerApp.port={_free_port_hint()}",
            f"--ServerApp.base_url={LAB_BASE_URL}",
            f"--IdentityProvider.token={token}",
            "--LabApp.extension_manager=readonly",
            f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
        ],
        landing=landing,
    )
    log_path = tmp_path / "jupyterlab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, env=setup.environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        base_url = _wait_until_serving(server, jupyter["runtime"], token, log_path)
        yield Lab(base_url=base_url, token=token, root_dir=root_dir)
    finally:
        # SIGTERM lets the server shut its kernels down; kill only if it does not stop.
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        # Captured by pytest, and shown when the test fails.
        print(f"JupyterLab log ({log_path}), last lines:\n{_tail(log_path)}")  # noqa: T201


def test_first_exercise_fails_then_passes_in_jupyterlab(
    chromium_available: None, jupyterlab: Lab
) -> None:
    workbook = registry.load()
    exercise = workbook.exercise(EXERCISE_ID)
    notebook_name = workbook.lesson(exercise.lesson).notebook_name
    # Cells are found by their metadata in the served copy, the same file the page shows.
    notebook = nbformat.read(jupyterlab.root_dir / notebook_name, as_version=4)
    kernel_name = notebook.metadata.kernelspec.display_name
    exercise_index = _index_of(notebook, "exercise", EXERCISE_ID)
    check_index = _index_of(notebook, "check", EXERCISE_ID)
    # The setup cell and any other workbook cell above the exercise (the progress cell); the
    # lesson's demo cells carry no workbook role and are left alone.
    preparation = [
        index
        for index, cell in enumerate(notebook.cells[:exercise_index])
        if cell.cell_type == "code" and "workbook" in cell.metadata
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with chromium.headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        try:
            # The lab's own address, as `make lab` opens it: it lands on the first lesson with
            # an exercise not done (here, with no progress, the exercise's own lesson 01).
            page.goto(jupyterlab.url(""))
            cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            expect(cells).to_have_count(len(notebook.cells), timeout=SERVER_START_MS)
            assert f"lab/tree/{notebook_name}" in page.url, page.url
            expect(page.locator(".jp-mod-current .lm-TabBar-tabLabel").first).to_have_text(
                notebook_name
            )
            # The status bar says "<kernel> | Idle" only once a kernel is attached and idle; a cell
            # run before that opens JupyterLab's "Select Kernel" dialog instead.
            kernel_status = page.locator("#jp-main-statusbar [title^='Change kernel for']")
            expect(kernel_status).to_have_text(f"{kernel_name} | Idle", timeout=KERNEL_START_MS)
            _collapse_left_sidebar(page)

            for index in preparation:
                _run_cell(page, cells.nth(index), timeout=CELL_RUN_MS)
                _expect_no_error(cells.nth(index))
            exercise_cell, check_cell = cells.nth(exercise_index), cells.nth(check_index)
            starter = lessons.exercise_cell_source(exercise, exercise.starter_source())
            _expect_editor_text(exercise_cell, starter)
            _run_cell(page, exercise_cell, timeout=CELL_RUN_MS)
            _expect_no_error(exercise_cell)

            # The starter fails: the result says why, and the cell fails with a one-liner.
            _run_cell(page, check_cell, timeout=CHECK_RUN_MS)
            result = check_cell.locator(f".wb-result[data-exercise='{EXERCISE_ID}']")
            expect(result).to_have_attribute("data-status", "failed")
            for text in FAILURE_TEXTS:
                expect(result).to_contain_text(text)
            expect(result.locator("code", has_text="async def read_report").first).to_be_visible()
            expect(_error_output(check_cell)).to_contain_text(f"ExerciseNotPassed: {EXERCISE_ID}:")
            _screenshot(page, result, f"{EXERCISE_ID}-failed.png")

            # Every line a check names is the line the editor shows (the %%exercise line is 1).
            editor_lines = exercise_cell.locator(".cm-content .cm-line").all_inner_texts()
            line = 1 + next(i for i, text in enumerate(editor_lines) if "time.sleep(" in text)
            expect(result).to_contain_text(f"line {line}: Async functions should not call")
            expect(result).to_contain_text(f"(line {line}: time.sleep(RENDER_DELAY))")
            # Running the exercise cell checked it already (watch mode).
            verdict = exercise_cell.locator(f".wb-verdict[data-exercise='{EXERCISE_ID}']")
            expect(verdict).to_have_attribute("data-status", "failed")

            # The learner types the reference into the exercise cell and, without running it,
            # runs the check: the verdict is about the code on screen, and says so.
            answer = lessons.exercise_cell_source(exercise, exercise.reference_source())
            _replace_editor_text(page, exercise_cell, answer)
            _expect_editor_text(exercise_cell, answer)
            _run_cell(page, check_cell, timeout=CHECK_RUN_MS)
            expect(result).to_have_attribute("data-status", "passed")
            # The note is about the run, not a failure: above the passed result, not in it.
            expect(check_cell.locator(".wb-note")).to_contain_text(
                "The exercise cell changed since you last ran it"
            )
            _screenshot(page, result, f"{EXERCISE_ID}-changed-cell.png")

            # Running it gives the same verdict under the cell, and the check cell a clean pass.
            _run_cell(page, exercise_cell, timeout=CHECK_RUN_MS)
            expect(verdict).to_have_attribute("data-status", "passed")
            expect(verdict).to_contain_text("Next: ")
            _run_cell(page, check_cell, timeout=CHECK_RUN_MS)
            expect(result).to_have_attribute("data-status", "passed")
            expect(result).to_contain_text(f"{EXERCISE_ID}: Passed")
            expect(result).not_to_contain_text("✘")
            expect(result).not_to_contain_text("changed since")
            _expect_no_error(check_cell)
            _screenshot(page, result, f"{EXERCISE_ID}-passed.png")

            # The learner's own app, live: serve() shows its Swagger page inside JupyterLab,
            # through the lab's own server (jupyter-server-proxy under the lab's base URL), as
            # a browser on another machine than the kernel (JupyterHub, Binder) reaches it.
            scratch = _new_cell_below(page, cells, check_index, f'serve("{EXERCISE_ID}")')
            _run_cell(page, scratch, timeout=CHECK_RUN_MS)
            _expect_no_error(scratch)
            through_lab = re.compile(rf"^{re.escape(LAB_BASE_URL)}proxy/\d+/__workbook__/docs$")
            expect(scratch.locator("iframe")).to_have_attribute("src", through_lab)
            expect(scratch.locator(".jp-OutputArea-output").first).to_contain_text(
                "its Swagger page, directly (http://127.0.0.1:"
            )
            swagger = scratch.frame_locator("iframe").locator(".swagger-ui")
            expect(swagger.locator(".title")).to_contain_text("OAS 3.1", timeout=CELL_RUN_MS)
            expect(swagger).to_contain_text("/reports/{report_id}")
            scratch.scroll_into_view_if_needed()
            page.screenshot(path=SERVED_DOCS_SCREENSHOT)
            # "Try it out" reaches the app through the prefix too, not the lab's host root.
            swagger.locator(".opblock-summary").first.click()
            swagger.get_by_role("button", name="Try it out").click()
            swagger.locator("input[placeholder='report_id']").fill("7")
            swagger.get_by_role("button", name="Execute").click()
            response = swagger.locator(".live-responses-table .response").first
            expect(response.locator(".response-col_status")).to_have_text("200")
            expect(response).to_contain_text('"title": "Report 7"')
            _screenshot(page, scratch, f"{EXERCISE_ID}-serve-swagger.png")

            # reset() from another cell puts the starter back into the exercise cell itself.
            _replace_editor_text(page, scratch, f'stop_serving()\nreset("{EXERCISE_ID}")')
            _run_cell(page, scratch, timeout=CELL_RUN_MS)
            _expect_no_error(scratch)
            _expect_editor_text(exercise_cell, starter)
            expect(scratch).to_contain_text(
                f"The exercise cell of {EXERCISE_ID} now holds the starter"
            )
            _screenshot(page, exercise_cell, f"{EXERCISE_ID}-reset.png")
        except Exception as error:
            # What the page showed when the test failed; never hide the failure itself.
            with contextlib.suppress(Exception):
                path = _screenshot(page, None, f"{EXERCISE_ID}-test-failure.png")
                error.add_note(f"screenshot of the page at the failure: {path}")
            raise


# --- driving JupyterLab through its UI --------------------------------------------------------


def _run_cell(page: Page, cell: Locator, *, timeout: float) -> None:
    """Select ``cell``, press Shift+Enter, and wait until its prompt shows a new count."""
    prompt = cell.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    # Clicking the prompt selects the cell in command mode, without entering its editor.
    prompt.click()
    expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
    page.keyboard.press("Shift+Enter")
    # "[*]:" while queued or running, then "[n]:" with a count the cell never had before.
    expect(prompt).not_to_have_text(before, timeout=timeout)
    expect(prompt).to_have_text(EXECUTED_PROMPT, timeout=timeout)


def _new_cell_below(page: Page, cells: Locator, index: int, text: str) -> Locator:
    """Insert a code cell under cell ``index`` (command mode's B) holding ``text``; return it."""
    above = cells.nth(index)
    above.locator(".jp-InputPrompt").click()
    expect(above).to_have_class(re.compile(r"\bjp-mod-active\b"))
    count = cells.count()
    page.keyboard.press("b")
    expect(cells).to_have_count(count + 1)
    new = cells.nth(index + 1)
    _replace_editor_text(page, new, text)
    return new


def _replace_editor_text(page: Page, cell: Locator, text: str) -> None:
    cell.locator(".cm-content").click()
    expect(cell.locator(".cm-editor")).to_have_class(re.compile(r"\bcm-focused\b"))
    page.keyboard.press("ControlOrMeta+a")
    # insert_text sends the text as one input event: CodeMirror neither re-indents the lines
    # nor closes brackets, which typing key by key would make it do.
    page.keyboard.insert_text(text)


def _expect_editor_text(cell: Locator, text: str) -> None:
    # One .cm-line per line of the source, a trailing newline included.
    expect(cell.locator(".cm-content .cm-line")).to_have_text(text.split("\n"))


def _error_output(cell: Locator) -> Locator:
    return cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")


def _expect_no_error(cell: Locator) -> None:
    expect(_error_output(cell)).to_have_count(0)


def _screenshot(page: Page, subject: Locator | None, name: str) -> Path:
    if subject is not None:
        subject.scroll_into_view_if_needed()
    path = ARTIFACTS / name
    page.screenshot(path=path)
    print(f"screenshot: {path}")  # noqa: T201 (pytest shows it with -s, -rP or on failure)
    return path


def _collapse_left_sidebar(page: Page) -> None:
    """Close the file browser so the notebook, and the screenshot, get the full width."""
    current_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current_tab.count():
        current_tab.click()
        expect(current_tab).to_have_count(0)


# --- helpers ------------------------------------------------------------------------------------


def _index_of(notebook: nbformat.NotebookNode, role: str, exercise_id: str) -> int:
    for index, cell in enumerate(notebook.cells):
        workbook = cell.metadata.get("workbook", {})
        if workbook.get("role") == role and workbook.get("exercise") == exercise_id:
            return index
    raise LookupError(f"no {role} cell for {exercise_id}")


def _free_port_hint() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(
    server: subprocess.Popen[bytes], runtime_dir: Path, token: str, log_path: Path
) -> str:
    """The server's base URL, once its API answers; fails early if the server exits."""
    deadline = time.monotonic() + SERVER_START_MS / 1000
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{_tail(log_path)}")
        for info_file in runtime_dir.glob("jpserver-*.json"):
            try:
                info = json.loads(info_file.read_text())
            except json.JSONDecodeError:
                continue  # still being written
            base_url = f"http://127.0.0.1:{info['port']}{info['base_url']}"
            try:
                with urllib.request.urlopen(f"{base_url}api/status?token={token}", timeout=5):
                    return base_url
            except OSError:
                pass
        time.sleep(0.2)  # polling a process that offers no readiness signal
    seconds = SERVER_START_MS / 1000
    pytest.fail(f"JupyterLab did not answer within {seconds:.0f} s:\n{_tail(log_path)}")


def _write_json(path: Path, content: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
