"""Hints, reset and reveal: the ways out when a learner is stuck.

Hints come one tier at a time and the last tier, the reference, waits for a pass or a
confirmation. Reset and reveal rewrite an exercise's cell in a notebook file without touching
anything else and without losing what the learner wrote. (In-kernel reset and reveal are in
tests/test_notebook_api.py.) The progress store is a temporary file in every test.
"""

import io
import json
import sys

import nbformat
import pytest

from autograder import cli, registry
from autograder.engine import source_rules
from autograder.learner import exercise_cells, hints, notebook
from autograder.learner.progress_store import ProgressStore
from tests.learner_support import run_cli, use_private_store

REGISTRY = registry.load()
EXERCISE = REGISTRY.exercise("async-sleep")
LESSON = REGISTRY.lesson(EXERCISE.lesson)


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    path = use_private_store(tmp_path, monkeypatch)
    monkeypatch.setattr(hints, "_unsaved_tiers", {})
    return path


def _cli(*args):
    return run_cli(*args)


def _seen_every_hint_in_words():
    ProgressStore().record_hint_shown(EXERCISE.id, len(EXERCISE.hints))


def _pass(exercise_id=EXERCISE.id):
    ProgressStore().record_check(exercise_id, passed=True, checks_passed=5, checks_total=5)


# --- hints -------------------------------------------------------------------------------------


def test_two_hint_requests_give_two_different_tiers():
    first = json.loads(_cli("hint", EXERCISE.id, "--json").stdout)
    second = json.loads(_cli("hint", EXERCISE.id, "--json").stdout)
    assert (first["kind"], first["tier"], first["text"]) == ("hint", 1, EXERCISE.hints[0])
    assert (second["kind"], second["tier"], second["text"]) == ("hint", 2, EXERCISE.hints[1])
    assert second["earlier"] == [EXERCISE.hints[0]]
    assert first["tiers"] == len(EXERCISE.hints) + 1


def test_the_notebook_and_the_command_line_continue_from_the_same_tier(capsys):
    notebook.hint(EXERCISE.id)
    assert EXERCISE.hints[0] in capsys.readouterr().out
    from_terminal = json.loads(_cli("hint", EXERCISE.id, "--json").stdout)
    assert from_terminal["tier"] == 2
    notebook.hint(EXERCISE.id)
    assert f"hint 3 of {len(EXERCISE.hints) + 1}" in capsys.readouterr().out


def test_the_reference_is_withheld_after_the_last_hint_until_the_exercise_passes():
    for tier, text in enumerate(EXERCISE.hints, 1):
        answer = hints.next_hint(EXERCISE.id)
        assert (answer.kind, answer.tier, answer.text) == ("hint", tier, text)
    withheld = hints.next_hint(EXERCISE.id, how_to_confirm="CONFIRM LIKE THIS")
    assert withheld.kind == "withheld"
    assert "CONFIRM LIKE THIS" in withheld.text and "passes" in withheld.text
    assert EXERCISE.reference_source().strip() not in withheld.render_text()
    assert hints.next_hint(EXERCISE.id).kind == "withheld"  # asking again is not confirming

    _pass()
    answer = hints.next_hint(EXERCISE.id)
    assert (answer.kind, answer.tier) == ("reference", len(EXERCISE.hints) + 1)
    assert answer.text == EXERCISE.reference_source()
    assert "reference" in answer.render_html()


def test_confirming_opens_the_reference_but_does_not_skip_the_hints_before_it():
    first = hints.next_hint(EXERCISE.id, reveal=True)
    assert (first.kind, first.tier) == ("hint", 1)
    for _ in EXERCISE.hints[1:]:
        hints.next_hint(EXERCISE.id)
    assert hints.next_hint(EXERCISE.id, reveal=True).kind == "reference"


def test_in_a_notebook_reveal_true_is_the_confirmation(capsys):
    _seen_every_hint_in_words()
    notebook.hint(EXERCISE.id)
    withheld = capsys.readouterr().out
    assert f'hint("{EXERCISE.id}", reveal=True)' in withheld
    notebook.hint(EXERCISE.id, reveal=True)
    assert "the reference solution" in capsys.readouterr().out


def test_the_command_line_withholds_the_reference_unless_told_to_reveal():
    _seen_every_hint_in_words()
    withheld = _cli("hint", EXERCISE.id)
    assert withheld.returncode == 0, withheld.stderr
    assert f"python -m autograder hint {EXERCISE.id} --reveal" in withheld.stdout
    assert EXERCISE.reference_source().strip() not in withheld.stdout
    shown = _cli("hint", EXERCISE.id, "--reveal")
    assert shown.returncode == 0, shown.stderr
    assert EXERCISE.reference_source().strip() in shown.stdout


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("answer", "shown"), [("y\n", True), ("\n", False)])
def test_on_a_terminal_the_command_line_asks_before_showing_the_reference(
    monkeypatch, capsys, answer, shown
):
    _seen_every_hint_in_words()
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    assert cli.main(["hint", EXERCISE.id]) == 0
    out = capsys.readouterr().out
    assert "[y/N]" in out
    assert (EXERCISE.reference_source().strip() in out) is shown


def test_an_unknown_exercise_says_how_to_find_the_ids_and_exits_2(capsys):
    for command in ("hint", "reset", "reveal", "backups"):
        completed = _cli(command, "async-sleeep")
        assert completed.returncode == 2, command
        assert "python -m autograder list" in completed.stderr
        assert "Did you mean 'async-sleep'?" in completed.stderr
    with pytest.raises(notebook.UnknownExercise, match="python -m autograder list"):
        notebook.hint("async-sleeep")


# --- reset and reveal on a notebook file ------------------------------------------------------

LEARNER_CODE = "# my own attempt, which must not be lost\nimport asyncio\n"


@pytest.fixture
def lesson_copy(tmp_path):
    """The lesson notebook as a learner has it: an answer typed in, another cell run."""
    notebook_file = tmp_path / LESSON.notebook_name
    book = nbformat.read(LESSON.notebook_path, as_version=4)
    for cell in book.cells:
        if cell.get("id") == f"exercise-{EXERCISE.id}":
            cell.source = f"%%exercise {EXERCISE.id}\n{LEARNER_CODE}"
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
        if cell.get("id") == "setup":
            cell.outputs = [nbformat.v4.new_output("stream", text="kept output\n")]
            cell.execution_count = 1
    nbformat.write(book, notebook_file)
    return notebook_file


def _cells_except(book, cell_id):
    return [dict(cell) for cell in book.cells if cell.get("id") != cell_id]


def _exercise_cell(path):
    book = nbformat.read(path, as_version=4)
    return next(c for c in book.cells if c.get("id") == f"exercise-{EXERCISE.id}")


def test_reset_restores_the_starter_keeps_the_other_cells_and_the_learners_code(lesson_copy):
    before_bytes = lesson_copy.read_bytes()
    before = nbformat.reads(before_bytes.decode(), as_version=4)

    completed = _cli("reset", EXERCISE.id, str(lesson_copy))
    assert completed.returncode == 0, completed.stderr

    after = nbformat.read(lesson_copy, as_version=4)
    cell = _exercise_cell(lesson_copy)
    assert cell.source == exercise_cells.starter_cell(EXERCISE)
    assert cell.outputs == [] and cell.metadata["workbook"]["role"] == "exercise"
    exercise_id = f"exercise-{EXERCISE.id}"
    assert _cells_except(after, exercise_id) == _cells_except(before, exercise_id)
    backup = exercise_cells.backup_path(lesson_copy)
    assert backup.read_bytes() == before_bytes
    assert str(backup) in completed.stdout

    (saved,) = ProgressStore().saved_cells(EXERCISE.id)
    assert LEARNER_CODE in saved.source
    listed = _cli("backups", EXERCISE.id)
    assert f"#{saved.number}" in listed.stdout
    printed = _cli("backups", EXERCISE.id, "--show", str(saved.number))
    assert printed.stdout.strip() == saved.source.strip()


def test_reset_twice_keeps_the_first_answer_and_changes_nothing_the_second_time(lesson_copy):
    assert _cli("reset", EXERCISE.id, str(lesson_copy)).returncode == 0
    again = _cli("reset", EXERCISE.id, str(lesson_copy))
    assert again.returncode == 0 and "unchanged" in again.stdout
    (saved,) = ProgressStore().saved_cells(EXERCISE.id)  # the starter is not kept as work
    assert LEARNER_CODE in saved.source


def test_reset_without_a_path_rewrites_the_lessons_own_notebook(lesson_copy, monkeypatch, capsys):
    monkeypatch.setattr(registry, "lessons_dir", lambda: lesson_copy.parent)
    assert cli.main(["reset", EXERCISE.id]) == 0
    assert _exercise_cell(lesson_copy).source == exercise_cells.starter_cell(EXERCISE)


def test_reveal_on_a_file_needs_a_pass_or_yes(lesson_copy):
    untouched = lesson_copy.read_bytes()
    refused = _cli("reveal", EXERCISE.id, str(lesson_copy))
    assert refused.returncode == 1
    assert f"python -m autograder reveal {EXERCISE.id} --yes" in refused.stderr
    assert lesson_copy.read_bytes() == untouched

    confirmed = _cli("reveal", EXERCISE.id, str(lesson_copy), "--yes")
    assert confirmed.returncode == 0, confirmed.stderr
    assert _exercise_cell(lesson_copy).source == exercise_cells.reference_cell(EXERCISE)
    assert LEARNER_CODE in ProgressStore().saved_cells(EXERCISE.id)[0].source


def test_reveal_on_a_file_is_allowed_once_the_exercise_passed(lesson_copy):
    _pass()
    completed = _cli("reveal", EXERCISE.id, str(lesson_copy))
    assert completed.returncode == 0, completed.stderr
    assert _exercise_cell(lesson_copy).source == exercise_cells.reference_cell(EXERCISE)


def test_a_cell_that_lost_its_metadata_is_found_by_its_magic_line(lesson_copy):
    book = nbformat.read(lesson_copy, as_version=4)
    for cell in book.cells:
        if cell.get("id") == f"exercise-{EXERCISE.id}":
            cell.metadata = {}
    nbformat.write(book, lesson_copy)
    rewrite = exercise_cells.rewrite_exercise_cell(
        lesson_copy, EXERCISE, exercise_cells.starter_cell(EXERCISE), reason="test"
    )
    assert rewrite.changed
    assert _exercise_cell(lesson_copy).source == exercise_cells.starter_cell(EXERCISE)


def test_missing_damaged_or_wrong_notebooks_are_explained_and_left_alone(tmp_path, lesson_copy):
    missing = _cli("reset", EXERCISE.id, str(tmp_path / "nowhere.ipynb"))
    assert missing.returncode == 2
    assert "There is no notebook" in missing.stderr
    assert f"lessons/{LESSON.id}.ipynb" in missing.stderr

    damaged = tmp_path / "damaged.ipynb"
    damaged.write_text('{"cells": [')
    broken = _cli("reset", EXERCISE.id, str(damaged))
    assert broken.returncode == 2 and "is not a notebook that can be read" in broken.stderr
    assert damaged.read_text() == '{"cells": ['

    other_lesson = tmp_path / REGISTRY.lessons[1].notebook_name
    other_lesson.write_bytes(REGISTRY.lessons[1].notebook_path.read_bytes())
    wrong = _cli("reset", EXERCISE.id, str(other_lesson))
    assert wrong.returncode == 2
    assert f"has no exercise cell for {EXERCISE.id}" in wrong.stderr

    book = nbformat.read(lesson_copy, as_version=4)
    twin = nbformat.v4.new_code_cell(f"%%exercise {EXERCISE.id}\npass\n")
    twin.metadata["workbook"] = {"role": "exercise", "exercise": EXERCISE.id}
    book.cells.append(twin)
    nbformat.write(book, lesson_copy)
    doubled = lesson_copy.read_bytes()
    twice = _cli("reset", EXERCISE.id, str(lesson_copy))
    assert twice.returncode == 2 and "2 exercise cells" in twice.stderr
    assert lesson_copy.read_bytes() == doubled


# --- the workbook's own source rules -----------------------------------------------------------


def test_every_source_rule_has_a_hint_of_its_own_that_says_what_to_do():
    assert set(source_rules.RULE_HINTS) == set(source_rules.RULES)
    texts = list(source_rules.RULE_HINTS.values())
    assert len(set(texts)) == len(texts), "two rules share a hint"
    for code, text in source_rules.RULE_HINTS.items():
        assert "modern spelling; use it" not in text, code
        # A step to take, with the code to write or remove in backticks.
        assert text.split()[0] in {
            "Replace",
            "Call",
            "Decorate",
            "Use",
            "Keep",
            "Write",
            "Move",
            "Delete",
        }, (code, text)
        assert "`" in text, (code, text)


def test_a_secret_in_the_code_gets_the_secrets_hint_under_its_row():
    code = EXERCISE.reference_source() + '\nAPI_TOKEN = "sk_live_4f9a8b7c6d5e4f3a2b1c"\n'
    notebook.exercise_magic(EXERCISE.id, code)
    result = notebook.SESSION.results[EXERCISE.id][2]
    (row,) = [row for row in result.checks if row.rule == "WB301"]
    assert not row.passed and row.hint == source_rules.RULE_HINTS["WB301"]


def test_the_engine_gives_a_source_rule_row_its_own_hint_outside_the_notebook_too():
    """`python -m autograder check` and classroom feedback build rows in the engine, not in the
    notebook: a secret in the code gets the secrets hint there as well."""
    from autograder.engine.runner import run_checks

    code = EXERCISE.reference_source() + '\nAPI_TOKEN = "sk_live_4f9a8b7c6d5e4f3a2b1c"\n'
    result = run_checks(EXERCISE.id, code)
    (row,) = [row for row in result.checks if row.rule == "WB301"]
    assert not row.passed and row.hint == source_rules.RULE_HINTS["WB301"]
