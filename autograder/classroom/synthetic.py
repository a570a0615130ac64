"""Simulated students for a course: what the grading tests and ``make bench`` submit.

A submission is the released notebook with some answer cells filled in, written where
``nbgrader collect`` would put it: ``submitted/<student>/<assignment>/<notebook>``.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import registry
from autograder.authoring import lessons
from autograder.classroom.nbgrader_hooks import ANSWER_PREFIX, exercise_of


def released_notebook(course: Path, assignment: str) -> NotebookNode:
    path = course / "release" / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `nbgrader generate_assignment {assignment}` in {course} first."
        )
    return nbformat.read(path, as_version=4)


def with_answers(notebook: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of ``notebook`` whose answer cells for ``answers``' exercises hold that code."""
    answered = copy.deepcopy(notebook)
    loaded = registry.load()
    for cell in answered.cells:
        exercise_id = exercise_of(cell, ANSWER_PREFIX)
        if exercise_id in answers:
            cell.source = lessons.exercise_cell_source(
                loaded.exercise(exercise_id), answers[exercise_id]
            )
    return answered


def submit(course: Path, student: str, assignment: str, notebook: NotebookNode | bytes) -> Path:
    """Write a submission as nbgrader's collect step would; bytes are written as they are."""
    directory = course / "submitted" / student / assignment
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{assignment}.ipynb"
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    else:
        nbformat.write(notebook, path)
    (directory / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC\n", encoding="utf-8")
    return path


def synthetic_class(
    course: Path, students: int, *, seed: int = 7, lessons: Iterable[str] | None = None
) -> dict[tuple[str, str], int]:
    """``students`` students, each submitting every lesson (or those of ``lessons``) with a
    random mix of solved answers.

    Every answer carries a comment naming its student, as real answers differ, so no two
    submissions share a graded answer. Returns the expected score of each (student, lesson).
    """
    chooser = random.Random(seed)
    loaded = registry.load()
    expected: dict[tuple[str, str], int] = {}
    for number in range(1, students + 1):
        student = f"student-{number:03d}"
        for lesson in loaded.lessons:
            if lessons is not None and lesson.id not in lessons:
                continue
            answers = {}
            score = 0
            for exercise in loaded.exercises_of(lesson.id):
                solved = chooser.random() < 0.5
                code = exercise.reference_source() if solved else exercise.starter_source()
                answers[exercise.id] = f"# {student}'s answer\n{code}"
                score += exercise.points if solved else 0
            notebook = with_answers(released_notebook(course, lesson.id), answers)
            submit(course, student, lesson.id, notebook)
            expected[(student, lesson.id)] = score
    return expected
