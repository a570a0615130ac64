"""Bad/good pairs in the delivered notebooks: both columns from the top, no grey box (issue 19.12).

As authored, JupyterLab centred each code block in its cell and painted the code row with its
table stripe (``tbody tr:nth-child(even)``) and hover colour (``tbody tr:hover``): the shorter
column's code sat in a grey box. The build moves the header into ``<thead>`` and the code row
into ``<tfoot>`` (out of reach of both ``tbody`` rules) and tops each code cell with an inline
style JupyterLab's sanitizer keeps. Checked on the committed notebooks' markdown (no browser:
tests/test_lessons.py keeps them identical to what the build makes).
"""

import dataclasses
import re

import nbformat
import pytest

from autograder import registry
from autograder.authoring import pairs

REGISTRY = registry.load()
LESSONS = REGISTRY.lessons
TABLE = re.compile(r"^<table>\n.*?^</table>$", re.DOTALL | re.MULTILINE)


def _as_delivered(pair: pairs.BadGoodPair) -> pairs.BadGoodPair:
    """The authored pair as the notebook carries it: a ``py`` fence becomes ``python``, which
    JupyterLab colours; captions and code unchanged."""

    def side(one: pairs.PairSide) -> pairs.PairSide:
        language = pairs.NOTEBOOK_LANGUAGE.get(one.language, one.language)
        return dataclasses.replace(one, language=language)

    return dataclasses.replace(pair, bad=side(pair.bad), good=side(pair.good))


def _pair_tables(markdown: str) -> list[str]:
    return [table for table in TABLE.findall(markdown) if pairs.pairs_in(table)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_pair_in_the_notebook_is_laid_out_for_jupyterlab(lesson):
    notebook = nbformat.read(lesson.notebook_path, as_version=4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    tables = [table for source in markdown for table in _pair_tables(source)]
    source = lesson.source_path.read_text(encoding="utf-8")
    assert len(tables) == len(pairs.pairs_in(source)) >= 1
    for table in tables:
        # The header alone in <thead>, the code row alone in <tfoot>: no row in a <tbody>.
        assert re.search(r"^<thead><tr><th>Bad:.*</th></tr></thead>$", table, re.MULTILINE)
        assert table.count("<tfoot><tr>") == table.count("</tr></tfoot>") == 1
        assert "<tbody" not in table
        assert table.count("<tr>") == 2
        # Every code cell starts at the top; no bare <td> is left to JupyterLab's centring.
        cells = re.findall(r"<td[^>]*>", table)
        assert cells == [pairs.CODE_CELL_OPENING] * 2, cells
    # The code, captions and order are the author's, character for character.
    delivered = [pair for text in markdown for pair in pairs.pairs_in(text)]
    assert delivered == [_as_delivered(pair) for pair in pairs.pairs_in(source)]
    assert {side.language for pair in delivered for side in (pair.bad, pair.good)} == {"python"}


def test_the_rewrite_keeps_the_text_around_and_ordinary_tables_and_is_stable():
    ordinary = "<table>\n<tr><th>name</th><th>value</th></tr>\n</table>"
    authored = (
        "Before.\n\n<table>\n<tr><th>Bad: <code>a</code></th><th>Good: b</th></tr>\n<tr><td>\n\n"
        "```py\ndef f():\n    return 1\n```\n\n</td><td>\n\n```py\nif x:\n        y()\n```\n\n"
        f"</td></tr>\n</table>\n\nBetween.\n\n{ordinary}\n\nAfter.\n"
    )
    delivered = pairs.for_jupyterlab(authored)
    assert delivered.startswith("Before.\n\n<table>\n<thead><tr><th>Bad: <code>a</code></th>")
    assert delivered.endswith(f"</tfoot>\n</table>\n\nBetween.\n\n{ordinary}\n\nAfter.\n")
    assert pairs.pairs_in(delivered) == [_as_delivered(pair) for pair in pairs.pairs_in(authored)]
    assert pairs.for_jupyterlab(delivered) == delivered
    assert pairs.for_jupyterlab(ordinary) == ordinary
