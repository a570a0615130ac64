"""Bad/good pairs: the lessons' side-by-side code comparisons, as authored and as delivered.

The convention (lesson authors): a bad/good pair is an HTML table in the lesson's markdown
source, with a header row of two cells, the first starting ``Bad:`` and the second ``Good:``,
then one row holding a fenced code block in each cell::

    <table>
    <tr><th>Bad: what goes wrong</th><th>Good: what to write instead</th></tr>
    <tr><td>

    ```py
    ...the bad code...
    ```

    </td><td>

    ```py
    ...the good code...
    ```

    </td></tr>
    </table>

Fence the code as ``py``: jupytext would turn a ``python`` fence into a runnable cell and split
the table. The handouts set each pair side by side (``autograder.authoring.handouts``).

The lesson build (``autograder.authoring.lessons``) rewrites every pair for JupyterLab
(:func:`for_jupyterlab`): as authored, JupyterLab's rendered markdown centres each code block
in its cell and paints the code row grey (its ``tbody tr:nth-child(even)`` stripe; a light blue
under the mouse, ``tbody tr:hover``), so the shorter column's white code block sat in a grey box
with blank grey above and under it. In the notebook the header row goes in a ``<thead>`` and
the code row in a ``<tfoot>`` (no ``tbody`` row: neither the stripe nor the hover colour
reaches it), and each code cell gets ``style="vertical-align: top"`` (both columns start at
the top). JupyterLab's sanitizer keeps that style; it keeps a ``valign`` attribute too, but its
own ``vertical-align: middle`` rule overrides the attribute, and it drops a background colour
given as a theme variable. A pair is read the same way in either form (:func:`split_pairs`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


class PairFormatError(ValueError):
    """A table announces a bad/good pair (``Bad:`` header) but does not follow the convention."""


@dataclass(frozen=True)
class PairSide:
    caption: str  # the header cell's HTML, as the author wrote it
    language: str
    code: str


@dataclass(frozen=True)
class BadGoodPair:
    bad: PairSide
    good: PairSide


_HTML_TABLE = re.compile(
    r"^<table>[ \t]*\n(?P<inside>.*?)^</table>[ \t]*$", re.DOTALL | re.MULTILINE
)
# Either form: as authored (bare rows) or as the build delivers it (<thead>, <tfoot>, styled
# cells).
_HEADER_ROW = re.compile(
    r"\A\s*(?:<thead>\s*)?<tr>\s*<th>(?P<bad>.*?)</th>\s*<th>(?P<good>.*?)</th>\s*</tr>"
    r"(?:\s*</thead>)?",
    re.DOTALL,
)
_CODE_CELL = re.compile(
    r"<td(?:\s[^>]*)?>\s*```(?P<language>[\w+-]*)[ \t]*\n(?P<code>.*?)\n```\s*</td>", re.DOTALL
)
_CODE_ROW = re.compile(
    r"\A\s*(?:<tfoot>\s*)?<tr>\s*(?P<cells>.*?)</tr>\s*(?:</tfoot>\s*)?\Z", re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")

CODE_CELL_OPENING = '<td style="vertical-align: top">'


def plain(caption_html: str) -> str:
    return html.unescape(_TAG.sub("", caption_html)).strip()


def split_pairs(markdown: str) -> list[str | BadGoodPair]:
    """The markdown cut into its runs of plain markdown and its bad/good pairs, in order."""
    pieces: list[str | BadGoodPair] = []
    position = 0
    for start, end, pair in _pair_tables(markdown):
        pieces.append(markdown[position:start])
        pieces.append(pair)
        position = end
    pieces.append(markdown[position:])
    return [piece for piece in pieces if not isinstance(piece, str) or piece.strip()]


def pairs_in(markdown: str) -> list[BadGoodPair]:
    return [piece for piece in split_pairs(markdown) if isinstance(piece, BadGoodPair)]


def for_jupyterlab(markdown: str) -> str:
    """``markdown`` with every bad/good pair in the form JupyterLab shows well (see above)."""
    pieces = []
    position = 0
    for start, end, pair in _pair_tables(markdown):
        pieces.extend([markdown[position:start], _notebook_table(pair)])
        position = end
    pieces.append(markdown[position:])
    return "".join(pieces)


# JupyterLab colours a ``python`` fence and not a ``py`` one; the sources say ``py`` only for
# jupytext (see above), which never reads the built notebook.
NOTEBOOK_LANGUAGE = {"py": "python"}


def _notebook_table(pair: BadGoodPair) -> str:
    cells = "</td>".join(
        f"{CODE_CELL_OPENING}\n\n```{NOTEBOOK_LANGUAGE.get(side.language, side.language)}\n"
        f"{side.code}\n```\n\n"
        for side in (pair.bad, pair.good)
    )
    return (
        "<table>\n"
        f"<thead><tr><th>{pair.bad.caption}</th><th>{pair.good.caption}</th></tr></thead>\n"
        f"<tfoot><tr>{cells}</td></tr></tfoot>\n"
        "</table>"
    )


def _pair_tables(markdown: str) -> list[tuple[int, int, BadGoodPair]]:
    found = []
    for table in _HTML_TABLE.finditer(markdown):
        pair = _parse_pair(table["inside"])
        if pair is not None:
            found.append((table.start(), table.end(), pair))
    return found


def _parse_pair(inside: str) -> BadGoodPair | None:
    header = _HEADER_ROW.match(inside)
    if header is None or not plain(header["bad"]).startswith("Bad:"):
        return None  # an ordinary table
    expected = (
        "a bad/good pair is <table>, a row <tr><th>Bad: ...</th><th>Good: ...</th></tr>, then "
        "one row <tr><td>```py fence</td><td>```py fence</td></tr> and </table>"
    )
    if not plain(header["good"]).startswith("Good:"):
        raise PairFormatError(
            f"the table headed {plain(header['bad'])!r} needs a second header cell starting "
            f"'Good:'; {expected}"
        )
    code_row = _CODE_ROW.match(inside[header.end() :])
    cells = list(_CODE_CELL.finditer(code_row["cells"])) if code_row else []
    leftover = _CODE_CELL.sub("", code_row["cells"]).strip() if code_row else "?"
    if len(cells) != 2 or leftover:
        raise PairFormatError(
            f"the table headed {plain(header['bad'])!r} must hold exactly two code cells; "
            f"{expected}"
        )
    bad, good = (
        PairSide(caption=caption.strip(), language=cell["language"] or "py", code=cell["code"])
        for caption, cell in zip((header["bad"], header["good"]), cells, strict=True)
    )
    return BadGoodPair(bad=bad, good=good)
