from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.sec_domain_errors import (
    GENERIC_500,
    SEEDED_EMAILS,
    TOO_LARGE,
    expect_safe,
    request_id_of,
)
from autograder.engine.checkkit import fail, require, rule, same_answer, show
from autograder.engine.proptest import examples

# A small pool of addresses, so that a sequence registers some twice; the seeded ones are taken.
emails = st.sampled_from([*SEEDED_EMAILS, "kim@example.test", "lee@example.test", "max@x.test"])
huge = st.integers(min_value=TOO_LARGE, max_value=2**70)
known_members = st.integers(min_value=1, max_value=5)
known_books = st.integers(min_value=1, max_value=6)
# At most one id of a loan is missing or too large: which of two refusals an app checks first
# is its own choice (both are 404), and the comparison must not depend on it.
loans = st.one_of(
    st.tuples(known_members, known_books),
    st.tuples(st.integers(min_value=50, max_value=999), known_books),
    st.tuples(known_members, st.integers(min_value=50, max_value=999)),
    st.tuples(huge, known_books),
    st.tuples(st.integers(min_value=1, max_value=3), huge),  # seeded: the member exists
)


def too_large(url, body):
    """Whether the request names an id no SQLite INTEGER holds."""
    ids = [*(body or {}).values(), url.rsplit("/", 1)[-1]]
    return any(str(i).isdigit() and int(i) >= TOO_LARGE for i in ids)


steps = st.one_of(
    emails.map(lambda e: ("POST", "/members", {"name": "Reader", "email": e})),
    st.one_of(known_members, st.integers(min_value=6, max_value=999), huge).map(
        lambda m: ("GET", f"/members/{m}", None)
    ),
    loans.map(lambda ids: ("POST", "/loans", {"member_id": ids[0], "book_id": ids[1]})),
)


@rule(
    "prod-2",
    hint=(
        "Every request, in any order: the reference's status, its data where it succeeds, and "
        "no internal text where it fails."
    ),
)
def test_any_sequence_answers_as_the_reference(
    start_learner_app, reference_client, reference_database
):
    """generated registrations, look-ups and loans get the reference's statuses, safely"""
    app = start_learner_app()  # a fresh database, seen only by this check, as the reference's

    @examples
    @given(sequence=st.lists(steps, min_size=1, max_size=5))
    def run(sequence):
        for method, url, body in sequence:
            kwargs = {"json": body} if body is not None else {}
            mine = app.client.request(method, url, **kwargs)
            line = f"{method} {url}" + (f" {body}" if body else "")
            if mine.status_code >= 400:  # a member's own record is no leak; a refusal may be
                expect_safe(mine, line, str(body or ""))
            if too_large(url, body):
                # The reference fails here too (the driver refuses the id), as a generic 500
                # with a request id; an app may also refuse the id before the database sees it.
                if mine.status_code == 422:
                    continue
                require(
                    mine.status_code in GENERIC_500 and len(request_id_of(mine)) >= 8,
                    f"{line} answered {show(mine)}; the reference answers a generic 500 with a "
                    "request id (the database driver cannot take an id that large).",
                )
                continue
            theirs = reference_client.request(method, url, **kwargs)
            # An error's wording is the learner's own; its status and the data are not.
            same_answer(mine, theirs, line, compare_body=theirs.is_success)
        for table in (
            "SELECT id, name, email FROM members",
            "SELECT book_id, member_id FROM loans",
        ):
            query = f"{table} ORDER BY id"
            left, expected = app.database.rows(query), reference_database.rows(query)
            if left != expected:
                fail(f"`{query}` on your database gives {left}; on the reference's {expected}.")

    run()


@rule(
    "prod-2",
    hint="One domain error, one answer: the same status and the same body from every route.",
)
def test_each_refusal_answers_alike_wherever_it_happens(learner_client):
    """each refusal answers the same body whichever request met it"""
    member_missing = [
        ("GET", "/members/777", None),
        ("GET", "/members/12345", None),
        ("POST", "/loans", {"member_id": 888, "book_id": 2}),
    ]
    book_missing = [
        ("POST", "/loans", {"member_id": 1, "book_id": 404}),
        ("POST", "/loans", {"member_id": 3, "book_id": 9000}),
    ]
    for group in (member_missing, book_missing):
        answers = []
        for method, url, body in group:
            response = learner_client.request(method, url, **({"json": body} if body else {}))
            answers.append((f"{method} {url}" + (f" {body}" if body else ""), response))
        (first_line, first), *rest = answers
        for line, response in rest:
            require(
                response.status_code == first.status_code and response.text == first.text,
                f"{first_line} answered {show(first)}, and {line} answered {show(response)}: "
                "the same refusal answers differently. Map each domain error once.",
            )
