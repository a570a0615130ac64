from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, rule, same_answer
from autograder.engine.proptest import examples


@rule("di-3", hint="Every book's link is signed as the reference signs it, with the same key.")
@examples
@given(book_id=st.integers(min_value=0, max_value=9))
def test_any_link_matches_the_reference(learner_client, reference_client, book_id):
    """every book's download link matches the reference's (signed with the configured key)"""
    url = f"/books/{book_id}/link"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("arch-1", hint="The about page shows what the configuration says, as the reference does.")
def test_the_about_page_matches_the_reference(learner_client, reference_client):
    """GET /about matches the reference's"""
    same_answer(*ask_both(learner_client, reference_client, "GET", "/about"), "GET /about")
