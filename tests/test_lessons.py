"""The lesson notebooks: up to date with their sources, and honest when run top to bottom."""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import registry
from autograder.authoring import lessons
from autograder.learner import progress_store
from autograder.learner.notebook import RESULT_MIME

REGISTRY = registry.load()
LESSONS = REGISTRY.lessons


@pytest.fixture(autouse=True)
def private_progress(tmp_path, monkeypatch):
    # Kernels inherit the environment: their checks record into this file, not the real one.
    monkeypatch.setenv(progress_store.PROGRESS_ENV, str(tmp_path / "progress.sqlite3"))


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


def _results(cell, mime=RESULT_MIME):
    return [out["data"][mime] for out in cell.outputs if mime in out.get("data", {})]


def _progress_shown(executed):
    (cell,) = [cell for cell in executed.cells if _role(cell) == "progress"]
    (shown,) = _results(cell, progress_store.PROGRESS_MIME)
    return shown


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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_setup_and_progress_cells_open_every_lesson_with_stable_ids(lesson):
    cells = lessons.build(lesson, REGISTRY).cells
    assert cells[0].cell_type == "markdown"
    assert (cells[1].get("id"), _role(cells[1])) == ("setup", "setup")
    assert (cells[2].get("id"), _role(cells[2])) == ("progress", "progress")
    assert cells[2].source == f'progress("{lesson.id}")'
    assert cells[2].metadata["workbook"]["lesson"] == lesson.id
    for name in ("check", "hint", "progress", "reset", "reveal"):
        assert name in cells[1].source
    # The progress cell takes no number: the cells after it keep the ids they had before it.
    assert cells[3].get("id") == "cell-002"
    ids = [cell.get("id") for cell in cells]
    assert len(ids) == len(set(ids))


def test_a_lesson_added_to_the_registry_gets_a_progress_cell_with_no_code_change(
    tmp_path, monkeypatch
):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "99-later.md").write_text("# Lesson 99\n\nLater.\n", encoding="utf-8")
    monkeypatch.setattr(registry, "lessons_dir", lambda: tmp_path)
    later = registry.Lesson("99-later", "Later", "added later")
    grown = registry.Registry((*LESSONS, later), REGISTRY.exercises, REGISTRY.catalog, {})
    cells = lessons.build(later, grown).cells
    assert [(c.get("id"), c.source) for c in cells if _role(c) == "progress"] == [
        ("progress", 'progress("99-later")')
    ]


# What each lesson's demo prints, where its story rests on a count rather than a timing (timings
# are `make bench`'s business): the text after a demo says these numbers, so they must hold.
DEMO_PRINTS = {
    "03-api-design": [
        r"bad : schemathesis found [1-9]\d* broken promise\(s\)",
        r"good: schemathesis found 0 broken promise\(s\)",
    ],
    "04-dependency-injection": [
        r"pasting: q=\"' OR shelf = 'staff' --\" *-> 6 books, 2 from the staff shelf",
        r"binding: q=\"' OR shelf = 'staff' --\" *-> 0 books, 0 from the staff shelf",
    ],
    "05-state-and-lifespan": [
        r"on_startup: after 30 start-ups and shut-downs, 30 connections open, 30 tasks running",
        r"lifespan  : after 30 start-ups and shut-downs, 0 connections open, 0 tasks running",
    ],
    "06-performance-under-load": [
        r"parsed per request: .*\(\d+ answered, 0 dropped\)",
        r"parsed once       : .*\(\d+ answered, 0 dropped\)",
    ],
    "07-security": [
        r"reads the member's account +200 +\d+ bytes: the balance: the browser lets the page",
        r"the partner is down +500 +\d+ bytes: 24 of the API key's 24 characters, a traceback",
        r"a token pasted into the wrong field +422 +\d+ bytes: the token, echoed back",
        r"reads the member's account +200 +\d+ bytes: nothing: the browser keeps the answer",
        r"the partner is down +502 +\d+ bytes: nothing but a fixed message and an id",
        r"a token pasted into the wrong field +422 +\d+ bytes: which field is wrong, not its",
        r"partner answered 503 \(request [0-9a-f]{32}\)",
    ],
}


def _printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code" and not _role(cell)
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.get("name") == "stdout"
    )


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_delivered_notebook_runs_and_only_its_check_cells_fail(lesson):
    executed = _execute(nbformat.read(lesson.notebook_path, as_version=4), allow_errors=True)
    printed = _printed(executed)
    for expected in DEMO_PRINTS.get(lesson.id, []):
        assert re.search(expected, printed), f"the demo did not print {expected!r}:\n{printed}"
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
    shown = _progress_shown(executed)
    (this_lesson,) = [entry for entry in shown["lessons"] if entry["id"] == lesson.id]
    assert shown["focus"] == lesson.id and this_lesson["done"] == []
    assert {row["state"] for row in this_lesson["exercises"]} == {"failing"}


# Work of the kernel's own on the loop the demos share (what a fresh kernel on a busy machine
# still runs at first): tasks that end while the next cell runs.
_KERNEL_BUSY_CELL = """
import asyncio
async def _the_kernels_own_work():
    await asyncio.sleep(0.3)
_busy = [asyncio.ensure_future(_the_kernels_own_work()) for _ in range(19)]
await asyncio.sleep(0)
"""


@pytest.mark.slow
def test_lesson_05s_demo_counts_only_its_refreshers_on_a_busy_kernel():
    lesson = REGISTRY.lesson("05-state-and-lifespan")
    notebook = nbformat.read(lesson.notebook_path, as_version=4)
    demo = next(
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and "async def run_many_times" in cell.source
    )
    notebook.cells.insert(demo, nbformat.v4.new_code_cell(_KERNEL_BUSY_CELL))
    # Up to the demo only: the exercises' checks are the other tests' business.
    notebook.cells = notebook.cells[: demo + 2]
    printed = _printed(_execute(notebook, allow_errors=False))
    for expected in DEMO_PRINTS[lesson.id]:
        assert re.search(expected, printed), f"the demo did not print {expected!r}:\n{printed}"


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
    # The progress cell ran before any check; every check since redrew it.
    shown = _progress_shown(executed)
    (this_lesson,) = [entry for entry in shown["lessons"] if entry["id"] == lesson.id]
    assert this_lesson["done"] == [e.id for e in REGISTRY.exercises_of(lesson.id)]
    assert this_lesson["pending"] == []


def _prose(lesson) -> str:
    """The lesson's words, without its code blocks."""
    return re.sub(r"```.*?```", "", lesson.source_path.read_text(), flags=re.DOTALL)


def test_lesson_06_states_no_count_the_data_or_the_checks_own():
    """The shelf's size and the check's number of timings change with the data and the checks:
    the lesson says what the cell prints or the check reports instead of a number of its own."""
    from workbook.databases import SHELVES

    prose = _prose(REGISTRY.lesson("06-performance-under-load"))
    public = sum(1 for book in SHELVES["library-large"] if book[-1] == "public")
    stated = [int(n.replace(",", "")) for n in re.findall(r"\b(\d,\d{3})\b", prose)]
    assert stated == [], f"the prose states {stated} books; the shelf has {public} public"
    numbers = "one two three four five six seven eight nine ten eleven twelve fifteen twenty"
    assert not re.search(rf"fastest of ({numbers.replace(' ', '|')}|\d+)", prose)


def test_every_item_an_exercise_teaches_reads_as_its_lesson_teaches_it():
    """api-5 once said errors are HTTPException while lesson 03 maps them in one handler."""
    assert "exception handler" in REGISTRY.catalog["api-5"]
    assert "HTTPException" not in REGISTRY.catalog["api-5"]
    assert "one exception handler maps them" in _prose(REGISTRY.lesson("03-api-design"))
