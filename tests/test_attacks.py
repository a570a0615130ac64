"""Students who want the points without the work, graded through the real classroom pipeline.

Every file in ``tests/attacks/`` is an answer to one exercise (async-sleep, unless a
``# exercise:`` line names another): its unfixed starter plus an attack (see its first lines).
Each attacker hands in that exercise's lesson with that answer and no other answer cells
(deleted cells score 0 without being run); a ``# notebook: DAMAGE`` line damages that notebook
as a student with a text editor could (``DAMAGES``). Controls hand in lesson 01's reference and a
half-done notebook. After ``python -m autograder grade`` and ``nbgrader generate_feedback``:

- every attacker scores 0 and every control keeps its exact score;
- no line of a reference or a hidden check reaches any feedback or autograded notebook;
- the run finishes, and nothing outside the course changed: not the project, not the other
  students' submissions, not the gradebook after the run;
- the grader's canary file (``__COURSE__/grader-canary.json``) never reaches feedback, and a
  canary service on the machine's loopback (``__CANARY__``) never gets a request.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
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


def target_of(path: Path) -> str:
    """The exercise an attack answers: its ``# exercise: ID`` line, or async-sleep."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# exercise:"):
            return line.removeprefix("# exercise:").strip()
    return TARGET


def damage_of(path: Path) -> str | None:
    """The notebook damage an attack asks for: its ``# notebook: NAME`` line, if any."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# notebook:"):
            return line.removeprefix("# notebook:").strip()
    return None


def _cell_ids_repeated(notebook: dict) -> None:
    """nbformat 4.5 wants every cell id unique; one id for all of them fails validation."""
    for cell in notebook["cells"]:
        cell["id"] = "same-cell"


def _grading_metadata_as_text(notebook: dict) -> None:
    """Each cell's nbgrader metadata replaced by text that reads like more points."""
    for cell in notebook["cells"]:
        if "nbgrader" in cell.get("metadata", {}):
            cell["metadata"]["nbgrader"] = "grade: true, points: 100, locked: false"


DAMAGES = {
    "cell-ids-repeated": _cell_ids_repeated,
    "grading-metadata-as-text": _grading_metadata_as_text,
}


def handed_in(path: Path, answer) -> object:
    """The notebook as the attacker hands it in: as made, or as bytes damaged on purpose."""
    damage = damage_of(path)
    if damage is None:
        return answer
    notebook = json.loads(nbformat.writes(answer))
    DAMAGES[damage](notebook)
    return json.dumps(notebook).encode()


def lesson_of(path: Path) -> str:
    return LOADED.exercise(target_of(path)).lesson


def attack_source(path: Path, course: Path, canary_url: str = "http://127.0.0.1:9") -> str:
    return (
        path.read_text(encoding="utf-8")
        .replace("__CANARY__", canary_url)
        .replace("__COURSE__", str(course))
        .replace("__PROJECT__", str(PROJECT))
    )


def only_answer(course: Path, source: str, target: str = TARGET):
    """The released lesson with ``source`` as ``target``'s answer and no other answer cells."""
    lesson = LOADED.exercise(target).lesson
    notebook = with_answers(released_notebook(course, lesson), {target: source})
    notebook.cells = [
        cell for cell in notebook.cells if exercise_of(cell, ANSWER_PREFIX) in (None, target)
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
    for lesson in sorted({LESSON} | {lesson_of(path) for path in ATTACKS}):
        run(["nbgrader", "generate_assignment", lesson, "--force"], cwd=course)
    return course


class LoopbackCanary:
    """A service only the grading machine reaches; it answers a schema holding its secret."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.secret = f"CANARY-SERVICE-{secrets.token_hex(8)}"
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                body = json.dumps({"type": "string", "enum": [canary.secret]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def loopback_canary() -> Iterator[LoopbackCanary]:
    canary = LoopbackCanary()
    yield canary
    canary.server.shutdown()
    canary.server.server_close()


def test_no_attack_moves_a_grade_or_reaches_what_is_hidden(course, loopback_canary):
    file_secret = f"CANARY-FILE-{secrets.token_hex(8)}"
    (course / "grader-canary.json").write_text(
        json.dumps({"type": "string", "enum": [file_secret]}), encoding="utf-8"
    )
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
        source = attack_source(path, course, loopback_canary.url)
        answer = only_answer(course, source, target_of(path))
        submit(course, student, lesson_of(path), handed_in(path, answer))
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

    hidden, reference = hidden_check_lines(), reference_only_lines()
    lessons = {student: lesson for (student, lesson) in scores(course)}
    for lesson in sorted(set(lessons.values())):
        run(["nbgrader", "generate_feedback", lesson, "--force"], cwd=course)
    for student in expected:
        lesson = lessons[student]
        for shown_path in (
            course / "feedback" / student / lesson / f"{lesson}.html",
            course / "autograded" / student / lesson / f"{lesson}.ipynb",
        ):
            text = readable_text(shown_path)
            shown = {line.strip() for line in text.splitlines() if len(line.strip()) >= 12}
            # A student's own answer may share a line with the reference: that line is theirs.
            submitted = readable_text(course / "submitted" / student / lesson / f"{lesson}.ipynb")
            own = {line.strip() for line in submitted.splitlines()}
            assert not (hidden - own) & shown, (
                f"{student}: a hidden check line in {shown_path.name}"
            )
            assert not (reference - own) & shown, (
                f"{student}: a reference line in {shown_path.name}"
            )
            assert file_secret not in text, f"{student}: the grader's file in {shown_path.name}"
            assert loopback_canary.secret not in text, f"{student}: the loopback canary's answer"
        feedback = course / "feedback" / student / lesson / f"{lesson}.html"
        assert feedback.stat().st_size < 1_500_000, f"{student}'s feedback is not capped"

    time.sleep(6)  # longer than any detached process an attack left behind waits
    assert (course / "gradebook.db").read_bytes() == gradebook_after_run
    assert tree_digest(controls) == controls_before
    assert tree_digest(PROJECT / "autograder", PROJECT / "solutions", PROJECT / "workbook") == (
        project_before
    )
    assert not Path("/tmp/pwned-by-pickle").exists()
    assert loopback_canary.requests == [], "the checks fetched from a loopback-only service"


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
