"""Handouts: an HTML page and a PDF for every lesson, made for paper and free of solutions."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder import registry
from autograder.authoring import handouts, lessons
from autograder.authoring.chromium import INSTALL_HINT, ChromiumMissing
from autograder.cli import main

REGISTRY = registry.load()
LESSONS = REGISTRY.lessons


# --- a small DOM, enough to ask structural questions of the generated page ---------------

VOID_ELEMENTS = {
    "area",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self, *, skip: str | None = None) -> str:
        """All text below this element; with ``skip``, leaving out subtrees of that tag."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag != skip:
                parts.append(child.text(skip=skip))
        return "".join(parts)

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag == tag and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find_all(tag, cls))
        return found

    def elements(self) -> list[Element]:
        return [child for child in self.children if isinstance(child, Element)]

    def ancestors(self) -> list[Element]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), parent=self.current)
        self.current.children.append(element)
        if tag not in VOID_ELEMENTS:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def normalized(text: str) -> str:
    # PDF text comes with ligatures (ﬁ) and its own line breaks; compare words only.
    return " ".join(unicodedata.normalize("NFKC", text).split())


# --- built once per test session --------------------------------------------------------


@dataclass
class Built:
    html: dict[str, Path]
    pdf: dict[str, Path]
    chromium_missing: ChromiumMissing | None


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    out_dir = tmp_path_factory.mktemp("handouts")
    with pytest.MonkeyPatch.context() as patch:
        # With the solutions out of reach, a handout that tried to read one could not be built.
        patch.setenv("WORKBOOK_SOLUTIONS", str(tmp_path_factory.mktemp("no-solutions")))
        html_paths = handouts.write_html(out_dir, REGISTRY)
    try:
        pdf_paths, missing = handouts.print_pdfs(html_paths), None
    except ChromiumMissing as error:
        pdf_paths, missing = [], error
    return Built(
        html={path.stem: path for path in html_paths},
        pdf={path.stem: path for path in pdf_paths},
        chromium_missing=missing,
    )


def page_of(built: Built, lesson) -> Element:
    return parse(built.html[lesson.id].read_text(encoding="utf-8"))


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_lesson_has_an_html_handout(built, lesson):
    assert set(built.html) == {lesson.id for lesson in LESSONS}
    page = page_of(built, lesson)
    (title,) = page.find_all("title")
    assert lesson.title in title.text()
    (heading,) = page.find_all("h1")
    assert lesson.title in heading.text()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_lesson_has_a_valid_pdf_naming_the_lesson(built, lesson):
    if built.chromium_missing is not None:
        message = f"no PDF handouts: {built.chromium_missing}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(f"Chromium is missing. {INSTALL_HINT}")
    from pypdf import PdfReader

    reader = PdfReader(built.pdf[lesson.id])
    assert len(reader.pages) >= 1
    first_page = normalized(reader.pages[0].extract_text())
    assert normalized(lesson.title) in first_page
    assert normalized(handouts.handout_title(lesson)) in first_page  # the running header


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_bad_example_has_a_side_by_side_pair(lesson):
    source = lesson.source_path.read_text(encoding="utf-8")
    section = handouts.bad_example_section(source)
    assert section is not None, (
        f"{lesson.source_path.name} needs a '## {handouts.BAD_EXAMPLE_HEADING}...' section"
    )
    assert handouts.pairs_in(section), (
        f"the bad example of {lesson.source_path.name} needs a bad/good pair: an HTML table "
        "whose header cells start 'Bad:' and 'Good:', over one ```py fence in each cell "
        "(see autograder/authoring/handouts.py)"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_each_pair_is_set_side_by_side_with_its_code_intact(built, lesson):
    pairs = handouts.pairs_in(lesson.source_path.read_text(encoding="utf-8"))
    tables = page_of(built, lesson).find_all("table", "pair")
    assert len(tables) == len(pairs) >= 1
    for table, pair in zip(tables, pairs, strict=True):
        (head_row,) = table.find_all("thead")[0].find_all("tr")
        assert [sorted(th.classes) for th in head_row.elements()] == [["bad"], ["good"]]
        (body_row,) = table.find_all("tbody")[0].find_all("tr")
        columns = body_row.elements()
        assert [column.tag for column in columns] == ["td", "td"]
        for column, side in zip(columns, (pair.bad, pair.good), strict=True):
            (code,) = column.find_all("pre")
            # Indentation survives: the printed code is the authored code, character for character.
            assert code.text().rstrip("\n") == side.code


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_exercises_appear_as_starters_with_title_points_and_check(built, lesson):
    page = page_of(built, lesson)
    boxes = {box.attrs["id"]: box for box in page.find_all("section", "exercise")}
    exercises = REGISTRY.exercises_of(lesson.id)
    assert list(boxes) == [f"exercise-{exercise.id}" for exercise in exercises]
    for exercise in exercises:
        box = boxes[f"exercise-{exercise.id}"]
        text = normalized(box.text())
        assert exercise.title in text
        assert f"{exercise.points} point" in text
        assert all(item in text for item in exercise.seed_items)
        assert f'Then run the check cell under it: check("{exercise.id}")' in text
        (code,) = box.find_all("pre")
        assert code.text() == lessons.exercise_cell_source(exercise, exercise.starter_source())


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_the_reference_never_appears(built, lesson):
    page_text = normalized(page_of(built, lesson).text())
    # Lines the handout shows for other reasons (the story, a hint, a starter) prove nothing;
    # the lines only a reference holds must never be printed.
    shown_anyway = normalized(
        lesson.source_path.read_text(encoding="utf-8")
        + "\n"
        + "\n".join(hint for exercise in REGISTRY.exercises for hint in exercise.hints)
        + "\n"
        + "\n".join(exercise.starter_source() for exercise in REGISTRY.exercises)
    ).replace("`", "")
    reference_only = [
        normalized(line)
        for exercise in REGISTRY.exercises_of(lesson.id)
        for line in exercise.reference_source().splitlines()
        # Backticks are dropped on both sides: the story's markdown renders them away.
        if len(line.strip()) >= 8 and normalized(line).replace("`", "") not in shown_anyway
    ]
    assert reference_only, "the references differ from the starters in some line"
    leaked = [line for line in reference_only if line in page_text]
    assert not leaked, f"reference lines in the handout: {leaked}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_hints_are_folded_away(built, lesson):
    page = page_of(built, lesson)
    for exercise in REGISTRY.exercises_of(lesson.id):
        (box,) = [
            box
            for box in page.find_all("section", "exercise")
            if box.attrs["id"] == f"exercise-{exercise.id}"
        ]
        (details,) = box.find_all("details", "hints")
        assert "open" not in details.attrs, "on screen the hints start folded"
        assert details.find_all("summary")
        tiers = details.find_all("li")
        assert len(tiers) == len(exercise.hints)
        for tier, hint in zip(tiers, exercise.hints, strict=True):
            assert normalized(hint.replace("`", "")) == normalized(tier.text())
    # No hint can be read outside a <details>: not in the story, not in the exercise boxes.
    outside = normalized(page.text(skip="details"))
    for exercise in REGISTRY.exercises_of(lesson.id):
        for hint in exercise.hints:
            assert normalized(hint.replace("`", "")) not in outside


def test_a_hint_appendix_prints_at_the_end_and_hides_on_screen(built):
    page = page_of(built, LESSONS[0])
    (appendix,) = page.find_all("section", "hints-appendix")
    body = page.find_all("main")[0].elements()
    assert body[-1] is appendix
    css = page.find_all("style")[0].text()
    assert re.search(r"\.hints-appendix \{ display: none; \}", css)
    assert re.search(r"\.hints-appendix \{ display: block; break-before: page;", css)


def test_a_table_that_announces_a_pair_must_follow_the_convention():
    one_column = (
        "<table>\n<tr><th>Bad: x</th><th>Good: y</th></tr>\n"
        "<tr><td>\n\n```py\npass\n```\n\n</td></tr>\n</table>\n"
    )
    with pytest.raises(handouts.PairFormatError, match="exactly two code cells"):
        handouts.pairs_in(one_column)
    no_good = one_column.replace("Good: y", "Better: y")
    with pytest.raises(handouts.PairFormatError, match="'Good:'"):
        handouts.pairs_in(no_good)
    ordinary = "<table>\n<tr><th>name</th><th>value</th></tr>\n</table>\n"
    assert handouts.split_pairs(ordinary) == [ordinary]


def test_pairs_keep_indentation_and_the_text_around_them():
    source = (
        "Before.\n\n<table>\n<tr><th>Bad: <code>a</code></th><th>Good: b</th></tr>\n<tr><td>\n\n"
        "```py\ndef f():\n    return 1\n```\n\n</td><td>\n\n```py\nif x:\n        y()\n```\n\n"
        "</td></tr>\n</table>\n\nAfter.\n"
    )
    before, pair, after = handouts.split_pairs(source)
    assert before.strip() == "Before." and after.strip() == "After."
    assert pair.bad.caption == "Bad: <code>a</code>"
    assert pair.bad.code == "def f():\n    return 1"
    assert pair.good.code == "if x:\n        y()"


def test_without_chromium_the_command_writes_the_html_and_fails_saying_why(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("WORKBOOK_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert main(["handouts", "--out", str(tmp_path / "out")]) == 1
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        f"{lesson.id}.html" for lesson in LESSONS
    )
    assert INSTALL_HINT in capsys.readouterr().err


# --- from a learner's install --------------------------------------------------------------------

# The `python -m autograder` of an install without the extras: each tool of the authoring or
# classroom extras is absent, as it is there.
_WITHOUT_THE_EXTRAS = """
import runpy, sys
# None in sys.modules: `import` raises ModuleNotFoundError, importlib.util.find_spec says absent.
for name in ("jupytext", "playwright", "nbgrader", "dask", "distributed"):
    sys.modules[name] = None
sys.argv = ["autograder", *sys.argv[1:]]
runpy.run_module("autograder", run_name="__main__", alter_sys=True)
"""


def test_handouts_work_in_a_learners_install_and_say_what_pdfs_need(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "handouts"
    finished = subprocess.run(
        [sys.executable, "-c", _WITHOUT_THE_EXTRAS, "handouts", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert "Traceback" not in finished.stderr, finished.stderr
    written = sorted(path.name for path in out.glob("*.html"))
    assert written == sorted(f"{lesson.id}.html" for lesson in LESSONS), finished.stdout
    # The same pages as an author's checkout builds from the lesson sources.
    for lesson in LESSONS:
        assert (out / f"{lesson.id}.html").read_text() == handouts.render_html(lesson, REGISTRY)
    assert finished.returncode == 1  # HTML written, PDFs not: said, not hidden
    assert "No PDFs written: printing PDFs needs Playwright" in finished.stderr
    assert "pip install -e '.[authoring]'" in finished.stderr
