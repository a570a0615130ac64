"""Printable handouts: an HTML page and a PDF for every lesson, for workshops.

A handout is the lesson notebook as a learner first opens it, laid out for paper:

- the story and the demo cells, code without outputs (nothing is executed);
- every exercise in its starter form, with its title, points and the items it teaches, and a
  one-line note naming its check cell; the reference solution is never read;
- each exercise's hints folded away: a closed ``<details>`` on screen; on paper the exercise
  only points to a "Hints" appendix that starts on a page of its own at the end, so a workshop
  leader can print it, hold it back, or hand it out later;
- each bad/good pair set side by side.

The pair convention (a ``<table>`` headed ``Bad:`` / ``Good:`` over a ``py`` fence in each
cell) is described in ``autograder.authoring.pairs``, which reads pairs in the form the
lessons are written in and in the form the lesson build delivers to JupyterLab. Every
lesson's "The bad example" section holds at least one pair (tests/test_handouts.py says so).

The PDF is printed by the system's headless Chromium (``autograder.authoring.chromium``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import registry as registry_module
from autograder.authoring import lessons
from autograder.authoring.pairs import BadGoodPair, PairFormatError, split_pairs
from autograder.authoring.pairs import pairs_in as pairs_in  # for callers of handouts
from autograder.registry import Lesson, Registry

WORKBOOK_NAME = "FastAPI Purist Workbook"

# One set of margins for the CSS @page rule (printing the HTML from a browser) and for
# Chromium's PDF, whose header and footer are drawn inside the top and bottom margins.
PAGE_MARGINS = {"top": "18mm", "right": "14mm", "bottom": "16mm", "left": "14mm"}

# Code is printed at CODE_POINTS unless its longest line would not fit; then the block gets a
# smaller size (down to MIN_CODE_POINTS) rather than wrapped lines, which blur Python's
# indentation. The capacities are characters of DejaVu Sans Mono at CODE_POINTS on A4 with the
# margins above, measured on the printed page.
CODE_POINTS = 8.5
MIN_CODE_POINTS = 6.8
FULL_WIDTH_CHARACTERS = 96  # a code block in the story
EXERCISE_CHARACTERS = 92  # a code block in an exercise's box, which is a little narrower
HALF_WIDTH_CHARACTERS = 46  # one column of a bad/good pair


class LessonNotebookUnavailable(PairFormatError):
    """No notebook to print: the delivered one is missing and jupytext is not there to build it.

    A kind of ``PairFormatError`` so that the command line reports it the same way: no handouts
    written, and why.
    """


_HEADING_2 = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)

BAD_EXAMPLE_HEADING = "The bad example"


def bad_example_section(markdown: str) -> str | None:
    """The text of the section whose ``##`` heading starts with "The bad example", if any."""
    headings = list(_HEADING_2.finditer(markdown))
    for number, heading in enumerate(headings):
        if heading["title"].startswith(BAD_EXAMPLE_HEADING):
            end = headings[number + 1].start() if number + 1 < len(headings) else len(markdown)
            return markdown[heading.end() : end]
    return None


def code_points(code: str, characters_that_fit: int) -> float:
    """The font size at which the longest line of ``code`` fits its box without wrapping."""
    longest = max((len(line) for line in code.splitlines()), default=0)
    if longest <= characters_that_fit:
        return CODE_POINTS
    return max(MIN_CODE_POINTS, round(CODE_POINTS * characters_that_fit / longest, 2))


def _handout_cell(kind: str, **facts: object) -> NotebookNode:
    # A raw cell that only the handout template reads: its metadata says what to draw.
    cell = nbformat.v4.new_raw_cell("")
    cell.metadata["handout"] = {"kind": kind, **facts}
    return cell


def _pair_cell(pair: BadGoodPair) -> NotebookNode:
    sides = [
        {
            "caption": side.caption,
            "language": side.language,
            "code": side.code,
            "font_pt": code_points(side.code, HALF_WIDTH_CHARACTERS),
        }
        for side in (pair.bad, pair.good)
    ]
    # Both columns at one size, so the two versions read as one comparison.
    smaller = min(side["font_pt"] for side in sides)
    for side in sides:
        side["font_pt"] = smaller
    return _handout_cell("pair", bad=sides[0], good=sides[1])


def _lesson_notebook(lesson: Lesson, registry: Registry) -> NotebookNode:
    """The lesson with its starters (the reference is never read).

    Built from its source where jupytext is installed (an author's checkout: current even before
    `make lessons`); in a learner's install, which has no jupytext, the delivered notebook, which
    tests/test_lessons.py keeps identical to what the build makes.
    """
    try:
        import jupytext  # noqa: F401 - only whether it is there
    except ModuleNotFoundError:
        if lesson.notebook_path.exists():
            return nbformat.read(lesson.notebook_path, as_version=4)
        raise LessonNotebookUnavailable(
            f"{lesson.notebook_path.name} is missing and building it from "
            f"{lesson.source_path.name} needs jupytext: pip install -e '.[authoring]'"
        ) from None
    return lessons.build(lesson, registry)


def handout_notebook(lesson: Lesson, registry: Registry) -> NotebookNode:
    """The lesson notebook as a learner receives it, rearranged for the handout template."""
    notebook = _lesson_notebook(lesson, registry)
    cells: list[NotebookNode] = []
    for cell in notebook.cells:
        role = cell.metadata.get("workbook", {}).get("role")
        if role == "setup":
            # The setup cell is plumbing; in its place (after the intro) goes an overview.
            cells.append(_overview_cell(lesson, registry))
        elif role == "exercise":
            cells.append(_exercise_cell(cell, cells, registry))
        elif role == "check":
            # Shown inside its exercise's box, as a one-line note.
            exercise_id = cell.metadata["workbook"]["exercise"]
            exercise_cell = next(
                c for c in reversed(cells) if c.metadata.get("handout", {}).get("id") == exercise_id
            )
            exercise_cell.metadata["handout"]["check_source"] = _check_call(cell.source)
        elif role is not None:
            continue  # the notebook's own machinery (a progress display, say): not for paper
        elif cell.cell_type == "markdown":
            try:
                pieces = split_pairs(cell.source)
            except PairFormatError as error:
                raise PairFormatError(f"{lesson.source_path.name}: {error}") from None
            for piece in pieces:
                if isinstance(piece, BadGoodPair):
                    cells.append(_pair_cell(piece))
                else:
                    cells.append(nbformat.v4.new_markdown_cell(piece.strip("\n")))
        else:
            cell.metadata["handout"] = {
                "kind": "code",
                "font_pt": code_points(cell.source, FULL_WIDTH_CHARACTERS),
            }
            cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)


def _overview_cell(lesson: Lesson, registry: Registry) -> NotebookNode:
    exercises = registry.exercises_of(lesson.id)
    return _handout_cell(
        "overview",
        summary=lesson.summary,
        exercises=[{"id": e.id, "title": e.title, "points": e.points} for e in exercises],
        total_points=sum(e.points for e in exercises),
    )


def _check_call(check_source: str) -> str:
    """The check cell's call, for a one-line note on paper (its import line is for kernels)."""
    return check_source.strip().splitlines()[-1]


def _exercise_cell(
    cell: NotebookNode, cells_so_far: list[NotebookNode], registry: Registry
) -> NotebookNode:
    exercise = registry.exercise(cell.metadata["workbook"]["exercise"])
    # The notebook states points and items in a markdown line above the cell; the handout's
    # exercise box states them itself, so that line goes when it is found as built.
    facts = lessons.facts_markdown(exercise, registry)
    previous = cells_so_far[-1] if cells_so_far else None
    if previous is not None and previous.cell_type == "markdown":
        if previous.source.rstrip().endswith(facts):
            previous.source = previous.source.rstrip().removesuffix(facts).rstrip()
            if not previous.source:
                cells_so_far.pop()
    cell.metadata["handout"] = {
        "kind": "exercise",
        "id": exercise.id,
        "title": exercise.title,
        "points": exercise.points,
        "items": [{"id": item, "text": registry.catalog[item]} for item in exercise.seed_items],
        "hints": list(exercise.hints),
        "check_source": _check_call(lessons.check_cell_source(exercise)),
        "font_pt": code_points(cell.source, EXERCISE_CHARACTERS),
    }
    return cell


# nbconvert's HTMLExporter renders the notebook (markdown through its mistune renderer, code
# through pygments); this template replaces its screen layout with one made for paper.
TEMPLATE = r"""
{%- extends 'base/null.j2' -%}
{%- set handout = resources.handout -%}

{%- block header -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="autograder.authoring.handouts">
<title>{{ handout.title | e }}</title>
<style>
{{ handout.css }}
</style>
</head>
<body>
<main>
<p class="kicker">{{ handout.workbook | e }} · handout</p>
{%- endblock header -%}

{% block markdowncell scoped %}
<div class="prose">
{{ cell.source | markdown2html }}
</div>
{% endblock markdowncell %}

{% block rawcell scoped %}
{%- set part = cell.metadata.handout -%}
{%- if part.kind == 'pair' %}
<table class="pair">
<colgroup><col class="side"><col class="side"></colgroup>
<thead><tr>
<th class="bad">{{ part.bad.caption }}</th>
<th class="good">{{ part.good.caption }}</th>
</tr></thead>
<tbody><tr>
{%- for side in [part.bad, part.good] %}
<td class="{{ 'bad' if loop.first else 'good' }}">
<div class="code" style="font-size: {{ side.font_pt }}pt">
{{ side.code | highlight_code(language=side.language) }}
</div>
</td>
{%- endfor %}
</tr></tbody>
</table>
{%- elif part.kind == 'overview' %}
<aside class="overview">
<p class="summary">{{ part.summary | e }}</p>
<table class="exercise-list">
<thead><tr><th>exercise</th><th>title</th><th>points</th></tr></thead>
<tbody>
{%- for exercise in part.exercises %}
<tr><td><code>{{ exercise.id | e }}</code></td><td>{{ exercise.title | e }}</td>
<td class="number">{{ exercise.points }}</td></tr>
{%- endfor %}
<tr class="total"><td></td><td>total</td><td class="number">{{ part.total_points }}</td></tr>
</tbody>
</table>
</aside>
{%- endif %}
{% endblock rawcell %}

{% block codecell scoped %}
{%- set part = cell.metadata.handout -%}
{%- if part.kind == 'exercise' %}
<section class="exercise" id="exercise-{{ part.id }}">
<header class="exercise-head">
<span class="exercise-id">{{ part.id | e }}</span>
<span class="exercise-title">{{ part.title | e }}</span>
<span class="exercise-points">{{ part.points }} point{{ '' if part.points == 1 else 's' }}</span>
</header>
<ul class="items">
{%- for item in part['items'] %}
<li><code>{{ item.id | e }}</code> {{ item.text | e }}</li>
{%- endfor %}
</ul>
<p class="label">The exercise cell, as you receive it (edit it, then run it):</p>
<div class="code starter" style="font-size: {{ part.font_pt }}pt">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
</div>
<p class="check-note">Then run the check cell under it: <code>{{ part.check_source | e }}</code></p>
<details class="hints">
<summary>Hints ({{ part.hints | length }}, from vague to specific)</summary>
<ol>
{%- for hint in part.hints %}
<li>{{ hint | markdown2html }}</li>
{%- endfor %}
</ol>
</details>
<p class="hints-pointer">Stuck? Hints for <code>{{ part.id | e }}</code> are in the
Hints appendix at the end; read one at a time.</p>
</section>
{%- else %}
<div class="code demo" style="font-size: {{ part.font_pt }}pt">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
</div>
{%- endif %}
{% endblock codecell %}

{%- block footer %}
<section class="hints-appendix">
<h2>Hints</h2>
<p>Each exercise's hints go from a nudge to nearly the answer. Read the first, try again, and
only then read the next.</p>
{%- for exercise in handout.exercises %}
<details class="hints" open>
<summary><code>{{ exercise.id | e }}</code> · {{ exercise.title | e }}</summary>
<ol>
{%- for hint in exercise.hints %}
<li>{{ hint | markdown2html }}</li>
{%- endfor %}
</ol>
</details>
{%- endfor %}
</section>
</main>
</body>
</html>
{% endblock footer %}
"""

STYLESHEET = """
@page { size: A4; margin: %(top)s %(right)s %(bottom)s %(left)s; }
:root { color-scheme: light; }
html { background: #fff; color: #1a1a1a; }
body {
  font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  font-size: 10pt; line-height: 1.42; margin: 0 auto; max-width: 182mm; padding: 8mm 4mm;
}
main { display: block; }
.kicker { color: #666; font-size: 8.5pt; letter-spacing: 0.04em; margin: 0 0 2mm; }
h1 { font-size: 19pt; margin: 0 0 4mm; line-height: 1.2; }
h2 { font-size: 13.5pt; margin: 7mm 0 2.5mm; padding-bottom: 1mm; border-bottom: 0.6pt solid #bbb; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; }
h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
p, li { orphans: 3; widows: 3; }
p { margin: 0 0 2.4mm; }
ul, ol { margin: 0 0 2.4mm; padding-left: 6mm; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
code { font-size: 0.88em; background: #f2f2f2; padding: 0 0.25em; border-radius: 2px; }
a { color: #1a4f8b; text-decoration: none; }
.anchor-link { display: none; }

/* code blocks: light, bordered, never cut (wrap as a last resort), kept on one page if they fit */
.code, .prose .highlight { break-inside: avoid; page-break-inside: avoid; margin: 0 0 3mm; }
.code pre, .prose pre {
  margin: 0; padding: 2mm 2.5mm; background: #f7f7f5; border: 0.6pt solid #d0d0cc;
  border-radius: 2px; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.32;
}
.code pre { font-size: 1em; }
.prose pre { font-size: %(code_points)spt; }
.code pre code, .prose pre code { background: none; padding: 0; font-size: 1em; }
.highlight .err { border: none; background: none; }

/* tables in the story */
.prose table { border-collapse: collapse; margin: 0 0 3mm; font-size: 9pt; break-inside: avoid; }
.prose th, .prose td {
  border: 0.6pt solid #bbb; padding: 1mm 2mm; vertical-align: top; text-align: left;
}
.prose th { background: #eee; }

/* a bad/good pair: two equal columns, the comparison kept on one page */
table.pair {
  width: 100%%; table-layout: fixed; border-collapse: separate; border-spacing: 2.5mm 0;
  margin: 1mm -2.5mm 3.5mm; width: calc(100%% + 5mm); break-inside: avoid; page-break-inside: avoid;
}
table.pair col.side { width: 50%%; }
table.pair th { text-align: left; font-size: 9.5pt; padding: 1mm 2mm; border-radius: 2px 2px 0 0; }
table.pair th.bad { background: #f8e1e0; border-top: 1.6pt solid #b3261e; }
table.pair th.good { background: #e1f0e3; border-top: 1.6pt solid #1e7b34; }
/* the cells carry the frame, so both columns end at the same height */
table.pair td { vertical-align: top; padding: 0; background: #f7f7f5; border: 0.6pt solid #d0d0cc;
  border-top: none; }
table.pair .code { margin: 0; }
table.pair .code pre { border: none; background: none; }

/* the lesson at a glance */
.overview { border: 0.6pt solid #ccc; border-radius: 3px; padding: 2.5mm 3.5mm; margin: 1mm 0 4mm;
  break-inside: avoid; background: #fafafa; }
.overview .summary { font-style: italic; margin-bottom: 2mm; }
.exercise-list { border-collapse: collapse; font-size: 9pt; width: 100%%; }
.exercise-list th {
  text-align: left; color: #555; font-weight: normal; border-bottom: 0.6pt solid #bbb;
}
.exercise-list td, .exercise-list th { padding: 0.6mm 2mm 0.6mm 0; }
.exercise-list .number { text-align: right; }
.exercise-list .total td { border-top: 0.6pt solid #bbb; font-weight: bold; }

/* an exercise: a framed box */
/* kept on one page when it fits; a starter longer than a page breaks between its lines */
.exercise { border: 0.8pt solid #888; border-radius: 3px; padding: 2.5mm 3.5mm 1.5mm;
  margin: 2mm 0 5mm; break-inside: avoid; page-break-inside: avoid; }
.exercise .code { break-inside: auto; page-break-inside: auto; }
.exercise-head { display: flex; gap: 3mm; align-items: baseline; margin-bottom: 1.5mm;
  break-after: avoid; page-break-after: avoid; }
.exercise-id {
  font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; background: #222; color: #fff;
  padding: 0.3mm 1.5mm; border-radius: 2px;
}
.exercise-title { font-weight: bold; flex: 1; }
.exercise-points { white-space: nowrap; color: #333; }
.items { font-size: 8.8pt; color: #333; list-style: none; padding-left: 0; }
.items li { margin-bottom: 0.6mm; }
.label { font-size: 8.5pt; color: #555; margin-bottom: 1mm; }
.check-note { font-size: 9pt; margin: 0 0 2mm; }
details.hints { font-size: 9pt; margin: 0 0 2mm; }
details.hints summary { cursor: pointer; color: #1a4f8b; }
details.hints ol { margin-top: 1.5mm; }
details.hints li p { margin: 0 0 1mm; }
.hints-pointer { display: none; font-size: 8.5pt; color: #555; }

/* the hints appendix is for paper; on screen each exercise has its own folded hints */
.hints-appendix { display: none; }

@media print {
  body { max-width: none; padding: 0; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.8em; color: #555; }
  .exercise details.hints { display: none; }
  .hints-pointer { display: block; }
  .hints-appendix { display: block; break-before: page; page-break-before: always; }
  .hints-appendix details.hints { break-inside: avoid; margin-bottom: 3mm; }
  .hints-appendix details.hints summary { color: #1a1a1a; font-weight: bold; list-style: none; }
  .hints-appendix details.hints summary::-webkit-details-marker { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _stylesheet() -> str:
    from pygments.formatters import HtmlFormatter

    page = STYLESHEET % {**PAGE_MARGINS, "code_points": CODE_POINTS}
    # A light pygments style: dark themes waste toner and print as grey mush.
    highlighting = HtmlFormatter(style="default").get_style_defs(".highlight")
    return page + "\n" + highlighting


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[DictLoader({"handout.html.j2": TEMPLATE})],
        template_file="handout.html.j2",
        exclude_anchor_links=True,
    )


def handout_title(lesson: Lesson) -> str:
    number = lesson.id.split("-", 1)[0]
    return f"Lesson {number} · {lesson.title}"


def render_html(lesson: Lesson, registry: Registry | None = None) -> str:
    """The lesson's handout as one self-contained HTML page."""
    registry = registry or registry_module.load()
    notebook = handout_notebook(lesson, registry)
    exercises = registry.exercises_of(lesson.id)
    resources = {
        "handout": {
            "title": f"{handout_title(lesson)} · {WORKBOOK_NAME}",
            "workbook": WORKBOOK_NAME,
            "css": _stylesheet(),
            "exercises": [
                {"id": e.id, "title": e.title, "hints": list(e.hints)} for e in exercises
            ],
        }
    }
    page, _ = _exporter().from_notebook_node(notebook, resources=resources)
    return page


def write_html(out_dir: Path, registry: Registry | None = None) -> list[Path]:
    """One ``<lesson>.html`` per lesson in the registry."""
    registry = registry or registry_module.load()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in registry.lessons:
        path = out_dir / f"{lesson.id}.html"
        path.write_text(render_html(lesson, registry), encoding="utf-8")
        written.append(path)
    return written


def _margin_template(left: str, right: str) -> str:
    # Chromium draws the header and footer in the page margins, as documents of their own
    # (no page CSS reaches them), filling spans such as class="title" and class="pageNumber".
    style = (
        "font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 7.5pt; color: #666; "
        f"width: 100%; margin: 0 {PAGE_MARGINS['left']}; display: flex; "
        "justify-content: space-between;"
    )
    return f'<div style="{style}"><span>{left}</span><span>{right}</span></div>'


HEADER_TEMPLATE = _margin_template('<span class="title"></span>', "")
FOOTER_TEMPLATE = _margin_template(
    "", 'page <span class="pageNumber"></span> of <span class="totalPages"></span>'
)


def print_pdfs(html_paths: list[Path]) -> list[Path]:
    """Print each HTML page to a PDF beside it with headless Chromium.

    Raises ``autograder.authoring.chromium.ChromiumMissing`` when no Chromium is installed.
    """
    from autograder.authoring.chromium import ChromiumMissing, headless_chromium

    try:
        import playwright  # noqa: F401 - Chromium is driven through it
    except ModuleNotFoundError:
        raise ChromiumMissing(
            "printing PDFs needs Playwright, an authoring tool: pip install -e '.[authoring]' "
            "(or pip install playwright). The HTML pages are written; any browser prints them."
        ) from None
    written = []
    with headless_chromium() as browser:
        page = browser.new_page()
        page.emulate_media(media="print")
        for html_path in html_paths:
            pdf_path = html_path.with_suffix(".pdf")
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.pdf(
                path=str(pdf_path),
                format="A4",
                margin=PAGE_MARGINS,
                print_background=True,
                display_header_footer=True,
                header_template=HEADER_TEMPLATE,
                footer_template=FOOTER_TEMPLATE,
            )
            written.append(pdf_path)
        page.close()
    return written


def build_handouts(out_dir: Path, registry: Registry | None = None) -> list[Path]:
    """Write ``<lesson>.html`` and ``<lesson>.pdf`` for every lesson; return every path written.

    The HTML is written first, so it is there even when Chromium is missing and printing fails
    with ``ChromiumMissing``.
    """
    html_paths = write_html(out_dir, registry)
    return html_paths + print_pdfs(html_paths)
