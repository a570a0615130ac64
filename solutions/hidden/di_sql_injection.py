from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, brief, require, rule, same_answer
from autograder.engine.proptest import examples

# Pieces of SQL an attacker strings together; % and _ are left out (they are LIKE wildcards,
# which a correct answer may or may not escape: the lesson says so, and a bound value that
# keeps them leaks no row) and so is the backslash.
PIECES = [
    "'", '"', " OR ", "1'='1", "--", ";", "/*", "*/", " UNION SELECT ", "shelf", "staff",
    " id, title, author FROM books", "DROP TABLE books", ")", "(", "engine", "E", " ",
]  # fmt: skip
hostile = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)


@rule("security-5", hint="Any text, however hostile, is matched as text: the reference's answer.")
@examples
@given(q=hostile)
def test_hostile_searches_get_the_reference_answer(
    learner_client, reference_client, learner_database, q
):
    """generated hostile searches get the reference's answer and change no row"""
    line = f"GET /books/search?q={brief(q)}"
    same_answer(
        *ask_both(learner_client, reference_client, "GET", "/books/search", params={"q": q}), line
    )
    books = learner_database.rows("SELECT count(*) FROM books")[0][0]
    require(books >= 6, f"After {line}, the books table holds {books} rows.")


@rule("security-5", hint="Any author name is matched exactly, as a value.")
@examples
@given(author=hostile)
def test_hostile_authors_get_the_reference_answer(learner_client, reference_client, author):
    """generated hostile author names get the reference's answer"""
    url = f"/authors/{quote(author, safe='')}/books"
    same_answer(
        *ask_both(learner_client, reference_client, "GET", url),
        f"GET /authors/{brief(author)}/books",
    )


REAL_AUTHORS = ["Ada Lovelace", "Grace Hopper", "Linus Torvalds", "Martin Davis", "Front Desk"]


@st.composite
def near_names(draw):
    """A real author's name respelled: some letters in the other case, some made wildcards."""
    name = draw(st.sampled_from(REAL_AUTHORS))
    letters = []
    for letter in name:
        change = draw(st.sampled_from(["keep", "keep", "keep", "case", "_", "%"]))
        letters.append(
            letter if change == "keep" else letter.swapcase() if change == "case" else change
        )
    return "".join(letters)


@rule("security-5", hint="Exactly this author: equal, in its case, with `%` and `_` as letters.")
@examples
@given(author=near_names())
def test_near_author_names_get_the_reference_answer(learner_client, reference_client, author):
    """real authors' names, respelled in case or with wildcards, get the reference's answer"""
    url = f"/authors/{quote(author, safe='')}/books"
    same_answer(
        *ask_both(learner_client, reference_client, "GET", url),
        f"GET /authors/{brief(author)}/books",
    )
