from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, rule, same_answer
from autograder.engine.proptest import examples

URL = "/users/2/profile"
START = {"display_name": "Grace", "bio": "Finds bugs", "website": None, "location": "Arlington"}
words = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=12)
optional_values = st.one_of(st.none(), words, st.text(min_size=161, max_size=170))
# Any subset of the fields, each sent as a value, as null, or too long.
patches = st.fixed_dictionaries(
    {},
    optional={
        "display_name": st.one_of(st.none(), words, st.just("")),
        "bio": optional_values,
        "website": optional_values,
        "location": optional_values,
    },
)


def _both(learner_client, reference_client, method, body=None):
    label = f"{method} {URL}" + (f" {body}" if body is not None else "")
    kwargs = {"json": body} if body is not None else {}
    same_answer(*ask_both(learner_client, reference_client, method, URL, **kwargs), label)


@rule("api-2", hint="Any partial body: the fields sent change, the others stay; nulls clear.")
@examples
@given(patch=patches)
def test_any_partial_patch_changes_what_the_reference_changes(
    learner_client, reference_client, patch
):
    """generated partial PATCH bodies leave the profile as the reference leaves it"""
    _both(learner_client, reference_client, "PUT", START)
    _both(learner_client, reference_client, "PATCH", patch)
    _both(learner_client, reference_client, "GET")


@rule("api-2", hint="Any PUT body: the profile becomes exactly what was sent, defaults filled in.")
@examples
@given(profile=patches)
def test_any_put_replaces_as_the_reference_does(learner_client, reference_client, profile):
    """generated PUT bodies replace the profile as the reference does"""
    _both(learner_client, reference_client, "PUT", START)
    _both(learner_client, reference_client, "PUT", profile)
    _both(learner_client, reference_client, "GET")


@rule("api-2", hint="Unknown users stay 404 for every method.")
def test_unknown_users_are_404_for_every_method(learner_client, reference_client):
    """every method answers 404 for an unknown user, as the reference does"""
    for method, body in (("GET", None), ("PUT", START), ("PATCH", {"bio": "x"})):
        kwargs = {"json": body} if body is not None else {}
        url = "/users/999/profile"
        same_answer(
            *ask_both(learner_client, reference_client, method, url, **kwargs), f"{method} {url}"
        )
