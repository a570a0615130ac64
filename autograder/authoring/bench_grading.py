"""``make bench``'s grading line: how long a class takes to grade, tool by tool.

One course is built (``course init``, ``nbgrader generate_assignment`` for every lesson, and
``classroom.synthetic_class``: each student submits every lesson with a random mix of solved
and unsolved answers). Before anything is graded, the whole course directory is copied once
per measured tool, so every tool starts from the same state and none finds another's results
(``grade`` keeps graded answers in ``DIR/.autograder``). On its own copy, each tool then runs:

- nbgrader: ``nbgrader autograde <lesson>`` for every lesson, one after another;
- ``python -m autograder grade COPY --workers 1``, then ``--workers 2`` on another copy;
- the floor: every submitted notebook executed by nbclient, one after another, in this one
  process: what running the notebooks costs with no grading machinery around it.

The three gradebooks must hold the same score for every grade cell of every submission, and
every total must be the score ``synthetic_class`` expects; the floor's check cells must fail
exactly for the unsolved answers. Anything else fails the bench: a fast but wrong grader is no
result. Times are wall-clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config

from autograder import registry as registry_module
from autograder.classroom import synthetic as classroom
from autograder.classroom.course import init_course
from autograder.classroom.nbgrader_hooks import CHECK_PREFIX, exercise_of

STUDENTS = 20
CELL_TIMEOUT = 300
TOOLS = ("nbgrader", "grade-1", "grade-2", "floor")
IDLE_SAMPLE = 3.0  # seconds of watching the machine before each tool

# (student, assignment, grade cell) -> score
Grades = dict[tuple[str, str, str], float]


class GradingBenchFailed(Exception):
    """A tool failed or the tools disagree; the message says how."""


def grading_line(students: int = STUDENTS) -> str:
    """Grade a synthetic class with each tool; print the details, return the summary line."""
    lessons = [lesson.id for lesson in registry_module.load().lessons]
    with tempfile.TemporaryDirectory(prefix="workbook-bench-grading-") as scratch:
        root = Path(scratch)
        base = root / "course"
        print(f"grading bench: building a course of {students} students in {base}", flush=True)
        expected = _build_course(base, lessons, students, root / "generate.log")
        notebooks = sorted((base / "submitted").glob("*/*/*.ipynb"))
        count = len(notebooks)
        answers = sum(len(_check_cells(nbformat.read(path, as_version=4))) for path in notebooks)
        copies = {tool: root / tool for tool in TOOLS}
        for copy in copies.values():
            shutil.copytree(base, copy, symlinks=True)

        runs: dict[str, Run] = {}
        runs["nbgrader"] = _timed(
            "nbgrader autograde", lambda: _nbgrader_autograde(copies["nbgrader"], lessons, root)
        )
        for workers in (1, 2):
            tool = f"grade-{workers}"
            runs[tool] = _timed(
                f"grade --workers {workers}",
                lambda tool=tool, workers=workers: _grade(copies[tool], workers, root),
            )
        floor_scores: dict[tuple[str, str], int] = {}
        floor_failures: dict[tuple[str, str], list[str]] = {}
        runs["floor"] = _timed(
            "floor (nbclient)",
            lambda: floor_scores.update(
                _execute_notebooks(copies["floor"], root / "kernels", floor_failures)
            ),
        )

        gradebooks = {tool: _grades(copies[tool]) for tool in ("nbgrader", "grade-1", "grade-2")}
        seconds = {tool: run.seconds for tool, run in runs.items()}
        problems = _disagreements(gradebooks, expected, floor_scores, floor_failures)
        if problems:
            raise GradingBenchFailed(
                f"{len(problems)} disagreements:\n" + "\n".join(f"  {line}" for line in problems)
            )

    print(f"{count} notebooks ({answers} answers) by {students} students; per notebook:")
    labels = {
        "nbgrader": "nbgrader autograde",
        "grade-1": "grade --workers 1",
        "grade-2": "grade --workers 2",
        "floor": "floor (nbclient, 1 process)",
    }
    for tool, label in labels.items():
        print(
            f"  {label:<28} {seconds[tool]:7.1f} s  {seconds[tool] / count:.2f} s/notebook"
            f"{runs[tool].machine()}"
        )
    print(
        f"grades identical in all three gradebooks ({len(gradebooks['nbgrader'])} grade cells); "
        "totals match the expected scores"
    )
    print(
        f"nbgrader/grade-2 (X/B) {seconds['nbgrader'] / seconds['grade-2']:.2f}, "
        f"grade-1/floor (A/F) {seconds['grade-1'] / seconds['floor']:.2f}, "
        f"grade-1/grade-2 {seconds['grade-1'] / seconds['grade-2']:.2f}"
    )
    return (
        f"grading: {count} notebooks; nbgrader autograde {seconds['nbgrader']:.1f} s; "
        f"grade --workers 1 {seconds['grade-1']:.1f} s; "
        f"grade --workers 2 {seconds['grade-2']:.1f} s; floor {seconds['floor']:.1f} s"
    )


# --- the course ---------------------------------------------------------------------------------


def _tool_env() -> dict[str, str]:
    """This environment, with the virtualenv's scripts first: nbgrader runs ``alembic``."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run(command: list[str], cwd: Path, log: Path) -> None:
    with log.open("a", encoding="utf-8") as output:
        output.write(f"$ {' '.join(command)}\n")
        output.flush()
        finished = subprocess.run(
            command, cwd=cwd, env=_tool_env(), stdout=output, stderr=subprocess.STDOUT, check=False
        )
    if finished.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-30:])
        raise GradingBenchFailed(
            f"`{' '.join(command)}` exited with status {finished.returncode}:\n{tail}"
        )


def _nbgrader() -> str:
    found = shutil.which("nbgrader", path=_tool_env()["PATH"])
    if found is None:
        raise GradingBenchFailed(f"no nbgrader script next to {sys.executable} or on PATH")
    return found


def _build_course(
    course: Path, lessons: list[str], students: int, log: Path
) -> dict[tuple[str, str], int]:
    init_course(course)
    for lesson in lessons:
        _run([_nbgrader(), "generate_assignment", lesson, "--force"], course, log)
    return classroom.synthetic_class(course, students)


# --- the measured tools -------------------------------------------------------------------------


def _timed(label: str, work: Callable[[], object]) -> Run:
    """Run ``work``; its wall time, and how busy the machine was before and while it ran."""
    print(f"  running {label} ...", flush=True)
    before = _cpu_times()
    time.sleep(IDLE_SAMPLE)  # nothing of ours runs now: what is busy is someone else's
    started_cpu = _cpu_times()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return Run(seconds, _busy_cores(before, started_cpu), _busy_cores(started_cpu, _cpu_times()))


@dataclass(frozen=True)
class Run:
    seconds: float
    busy_before: float | None  # CPU cores busy while the bench itself was idle
    busy_during: float | None  # CPU cores busy while the tool ran, its own included

    def machine(self) -> str:
        if self.busy_before is None or self.busy_during is None:
            return ""
        return (
            f"  (cores busy: {self.busy_before:.1f} of {os.cpu_count()} before it, "
            f"{self.busy_during:.1f} while it ran)"
        )


def _cpu_times() -> tuple[float, float] | None:
    """The machine's total and idle CPU time so far (Linux's /proc/stat), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [float(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def _busy_cores(start: tuple[float, float] | None, end: tuple[float, float] | None) -> float | None:
    if start is None or end is None or end[0] <= start[0]:
        return None
    total, idle = end[0] - start[0], end[1] - start[1]
    return (total - idle) / total * (os.cpu_count() or 1)


def _nbgrader_autograde(course: Path, lessons: list[str], logs: Path) -> None:
    for lesson in lessons:
        _run([_nbgrader(), "autograde", lesson], course, logs / "nbgrader.log")


def _grade(course: Path, workers: int, logs: Path) -> None:
    command = [sys.executable, "-m", "autograder", "grade", str(course), "--workers", str(workers)]
    _run(command, course.parent, logs / f"grade-{workers}.log")


def _execute_notebooks(
    course: Path, sockets: Path, failures: dict[tuple[str, str], list[str]]
) -> dict[tuple[str, str], int]:
    """Run every submitted notebook in a fresh kernel; return the points of passing checks.

    ``failures`` gets, per notebook, what each failing check cell printed last (its one-line
    verdict): a disagreement then says which exercise failed and why."""
    from nbclient import NotebookClient

    sockets.mkdir(parents=True, exist_ok=True)
    scores = {}
    paths = sorted((course / "submitted").glob("*/*/*.ipynb"))
    for index, path in enumerate(paths):
        notebook = nbformat.read(path, as_version=4)
        # ipc: local socket files, so the kernel opens no TCP port (and does not warn about
        # one). Their path must be absolute: the kernel starts in the notebook's directory.
        kernels = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets / f"k{index}")}})
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            allow_errors=True,  # the check cells of unsolved answers raise
            timeout=CELL_TIMEOUT,
            config=kernels,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
        student, assignment = path.parent.parent.name, path.parent.name
        scores[(student, assignment)] = sum(
            cell.metadata["nbgrader"].get("points", 0)
            for cell in _check_cells(notebook)
            if not any(output.output_type == "error" for output in cell.get("outputs", []))
        )
        failures[(student, assignment)] = [
            f"{output.get('ename')}: {output.get('evalue', '')[:300]}"
            for cell in _check_cells(notebook)
            for output in cell.get("outputs", [])
            if output.output_type == "error"
        ]
    return scores


def _check_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and exercise_of(cell, CHECK_PREFIX) is not None
    ]


# --- the verdict --------------------------------------------------------------------------------


def _grades(course: Path) -> Grades:
    from nbgrader.api import Gradebook

    grades: Grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        key = (submission.student.id, assignment.name, grade.name)
                        grades[key] = grade.score
    return grades


def _disagreements(
    gradebooks: dict[str, Grades],
    expected: dict[tuple[str, str], int],
    floor_scores: dict[tuple[str, str], int],
    floor_failures: dict[tuple[str, str], list[str]] | None = None,
) -> list[str]:
    problems = []
    reference_tool, reference = next(iter(gradebooks.items()))
    for tool, grades in gradebooks.items():
        for key in sorted(set(reference) | set(grades)):
            if reference.get(key) != grades.get(key):
                problems.append(
                    f"{'/'.join(key)}: {reference_tool} {reference.get(key)}, "
                    f"{tool} {grades.get(key)}"
                )
        totals: dict[tuple[str, str], float] = {}
        for (student, assignment, _), score in grades.items():
            totals[(student, assignment)] = totals.get((student, assignment), 0) + score
        for key in sorted(set(expected) | set(totals)):
            if totals.get(key) != expected.get(key):
                problems.append(
                    f"{'/'.join(key)}: {tool} total {totals.get(key)}, expected {expected.get(key)}"
                )
    for key in sorted(set(expected) | set(floor_scores)):
        if floor_scores.get(key) != expected.get(key):
            failed = (floor_failures or {}).get(key, [])
            problems.append(
                f"{'/'.join(key)}: the floor's passing checks are worth {floor_scores.get(key)}, "
                f"expected {expected.get(key)}; its failing check cells said:"
                + "".join(f"\n    {line}" for line in failed)
            )
    return problems
