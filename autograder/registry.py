"""The exercise registry: the one list every other part of the workbook is derived from.

Each lesson has a file in ``autograder/registry/`` naming the lesson and its exercises. An
exercise's code lives by convention beside it, found from its id, so nothing is listed twice:

- starter: ``autograder/starters/<slug>.py`` (what the learner is handed)
- visible checks: ``autograder/checks/<slug>.py`` (run in the notebook)
- reference: ``solutions/<slug>.py`` (the hidden solution app)
- hidden checks: ``solutions/hidden/<slug>.py`` (run when grading)

``<slug>`` is the id with dashes turned into underscores.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REGISTRY_DIR = PACKAGE_DIR / "registry"
STARTERS_DIR = PACKAGE_DIR / "starters"
CHECKS_DIR = PACKAGE_DIR / "checks"
CATALOG_FILE = PACKAGE_DIR / "catalog.toml"
SERVED_OVER = ("unix", "tcp")  # Exercise.served_over


def project_root() -> Path:
    """The checkout the workbook runs from (an editable install points back into it)."""
    return PACKAGE_DIR.parent


def solutions_dir() -> Path:
    """Where the hidden reference lives; a classroom may keep it out of students' reach."""
    configured = os.environ.get("WORKBOOK_SOLUTIONS")
    return Path(configured) if configured else project_root() / "solutions"


def lessons_dir() -> Path:
    return project_root() / "lessons"


class RegistryError(ValueError):
    """The registry contradicts itself or the files on disk."""


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str

    @property
    def notebook_name(self) -> str:
        return f"{self.id}.ipynb"

    @property
    def source_path(self) -> Path:
        return lessons_dir() / "src" / f"{self.id}.md"

    @property
    def notebook_path(self) -> Path:
        return lessons_dir() / self.notebook_name


@dataclass(frozen=True)
class Exercise:
    id: str
    lesson: str
    title: str
    points: int
    seed_items: tuple[str, ...]
    hints: tuple[str, ...]
    # Ruff codes this exercise's static review must also report on top of the common set.
    extra_ruff_rules: tuple[str, ...] = field(default=())
    # "library" (or "library-large", 1,500 books): every app the checks start gets a fresh
    # seeded database (workbook.databases), its URL in DATABASE_URL.
    database: str = ""
    # A .env file written where the app starts; "{secret}" in a value becomes a random secret.
    env_file: tuple[tuple[str, str], ...] = field(default=())
    # The app is built by this factory (`create_app`), `app_copies` times in one process.
    app_factory: str = ""
    app_copies: int = 1
    # How the checks reach the app. "unix" (the default): a Unix socket, uvicorn with its own
    # defaults (it applies X-Forwarded-Proto/-For sent from 127.0.0.1 before the app sees them,
    # and adds `server: uvicorn`). "tcp": a TCP socket on loopback, uvicorn with
    # proxy_headers=False and server_header=False, so that the app alone decides which peer
    # to trust and which headers it sends; the checks connect from 127.0.0.1 (a proxy on the
    # same machine) or another loopback address (a stranger), see the ``learner_client``
    # fixture's ``peer``. For exercises about proxies and response headers.
    served_over: str = "unix"

    @property
    def slug(self) -> str:
        return self.id.replace("-", "_")

    @property
    def starter_path(self) -> Path:
        return STARTERS_DIR / f"{self.slug}.py"

    @property
    def checks_path(self) -> Path:
        return CHECKS_DIR / f"{self.slug}.py"

    @property
    def reference_path(self) -> Path:
        return solutions_dir() / f"{self.slug}.py"

    @property
    def hidden_checks_path(self) -> Path:
        return solutions_dir() / "hidden" / f"{self.slug}.py"

    def starter_source(self) -> str:
        return self.starter_path.read_text(encoding="utf-8")

    def reference_source(self) -> str:
        if not self.reference_path.is_file():
            raise FileNotFoundError(
                f"The reference for {self.id} is not here ({self.reference_path}). "
                "In a classroom the solutions stay with the instructor; set WORKBOOK_SOLUTIONS "
                "to the folder that holds them."
            )
        return self.reference_path.read_text(encoding="utf-8")

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "lesson": self.lesson,
            "title": self.title,
            "points": self.points,
            "seed_items": list(self.seed_items),
            "hint_tiers": len(self.hints) + 1,  # the last tier is the reference itself
            "starter": str(self.starter_path.relative_to(project_root())),
            "checks": str(self.checks_path.relative_to(project_root())),
            "reference": _relative_or_absolute(self.reference_path),
            "hidden_checks": _relative_or_absolute(self.hidden_checks_path),
        }


def _relative_or_absolute(path: Path) -> str:
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Registry:
    lessons: tuple[Lesson, ...]
    exercises: tuple[Exercise, ...]
    catalog: dict[str, str]
    groups: dict[str, str]

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(e.id for e in self.exercises)
        raise KeyError(f"No exercise is called {exercise_id!r}. Known exercises: {known}")

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(f"No lesson is called {lesson_id!r}")

    def exercises_of(self, lesson_id: str) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.lesson == lesson_id)


def _load_catalog() -> tuple[dict[str, str], dict[str, str]]:
    data = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return dict(data["items"]), dict(data["groups"])


def _load_lesson_file(path: Path) -> tuple[Lesson, list[Exercise]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        lesson = Lesson(**data["lesson"])
        exercises = [
            Exercise(
                id=entry["id"],
                lesson=lesson.id,
                title=entry["title"],
                points=int(entry["points"]),
                seed_items=tuple(entry["seed_items"]),
                hints=tuple(entry["hints"]),
                extra_ruff_rules=tuple(entry.get("extra_ruff_rules", ())),
                database=str(entry.get("database", "")),
                env_file=tuple((str(k), str(v)) for k, v in entry.get("env_file", {}).items()),
                app_factory=str(entry.get("app_factory", "")),
                app_copies=int(entry.get("app_copies", 1)),
                served_over=str(entry.get("served_over", "unix")),
            )
            for entry in data["exercises"]
        ]
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as error:
        raise RegistryError(f"{path.name}: {error!r}") from error
    return lesson, exercises


@cache
def load() -> Registry:
    catalog, groups = _load_catalog()
    lessons: list[Lesson] = []
    exercises: list[Exercise] = []
    for path in sorted(REGISTRY_DIR.glob("*.toml")):
        lesson, lesson_exercises = _load_lesson_file(path)
        if path.stem != lesson.id:
            raise RegistryError(
                f"{path.name} declares lesson {lesson.id!r}; name the file after it"
            )
        lessons.append(lesson)
        exercises.extend(lesson_exercises)
    registry = Registry(tuple(lessons), tuple(exercises), catalog, groups)
    _validate(registry)
    return registry


def _validate(registry: Registry) -> None:
    seen: set[str] = set()
    for exercise in registry.exercises:
        if exercise.id in seen:
            raise RegistryError(f"exercise id {exercise.id!r} is used twice")
        seen.add(exercise.id)
        unknown = [item for item in exercise.seed_items if item not in registry.catalog]
        if unknown:
            raise RegistryError(f"{exercise.id} names unknown seed items {unknown}")
        if exercise.points <= 0:
            raise RegistryError(f"{exercise.id} must be worth at least one point")
        if not exercise.hints:
            raise RegistryError(f"{exercise.id} needs at least one hint")
        if exercise.database not in ("", "library", "library-large"):
            raise RegistryError(f"{exercise.id}: the databases are 'library', 'library-large'")
        if exercise.served_over not in SERVED_OVER:
            raise RegistryError(f"{exercise.id}: served_over is one of {', '.join(SERVED_OVER)}")
