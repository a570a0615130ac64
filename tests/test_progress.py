"""Progress: every check is recorded, survives the process, and is summed up per lesson.

Every test here keeps the store in a temporary file (``WORKBOOK_PROGRESS``), never in the real
Jupyter data directory.
"""

import json
import threading
from dataclasses import replace

import pytest

from autograder import registry
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.learner import notebook, progress_store
from autograder.registry import Lesson, Registry
from tests.learner_support import run_cli, use_private_store

REGISTRY = registry.load()


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    path = use_private_store(tmp_path, monkeypatch)
    return path


def _cli(*args):
    return run_cli(*args)


def _result(exercise_id, *statuses):
    checks = [
        CheckResult(name=f"check {n}", rule="r", rule_text="t", status=s)
        for n, s in enumerate(statuses)
    ]
    return ExerciseResult(exercise_id, checks)


def _passed(exercise_id):
    store = progress_store.ProgressStore()
    store.record_check(exercise_id, passed=True, checks_passed=1, checks_total=1)


def test_the_store_lives_in_jupyters_data_dir_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv(progress_store.PROGRESS_ENV)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    expected = tmp_path / "data" / "fastapi-workbook" / "progress.sqlite3"
    assert progress_store.store_path() == expected


def test_a_passed_check_shows_as_done_in_progress_json_from_a_new_process(store_path):
    exercise = REGISTRY.exercise("async-sleep")
    notebook.exercise_magic(exercise.id, exercise.reference_source())
    notebook.check(exercise.id)
    assert store_path.is_file()

    completed = _cli("progress", "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    lessons = {lesson["id"]: lesson for lesson in report["lessons"]}
    assert list(lessons) == [lesson.id for lesson in REGISTRY.lessons]
    ours = lessons[exercise.lesson]
    assert ours["done"] == ["async-sleep"]
    assert "async-sleep" not in ours["pending"]
    assert len(ours["pending"]) == len(REGISTRY.exercises_of(exercise.lesson)) - 1
    (row,) = [row for row in ours["exercises"] if row["id"] == "async-sleep"]
    assert row["state"] == "passed" and row["checks_passed"] == row["checks_total"] > 0
    assert report["workbook"]["done"] == ["async-sleep"]
    assert report["workbook"]["total"] == len(REGISTRY.exercises)
    assert report["workbook"]["points_done"] == exercise.points


def test_a_failing_check_is_recorded_as_pending_with_its_counts(store_path):
    exercise = REGISTRY.exercise("async-sleep")
    notebook.exercise_magic(exercise.id, exercise.starter_source())
    with pytest.raises(notebook.ExerciseNotPassed):
        notebook.check(exercise.id)
    (row,) = [
        item
        for item in progress_store.summarize().lesson(exercise.lesson).exercises
        if item.exercise.id == exercise.id
    ]
    assert row.state == "failing" and not row.done
    assert row.record.latest is not None
    assert row.record.latest.checks_passed < row.record.latest.checks_total
    assert "not passed yet" in row.describe()


def test_done_stays_done_and_a_later_failure_shows_as_passed_earlier():
    store = progress_store.ProgressStore()
    store.record_check("async-sleep", passed=True, checks_passed=5, checks_total=5)
    store.record_check("async-sleep", passed=False, checks_passed=3, checks_total=5)
    summary = progress_store.summarize(store)
    (row,) = [
        e for e in summary.lesson("01-async-hygiene").exercises if e.exercise.id == "async-sleep"
    ]
    assert row.done and row.state == "passed-earlier" and row.record.attempts == 2
    assert "async-sleep" in summary.tally.done
    text = summary.render_text("01-async-hygiene")
    assert "passed earlier, failing now (3/5 checks)" in text
    store.record_check("async-sleep", passed=True, checks_passed=5, checks_total=5)
    assert progress_store.summarize(store).lesson("01-async-hygiene").exercises[0].state == "passed"


def test_the_summary_follows_the_registry_so_new_lessons_need_no_code_change():
    extra = Lesson("99-later", "A later lesson", "added after this code was written")
    exercise = replace(REGISTRY.exercises[0], id="later-one", lesson=extra.id)
    grown = Registry(
        (*REGISTRY.lessons, extra), (*REGISTRY.exercises, exercise), REGISTRY.catalog, {}
    )
    store = progress_store.ProgressStore()
    store.record_check("later-one", passed=True, checks_passed=1, checks_total=1)
    summary = progress_store.summarize(store, grown)
    assert [lesson.lesson.id for lesson in summary.lessons][-1] == "99-later"
    assert summary.lesson("99-later").tally.done == ("later-one",)
    assert summary.tally.total == len(REGISTRY.exercises) + 1
    assert "99-later: A later lesson: 1/1 done" in summary.render_text()


def test_two_writers_at_once_lose_nothing(store_path):
    def write(exercise_id):
        store = progress_store.ProgressStore(store_path)  # each thread its own connection
        for _ in range(25):
            store.record_check(exercise_id, passed=False, checks_passed=0, checks_total=1)

    threads = [threading.Thread(target=write, args=(e,)) for e in ("async-sleep", "async-dangling")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = progress_store.ProgressStore(store_path).records()
    assert records["async-sleep"].attempts == records["async-dangling"].attempts == 25


def test_a_store_that_cannot_be_written_warns_once_and_never_fails_a_check(
    monkeypatch, tmp_path, capsys
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")  # fails for root too
    monkeypatch.setenv(progress_store.PROGRESS_ENV, str(blocker / "progress.sqlite3"))
    monkeypatch.setattr(
        "autograder.engine.runner.run_checks", lambda *_, **__: _result("async-sleep", "passed")
    )
    notebook.SESSION.sources["async-sleep"] = "anything"
    notebook.check("async-sleep")
    notebook.check("async-sleep")
    output = capsys.readouterr().out
    assert output.count("your progress is not being saved") == 1
    assert "WORKBOOK_PROGRESS" in output
    assert progress_store.summarize().tally.done == ()


def test_progress_on_screen_is_redrawn_after_every_check(monkeypatch):
    updates = []
    monkeypatch.setattr(
        "IPython.display.update_display",
        lambda bundle, *, raw, display_id: updates.append((display_id, bundle)),
    )
    monkeypatch.setattr(
        "autograder.engine.runner.run_checks", lambda *_, **__: _result("async-sleep", "passed")
    )
    notebook.progress("01-async-hygiene")
    notebook.SESSION.sources["async-sleep"] = "anything"
    notebook.check("async-sleep")
    ((display_id, bundle),) = updates
    assert display_id == "workbook-progress-01-async-hygiene"
    data = bundle[progress_store.PROGRESS_MIME]
    assert data["focus"] == "01-async-hygiene"
    assert data["workbook"]["done"] == ["async-sleep"]


def test_the_display_has_a_bar_text_and_json_for_this_lesson_and_the_workbook():
    progress_store.ProgressStore().record_check(
        "async-sleep", passed=True, checks_passed=1, checks_total=1
    )
    bundle = progress_store.mime_bundle(progress_store.summarize(), "01-async-hygiene")
    total = len(REGISTRY.exercises_of("01-async-hygiene"))
    assert (
        "aria-valuenow='1'" in bundle["text/html"] and "role='progressbar'" in bundle["text/html"]
    )
    assert "text-align:left" in bundle["text/html"]
    assert "Whole workbook" in bundle["text/html"]
    points = sum(e.points for e in REGISTRY.exercises_of("01-async-hygiene"))
    first = REGISTRY.exercises_of("01-async-hygiene")[0].points
    assert (
        f"01-async-hygiene: Async hygiene: 1/{total} done, {first}/{points} points ["
        in bundle["text/plain"]
    )
    assert f"All lessons: 1/{len(REGISTRY.exercises)} done" in bundle["text/plain"]
    assert "02-pydantic-as-law" in bundle["text/plain"]  # the whole workbook, one bar a lesson
    json.dumps(bundle[progress_store.PROGRESS_MIME])  # JSON-ready


def test_progress_command_prints_bars_and_rejects_an_unknown_lesson():
    progress_store.ProgressStore().record_check(
        "async-sleep", passed=True, checks_passed=1, checks_total=1
    )
    shown = _cli("progress")
    assert shown.returncode == 0, shown.stderr
    assert "✔ async-sleep" in shown.stdout and "█" in shown.stdout
    assert "02-pydantic-as-law" in shown.stdout
    unknown = _cli("progress", "03-nope")
    assert unknown.returncode == 2
    assert "No lesson is called '03-nope'" in unknown.stderr


def test_a_fresh_learner_sees_everything_pending_and_no_file_is_created(store_path):
    summary = progress_store.summarize()
    assert summary.tally.done == () and summary.tally.total == len(REGISTRY.exercises)
    assert not summary.problem
    assert not store_path.exists()


def test_a_passing_check_from_the_command_line_shows_done_in_progress_json(tmp_path):
    answer = tmp_path / "answer.py"
    answer.write_text(REGISTRY.exercise("async-sleep").reference_source(), encoding="utf-8")
    assert _cli("check", "async-sleep", str(answer)).returncode == 0
    shown = json.loads(_cli("progress", "--json").stdout)
    assert "async-sleep" in shown["workbook"]["done"]


def test_the_footers_word_on_reset_is_what_reset_does_where_cells_can_be_edited(monkeypatch):
    """Under `make lab` the server edits the exercise cell: the footer says so, not "this cell"."""
    from autograder.learner import live_cells

    assert 'reset("ID") puts the starter back into its exercise cell' in progress_store.HELP_LINE
    assert "the cell you run it in" not in progress_store.HELP_LINE
    written = []

    def the_server_edits_the_cell(exercise_id, text):
        written.append(exercise_id)
        return True

    monkeypatch.setattr(live_cells, "read", dict)
    monkeypatch.setattr(live_cells, "write", the_server_edits_the_cell)
    monkeypatch.setattr("IPython.get_ipython", object)  # in a kernel
    notebook.reset("async-sleep")
    assert written == ["async-sleep"]
    assert "backups async-sleep" in progress_store.HELP_LINE.replace("ID", "async-sleep")
