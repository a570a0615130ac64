"""What a check cell, check_all() and progress() show: wording and layout, from the text alone.

No kernel and no browser: each test builds a result (or a progress store) and reads the text
and HTML the workbook would display.
"""

import pytest

from autograder import registry
from autograder.engine.checkkit import validation_error_text
from autograder.engine.results import CheckResult, ExerciseResult
from autograder.learner import checking, notebook, presentation, progress_store
from tests.learner_support import use_private_store

REGISTRY = registry.load()
ITEM = "Database sessions come from a dependency such as `Depends(get_db)`, never built inline."


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    return use_private_store(tmp_path, monkeypatch)


def _row(name, status="passed", rule="di-1", rule_text=ITEM, **more):
    return CheckResult(name=name, rule=rule, rule_text=rule_text, status=status, **more)


def _di_result():
    return ExerciseResult(
        "di-database-session",
        [
            _row("GET /books lists the public books"),
            _row(
                "with `get_db` overridden, every route uses the session it is given",
                "failed",
                message="Your code has no `get_db` yet, so `GET /books` cannot ask for it.",
                hint="Each route takes its session from `Depends(get_db)`.",
            ),
            _row("the dependency closes the session", "failed", message="a < b & `x`"),
            _row("static review (ruff)", rule="ruff", rule_text="No ruff rule is broken."),
        ],
    )


def test_backticked_spans_are_code_in_the_html_and_stay_backticks_in_the_text():
    bundle = notebook.result_bundle(_di_result())
    page = bundle["text/html"]
    assert "<b>with <code>get_db</code> overridden, every route" in page  # the row's name
    assert "<b>Hint:</b> Each route takes its session from <code>Depends(get_db)</code>." in page
    # in the details' <pre> too, tinted there (the text is monospace already)
    assert "Your code has no <code style=" in page and ">GET /books</code> cannot" in page
    assert "a &lt; b &amp; <code style=" in page  # escaped first, then marked up
    assert "`" not in page
    assert "with `get_db` overridden" in bundle["text/plain"]
    assert "`Depends(get_db)`" in bundle["text/plain"]


def test_code_spans_leave_tags_fences_and_lone_backticks_alone():
    assert presentation.with_code_spans("<b title='`a`'>x</b>") == "<b title='`a`'>x</b>"
    assert presentation.code_spans("```python") == "```python"
    assert presentation.code_spans("a ` b") == "a ` b"
    assert presentation.code_spans("``a`` and `b`") == "<code>a</code> and <code>b</code>"


def test_an_items_description_is_shown_once_then_only_its_tag():
    result = _di_result()
    bundle = notebook.result_bundle(result)
    shown = "Database sessions come from a dependency such as"
    assert bundle["text/html"].count(shown) == 1
    assert bundle["text/plain"].count(shown) == 1
    lines = bundle["text/plain"].splitlines()
    assert lines[1].endswith(f"[di-1] {ITEM}")  # the first row of the item
    assert lines[2].endswith("overridden, every route uses the session it is given  [di-1]")
    assert "No ruff rule is broken." in bundle["text/plain"]  # another item: its own words
    # the JSON, and the result itself, keep every row whole
    rows = bundle[notebook.RESULT_MIME]["checks"]
    assert all(row["rule_text"] == ITEM for row in rows if row["rule"] == "di-1")
    assert all(check.rule_text for check in result.checks)


def test_the_red_error_keeps_its_sentences_whole_and_says_does_for_one():
    result = ExerciseResult(
        "api-put-patch",
        [
            _row("PATCH with one field changes that field and keeps every other", "failed"),
            *(_row(f"row {n}") for n in range(5)),
        ],
    )
    error = notebook.ExerciseNotPassed(result)
    (shown,) = error._render_traceback_()
    first, pointer = shown.splitlines()
    assert first == (
        "ExerciseNotPassed: api-put-patch: 1 of 6 checks does not pass yet: "
        "PATCH with one field changes that field and keeps every other."
    )
    assert pointer == "Details above; check(..., traceback=True) shows raw tracebacks."
    assert str(error) == f"{first.removeprefix('ExerciseNotPassed: ')} {pointer}"
    result.checks[1].status = "failed"
    assert "2 of 6 checks do not pass yet, the first: PATCH" in str(
        notebook.ExerciseNotPassed(result)
    )


def test_check_all_says_does_for_one_failing_check():
    assert checking.failing_checks(1) == "1 check does not pass yet"
    assert checking.failing_checks(3) == "3 checks do not pass yet"
    summary = checking.AllChecked(
        results=[ExerciseResult("api-put-patch", [_row("a", "failed"), _row("b")])]
    )
    assert "1 check does not pass yet" in summary.render_text()


def test_a_static_rows_code_is_said_once():
    from autograder.engine import runner

    exercise = REGISTRY.exercise("api-put-patch")
    source = (
        "import asyncio\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "API_KEY = 'sk-live-0123456789abcdef0123'\n\n"
        "@app.get('/')\nasync def root():\n    asyncio.create_task(asyncio.sleep(1))\n"
        "    return {}\n"
    )
    rows = [row for row in runner._review_rows(exercise, REGISTRY, source) if not row.passed]
    assert rows, "the source breaks a rule"
    for row in rows:
        assert row.rule not in row.name, row.name
        assert row.name in {"static review (workbook rules)", "static review (ruff)"}


def _record(exercise_id, passed=True):
    progress_store.ProgressStore().record_check(
        exercise_id, passed=passed, checks_passed=1, checks_total=1
    )


def test_progress_percentages_are_the_share_of_the_points_printed_beside_them():
    lesson = REGISTRY.lessons[2].id
    exercises = REGISTRY.exercises_of(lesson)
    _record(exercises[0].id)
    summary = progress_store.summarize()
    tally = summary.lesson(lesson).tally
    assert tally.points_done == exercises[0].points
    share = f"{tally.points_done / tally.points_total:.0%}"
    whole = summary.tally
    whole_share = f"{whole.points_done / whole.points_total:.0%}"
    page = summary.render_html(lesson)
    assert f"{tally.points_done} of {tally.points_total} points ({share})" in page
    assert f"{whole.points_done} of {whole.points_total} points ({whole_share})" in page
    text = summary.render_text(lesson)
    assert f"{tally.points_done}/{tally.points_total} points [" in text
    assert any(line.endswith(f"] {share}") for line in text.splitlines() if lesson in line)


def test_check_alls_next_step_is_in_this_lesson_first_then_later_then_earlier():
    lessons = [lesson.id for lesson in REGISTRY.lessons]
    third = REGISTRY.exercises_of(lessons[2])
    _record(third[0].id)
    assert checking.next_unpassed(lessons[2]).startswith(f"Next: {third[1].id}, ")
    for exercise in third:
        _record(exercise.id)
    following = REGISTRY.exercises_of(lessons[3])[0]
    assert checking.next_unpassed(lessons[2]).startswith(f"Next: {following.id}, ")
    for lesson in lessons[3:]:
        for exercise in REGISTRY.exercises_of(lesson):
            _record(exercise.id)
    earliest = REGISTRY.exercises_of(lessons[0])[0]
    assert checking.next_unpassed(lessons[2]).startswith(f"Next: {earliest.id}, ")
    assert checking.next_unpassed().startswith(f"Next: {earliest.id}, ")  # no lesson: in order


PYDANTIC_SAYS = (
    "2 validation errors for Profile\n"
    "display_name\n"
    "  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/string_type\n"
    "items.0.price\n"
    "  Input should be a valid number [type=float_type, input_value='x', input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/float_type"
)


def test_a_validation_error_reads_one_line_per_error_without_the_url():
    assert validation_error_text(PYDANTIC_SAYS) == (
        "2 validation errors for Profile:\n"
        "  display_name: Input should be a valid string (input: None)\n"
        "  items.0.price: Input should be a valid number (input: 'x')"
    )
    one = "\n".join(PYDANTIC_SAYS.splitlines()[:4]).replace(
        "2 validation errors", "1 validation error"
    )
    assert validation_error_text(one) == (
        "1 validation error for Profile: display_name: Input should be a valid string (input: None)"
    )
    assert validation_error_text("not a pydantic message") == "not a pydantic message"


def test_the_answers_validation_error_in_a_failure_message():
    import httpx

    from autograder.engine.checkkit import show

    class Raised:
        type = "ValidationError"
        message = PYDANTIC_SAYS.replace("2 validation errors", "1 validation error").rsplit(
            "\nitems", 1
        )[0]
        line = 77
        code = "updated = Profile(**data)"

    response = httpx.Response(500, text="Internal Server Error")
    response.extensions["workbook_error"] = Raised()
    shown = show(response)
    assert "\n" not in shown and "errors.pydantic.dev" not in shown
    assert shown.endswith(
        "(your app raised ValidationError: 1 validation error for Profile: display_name: "
        "Input should be a valid string (input: None) at line 77: updated = Profile(**data))"
    )


def test_a_validation_error_raised_at_import_reads_one_line_per_error():
    from autograder.engine.runner import run_checks

    source = (
        "from fastapi import FastAPI\n"
        "from pydantic import BaseModel\n\n\n"
        "class Limits(BaseModel):\n"
        "    loans: int\n\n\n"
        'LIMITS = Limits(loans="many")\n'
        "app = FastAPI()\n"
    )
    result = run_checks("pydantic-modern-types", source)
    said = " ".join(row.message for row in result.failures())
    assert "ValidationError: 1 validation error for Limits: loans:" in said, said
    assert "errors.pydantic.dev" not in said


def test_an_app_that_stopped_answering_is_named_by_its_error_and_its_report():
    from types import SimpleNamespace

    from autograder.engine.clients import AnswerClient

    client = object.__new__(AnswerClient)
    loaded = SimpleNamespace(type="RuntimeError", message="the pool is closed")
    client.report = SimpleNamespace(ended=True, load_error=loaded, wait_until=lambda *_: True)
    said = client._gone("GET /books", ConnectionResetError())
    assert "(ConnectionResetError)" in said
    assert "It reported RuntimeError: the pool is closed" in said


LONG_TITLE = "Security: what an app lets through, and what it tells"  # lesson 07's


def _with_a_long_lesson_title():
    """The registry with a lesson titled as long as lesson 07 is (whether or not it is there)."""
    from dataclasses import replace

    lessons = tuple(
        replace(lesson, title=LONG_TITLE) if index == len(REGISTRY.lessons) - 1 else lesson
        for index, lesson in enumerate(REGISTRY.lessons)
    )
    return replace(REGISTRY, lessons=lessons), lessons[-1]


def test_a_long_lesson_title_never_breaks_the_progress_bar():
    import html as html_module
    import re

    grown, long = _with_a_long_lesson_title()
    summary = progress_store.summarize(registry=grown)
    heading = f"{long.id}: {LONG_TITLE}"
    escaped = html_module.escape(heading, quote=True)
    for focus in (long.id, REGISTRY.lessons[0].id):
        page = summary.render_html(focus)
        # The workbook's list: one line a lesson, the bar first, the title cut with an ellipsis
        # (the whole of it in the title attribute), so the bar never wraps.
        rows = re.findall(r"<div style='([^']*)' title='([^']*)'>(.{0,40})", page)
        (style, _, opening) = next((row for row in rows if row[1] == escaped), (None,) * 3)
        assert style is not None, f"no row of the workbook's list is titled {heading!r}:\n{page}"
        assert "white-space:nowrap" in style and "text-overflow:ellipsis" in style, style
        assert "overflow:hidden" in style and opening.startswith("<span role='progressbar'")
    # The focused lesson: its heading on a line of its own, the bar on the next.
    page = summary.render_html(long.id)
    lesson_block = page.split(f"data-lesson='{long.id}'>", 1)[1]
    assert lesson_block.startswith(f"<div><b>{html_module.escape(heading)}</b></div>")
    bar_line = lesson_block.split("</b></div>", 1)[1]
    assert bar_line.startswith("<div style='white-space:nowrap'><span role='progressbar'")
    # Text: every line fits 100 columns; the focused lesson's title is shown whole once.
    for focus in (long.id, None):
        text = summary.render_text(focus)
        assert max(len(line) for line in text.splitlines()) <= 100, text
    assert summary.render_text(long.id).splitlines().count(heading) == 1
