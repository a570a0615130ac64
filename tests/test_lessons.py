"""The lesson notebooks: up to date with their sources, and honest when run top to bottom."""

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import lessons, registry
from autograder.notebook import RESULT_MIME

REGISTRY = registry.load()
LESSONS = REGISTRY.lessons


def _execute(notebook, *, allow_errors):
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(registry.lessons_dir())}},
    )
    return client.execute()


def _role(cell):
    return cell.metadata.get("workbook", {}).get("role", "")


def _results(cell):
    return [out["data"][RESULT_MIME] for out in cell.outputs if RESULT_MIME in out.get("data", {})]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_notebook_matches_its_source_and_the_registry(lesson):
    on_disk = nbformat.read(lesson.notebook_path, as_version=4)
    built = lessons.build(lesson, REGISTRY)
    assert lessons.comparable(on_disk) == lessons.comparable(built), (
        f"{lesson.notebook_path.name} is stale: run `make lessons` and commit the result"
    )
    assert all(not cell.get("outputs") for cell in on_disk.cells), (
        "commit notebooks without outputs"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_exercise_cells_hold_the_starters_and_check_cells_follow_them(lesson):
    notebook = nbformat.read(lesson.notebook_path, as_version=4)
    cells = notebook.cells
    for exercise in REGISTRY.exercises_of(lesson.id):
        index = next(i for i, c in enumerate(cells) if c.get("id") == f"exercise-{exercise.id}")
        assert cells[index].source == lessons.exercise_cell_source(
            exercise, exercise.starter_source()
        )
        assert cells[index + 1].get("id") == f"check-{exercise.id}"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_delivered_notebook_runs_and_only_its_check_cells_fail(lesson):
    executed = _execute(nbformat.read(lesson.notebook_path, as_version=4), allow_errors=True)
    checks_seen = 0
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if _role(cell) != "check":
            assert not errors, (
                f"cell {cell.get('id')} raised {errors[0]['ename']}: {errors[0]['evalue']}"
            )
            continue
        checks_seen += 1
        assert [e["ename"] for e in errors] == ["ExerciseNotPassed"], cell.source
        assert len(errors[0]["traceback"]) == 1, "a failing check shows no raw traceback"
        (result,) = _results(cell)
        assert result["status"] == "failed"
        failing = [row for row in result["checks"] if row["status"] == "failed"]
        assert failing and all(row["message"] and row["rule"] for row in failing)
    assert checks_seen == len(REGISTRY.exercises_of(lesson.id))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_notebook_with_the_reference_in_every_exercise_cell_passes_every_check(lesson):
    notebook = lessons.build(lesson, REGISTRY, use_reference=True)
    executed = _execute(notebook, allow_errors=False)
    results = [
        result for cell in executed.cells if _role(cell) == "check" for result in _results(cell)
    ]
    assert len(results) == len(REGISTRY.exercises_of(lesson.id))
    assert all(result["status"] == "passed" for result in results)
