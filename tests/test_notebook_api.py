"""The notebook-facing API: clear messages when cells run out of order, and in a real IPython
shell, reset and reveal replace the running cell the way ``%load`` does.

The progress store is a temporary file in every test.
"""

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from autograder.learner import exercise_cells, notebook, progress_store
from autograder.learner.progress_store import ProgressStore
from autograder.registry import load


@pytest.fixture(autouse=True)
def private_progress(tmp_path, monkeypatch):
    monkeypatch.setenv(progress_store.PROGRESS_ENV, str(tmp_path / "progress.sqlite3"))
    monkeypatch.setattr(notebook, "SESSION", notebook.NotebookSession())


def test_check_before_the_exercise_cell_ran_says_what_to_run():
    with pytest.raises(
        notebook.ExerciseNotRun, match="Run the exercise cell for async-sleep first"
    ):
        notebook.check("async-sleep")


def test_the_magic_rejects_an_unknown_exercise_and_says_where_the_ids_are():
    with pytest.raises(notebook.ExerciseNotRun, match="python -m autograder list"):
        notebook.exercise_magic("no-such-exercise", "x = 1\n")


def test_the_magic_remembers_the_cell_and_the_check_reports_on_it():
    source = load().exercise("async-sleep").reference_source()
    notebook.exercise_magic("async-sleep", source)
    notebook.check("async-sleep")  # passes: no exception
    assert notebook.SESSION.last_result is not None and notebook.SESSION.last_result.passed
    assert ProgressStore().has_passed("async-sleep")


def test_a_failing_check_renders_a_one_line_traceback_and_is_recorded():
    notebook.exercise_magic("async-sleep", load().exercise("async-sleep").starter_source())
    with pytest.raises(notebook.ExerciseNotPassed) as raised:
        notebook.check("async-sleep")
    lines = raised.value._render_traceback_()
    text = " ".join(lines[0].split())  # the verdict's sentence, then the pointer to details
    assert len(lines) == 1 and "checks do not pass yet, the first: " in text
    first_failure = raised.value.result.failures()[0].name
    assert f"the first: {first_failure}. Details above" in text
    assert lines[0].splitlines()[1] == notebook.ExerciseNotPassed.POINTER  # never wrapped
    assert lines[0].replace("\n", " ") == f"ExerciseNotPassed: {raised.value}"
    record = ProgressStore().records()["async-sleep"]
    assert record.attempts == 1 and not record.ever_passed


def test_reset_outside_a_notebook_points_to_the_command_line():
    with pytest.raises(notebook.NotInNotebook, match="python -m autograder reset async-sleep"):
        notebook.reset("async-sleep")


# --- in a real IPython shell -------------------------------------------------------------------

EXERCISE = load().exercise("async-sleep")
LEARNER_CODE = "# my attempt\nimport asyncio\n"


@pytest.fixture
def shell(tmp_path, monkeypatch):
    """An IPython shell with the extension loaded, recording what it asks the front end."""
    config = Config()
    config.HistoryManager.enabled = False  # nothing written to the real ~/.ipython
    shell = InteractiveShell.instance(config=config, ipython_dir=str(tmp_path / "ipython"))
    requests = []
    original = shell.set_next_input

    def record(text, replace=False):
        requests.append((text, replace))
        original(text, replace)

    monkeypatch.setattr(shell, "set_next_input", record)
    shell.next_input_requests = requests
    assert shell.run_cell("%load_ext autograder").success
    yield shell
    InteractiveShell.clear_instance()


def test_reset_exercise_replaces_the_running_cell_with_the_starter(shell, capsys):
    assert shell.run_cell(f"%%exercise {EXERCISE.id}\n{LEARNER_CODE}").success
    assert shell.run_cell(f"%reset_exercise {EXERCISE.id}").success
    starter = exercise_cells.starter_cell(EXERCISE)
    assert shell.next_input_requests == [(starter, True)]
    assert shell.rl_next_input == starter
    assert starter.startswith(f"%%exercise {EXERCISE.id}\n")
    out = capsys.readouterr().out
    assert "now holds the starter" in out and "backups async-sleep --show 1" in out
    (saved,) = ProgressStore().saved_cells(EXERCISE.id)
    assert saved.source == LEARNER_CODE


def test_reset_function_does_the_same(shell):
    assert shell.run_cell(f'from autograder import reset\nreset("{EXERCISE.id}")').success
    assert shell.next_input_requests == [(exercise_cells.starter_cell(EXERCISE), True)]


def test_reveal_waits_for_a_pass_or_a_confirmation(shell, capsys):
    assert shell.run_cell(f"%reveal_exercise {EXERCISE.id}").success
    assert shell.next_input_requests == []
    assert f'reveal("{EXERCISE.id}", confirm=True)' in capsys.readouterr().out

    assert shell.run_cell(f"%reveal_exercise {EXERCISE.id} --yes").success
    reference = exercise_cells.reference_cell(EXERCISE)
    assert shell.next_input_requests == [(reference, True)]

    other = load().exercise("async-dangling")
    ProgressStore().record_check(other.id, passed=True, checks_passed=1, checks_total=1)
    assert shell.run_cell(f'from autograder import reveal\nreveal("{other.id}")').success
    assert shell.next_input_requests[-1] == (exercise_cells.reference_cell(other), True)


def test_an_unknown_id_in_a_magic_is_a_one_line_error(shell):
    result = shell.run_cell("%reset_exercise async-sleeep")
    assert isinstance(result.error_in_exec, notebook.UnknownExercise)
    assert "Did you mean 'async-sleep'?" in str(result.error_in_exec)
    assert len(result.error_in_exec._render_traceback_()) == 1
    assert shell.next_input_requests == []


@pytest.mark.slow
def test_in_a_kernel_reset_asks_the_front_end_to_replace_the_cell():
    """What JupyterLab receives: the execute reply's set_next_input payload, replace=True."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        assert (
            client.execute_interactive("%load_ext autograder", timeout=60)["content"]["status"]
            == "ok"
        )
        reply = client.execute_interactive(f"%reset_exercise {EXERCISE.id}", timeout=60)
        assert reply["content"]["status"] == "ok"
        (payload,) = reply["content"]["payload"]
        assert payload == {
            "source": "set_next_input",
            "text": exercise_cells.starter_cell(EXERCISE),
            "replace": True,
        }
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_passing_checks_notes_are_not_in_the_failure_colour():
    from autograder.engine.results import FAIL_COLOUR, CheckResult, ExerciseResult

    note = "You have not run the exercise cell in this kernel: this checks it as it is on screen."
    result = ExerciseResult(
        "async-sleep",
        [CheckResult(name="no blocking call", rule="async-1", rule_text="", status="passed")],
        notes=[note],
    )
    page = notebook.result_bundle(result)["text/html"]
    assert result.passed and f"<b>Note:</b> {note}" in page.replace("&#x27;", "'")
    assert FAIL_COLOUR not in page
