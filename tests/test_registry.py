"""The registry, the catalog and the files on disk agree."""

import json
import subprocess
import sys

import pytest

from autograder import registry
from autograder.authoring.verify import expected_text, wrong_fixes_dir

# The seed's item ids (ids only: the wording in autograder/catalog.toml is the workbook's own).
SEED_ITEM_IDS = (
    [f"async-{n}" for n in range(1, 6)]
    + [f"pydantic-{n}" for n in range(1, 8)]
    + [f"api-{n}" for n in range(1, 6)]
    + [f"di-{n}" for n in range(1, 5)]
    + [f"state-{n}" for n in range(1, 4)]
    + [f"prod-{n}" for n in range(1, 5)]
    + [f"mandate-{n}" for n in range(1, 9)]
    + [f"security-{n}" for n in range(1, 11)]
    + [f"ready-{n}" for n in range(1, 11)]
    + [f"arch-{n}" for n in range(1, 6)]
    + ["example-1", "example-2"]
)

REGISTRY = registry.load()
EXERCISES = REGISTRY.exercises


def test_catalog_holds_exactly_the_seed_items():
    assert list(REGISTRY.catalog) == SEED_ITEM_IDS


def test_list_json_prints_one_object_per_exercise():
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = json.loads(completed.stdout)
    assert [entry["id"] for entry in listed] == [e.id for e in EXERCISES]
    for entry in listed:
        assert {"id", "lesson", "points", "seed_items"} <= entry.keys()
        assert isinstance(entry["points"], int) and entry["points"] > 0


def test_lessons_01_and_02_cover_their_items_with_at_least_five_exercises_each():
    for lesson, prefix, count in (
        ("01-async-hygiene", "async", 5),
        ("02-pydantic-as-law", "pydantic", 7),
    ):
        exercises = REGISTRY.exercises_of(lesson)
        assert len(exercises) >= 5, lesson
        taught = {item for exercise in exercises for item in exercise.seed_items}
        assert {f"{prefix}-{n}" for n in range(1, count + 1)} <= taught, lesson
    assert (
        len(REGISTRY.exercises_of("01-async-hygiene") + REGISTRY.exercises_of("02-pydantic-as-law"))
        >= 10
    )


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_exercise_has_its_four_files(exercise):
    for path in (
        exercise.starter_path,
        exercise.checks_path,
        exercise.reference_path,
        exercise.hidden_checks_path,
    ):
        assert path.is_file(), f"{exercise.id} is missing {path}"


def test_no_exercise_file_without_a_registry_entry():
    slugs = {exercise.slug for exercise in EXERCISES}
    folders = [
        registry.STARTERS_DIR,
        registry.CHECKS_DIR,
        registry.solutions_dir(),
        registry.solutions_dir() / "hidden",
    ]
    for folder in folders:
        for path in folder.glob("*.py"):
            if path.name != "__init__.py":
                assert path.stem in slugs, f"{path} belongs to no exercise in the registry"
    for path in wrong_fixes_dir().glob("*.py"):
        assert path.stem.split("__")[0] in slugs, f"{path} belongs to no exercise"
        assert expected_text(path), path


def test_exercise_hints_get_more_specific_in_tiers():
    for exercise in EXERCISES:
        assert len(exercise.hints) >= 2, exercise.id
        assert len(set(exercise.hints)) == len(exercise.hints), exercise.id


def test_registry_rejects_unknown_seed_items(tmp_path, monkeypatch):
    (tmp_path / "99-broken.toml").write_text(
        '[lesson]\nid = "99-broken"\ntitle = "t"\nsummary = "s"\n'
        '[[exercises]]\nid = "x"\ntitle = "t"\npoints = 1\n'
        'seed_items = ["no-such-item"]\nhints = ["h"]\n'
    )
    monkeypatch.setattr(registry, "REGISTRY_DIR", tmp_path)
    registry.load.cache_clear()
    try:
        with pytest.raises(registry.RegistryError, match="no-such-item"):
            registry.load()
    finally:
        registry.load.cache_clear()
