"""The classroom cycle end to end: course init, release, submissions, grading, feedback, export.

One course is built and released once; each test grades its own copy of it.
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder import registry
from autograder.classroom.nbgrader_hooks import ANSWER_PREFIX, CHECK_PREFIX, exercise_of
from autograder.classroom.synthetic import released_notebook, submit, synthetic_class, with_answers

pytestmark = pytest.mark.slow
LOADED = registry.load()
LESSONS = [lesson.id for lesson in LOADED.lessons]
POINTS = {exercise.id: exercise.points for exercise in LOADED.exercises}
VENV_BIN = Path(sys.executable).parent
# Kernels that nbgrader validate starts record progress; keep it out of the user's store.
PROGRESS_STORE = Path(tempfile.mkdtemp(prefix="workbook-course-test-")) / "progress.sqlite3"


def tool_env() -> dict[str, str]:
    """The environment `make test` gives tools: the venv first on PATH (nbgrader runs alembic)."""
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "WORKBOOK_PROGRESS": str(PROGRESS_STORE)}


def lesson_total(lesson: str) -> int:
    return sum(exercise.points for exercise in LOADED.exercises_of(lesson))


def run(command: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        command, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=900, check=False
    )
    if check and finished.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {finished.returncode}\n"
            f"{finished.stdout}\n{finished.stderr}"
        )
    return finished


def grade(course: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "autograder", "grade", str(course), *extra], cwd=course)


def scores(course: Path) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in LESSONS:
            for submission in gradebook.assignment_submissions(assignment):
                found[(submission.student_id, assignment)] = submission.score
    return found


def cell_grades(course: Path) -> dict[tuple[str, str, str], float]:
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in LESSONS:
            for submission in gradebook.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    for grade_row in notebook.grades:
                        found[(submission.student_id, assignment, grade_row.name)] = grade_row.score
    return found


@pytest.fixture(scope="module")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    course = tmp_path_factory.mktemp("classroom") / "course"
    run([sys.executable, "-m", "autograder", "course", "init", str(course)], cwd=course.parent)
    for lesson in LESSONS:
        run(["nbgrader", "generate_assignment", lesson, "--force"], cwd=course)
    return course


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "course"
    shutil.copytree(released_course, copy)
    return copy


# --- what is public and what is not -------------------------------------------------------------


def _significant_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if len(line.strip()) >= 12}


def _public_lines() -> set[str]:
    public: set[str] = set()
    for exercise in LOADED.exercises:
        public |= _significant_lines(exercise.starter_source())
        public |= _significant_lines(exercise.checks_path.read_text(encoding="utf-8"))
    for lesson in LOADED.lessons:
        public |= _significant_lines(lesson.source_path.read_text(encoding="utf-8"))
    return public


def _not_public(lines: set[str]) -> set[str]:
    """Lines found nowhere in what students get, not even inside a longer public line."""
    public = "\n".join(_public_lines())
    return {line for line in lines if line not in public}


def reference_only_lines() -> set[str]:
    lines: set[str] = set()
    for exercise in LOADED.exercises:
        lines |= _significant_lines(exercise.reference_source())
    return _not_public(lines)


def hidden_check_lines() -> set[str]:
    lines: set[str] = set()
    for exercise in LOADED.exercises:
        lines |= _significant_lines(exercise.hidden_checks_path.read_text(encoding="utf-8"))
    return _not_public(lines)


def _submitted_text(path: Path) -> str:
    try:
        return readable_text(path)
    except Exception:  # an unreadable submission: its bytes are all there is
        return path.read_text(encoding="utf-8", errors="replace")


def readable_text(path: Path) -> str:
    """What a reader sees: cell sources and outputs of a notebook, or an HTML page's text."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        parts = [cell.source for cell in notebook.cells]
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                parts.append(str(output.get("text", "")))
                parts.extend(str(value) for value in output.get("data", {}).values())
        return "\n".join(parts)
    # Highlighted code is split into many tags; the text between them is what shows.
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_source_notebooks_carry_reference_answers_and_points_from_the_registry(released_course):
    for lesson in LESSONS:
        notebook = nbformat.read(released_course / "source" / lesson / f"{lesson}.ipynb", 4)
        checks = {
            exercise_of(c, CHECK_PREFIX): c for c in notebook.cells if exercise_of(c, CHECK_PREFIX)
        }
        answers = {
            exercise_of(c, ANSWER_PREFIX): c
            for c in notebook.cells
            if exercise_of(c, ANSWER_PREFIX)
        }
        expected = [exercise.id for exercise in LOADED.exercises_of(lesson)]
        assert list(checks) == expected and list(answers) == expected
        for exercise_id, cell in checks.items():
            assert cell.metadata.nbgrader["points"] == POINTS[exercise_id]
            assert cell.metadata.nbgrader["locked"] and cell.metadata.nbgrader["grade"]
            assert "### BEGIN HIDDEN TESTS" in cell.source
        for exercise_id, cell in answers.items():
            reference = LOADED.exercise(exercise_id).reference_source().strip()
            assert reference in cell.source


def test_the_release_keeps_starters_and_carries_no_reference_or_hidden_code(released_course):
    release = released_course / "release"
    files = sorted(path.relative_to(release) for path in release.rglob("*") if path.is_file())
    assert files == [Path(lesson) / f"{lesson}.ipynb" for lesson in LESSONS]
    secret = reference_only_lines() | hidden_check_lines()
    assert secret, "the comparison needs reference-only lines to look for"
    for lesson in LESSONS:
        notebook = released_notebook(released_course, lesson)
        for cell in notebook.cells:
            exercise_id = exercise_of(cell, ANSWER_PREFIX)
            if exercise_id:
                starter = LOADED.exercise(exercise_id).starter_source().strip()
                assert cell.source.strip().endswith(starter)
                assert "NotImplementedError" not in cell.source
            if exercise_of(cell, CHECK_PREFIX):
                assert "HIDDEN" not in cell.source and "hidden=True" not in cell.source
        text = readable_text(release / lesson / f"{lesson}.ipynb")
        leaked = secret & _significant_lines(text)
        assert not leaked, f"the release of {lesson} shows: {sorted(leaked)[:5]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_nbgrader_validate_passes_on_the_source(released_course, lesson):
    source = released_course / "source" / lesson / f"{lesson}.ipynb"
    # Wide enough for the one line that names the first failing check.
    finished = run(
        ["nbgrader", "validate", "--Validator.width=200", str(source)],
        cwd=released_course,
        check=False,
    )
    assert "Success! Your notebook passes all the tests." in finished.stdout, (
        finished.stdout[-3000:] + finished.stderr[-3000:]
    )


# --- the class: good, half-done and bad submissions ---------------------------------------------


def _answers(lesson: str, solved: set[str] | None = None) -> dict[str, str]:
    """Every answer of ``lesson``: the reference where ``solved`` says so, else the starter."""
    return {
        exercise.id: (
            exercise.reference_source()
            if solved is None or exercise.id in solved
            else exercise.starter_source()
        )
        for exercise in LOADED.exercises_of(lesson)
    }


def _all_solved(lesson: str, **changed: str) -> dict[str, str]:
    answers = _answers(lesson)
    for exercise_id, extra in changed.items():
        answers[exercise_id.replace("_", "-")] += extra
    return answers


FIRST, SECOND = LESSONS[0], LESSONS[1]
EXERCISES = {lesson: [e.id for e in LOADED.exercises_of(lesson)] for lesson in LESSONS}


def build_class(course: Path) -> dict[tuple[str, str], float]:
    """Write every kind of submission; return the exact score each must get."""
    expected: dict[tuple[str, str], float] = {}

    def hand_in(student: str, lesson: str, notebook, score: float) -> None:
        submit(course, student, lesson, notebook)
        expected[(student, lesson)] = score

    def answered(lesson: str, answers: dict[str, str]):
        return with_answers(released_notebook(course, lesson), answers)

    for lesson in LESSONS:
        hand_in("starter", lesson, released_notebook(course, lesson), 0)
        hand_in("reference", lesson, answered(lesson, _answers(lesson)), lesson_total(lesson))
        half = set(EXERCISES[lesson][::2])
        hand_in(
            "half", lesson, answered(lesson, _answers(lesson, half)), sum(POINTS[e] for e in half)
        )

    looping, exiting = EXERCISES[FIRST][0], EXERCISES[FIRST][1]
    crashing, hoarding = EXERCISES[SECOND][0], EXERCISES[SECOND][3]
    printing, deleted_answer = EXERCISES[FIRST][-1], EXERCISES[FIRST][3]

    loops = _answers(FIRST)
    loops[looping] += "\nwhile True:\n    pass\n"
    hand_in("loops-forever", FIRST, answered(FIRST, loops), lesson_total(FIRST) - POINTS[looping])
    hand_in("loops-forever", SECOND, answered(SECOND, _answers(SECOND)), lesson_total(SECOND))

    exits = _answers(FIRST)
    exits[exiting] += "\nraise SystemExit(1)\n"
    notebook = answered(FIRST, exits)
    # A cell that would end a kernel running the notebook; grading never runs it.
    notebook.cells.insert(1, new_code_cell("import os\nos._exit(1)"))
    hand_in("exits", FIRST, notebook, lesson_total(FIRST) - POINTS[exiting])
    hand_in("exits", SECOND, answered(SECOND, _answers(SECOND)), lesson_total(SECOND))

    crashes = _answers(SECOND)
    crashes[crashing] += "\nimport os\nos.kill(os.getpid(), 9)\n"
    hand_in("crashes", FIRST, answered(FIRST, _answers(FIRST)), lesson_total(FIRST))
    hand_in("crashes", SECOND, answered(SECOND, crashes), lesson_total(SECOND) - POINTS[crashing])

    hoards = _answers(SECOND)
    hoards[hoarding] += "\nhoard = bytearray(64 * 1024**3)\n"
    hand_in(
        "hoards-memory", SECOND, answered(SECOND, hoards), lesson_total(SECOND) - POINTS[hoarding]
    )

    prints = _answers(FIRST)
    prints[printing] += "\nfor _ in range(200_000):\n    print('x' * 100)\n"
    notebook = answered(FIRST, prints)
    scratch = new_code_cell("print('y' * 5_000_000)")
    scratch.outputs = [new_output("stream", name="stdout", text="y" * 5_000_000)]
    notebook.cells.insert(2, scratch)
    hand_in("prints-megabytes", FIRST, notebook, lesson_total(FIRST) - POINTS[printing])

    # Locked cells rewritten to pass, with forged outputs, over unsolved starters.
    for lesson in LESSONS:
        notebook = released_notebook(course, lesson)
        for cell in notebook.cells:
            if exercise_of(cell, CHECK_PREFIX):
                cell.source = "pass"
                cell.outputs = [new_output("stream", name="stdout", text="all checks passed")]
            elif cell.metadata.get("workbook", {}).get("role") == "setup":
                cell.source = "check = lambda *args, **kwargs: None"
        hand_in("edits-locked", lesson, notebook, 0)

    # Code that reaches for the grader from a cell or from the answer itself.
    forged = _answers(FIRST, solved=set())
    forged[EXERCISES[FIRST][0]] += (
        "\nimport autograder.engine.results as results\n"
        "results.ExerciseResult.passed = property(lambda self: True)\n"
    )
    notebook = answered(FIRST, forged)
    notebook.cells.insert(1, new_code_cell("import autograder\nautograder.check = print"))
    hand_in("forges", FIRST, notebook, 0)

    notebook = answered(FIRST, _answers(FIRST))
    notebook.cells = [
        cell
        for cell in notebook.cells
        if exercise_of(cell, CHECK_PREFIX) != EXERCISES[FIRST][0]
        and exercise_of(cell, ANSWER_PREFIX) != deleted_answer
    ]
    hand_in("deletes-cells", FIRST, notebook, lesson_total(FIRST) - POINTS[deleted_answer])

    hand_in("not-json", FIRST, b'{"cells": [ this is not json', 0)
    hand_in("not-json", SECOND, answered(SECOND, _answers(SECOND)), lesson_total(SECOND))
    return expected


REASONS = {
    ("loops-forever", FIRST): "did not finish within",
    ("exits", FIRST): "SystemExit",
    ("crashes", SECOND): "killed by SIGKILL",
    ("hoards-memory", SECOND): "MemoryError",
    ("prints-megabytes", FIRST): "T201",
    ("forges", FIRST): "No module named 'autograder'",
    ("deletes-cells", FIRST): "its cell was deleted",
    ("not-json", FIRST): "not a readable Jupyter notebook",
}


@pytest.mark.usefixtures("bubblewrap")
def test_grade_gives_every_student_their_exact_score_and_feedback(course):
    expected = build_class(course)
    finished = grade(course, "--workers", "2", "--timeout", "20")
    assert "could not be graded" in finished.stdout.splitlines()[-1]
    assert scores(course) == expected, finished.stdout
    for lesson in LESSONS:
        run(["nbgrader", "generate_feedback", lesson, "--force"], cwd=course)
    run(["nbgrader", "export"], cwd=course)
    with (course / "grades.csv").open(encoding="utf-8") as exported:
        rows = {
            (row["student_id"], row["assignment"]): float(row["score"])
            for row in csv.DictReader(exported)
        }
    # export also lists each student's unsubmitted lessons, with 0
    assert {key: score for key, score in rows.items() if key in expected} == expected
    assert all(score == 0 for key, score in rows.items() if key not in expected)

    hidden, reference = hidden_check_lines(), reference_only_lines()
    for (student, lesson), _ in expected.items():
        feedback = course / "feedback" / student / lesson / f"{lesson}.html"
        text = readable_text(feedback)
        assert feedback.stat().st_size < 1_500_000, f"{feedback} is {feedback.stat().st_size} bytes"
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text
        # A student's own answer may share a line with the reference: that line is theirs.
        submitted = (course / "submitted" / student / lesson).glob("*.ipynb*")
        own = set().union(*(_significant_lines(_submitted_text(path)) for path in submitted))
        shown = _significant_lines(text)
        assert not (hidden - own) & shown, f"{student}/{lesson}"
        assert not (reference - own) & shown, f"{student}/{lesson}"
        if (student, lesson) in REASONS:
            assert REASONS[(student, lesson)] in text, (
                f"{student}/{lesson} feedback gives no reason"
            )
    # nothing a tool leaves behind travels back to students
    leftovers = [
        p for p in (course / "feedback").rglob("*") if p.name in {".pytest_cache", ".hypothesis"}
    ]
    assert not leftovers
    unreadable = course / "submitted" / "not-json" / FIRST / f"{FIRST}.ipynb.unreadable"
    assert unreadable.read_bytes() == b'{"cells": [ this is not json'


# The two ways of grading share every step but how they are started, so three lessons stand for
# all (plain checks, schemathesis, timing and cost rows); every lesson is graded exactly above.
PATHS_COMPARED_ON = [LESSONS[0], LESSONS[2], LESSONS[-1]]


@pytest.mark.usefixtures("bubblewrap")
def test_nbgrader_autograde_and_grade_write_the_same_grades(course, tmp_path):
    expected = {}
    for lesson in PATHS_COMPARED_ON:
        for student, solved in [
            ("starter", set()),
            ("reference", None),
            ("half", set(EXERCISES[lesson][1::2])),
        ]:
            notebook = with_answers(released_notebook(course, lesson), _answers(lesson, solved))
            submit(course, student, lesson, notebook)
            expected[(student, lesson)] = sum(
                POINTS[e] for e in EXERCISES[lesson] if solved is None or e in solved
            )
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)
    for lesson in PATHS_COMPARED_ON:
        run(["nbgrader", "autograde", lesson], cwd=course)
    grade(twin, "--workers", "2")
    assert scores(course) == expected
    assert cell_grades(course) == cell_grades(twin)


@pytest.mark.usefixtures("bubblewrap")
def test_a_killed_run_resumes_without_losing_or_duplicating_grades(course):
    # Two lessons: a resume needs graded and ungraded submissions, not every lesson.
    expected = synthetic_class(course, 3, seed=11, lessons=LESSONS[:2])
    command = [sys.executable, "-m", "autograder", "grade", str(course), "--workers", "1"]
    first = subprocess.Popen(command, cwd=course, env=tool_env(), stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None
    for line in first.stdout:
        if line.startswith("[2/"):
            break
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    resumed = grade(course, "--workers", "2")
    assert "graded in an earlier run" in resumed.stdout
    assert scores(course) == expected
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submissions = [s for lesson in LESSONS for s in gradebook.assignment_submissions(lesson)]
        assert len(submissions) == len(expected)
        for submission in submissions:
            for notebook in submission.notebooks:
                names = [grade_row.name for grade_row in notebook.grades]
                assert len(names) == len(set(names))


@pytest.mark.usefixtures("bubblewrap")
def test_grading_on_a_dask_cluster_gives_the_same_grades(course, tmp_path):
    import dask
    from distributed import LocalCluster

    from autograder.classroom.grading import grade_course

    expected = synthetic_class(course, 2, seed=5, lessons=[LESSONS[0], LESSONS[-1]])
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)
    grade(twin, "--workers", "2")
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
        ) as cluster,
    ):
        report = grade_course(course, scheduler=cluster.scheduler_address, report=lambda line: None)
    assert not report.failed
    assert scores(course) == expected
    assert cell_grades(course) == cell_grades(twin)


def test_nbgrader_runs_from_the_environment_without_activation(tmp_path):
    """`.venv/bin/nbgrader ...` finds nbgrader's own helpers (alembic) with no venv on PATH."""
    course = tmp_path / "course"
    run([sys.executable, "-m", "autograder", "course", "init", str(course)], cwd=tmp_path)
    env = {**tool_env(), "PATH": "/usr/bin:/bin"}
    finished = subprocess.run(
        [str(VENV_BIN / "nbgrader"), "generate_assignment", LESSONS[0], "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert (course / "release" / LESSONS[0] / f"{LESSONS[0]}.ipynb").is_file()
