"""Where the learner stands: every check run and every hint shown, kept across kernel restarts.

The store is one SQLite file, by default ``<jupyter data dir>/fastapi-workbook/progress.sqlite3``
(``WORKBOOK_PROGRESS`` names another file). SQLite because each write is atomic and two
kernels, say two lessons open side by side, may write at the same moment without corrupting
anything; and because it ships with Python.

What "done" means: an exercise is *done* once one of its checks has passed, and it stays done.
Learners keep experimenting with solved exercises, and breaking one later does not undo what
they learnt. The latest run is not hidden, though: an exercise that passed earlier but fails
now is shown as "passed earlier, failing now", so a regression is visible without taking the
exercise off the done list.

The summary (:func:`summarize`) is built from the registry, so a lesson added to the registry
shows up here with no change to this module.
"""

from __future__ import annotations

import difflib
import html
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from autograder import registry as registry_module
from autograder.engine.results import FAIL_COLOUR, PASS_COLOUR, ExerciseResult
from autograder.registry import Exercise, Lesson, Registry

PROGRESS_ENV = "WORKBOOK_PROGRESS"
PROGRESS_MIME = "application/vnd.fastapi-workbook.progress+json"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS check_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise TEXT NOT NULL,
    passed INTEGER NOT NULL,
    checks_passed INTEGER NOT NULL,
    checks_total INTEGER NOT NULL,
    checked_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS check_runs_by_exercise ON check_runs (exercise, id);
CREATE TABLE IF NOT EXISTS hint_tiers (
    exercise TEXT PRIMARY KEY,
    shown INTEGER NOT NULL,
    shown_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS saved_cells (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exercise TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
"""
REGRESSED_COLOUR = "#9a6700"
NOT_STARTED_COLOUR = "#6e7781"


def store_path() -> Path:
    """The progress file: ``WORKBOOK_PROGRESS`` if set, else one in Jupyter's data directory."""
    configured = os.environ.get(PROGRESS_ENV)
    if configured:
        return Path(configured).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "fastapi-workbook" / "progress.sqlite3"


class ProgressUnavailable(Exception):
    """The progress file cannot be read or written; the message says where, why and what to do."""


class UnknownExercise(LookupError):
    """An exercise id the registry does not hold; the message says how to find the right one."""


class UnknownLesson(LookupError):
    """A lesson id the registry does not hold."""


def known_exercise(exercise_id: str, registry: Registry | None = None) -> Exercise:
    """The registry's exercise, or :class:`UnknownExercise` with a near match and what to run."""
    registry = registry or registry_module.load()
    try:
        return registry.exercise(exercise_id)
    except KeyError:
        ids = [exercise.id for exercise in registry.exercises]
        close = difflib.get_close_matches(exercise_id, ids, n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownExercise(
            f"No exercise is called {exercise_id!r}.{guess} "
            "`python -m autograder list` shows every exercise id, lesson by lesson."
        ) from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class CheckRun:
    """One run of an exercise's checks, as the store remembers it."""

    exercise: str
    passed: bool
    checks_passed: int
    checks_total: int
    checked_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ExerciseRecord:
    """Everything the store knows of one exercise."""

    attempts: int = 0
    ever_passed: bool = False
    latest: CheckRun | None = None
    hints_shown: int = 0


@dataclass(frozen=True)
class SavedCell:
    """A cell's content kept before reset or reveal replaced it."""

    number: int
    exercise: str
    source: str
    reason: str
    saved_at: str


class ProgressStore:
    """The learner's progress file. Each method opens, works and closes: kernels come and go."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else store_path()

    def _unavailable(self, error: BaseException) -> ProgressUnavailable:
        reason = getattr(error, "strerror", None) or str(error)
        return ProgressUnavailable(
            f"the progress file {self.path} cannot be used ({reason}). Set {PROGRESS_ENV} to "
            "the path of a file in a folder you can write to, for example "
            f"{PROGRESS_ENV}=/tmp/workbook-progress.sqlite3, and restart the kernel."
        )

    @contextmanager
    def _connection(self, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A connection with the schema in place; ``None`` when reading a file not made yet."""
        if not create and not self.path.exists():
            yield None
            return
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit; writes that read first take the write lock up front (BEGIN IMMEDIATE)
            connection = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise self._unavailable(error) from error
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version < SCHEMA_VERSION:
                connection.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                connection.execute("COMMIT")
            yield connection
        except sqlite3.Error as error:
            raise self._unavailable(error) from error
        finally:
            connection.close()

    # --- check runs -------------------------------------------------------------------------

    def record_check(
        self, exercise_id: str, *, passed: bool, checks_passed: int, checks_total: int
    ) -> None:
        with self._connection(create=True) as connection:
            assert connection is not None
            connection.execute(
                "INSERT INTO check_runs (exercise, passed, checks_passed, checks_total, "
                "checked_at) VALUES (?, ?, ?, ?, ?)",
                (exercise_id, int(passed), checks_passed, checks_total, _now()),
            )

    def records(self) -> dict[str, ExerciseRecord]:
        """What the store knows, per exercise id (exercises never touched are absent)."""
        with self._connection(create=False) as connection:
            if connection is None:
                return {}
            counts = connection.execute(
                "SELECT exercise, COUNT(*), MAX(passed) FROM check_runs GROUP BY exercise"
            ).fetchall()
            latest_rows = connection.execute(
                "SELECT exercise, passed, checks_passed, checks_total, checked_at FROM check_runs "
                "WHERE id IN (SELECT MAX(id) FROM check_runs GROUP BY exercise)"
            ).fetchall()
            hint_rows = connection.execute("SELECT exercise, shown FROM hint_tiers").fetchall()
        latest = {
            row[0]: CheckRun(row[0], bool(row[1]), row[2], row[3], row[4]) for row in latest_rows
        }
        hints = dict(hint_rows)
        records = {
            exercise: ExerciseRecord(
                attempts=attempts,
                ever_passed=bool(ever),
                latest=latest.get(exercise),
                hints_shown=hints.get(exercise, 0),
            )
            for exercise, attempts, ever in counts
        }
        for exercise, shown in hints.items():
            records.setdefault(exercise, ExerciseRecord(hints_shown=shown))
        return records

    def has_passed(self, exercise_id: str) -> bool:
        """Whether any check run of this exercise has passed."""
        with self._connection(create=False) as connection:
            if connection is None:
                return False
            row = connection.execute(
                "SELECT 1 FROM check_runs WHERE exercise = ? AND passed LIMIT 1", (exercise_id,)
            ).fetchone()
        return row is not None

    # --- hint tiers -------------------------------------------------------------------------

    def hints_shown(self, exercise_id: str) -> int:
        """The most specific hint tier shown so far (0: none yet)."""
        with self._connection(create=False) as connection:
            if connection is None:
                return 0
            row = connection.execute(
                "SELECT shown FROM hint_tiers WHERE exercise = ?", (exercise_id,)
            ).fetchone()
        return row[0] if row else 0

    def record_hint_shown(self, exercise_id: str, tier: int) -> None:
        """Remember that ``tier`` was shown; a lower tier never lowers what was seen."""
        with self._connection(create=True) as connection:
            assert connection is not None
            connection.execute(
                "INSERT INTO hint_tiers (exercise, shown, shown_at) VALUES (?, ?, ?) "
                "ON CONFLICT (exercise) DO UPDATE SET shown = MAX(shown, excluded.shown), "
                "shown_at = excluded.shown_at",
                (exercise_id, tier, _now()),
            )

    # --- cells replaced by reset and reveal ---------------------------------------------------

    def save_cell(self, exercise_id: str, source: str, reason: str) -> int:
        """Keep a cell's content before it is replaced; returns its number for ``backups``."""
        with self._connection(create=True) as connection:
            assert connection is not None
            cursor = connection.execute(
                "INSERT INTO saved_cells (exercise, source, reason, saved_at) VALUES (?, ?, ?, ?)",
                (exercise_id, source, reason, _now()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def saved_cells(self, exercise_id: str) -> list[SavedCell]:
        """Every kept cell of this exercise, oldest first."""
        with self._connection(create=False) as connection:
            if connection is None:
                return []
            rows = connection.execute(
                "SELECT id, exercise, source, reason, saved_at FROM saved_cells "
                "WHERE exercise = ? ORDER BY id",
                (exercise_id,),
            ).fetchall()
        return [SavedCell(*row) for row in rows]


# --- the summary -----------------------------------------------------------------------------

ExerciseState = Literal["passed", "passed-earlier", "failing", "not-started"]


@dataclass(frozen=True)
class ExerciseProgress:
    exercise: Exercise
    record: ExerciseRecord

    @property
    def state(self) -> ExerciseState:
        latest = self.record.latest
        if self.record.ever_passed:
            return "passed" if latest is not None and latest.passed else "passed-earlier"
        return "failing" if latest is not None else "not-started"

    @property
    def done(self) -> bool:
        """Done once it has ever passed (see the module's docstring for why)."""
        return self.record.ever_passed

    def describe(self) -> str:
        latest = self.record.latest
        counts = f"{latest.checks_passed}/{latest.checks_total} checks" if latest else ""
        return {
            "passed": "passed",
            "passed-earlier": f"passed earlier, failing now ({counts})",
            "failing": f"not passed yet ({counts})",
            "not-started": "not started",
        }[self.state]

    def to_json(self) -> dict[str, object]:
        latest = self.record.latest
        return {
            "id": self.exercise.id,
            "title": self.exercise.title,
            "points": self.exercise.points,
            "done": self.done,
            "state": self.state,
            "attempts": self.record.attempts,
            "last_checked": latest.checked_at if latest else None,
            "checks_passed": latest.checks_passed if latest else None,
            "checks_total": latest.checks_total if latest else None,
            "hints_shown": self.record.hints_shown,
            "hint_tiers": len(self.exercise.hints) + 1,
        }


@dataclass(frozen=True)
class Tally:
    """Done and pending exercise ids, in registry order, with points."""

    done: tuple[str, ...]
    pending: tuple[str, ...]
    points_done: int
    points_total: int

    @property
    def total(self) -> int:
        return len(self.done) + len(self.pending)

    @property
    def fraction(self) -> float:
        return len(self.done) / self.total if self.total else 0.0

    @property
    def points_fraction(self) -> float:
        """The share of the points earned: the percentage printed beside the points."""
        return self.points_done / self.points_total if self.points_total else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "done": list(self.done),
            "pending": list(self.pending),
            "done_count": len(self.done),
            "total": self.total,
            "points_done": self.points_done,
            "points_total": self.points_total,
        }


def _tally(exercises: tuple[ExerciseProgress, ...]) -> Tally:
    return Tally(
        done=tuple(e.exercise.id for e in exercises if e.done),
        pending=tuple(e.exercise.id for e in exercises if not e.done),
        points_done=sum(e.exercise.points for e in exercises if e.done),
        points_total=sum(e.exercise.points for e in exercises),
    )


@dataclass(frozen=True)
class LessonProgress:
    lesson: Lesson
    exercises: tuple[ExerciseProgress, ...]

    @property
    def tally(self) -> Tally:
        return _tally(self.exercises)

    @property
    def heading(self) -> str:
        return f"{self.lesson.id}: {self.lesson.title}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.lesson.id,
            "title": self.lesson.title,
            **self.tally.to_json(),
            "exercises": [exercise.to_json() for exercise in self.exercises],
        }


@dataclass(frozen=True)
class WorkbookProgress:
    """Every lesson of the registry, each exercise done or pending; JSON, text and HTML."""

    lessons: tuple[LessonProgress, ...]
    store: Path
    problem: str = ""  # why the store could not be read; the summary then shows nothing done

    @property
    def tally(self) -> Tally:
        return _tally(tuple(e for lesson in self.lessons for e in lesson.exercises))

    def next_pending(
        self, after: str | None = None, *, from_lesson: str | None = None
    ) -> Exercise | None:
        """The first exercise not done yet, in lesson order, round to the start.

        The search starts after the exercise ``after``, or at the first exercise of the lesson
        ``from_lesson``, or at the workbook's first exercise.
        """
        exercises = [item for lesson in self.lessons for item in lesson.exercises]
        ids = [item.exercise.id for item in exercises]
        start = 0
        if after is not None:
            start = ids.index(after) + 1 if after in ids else 0
        elif from_lesson is not None:
            lessons = [item.exercise.lesson for item in exercises]
            start = lessons.index(from_lesson) if from_lesson in lessons else 0
        for item in exercises[start:] + exercises[:start]:
            if not item.done and item.exercise.id != after:
                return item.exercise
        return None

    def lesson(self, lesson_id: str) -> LessonProgress:
        for lesson in self.lessons:
            if lesson.lesson.id == lesson_id:
                return lesson
        ids = ", ".join(lesson.lesson.id for lesson in self.lessons)
        raise UnknownLesson(f"No lesson is called {lesson_id!r}. The lessons are: {ids}")

    def to_json(self) -> dict[str, object]:
        return {
            "store": str(self.store),
            "problem": self.problem or None,
            "workbook": self.tally.to_json(),
            "lessons": [lesson.to_json() for lesson in self.lessons],
        }

    # --- text --------------------------------------------------------------------------------

    def render_text(self, lesson_id: str | None = None) -> str:
        """One lesson in detail and the workbook's bars, or (no lesson) every lesson in detail."""
        focused = [self.lesson(lesson_id)] if lesson_id else list(self.lessons)
        lines: list[str] = []
        for lesson in focused:
            if len(lesson.heading) > _TEXT_LABEL_WIDTH:  # whole, once, above its cut bar line
                lines.append(lesson.heading)
            lines.append(_text_bar_line(lesson.heading, lesson.tally))
            for item in lesson.exercises:
                mark = {"passed": "✔", "passed-earlier": "!", "failing": "✘"}.get(item.state, "·")
                lines.append(f"  {mark} {item.exercise.id:<28} {item.describe()}")
            lines.append("")
        if lesson_id:
            lines.append("Whole workbook")
            lines.extend(
                f"  {_text_bar_line(lesson.heading, lesson.tally)}" for lesson in self.lessons
            )
        lines.append(_text_bar_line("All lessons", self.tally))
        if self.problem:
            lines.append(f"Progress could not be read: {self.problem}")
        return "\n".join(lines)

    # --- HTML --------------------------------------------------------------------------------

    def render_html(self, lesson_id: str | None = None) -> str:
        # Inline styles, left-aligned: Jupyter's stylesheet right-aligns table cells, and the
        # summary must read the same in JupyterLab, in nbconvert's HTML and in a dark theme.
        focused = [self.lesson(lesson_id)] if lesson_id else list(self.lessons)
        parts = [_html_lesson(lesson) for lesson in focused]
        # One line a lesson, bar and count first: a long title is cut with an ellipsis at the
        # output's width (its whole text in the title attribute) and never pushes the bar down.
        others = "".join(
            f"<div style='margin:2px 0;white-space:nowrap;overflow:hidden;"
            f"text-overflow:ellipsis' title='{html.escape(lesson.heading, quote=True)}'>"
            f"{_html_bar(lesson.tally, width='10em')} "
            f"({len(lesson.tally.done)}/{lesson.tally.total}) {html.escape(lesson.heading)}</div>"
            for lesson in self.lessons
        )
        whole = (
            f"<div style='margin-top:8px'><b>Whole workbook</b>: {_html_count(self.tally)} "
            f"{_html_bar(self.tally)}</div>"
        )
        if lesson_id:
            whole += f"<div style='margin-left:1em'>{others}</div>"
        problem = (
            f"<div style='color:{FAIL_COLOUR}'>Progress could not be read: "
            f"{html.escape(self.problem)}</div>"
            if self.problem
            else ""
        )
        return (
            "<div class='wb-progress' style='text-align:left;border-left:4px solid "
            f"{PASS_COLOUR};padding:2px 10px;margin:4px 0'>{''.join(parts)}{whole}{problem}"
            f"<div style='margin-top:6px;opacity:0.8'><small>{html.escape(HELP_LINE)}</small>"
            "</div></div>"
        )


HELP_LINE = (
    'Stuck? hint("ID") shows a hint, more specific each time you ask. '
    'reset("ID") puts the starter back into its exercise cell and keeps your code '
    "(python -m autograder backups ID); "
    'reveal("ID") loads the reference once the exercise passes.'
)
_BAR_WIDTH = 20


_TEXT_LABEL_WIDTH = 48  # a longer label is cut with an ellipsis: the line stays under 100 columns


def _text_bar_line(label: str, tally: Tally) -> str:
    if len(label) > _TEXT_LABEL_WIDTH:
        label = label[: _TEXT_LABEL_WIDTH - 1].rstrip() + "…"
    filled = round(tally.fraction * _BAR_WIDTH)
    bar = "█" * filled + "░" * (_BAR_WIDTH - filled)
    return (
        f"{label}: {len(tally.done)}/{tally.total} done, "
        f"{tally.points_done}/{tally.points_total} points [{bar}] {tally.points_fraction:.0%}"
    )


def _html_count(tally: Tally) -> str:
    return (
        f"{len(tally.done)} of {tally.total} exercises done, "
        f"{tally.points_done} of {tally.points_total} points ({tally.points_fraction:.0%})"
    )


def _html_bar(tally: Tally, *, width: str = "16em") -> str:
    percent = round(tally.fraction * 100)
    return (
        f"<span role='progressbar' aria-valuemin='0' aria-valuemax='{tally.total}' "
        f"aria-valuenow='{len(tally.done)}' style='display:inline-block;vertical-align:middle;"
        f"width:{width};height:0.8em;border-radius:3px;background:rgba(128,128,128,0.25);"
        "overflow:hidden'>"
        f"<span style='display:block;height:100%;width:{percent}%;background:{PASS_COLOUR}'>"
        "</span></span>"
    )


def _html_lesson(lesson: LessonProgress) -> str:
    colours = {
        "passed": PASS_COLOUR,
        "passed-earlier": REGRESSED_COLOUR,
        "failing": FAIL_COLOUR,
        "not-started": NOT_STARTED_COLOUR,
    }
    marks = {"passed": "✔", "passed-earlier": "!", "failing": "✘", "not-started": "·"}
    rows = "".join(
        f"<div data-exercise='{html.escape(item.exercise.id)}' data-state='{item.state}'>"
        f"<span style='color:{colours[item.state]};font-weight:bold;display:inline-block;"
        f"width:1.2em'>{marks[item.state]}</span><code>{html.escape(item.exercise.id)}</code> "
        f"{html.escape(item.exercise.title)} "
        f"<small style='color:{colours[item.state]}'>{html.escape(item.describe())}</small></div>"
        for item in lesson.exercises
    )
    # The heading on a line of its own (a long title wraps there), the bar and count on the next.
    return (
        f"<div data-lesson='{html.escape(lesson.lesson.id)}'><div><b>"
        f"{html.escape(lesson.heading)}</b></div>"
        f"<div style='white-space:nowrap'>{_html_bar(lesson.tally)} {_html_count(lesson.tally)}"
        f"</div><div style='margin:4px 0 4px 0.5em'>{rows}</div></div>"
    )


def summarize(
    store: ProgressStore | None = None, registry: Registry | None = None
) -> WorkbookProgress:
    """The registry's lessons and exercises, each marked from the store; never raises for it."""
    store = store or ProgressStore()
    registry = registry or registry_module.load()
    problem = ""
    try:
        records = store.records()
    except ProgressUnavailable as error:
        records, problem = {}, str(error)
    lessons = tuple(
        LessonProgress(
            lesson,
            tuple(
                ExerciseProgress(exercise, records.get(exercise.id, ExerciseRecord()))
                for exercise in registry.exercises_of(lesson.id)
            ),
        )
        for lesson in registry.lessons
    )
    return WorkbookProgress(lessons, store.path, problem)


def mime_bundle(summary: WorkbookProgress, lesson_id: str | None = None) -> dict[str, object]:
    """What a notebook displays: HTML with bars, plain text, and JSON for tools."""
    data = summary.to_json()
    if lesson_id:
        data["focus"] = lesson_id
    return {
        "text/plain": summary.render_text(lesson_id),
        "text/html": summary.render_html(lesson_id),
        PROGRESS_MIME: data,
    }


def record_result(result: ExerciseResult) -> None:
    """Record one check run of an exercise (from the notebook or the command line)."""
    ProgressStore().record_check(
        result.exercise_id,
        passed=result.passed,
        checks_passed=sum(check.passed for check in result.checks),
        checks_total=len(result.checks),
    )
