"""``python -m autograder grade DIR``: grade every submission of a course, in parallel.

nbgrader autogrades one notebook after another. Here the slow part, grading each submission's
answers (in a sandbox of its own, each answer's checks in a fresh trusted process; see
``autograder.classroom.checker``), runs on several workers at once (local threads, or a
dask.distributed cluster), and nbgrader's own ``autograde`` then runs for each submission with
those results at hand. The gradebook, the autograded notebooks and the feedback are therefore
exactly what ``nbgrader autograde`` writes; only the waiting is shorter.

Each submission is copied aside before its answers are graded; if anything changed it while
it was graded (possible only with --unconfined), it is put back from that copy before nbgrader
reads it. Only regular files are read or copied, never through a link: a link, pipe, device or
socket in a submission is set aside as ``NAME.refused`` first, and a notebook that was one
scores 0 with the reason (``autograder.classroom.submissions``). Each notebook's grading
metadata is held to the gradebook's record of the source before its answers are picked
(``autograder.classroom.trusted_cells``), the same way nbgrader's autograde holds it.

Work survives a crash or a kill: every graded answer is kept in ``DIR/.autograder/results``
(keyed by exercise, answer and workbook version) and every finished submission gets a marker
in ``DIR/.autograder/done``. A re-run grades only what is missing, and nbgrader replaces a
half-written submission's grades instead of adding to them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import as_completed as local_as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from autograder import registry
from autograder.classroom import cgroups
from autograder.classroom.checker import Limits, grade_answers
from autograder.classroom.nbgrader_hooks import ResultStore, answers_in, workbook_fingerprint
from autograder.classroom.sandbox import SandboxUnavailable, bubblewrap_path
from autograder.classroom.submissions import (
    REFUSED_SUFFIX,
    NotAPlainFile,
    copy_plain_tree,
    plain_files,
    read_plain,
    set_aside,
)
from autograder.classroom.trusted_cells import SourceNotebook, apply
from autograder.engine import starvation
from autograder.engine.results import ExerciseResult

STATE_DIR = ".autograder"
UNREADABLE_SUFFIX = ".unreadable"


class CourseError(Exception):
    """The course directory cannot be graded as it stands; the message says why."""


@dataclass(frozen=True)
class Submission:
    assignment: str
    student: str
    directory: Path

    @property
    def label(self) -> str:
        return f"{self.assignment}/{self.student}"


@dataclass
class Outcome:
    submission: Submission
    score: float = 0.0
    max_score: float = 0.0
    error: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class GradeReport:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0  # finished in an earlier run
    answers_graded: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.error]


class Course:
    """An nbgrader course made by ``course init``, opened the way nbgrader opens it."""

    def __init__(self, root: Path, limits: Limits, *, confined: bool = True) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        self.root = root.resolve()
        config_file = self.root / "nbgrader_config.py"
        if not config_file.is_file():
            raise CourseError(
                f"{root} is not a course: it has no nbgrader_config.py. Create one with "
                f"`python -m autograder course init {root}`."
            )
        try:
            config = PyFileConfigLoader(config_file.name, path=str(self.root)).load_config()
        except Exception as error:  # nbgrader itself would only log this and carry on
            raise CourseError(f"{config_file} could not be read: {error}") from error
        config.CourseDirectory.root = str(self.root)
        config.GradeFromSource.timeout = limits.seconds
        config.GradeFromSource.memory_mb = limits.memory_mb
        config.GradeFromSource.results_dir = str(self.results_dir)
        config.GradeFromSource.unconfined = not confined
        self.config = config
        self.api = NbGraderAPI(CourseDirectory(config=config), config=config)
        self.notes: list[str] = []  # about the course's submitted/ folder, for the run's output
        self._sources: dict[tuple[str, str], SourceNotebook | None] = {}

    def source_notebook(self, assignment: str, name: str) -> SourceNotebook | None:
        """What the gradebook stores of a source notebook: the truth a submission is held to."""
        key = (assignment, Path(name).stem)
        if key not in self._sources:
            self._sources[key] = SourceNotebook.from_gradebook(
                self.api.coursedir.db_url, assignment, key[1]
            )
        return self._sources[key]

    @property
    def results_dir(self) -> Path:
        return self.root / STATE_DIR / "results"

    @property
    def done_dir(self) -> Path:
        return self.root / STATE_DIR / "done"

    @property
    def snapshots_dir(self) -> Path:
        return self.root / STATE_DIR / "snapshots"

    def set_aside(self, submission: Submission) -> list[str]:
        """Links, pipes, devices and sockets in the submission renamed, unread; notes on each."""
        return set_aside(submission.directory, self.notebook_names(submission.assignment))

    def snapshot(self, submission: Submission) -> tuple[Path, list[str]]:
        """A copy of the submission's regular files as they were before grading, to grade from."""
        copy = self.snapshots_dir / submission.assignment / submission.student
        if copy.exists():
            shutil.rmtree(copy)
        left_out = copy_plain_tree(
            submission.directory, copy, lambda name, _: name.endswith(REFUSED_SUFFIX)
        )
        return copy, [f"{path.name} {reason}: not read" for path, reason in left_out]

    def restore(self, submission: Submission, copy: Path) -> bool:
        """Put the snapshot back if the submission changed while it was graded."""
        if _tree_digest(copy) == _tree_digest(submission.directory):
            return False
        shutil.rmtree(submission.directory)
        copy_plain_tree(copy, submission.directory)
        return True

    def assignments(self) -> list[str]:
        source = self.root / "source"
        return sorted(path.name for path in source.iterdir() if path.is_dir())

    def notebook_names(self, assignment: str) -> list[str]:
        return sorted(path.name for path in (self.root / "source" / assignment).glob("*.ipynb"))

    def submissions(self, assignments: Iterable[str]) -> list[Submission]:
        """Every submission, as nbgrader finds them; a student folder that is a link is not one.

        nbgrader's ``collect`` never makes such a link (the workbook's copies regular files
        only); one made by hand is set aside as ``.NAME.refused``, unread, and noted.
        """
        found = []
        submitted = self.root / "submitted"
        students = sorted(submitted.iterdir()) if submitted.is_dir() else []
        for student_dir in students:
            if student_dir.is_symlink():
                kept = student_dir.with_name(f".{student_dir.name}{REFUSED_SUFFIX}")
                if not kept.exists() and not kept.is_symlink():
                    student_dir.rename(kept)
                self.notes.append(
                    f"submitted/{student_dir.name} is a symbolic link, not a folder: set aside "
                    f"as {kept.name} and not read; none of its submissions was graded"
                )
        for assignment in assignments:
            for student_dir in students:
                directory = student_dir / assignment
                if (
                    student_dir.is_dir()
                    and not student_dir.is_symlink()
                    and (directory.is_symlink() or directory.is_dir())
                ):
                    found.append(Submission(assignment, student_dir.name, directory))
        return found

    # --- what a finished submission leaves behind ------------------------------------------

    def _marker(self, submission: Submission) -> Path:
        return self.done_dir / submission.assignment / f"{submission.student}.json"

    def submission_digest(self, submission: Submission) -> str:
        digest = hashlib.sha256(workbook_fingerprint().encode())
        digest.update(_tree_digest(submission.directory).encode())
        return digest.hexdigest()

    def is_done(self, submission: Submission) -> bool:
        marker = self._marker(submission)
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return recorded.get("digest") == self.submission_digest(submission)

    def mark_done(self, submission: Submission, outcome: Outcome) -> None:
        marker = self._marker(submission)
        marker.parent.mkdir(parents=True, exist_ok=True)
        partial = marker.with_suffix(".partial")
        partial.write_text(
            json.dumps(
                {
                    "digest": self.submission_digest(submission),
                    "score": outcome.score,
                    "max_score": outcome.max_score,
                }
            ),
            encoding="utf-8",
        )
        partial.replace(marker)

    def autograde(self, submission: Submission) -> Outcome:
        """nbgrader's own autograde of one submission, then its score from the gradebook."""
        from nbgrader.api import Gradebook

        outcome = Outcome(submission)
        answer = self.api.autograde(submission.assignment, submission.student, force=True)
        if not answer["success"]:
            outcome.error = (answer.get("error") or answer.get("log") or "nbgrader failed")[-2000:]
            return outcome
        with Gradebook(self.api.coursedir.db_url, self.api.coursedir.course_id) as gradebook:
            graded = gradebook.find_submission(submission.assignment, submission.student)
            outcome.score, outcome.max_score = graded.score, graded.max_score
        return outcome


# --- one submission's answers, graded on a worker -----------------------------------------------


def grade_submission_answers(
    answers: list[tuple[str, str]], seconds: float, memory_mb: int, confined: bool
) -> list[dict[str, Any]]:
    """The task every worker runs; plain arguments and JSON results travel to any cluster."""
    limits = Limits(seconds=seconds, memory_mb=memory_mb)
    return [result.to_json() for result in grade_answers(answers, limits, confined=confined)]


class LocalWorkers:
    """``--workers N``: N submissions graded at once, each in its own sandbox."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade")

    def submit(self, *args: Any) -> Future[list[dict[str, Any]]]:
        return self.pool.submit(grade_submission_answers, *args)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        return local_as_completed(list(futures))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class ClusterWorkers:
    """``--scheduler ADDRESS``: the same tasks, sent to a dask.distributed cluster."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self.client = Client(address, timeout=30)
        except OSError as error:
            raise CourseError(
                f"No dask scheduler answered at {address} ({error}). Start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, each able to import "
                "the workbook (and with bubblewrap installed), or grade on this machine with "
                "--workers."
            ) from error

    def submit(self, *args: Any) -> Any:
        # pure=False: a timed-out answer is graded again when a re-run asks again.
        return self.client.submit(grade_submission_answers, *args, pure=False)

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        return iter(as_completed(list(futures)))

    def close(self) -> None:
        self.client.close()


# --- the whole run ------------------------------------------------------------------------------


def grade_course(
    root: Path,
    assignments: list[str] | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    limits: Limits | None = None,
    force: bool = False,
    confined: bool = True,
    report: Callable[[str], None] = print,
) -> GradeReport:
    started = time.perf_counter()
    limits = limits or Limits()
    if confined:
        try:
            bubblewrap_path()
        except SandboxUnavailable as error:
            raise CourseError(str(error)) from error
    else:
        report("WARNING: grading with --unconfined: answers run without a sandbox, and every "
               "feedback says so. Use it only for submissions you trust.")  # fmt: skip
    # nbgrader's gradebook code makes SQLAlchemy warn about autoflush on every submission;
    # the warnings are about nbgrader's session handling and would bury the progress lines.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    course = Course(root, limits, confined=confined)
    known = course.assignments()
    chosen = assignments or known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise CourseError(
            f"No assignment named {', '.join(unknown)} in {root}/source; the course has "
            f"{', '.join(known)}."
        )
    store = ResultStore.at(course.results_dir, confined=confined)
    grade_report = GradeReport()
    pending: list[Submission] = []
    for submission in course.submissions(chosen):
        if not force and course.is_done(submission):
            grade_report.skipped += 1
        else:
            pending.append(submission)
    if grade_report.skipped:
        report(
            f"{grade_report.skipped} submissions were graded in an earlier run; kept as they are"
        )
    report(f"grading {len(pending)} submissions with {_describe(workers, scheduler)}")
    if confined:
        report(cgroups.availability_line())  # what bounds each sandbox's share, or why nothing

    for note in course.notes:
        report(f"note: {note}")
    notes: dict[Submission, list[str]] = {}
    snapshots: dict[Submission, Path] = {}
    jobs: dict[Submission, list[tuple[str, str]]] = {}
    for submission in pending:
        set_aside_notes = course.set_aside(submission)
        snapshots[submission], left_out = course.snapshot(submission)
        answers, answer_notes = _answers_of(course, submission, snapshots[submission])
        notes[submission] = [*set_aside_notes, *left_out, *answer_notes]
        jobs[submission] = [(e, a) for e, a in answers if store.get(e, a) is None]

    workers_pool = ClusterWorkers(scheduler) if scheduler else LocalWorkers(workers)
    finished = 0

    def finish(submission: Submission) -> None:
        nonlocal finished
        if course.restore(submission, snapshots[submission]):
            notes[submission].append(
                "it changed while it was graded; the copy made before was used"
            )
        outcome = course.autograde(submission)
        outcome.notes = notes[submission]
        if not outcome.error:
            course.mark_done(submission, outcome)
        finished += 1
        grade_report.outcomes.append(outcome)
        status = (
            f"error: {outcome.error.strip().splitlines()[-1]}"
            if outcome.error
            else f"{outcome.score:g}/{outcome.max_score:g} points"
        )
        extra = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
        report(f"[{finished}/{len(pending)}] {submission.label}: {status}{extra}")

    try:
        # Workers start first, so that already-graded submissions are recorded meanwhile.
        futures = {
            workers_pool.submit(answers, limits.seconds, limits.memory_mb, confined): submission
            for submission, answers in jobs.items()
            if answers
        }
        for submission in pending:
            if not jobs[submission]:
                finish(submission)
        for future in workers_pool.as_completed(futures):
            submission = futures[future]
            results = future.result()
            for (exercise_id, answer), result in zip(jobs[submission], results, strict=True):
                graded = ExerciseResult.from_json(result)
                if not starvation.inconclusive_rows(graded.checks):  # else graded again, later
                    store.put(exercise_id, answer, graded)
                grade_report.answers_graded += 1
            finish(submission)
    finally:
        workers_pool.close()
    grade_report.seconds = time.perf_counter() - started
    report(
        f"graded {len(grade_report.outcomes)} submissions ({grade_report.answers_graded} answers) "
        f"in {grade_report.seconds:.1f} s; {len(grade_report.failed)} could not be graded"
    )
    return grade_report


def _describe(workers: int, scheduler: str | None) -> str:
    return f"the dask cluster at {scheduler}" if scheduler else f"{workers} local workers"


def _answers_of(
    course: Course, submission: Submission, snapshot: Path
) -> tuple[list[tuple[str, str]], list[str]]:
    """The answers to grade in one submission, and notes for the instructor.

    A notebook that is not valid notebook JSON is kept under a new name and replaced by one
    that says so; when nbgrader autogrades it, the workbook's cells are put back without
    answers, so each exercise scores 0 with the reason in the feedback. Each readable notebook
    is held to the gradebook's record of its source first, as nbgrader's autograde holds it
    (``HoldToSource``), so both pick the same answers.
    """
    answers: list[tuple[str, str]] = []
    notes: list[str] = []
    known = {exercise.id for exercise in registry.load().exercises}
    for name in course.notebook_names(submission.assignment):
        path = snapshot / name
        if not path.is_file() or path.is_symlink():
            notes.append(f"{name} was not submitted")
            continue
        try:
            notebook = nbformat.reads(read_plain(path, snapshot).decode("utf-8"), as_version=4)
            nbformat.validate(notebook)
        except NotAPlainFile as refused:  # the snapshot holds regular files only: a race
            notes.append(f"{name} {refused.reason}: not read")
            continue
        except Exception as error:  # any unreadable file is the student's, not the run's, problem
            notes.append(f"{name} is not a readable notebook, kept as {name}{UNREADABLE_SUFFIX}")
            _set_aside_unreadable(path, error)
            _set_aside_unreadable(submission.directory / name, error)
            continue
        source = course.source_notebook(submission.assignment, name)
        if source is not None:
            notes.extend(f"{name}: {_plain(note)}" for note in apply(notebook, source))
        answers.extend(
            (exercise_id, answer)
            for exercise_id, answer in answers_in(notebook).items()
            if exercise_id in known
        )
    return answers, notes


def _set_aside_unreadable(path: Path, error: Exception) -> None:
    kept = path.with_name(path.name + UNREADABLE_SUFFIX)
    if not kept.exists():
        path.replace(kept)
    reason = " ".join(str(error).split())[:400]
    explanation = nbformat.v4.new_markdown_cell(
        f"**This notebook could not be graded.** The file you submitted, `{path.name}`, is not "
        f"a readable Jupyter notebook ({reason}). Every exercise in it scored 0. Your file is "
        f"kept unchanged as `{kept.name}`: ask your instructor to look at it, and next time "
        "check that the notebook opens in JupyterLab before you submit it."
    )
    nbformat.write(nbformat.v4.new_notebook(cells=[explanation]), path)


def _plain(note: str) -> str:
    """A feedback note as one line of the run's output."""
    return " ".join(note.replace("`", "").split())


def _tree_digest(directory: Path) -> str:
    """A digest of the regular files under ``directory``; links are never followed."""
    digest = hashlib.sha256()
    if directory.is_symlink() or not directory.is_dir():
        digest.update(b"not a folder")
        return digest.hexdigest()
    for path in plain_files(directory):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        try:
            digest.update(read_plain(path, directory))
        except NotAPlainFile:  # swapped for a link since it was listed
            digest.update(b"\0refused")
    return digest.hexdigest()
