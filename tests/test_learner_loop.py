"""The learner's loop without friction (each test names the point of the issue it covers).

Notebook functions run in a real IPython shell; the command line runs as a learner types it;
JupyterLab's own part (shared documents, the browser) is in test_browser_jupyterlab.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from autograder.authoring.lessons import SETUP_SOURCE, exercise_cell_source
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.engine.runner import run_checks
from autograder.learner import lab, live_cells, notebook, workspace
from autograder.learner.hints import next_hint
from autograder.learner.progress_store import ProgressStore, summarize
from autograder.registry import load
from tests.learner_support import run_cli, use_private_store

LOADED = load()
SLEEP = LOADED.exercise("async-sleep")


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    use_private_store(tmp_path, monkeypatch)
    monkeypatch.setattr(live_cells, "read", lambda: None)
    monkeypatch.setattr(live_cells, "write", lambda exercise_id, source: False)


@pytest.fixture
def shell(tmp_path):
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config, ipython_dir=str(tmp_path / "ipython"))
    assert shell.run_cell(SETUP_SOURCE).success
    yield shell
    InteractiveShell.clear_instance()


def _editor_line(cell: str, needle: str) -> int:
    """The line the editor shows ``needle`` on: the %%exercise line is line 1."""
    return next(n for n, line in enumerate(cell.splitlines(), 1) if needle in line)


# --- 1. line numbers match the editor -------------------------------------------------------------


def test_every_line_a_check_names_is_the_editors_line(shell):
    cell = exercise_cell_source(SLEEP, SLEEP.starter_source())
    assert shell.run_cell(cell).success
    line = _editor_line(cell, "time.sleep(RENDER_DELAY)")
    shell.run_cell(f'check("{SLEEP.id}")')
    result = notebook.SESSION.last_result
    ruff_row = next(c for c in result.failures() if c.rule == "ASYNC251")
    timed_row = next(c for c in result.failures() if c.rule == "async-1")
    assert f"line {line}:" in ruff_row.message
    assert f"(line {line}: time.sleep(RENDER_DELAY))" in timed_row.message


def test_a_file_copied_from_the_notebook_keeps_the_editors_lines(tmp_path):
    copied = tmp_path / "answer.py"
    cell = exercise_cell_source(SLEEP, SLEEP.starter_source())
    copied.write_text(cell, encoding="utf-8")
    finished = run_cli("check", SLEEP.id, str(copied), "--json")
    rows = json.loads(finished.stdout)["checks"]
    ruff = next(row for row in rows if row["rule"] == "ASYNC251")
    assert f"line {_editor_line(cell, 'time.sleep(RENDER_DELAY)')}:" in ruff["message"]


# --- 2. never a verdict on code that is not on screen ---------------------------------------------


def test_a_changed_exercise_cell_is_checked_as_it_is_on_screen(shell, monkeypatch):
    assert shell.run_cell(exercise_cell_source(SLEEP, SLEEP.starter_source())).success
    on_screen = exercise_cell_source(SLEEP, SLEEP.reference_source())
    monkeypatch.setattr(live_cells, "read", lambda: {SLEEP.id: on_screen})
    assert shell.run_cell(f'check("{SLEEP.id}")').success  # the reference passes
    result = notebook.SESSION.last_result
    assert result.passed
    assert "changed since you last ran it" in result.notes[0]


def test_running_an_exercise_cell_checks_it_at_once(shell, capsys):
    """Watch mode: the verdict shows under the exercise cell; its check cell reuses it."""
    assert shell.run_cell(exercise_cell_source(SLEEP, SLEEP.reference_source())).success
    assert f"✔ {SLEEP.id}: passed" in capsys.readouterr().out
    assert ProgressStore().records()[SLEEP.id].attempts == 1
    assert shell.run_cell(f'check("{SLEEP.id}")').success
    assert ProgressStore().records()[SLEEP.id].attempts == 1  # the same source: not again


# --- 3. hints follow the failure -----------------------------------------------------------------


def test_every_check_declares_a_hint_of_its_own():
    import ast

    missing = []
    for exercise in LOADED.exercises:
        for path in (exercise.checks_path, exercise.hidden_checks_path):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                    rules = [
                        d
                        for d in node.decorator_list
                        if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "rule"
                    ]
                    if not any(k.arg == "hint" for d in rules for k in d.keywords):
                        missing.append(f"{path.name}:{node.name}")
    assert not missing


def test_a_failed_rows_hint_speaks_to_that_row_not_the_first_tier():
    raw = LOADED.exercise("pydantic-raw-dict")
    result = run_checks(raw.id, raw.starter_source())
    hints = {row.name: row.hint for row in result.failures()}
    assert raw.hints[0] not in hints.values()
    assert len(set(hints.values())) == len(hints), "each failing row has a hint of its own"


def test_hint_goes_beyond_what_the_check_already_said():
    said = frozenset({SLEEP.hints[0]})
    answer = next_hint(SLEEP.id, already_said=said)
    assert answer.tier == 2 and answer.text == SLEEP.hints[1]


def test_after_a_pass_the_last_hint_no_longer_says_the_reference_is_withheld():
    ProgressStore().record_check(SLEEP.id, passed=True, checks_passed=5, checks_total=5)
    for _ in SLEEP.hints:
        answer = next_hint(SLEEP.id)
    assert "shown once the exercise passes" not in answer.render_text()
    assert "ask again to see the reference" in answer.render_text()


# --- 4. advice that runs where the learner is ----------------------------------------------------


def test_ruffs_explanation_is_folded_into_the_result():
    result = run_checks(SLEEP.id, SLEEP.starter_source())
    row = next(c for c in result.failures() if c.rule == "ASYNC251")
    assert "asyncio.sleep" in row.explanation
    assert "<details><summary>What ASYNC251 is about</summary>" in result.render_html()
    assert "why: Blocking an async function" in result.render_text()


def test_the_lab_gives_terminals_and_kernels_the_environment_first_on_path(tmp_path):
    setup = lab.setup(tmp_path / "ws", base_environment={"PATH": "/usr/bin:/bin"})
    first = setup.environment["PATH"].split(os.pathsep)[0]
    assert (Path(first) / "ruff").exists() and (Path(first) / "python").exists()


# --- 5. a mistyped exercise id --------------------------------------------------------------------


def test_a_mistyped_id_in_the_notebook_suggests_the_closest(shell):
    with pytest.raises(notebook.UnknownExercise, match="Did you mean 'pydantic-raw-dict'"):
        notebook.check("pydantic-raw-dic")
    with pytest.raises(notebook.UnknownExercise, match="Did you mean 'async-sleep'"):
        notebook.exercise_magic("async-slep", "x = 1\n")


def test_a_mistyped_id_on_the_command_line_is_one_line_and_exit_2(tmp_path):
    finished = run_cli("check", "pydantic-raw-dic", str(tmp_path / "x.py"))
    assert finished.returncode == 2
    assert finished.stderr.strip().count("\n") == 0, finished.stderr
    assert "Did you mean 'pydantic-raw-dict'" in finished.stderr


# --- 6. the terminal has a starting point ---------------------------------------------------------


def test_start_writes_the_starter_and_check_accepts_it(tmp_path):
    target = tmp_path / "mine.py"
    finished = run_cli("start", SLEEP.id, str(target))
    assert finished.returncode == 0, finished.stderr
    assert target.read_text().startswith(f"# %%exercise {SLEEP.id}\n")
    assert run_cli("start", SLEEP.id, str(target)).returncode == 2  # never overwrites
    checked = run_cli("check", SLEEP.id, str(target), "--json")
    assert json.loads(checked.stdout)["status"] == "failed"


def test_a_cell_with_its_magic_line_is_checked_from_a_file(tmp_path):
    copied = tmp_path / "cell.py"
    copied.write_text(exercise_cell_source(SLEEP, SLEEP.reference_source()), encoding="utf-8")
    finished = run_cli("check", SLEEP.id, str(copied))
    assert finished.returncode == 0, finished.stdout + finished.stderr


def test_without_arguments_the_command_line_says_what_to_do_next():
    finished = run_cli()
    assert finished.returncode == 0
    assert f"Next: {SLEEP.id}" in finished.stdout
    assert "python -m autograder start ID" in finished.stdout


# --- 7. reset puts the starter back into the exercise cell itself ---------------------------------


def test_reset_writes_the_starter_into_the_exercise_cell(shell, monkeypatch):
    written = {}
    monkeypatch.setattr(live_cells, "read", lambda: {SLEEP.id: "%%exercise async-sleep\n# mine\n"})
    monkeypatch.setattr(
        live_cells,
        "write",
        lambda exercise_id, source: written.update({exercise_id: source}) or True,
    )
    assert shell.run_cell(f'reset("{SLEEP.id}")').success
    assert written == {SLEEP.id: exercise_cell_source(SLEEP, SLEEP.starter_source())}
    (kept,) = ProgressStore().saved_cells(SLEEP.id)
    assert "# mine" in kept.source


# --- 8. the learner's JupyterLab shows lessons only ---------------------------------------------


def test_the_learners_lab_hides_instructor_tools(tmp_path):
    setup = lab.setup(tmp_path / "ws", base_environment={})
    page = json.loads((setup.config_dir / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyter/nbgrader"] is True
    server = json.loads((setup.config_dir / "jupyter_server_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["autograder.learner.live_cells"] is True
    news = setup.settings_dir / "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    assert json.loads(news.read_text())["fetchNews"] == "false"
    assert "--LabApp.news_url=None" in setup.command([])


def test_a_learner_installs_no_instructor_tools():
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    learner = " ".join(project["dependencies"])
    for tool in ("nbgrader", "dask", "playwright", "jupytext"):
        assert tool not in learner, f"{tool} is installed for every learner"


# --- 9. rendering -------------------------------------------------------------------------------


def test_monospace_blocks_never_break_inside_a_word():
    row = CheckResult("a check", "async-1", "", "failed", message="time.sleep " * 40)
    html = ExerciseResult(SLEEP.id, checks=[row]).render_html()
    assert "word-break:normal" in html and "overflow-wrap:normal" in html


def test_a_blocking_call_inside_a_library_is_named_by_the_learners_call():
    client = LOADED.exercise("async-http-client")
    result = run_checks(client.id, client.starter_source())
    message = next(c.message for c in result.failures() if "blocked the event loop" in c.message)
    assert re.search(r"saw it: `requests\.get\(url, timeout=5\.0\)`", message), message


def test_generated_payloads_are_cut_short_in_messages():
    from autograder.engine.checkkit import brief

    assert len(brief({"name": "x" * 5000})) < 200


# --- 10. answers survive an update of the workbook ------------------------------------------------


def test_the_workspace_keeps_answers_across_an_updated_lesson(tmp_path, monkeypatch):
    monkeypatch.setenv(workspace.WORKSPACE_ENV, str(tmp_path / "ws"))
    changes = workspace.prepare()
    assert {change.what for change in changes} == {"copied"}
    lesson = LOADED.lesson(SLEEP.lesson)
    copy = tmp_path / "ws" / lesson.notebook_name
    mine = json.loads(copy.read_text())
    for cell in mine["cells"]:
        if cell["metadata"].get("workbook", {}).get("exercise") == SLEEP.id and (
            cell["metadata"]["workbook"]["role"] == "exercise"
        ):
            cell["source"] = f"%%exercise {SLEEP.id}\n# my own answer\n"
    mine["metadata"]["workbook"]["lesson_version"] = "an older version"
    copy.write_text(json.dumps(mine))
    (update,) = [c for c in workspace.prepare() if c.lesson == lesson.id]
    assert update.what == "updated" and "1 of your answers carried over" in update.detail
    assert "# my own answer" in copy.read_text()
    assert list((tmp_path / "ws" / workspace.PREVIOUS).glob("*.ipynb"))


# --- what the best kata tools give ----------------------------------------------------------------


def test_a_pass_says_what_comes_next(shell):
    assert shell.run_cell(exercise_cell_source(SLEEP, SLEEP.reference_source())).success
    assert shell.run_cell(f'check("{SLEEP.id}")').success
    following = LOADED.exercises_of(SLEEP.lesson)[1]
    assert notebook.SESSION.last_result.next_step == f"Next: {following.id}, {following.title}."


def test_progress_shows_points():
    ProgressStore().record_check(SLEEP.id, passed=True, checks_passed=5, checks_total=5)
    text = summarize().render_text()
    assert f"{SLEEP.points}/{sum(e.points for e in LOADED.exercises)} points" in text


def test_check_all_checks_every_exercise_with_points(shell, capsys):
    assert shell.run_cell(exercise_cell_source(SLEEP, SLEEP.reference_source())).success
    capsys.readouterr()
    assert shell.run_cell(f'check_all("{SLEEP.lesson}")').success
    out = capsys.readouterr().out
    assert f"✔ {SLEEP.id}" in out and "Total:" in out
    others = len(LOADED.exercises_of(SLEEP.lesson)) - 1
    assert out.count("no answer found") == others
    # Part two, 12: it ends with the next exercise not passed yet.
    following = LOADED.exercises_of(SLEEP.lesson)[1]
    assert out.rstrip().splitlines()[-1] == (
        f"Next: {following.id}, {following.title} (lesson {following.lesson})."
    )


def test_check_all_on_the_command_line_reads_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv(workspace.WORKSPACE_ENV, str(tmp_path / "ws"))
    workspace.prepare()
    finished = run_cli("check-all", "02-pydantic-as-law", "--json")
    data = json.loads(finished.stdout)
    assert data["points"] == 0 and data["max_points"] == sum(
        e.points for e in LOADED.exercises_of("02-pydantic-as-law")
    )
    assert finished.returncode == 1


def test_serve_runs_the_learners_app_with_its_swagger_page(shell, capsys):
    assert shell.run_cell(exercise_cell_source(SLEEP, SLEEP.reference_source())).success
    outcome = shell.run_cell(f'url = serve("{SLEEP.id}")')
    assert outcome.success, outcome.error_in_exec
    url = shell.user_ns["url"]
    try:
        assert httpx.get(f"{url}/reports/3").json() == {"id": 3, "title": "Report 3"}
        docs = httpx.get(f"{url}/__workbook__/docs")
        assert "swagger-ui-bundle.js" in docs.text
        assert httpx.get(f"{url}/__workbook__/swagger/swagger-ui-bundle.js").status_code == 200
        # Part two, 12: serve() as a cell's last line leaves no Out[n] repeating the address.
        assert shell.display_formatter.format(url) == ({}, {})
        assert isinstance(url, str) and url.startswith("http://127.0.0.1:")
    finally:
        capsys.readouterr()
        shell.run_cell("stop_serving()")
    assert capsys.readouterr().out.strip() == f"Stopped {SLEEP.id}'s app ({url})."
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/reports/3", timeout=2)
    shell.run_cell("stop_serving()")
    assert capsys.readouterr().out.strip() == "No app is being served: nothing to stop."
    shell.run_cell(f'stop_serving("{SLEEP.id}")')
    assert "is not being served" in capsys.readouterr().out


# --- part two, 1. every output the workbook writes validates as a notebook ---------------------


def _run_in_a_fresh_kernel(sources: list[str]) -> nbformat.NotebookNode:
    """Each source as a code cell, executed top to bottom in a new kernel (errors kept)."""
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(notebook, timeout=180, kernel_name="python3", allow_errors=True).execute()
    return notebook


@pytest.mark.slow
def test_every_output_the_workbook_writes_validates_with_nbformat():
    from autograder.learner.hints import HINT_MIME
    from autograder.learner.progress_store import PROGRESS_MIME

    executed = _run_in_a_fresh_kernel(
        [
            SETUP_SOURCE,
            exercise_cell_source(SLEEP, SLEEP.starter_source()),
            f'check("{SLEEP.id}")',
            f'check_all("{SLEEP.lesson}")',
            "progress()",
            f'hint("{SLEEP.id}")',
            f'serve("{SLEEP.id}")',
            "stop_serving()",
        ]
    )
    shown = {
        mime
        for cell in executed.cells
        for output in cell.outputs
        for mime in output.get("data", {})
    }
    for mime in (
        notebook.RESULT_MIME,
        notebook.ALL_RESULTS_MIME,
        PROGRESS_MIME,
        HINT_MIME,
        "text/html",
    ):
        assert mime in shown, f"no output of kind {mime} was written: {sorted(shown)}"
    served = executed.cells[6].outputs
    assert not [out for out in served if out.output_type == "error"], served
    # What JupyterLab saves and nbconvert reads back.
    nbformat.validate(nbformat.reads(nbformat.writes(executed), as_version=4))


# --- part two, 2. an app serve() started ends with its kernel ------------------------------------

_A_KERNEL_THAT_SERVES = """
import sys, time
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config, ipython_dir=sys.argv[1])
assert shell.run_cell(sys.argv[2]).success
assert shell.run_cell(sys.argv[3]).success
outcome = shell.run_cell(sys.argv[4])
assert outcome.success, outcome.error_in_exec
print("SERVED AT", shell.user_ns["url"], flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_an_app_serve_started_dies_with_its_kernel(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    kernel = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _A_KERNEL_THAT_SERVES,
            str(tmp_path / "ipython"),
            SETUP_SOURCE,
            exercise_cell_source(SLEEP, SLEEP.reference_source()),
            f'url = serve("{SLEEP.id}")',
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as Jupyter starts a kernel
    )
    try:
        line = next((line for line in kernel.stdout if line.startswith("SERVED AT")), "")
        url = line.removeprefix("SERVED AT").strip()
        assert url.startswith("http://127.0.0.1:"), url
        assert httpx.get(f"{url}/reports/3", timeout=5).status_code == 200
        # What a kernel restart does: the kernel's whole process group, without warning.
        os.killpg(kernel.pid, signal.SIGKILL)
        kernel.wait(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/reports/3", timeout=0.5)
            except httpx.HTTPError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the served app still answers at {url} 5 s after its kernel died")
    finally:
        if kernel.poll() is None:
            os.killpg(kernel.pid, signal.SIGKILL)


# --- part two, 5. a check cell run first after a restart says what to run ----------------------


@pytest.mark.slow
def test_a_check_cell_run_before_the_setup_cell_says_what_to_run_and_the_cell_after_works():
    lesson = nbformat.read(LOADED.lesson(SLEEP.lesson).notebook_path, as_version=4)

    def cell_of(role):
        return next(
            cell.source
            for cell in lesson.cells
            if cell.metadata.get("workbook", {}) == {"role": role, "exercise": SLEEP.id}
        )

    # A fresh kernel (a restart): the check cell first, then the exercise cell, then the check.
    executed = _run_in_a_fresh_kernel([cell_of("check"), cell_of("exercise"), cell_of("check")])
    first, exercise, again = executed.cells
    (error,) = [out for out in first.outputs if out.output_type == "error"]
    assert error["ename"] == "ExerciseNotRun" and len(error["traceback"]) == 1, error
    assert f"Run the exercise cell for {SLEEP.id} first" in error["evalue"]
    assert not [out for out in exercise.outputs if out.output_type == "error"], exercise.outputs
    (verdict,) = [out for out in again.outputs if out.output_type == "error"]
    assert verdict["ename"] == "ExerciseNotPassed"  # the starter, checked: the loop goes on


# --- lesson 04's pytest demo: out of order it says what to run; in order, only the results ------


@pytest.mark.slow
def test_lesson_04s_pytest_demo_run_out_of_order_says_what_to_run_and_shows_only_results():
    lesson = nbformat.read(LOADED.lesson("04-dependency-injection").notebook_path, as_version=4)
    code = [cell.source for cell in lesson.cells if cell.cell_type == "code"]
    library = next(source for source in code if "create_library(" in source)
    search = next(source for source in code if "pasting_app = FastAPI()" in source)
    configure = next(source for source in code if "ipytest.autoconfig(" in source)
    test = next(source for source in code if "def test_every_dependency_can_be_swapped" in source)
    # A fresh kernel (a restart): the test first, then each cell it names, then the test again.
    executed = _run_in_a_fresh_kernel([test, search, configure, library, search, test])
    early, search_early, _, _, _, in_order = executed.cells
    for cell, names in ((early, "search demo's cell"), (search_early, "creates the library")):
        (error,) = [out for out in cell.outputs if out.output_type == "error"]
        assert len(error["traceback"]) == 1 and "\n" not in error["traceback"][0], error
        assert names in error["evalue"] and " first" in error["evalue"], error["evalue"]
        assert [out for out in cell.outputs if out.output_type != "error"] == [], cell.outputs
    assert not [out for out in in_order.outputs if out.output_type == "error"], in_order.outputs
    printed = re.sub(
        r"\x1b\[[0-9;]*m", "", "".join(out.get("text", "") for out in in_order.outputs)
    )
    assert re.search(r"\b1 passed in ", printed), printed
    for noise in ("test session starts", "platform ", "rootdir:", "plugins:", "collected "):
        assert noise not in printed, f"pytest's header is shown ({noise!r}):\n{printed}"


# --- lesson 06's load demo shows its progress as it goes ------------------------------------------

_A_SLOW_LOAD = """
import asyncio
from fastapi import FastAPI
from workbook.load import measure_load

app = FastAPI()

@app.get("/slow")
async def slow() -> str:
    await asyncio.sleep(0.1)
    return "late"

result = measure_load(app, "/slow", requests=24, concurrency=2, progress="a slow app")
"""


@pytest.mark.slow
def test_a_load_run_shows_its_progress_in_place_and_the_saved_notebook_reads_done():
    from nbclient import NotebookClient

    updates: list[str] = []

    class Watching(NotebookClient):
        def _update_display_id(self, display_id, msg):
            updates.append(msg["content"]["data"]["text/plain"])
            super()._update_display_id(display_id, msg)

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_A_SLOW_LOAD)])
    Watching(notebook, timeout=120, kernel_name="python3").execute()
    (shown,) = notebook.cells[0].outputs  # one line, redrawn: no stream of lines below it
    assert shown.output_type == "display_data", shown
    assert re.fullmatch(
        r"a slow app: \[█+\] done: 24 requests answered in [\d.]+ s", shown.data["text/plain"]
    )
    running = [line for line in updates if "done" not in line]
    assert running, f"no progress was shown while it ran: {updates}"
    assert all(re.search(r"\[[█░]+\] \d+ of 24 requests answered, \d+ s", line) for line in running)
    nbformat.validate(nbformat.reads(nbformat.writes(notebook), as_version=4))
