"""The notebook-facing API outside a kernel: clear messages when cells run out of order."""

import pytest

from autograder import notebook
from autograder.registry import load


def test_check_before_the_exercise_cell_ran_says_what_to_run(monkeypatch):
    monkeypatch.setattr(notebook, "SESSION", notebook.NotebookSession())
    with pytest.raises(
        notebook.ExerciseNotRun, match="Run the exercise cell for async-sleep first"
    ):
        notebook.check("async-sleep")


def test_the_magic_rejects_an_unknown_exercise_and_lists_the_known_ones(monkeypatch):
    with pytest.raises(notebook.ExerciseNotRun, match="Known exercises: async-sleep"):
        notebook.exercise_magic("no-such-exercise", "x = 1\n")


def test_the_magic_remembers_the_cell_and_the_check_reports_on_it(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "SESSION", notebook.NotebookSession())
    source = load().exercise("async-sleep").reference_source()
    notebook.exercise_magic("async-sleep", source)
    notebook.check("async-sleep")  # passes: no exception
    assert notebook.SESSION.last_result is not None and notebook.SESSION.last_result.passed


def test_a_failing_check_renders_a_one_line_traceback(monkeypatch):
    monkeypatch.setattr(notebook, "SESSION", notebook.NotebookSession())
    notebook.exercise_magic("async-sleep", load().exercise("async-sleep").starter_source())
    with pytest.raises(notebook.ExerciseNotPassed) as raised:
        notebook.check("async-sleep")
    lines = raised.value._render_traceback_()
    assert len(lines) == 1 and "checks do not pass yet" in lines[0]
