"""Students who want the points without the work, graded through the real classroom pipeline.

Every file in ``tests/attacks/`` is an answer to async-sleep: the unfixed starter plus an attack
(see its first lines). Each attacker hands in lesson 01 with that answer and no other answer
cells (deleted cells score 0 without being run). Controls hand in the reference and a half-done
notebook. After ``python -m autograder grade`` and ``nbgrader generate_feedback``:

- every attacker scores 0 and every control keeps its exact score;
- no line of a reference or a hidden check reaches any feedback or autograded notebook;
- the run finishes, and nothing outside the course changed: not the project, not the other
  students' submissions, not the gradebook after the run.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.classroom.nbgrader_hooks import ANSWER_PREFIX, exercise_of
from autograder.classroom.synthetic import released_notebook, submit, with_answers
from tests.test_course import (
    LESSONS,
    grade,
    hidden_check_lines,
    readable_text,
    reference_only_lines,
    run,
    scores,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("bubblewrap")]
LOADED = registry.load()
LESSON = LESSONS[0]
TARGET = "async-sleep"
ATTACKS = sorted((Path(__file__).parent / "attacks").glob("*.py"))
PROJECT = registry.project_root()


def attack_source(path: Path, course: Path) -> str:
    return (
        path.read_text(encoding="utf-8")
        .replace("__COURSE__", str(course))
        .replace("__PROJECT__", str(PROJECT))
    )


def only_answer(course: Path, source: str):
    """The released lesson with ``source`` as the target's answer and no other answer cells."""
    notebook = with_answers(released_notebook(course, LESSON), {TARGET: source})
    notebook.cells = [
        cell for cell in notebook.cells if exercise_of(cell, ANSWER_PREFIX) in (None, TARGET)
    ]
    return notebook


def tree_digest(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def course(tmp_path: Path) -> Path:
    course = tmp_path / "course"
    run([sys.executable, "-m", "autograder", "course", "init", str(course)], cwd=tmp_path)
    run(["nbgrader", "generate_assignment", LESSON, "--force"], cwd=course)
    return course


def test_no_attack_moves_a_grade_or_reaches_what_is_hidden(course):
    exercises = LOADED.exercises_of(LESSON)
    total = sum(exercise.points for exercise in exercises)
    half = {exercise.id for exercise in exercises[::2]}
    expected = {
        "control-reference": total,
        "control-half": sum(exercise.points for exercise in exercises if exercise.id in half),
    }
    submit(
        course,
        "control-reference",
        LESSON,
        with_answers(
            released_notebook(course, LESSON), {e.id: e.reference_source() for e in exercises}
        ),
    )
    submit(
        course,
        "control-half",
        LESSON,
        with_answers(
            released_notebook(course, LESSON),
            {e.id: e.reference_source() if e.id in half else e.starter_source() for e in exercises},
        ),
    )
    for path in ATTACKS:
        student = f"attacker-{path.stem.replace('_', '-')}"
        submit(course, student, LESSON, only_answer(course, attack_source(path, course)))
        expected[student] = 0
    controls = course / "submitted" / "control-reference"
    project_before = tree_digest(
        PROJECT / "autograder", PROJECT / "solutions", PROJECT / "workbook"
    )
    controls_before = tree_digest(controls)

    finished = grade(course, "--workers", "2", "--timeout", "30")
    assert finished.stdout.splitlines()[-1].endswith("0 could not be graded"), finished.stdout
    gradebook_after_run = (course / "gradebook.db").read_bytes()
    got = {student: score for (student, lesson), score in scores(course).items()}
    assert got == expected, finished.stdout

    run(["nbgrader", "generate_feedback", LESSON, "--force"], cwd=course)
    hidden, reference = hidden_check_lines(), reference_only_lines()
    for student in expected:
        for shown_path in (
            course / "feedback" / student / LESSON / f"{LESSON}.html",
            course / "autograded" / student / LESSON / f"{LESSON}.ipynb",
        ):
            text = readable_text(shown_path)
            shown = {line.strip() for line in text.splitlines() if len(line.strip()) >= 12}
            # A student's own answer may share a line with the reference: that line is theirs.
            submitted = readable_text(course / "submitted" / student / LESSON / f"{LESSON}.ipynb")
            own = {line.strip() for line in submitted.splitlines()}
            assert not (hidden - own) & shown, (
                f"{student}: a hidden check line in {shown_path.name}"
            )
            assert not (reference - own) & shown, (
                f"{student}: a reference line in {shown_path.name}"
            )
        feedback = course / "feedback" / student / LESSON / f"{LESSON}.html"
        assert feedback.stat().st_size < 1_500_000, f"{student}'s feedback is not capped"

    time.sleep(6)  # longer than any detached process an attack left behind waits
    assert (course / "gradebook.db").read_bytes() == gradebook_after_run
    assert tree_digest(controls) == controls_before
    assert tree_digest(PROJECT / "autograder", PROJECT / "solutions", PROJECT / "workbook") == (
        project_before
    )
    assert not Path("/tmp/pwned-by-pickle").exists()


def test_without_confinement_the_feedback_still_hides_the_reference_and_warns(course, tmp_path):
    """--unconfined gives up the sandbox, not the withholding of hidden lines."""
    leak = next(path for path in ATTACKS if path.name.startswith("leaks__"))
    submit(course, "leaker", LESSON, only_answer(course, attack_source(leak, course)))
    finished = grade(course, "--unconfined", "--workers", "1")
    assert "WARNING: grading with --unconfined" in finished.stdout
    assert scores(course) == {("leaker", LESSON): 0}
    run(["nbgrader", "generate_feedback", LESSON, "--force"], cwd=course)
    text = readable_text(course / "feedback" / "leaker" / LESSON / f"{LESSON}.html")
    assert "Graded without confinement" in text
    shown = {line.strip() for line in text.splitlines() if len(line.strip()) >= 12}
    assert not (reference_only_lines() | hidden_check_lines()) & shown


SWAPS_ITS_SUBMISSION = """
import glob, shutil
for source in glob.glob("__COURSE__/source/__LESSON__/*.ipynb"):
    shutil.copy(source, "__COURSE__/submitted/swapper/__LESSON__/__LESSON__.ipynb")
"""


def test_a_submission_changed_while_graded_is_graded_as_it_was_handed_in(course):
    """Unconfined, an answer can reach its own submission; the copy taken before grading wins."""
    starter = LOADED.exercise(TARGET).starter_source()
    swap = (
        SWAPS_ITS_SUBMISSION.replace("__COURSE__", str(course)).replace("__LESSON__", LESSON)
        + starter
    )
    submit(course, "swapper", LESSON, only_answer(course, swap))
    finished = grade(course, "--unconfined", "--workers", "1")
    assert "it changed while it was graded" in finished.stdout, finished.stdout
    assert scores(course) == {("swapper", LESSON): 0}
