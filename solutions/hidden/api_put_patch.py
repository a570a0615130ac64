from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, body_of, require, rule, same_answer, show
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
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
    mine, theirs = ask_both(learner_client, reference_client, method, URL, **kwargs)
    if mine.status_code == theirs.status_code == 422:
        _same_refusal(mine, theirs, label)
        return
    same_answer(mine, theirs, label)


def _locations(response):
    body = body_of(response)
    details = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(details, list) or not all(isinstance(e, dict) for e in details):
        return None
    return [tuple(str(part) for part in error.get("loc", ())) for error in details]


def _same_refusal(mine, theirs, label):
    """Both refused the body by validation; where exactly is the answer's own detail.

    What this exercise teaches is which bodies are refused (a null display_name, a field too
    long), not where a validator sits: a field validator locates the error at
    `("body", "display_name")`, a model validator at `("body",)`. Each of the reference's
    errors must be matched by one of the answer's on the same path or a part of it.
    """
    found, expected = _locations(mine), _locations(theirs) or []
    require(
        found is not None and bool(found) and all(loc[:1] == ("body",) for loc in found),
        f"{label}: your app answered {show(mine)}; the reference refused the body by "
        "validation (422 with FastAPI's list of errors, each located in the body).",
    )
    unmatched = [
        loc
        for loc in expected
        if not any(loc[: len(other)] == other or other[: len(loc)] == loc for other in found)
    ]
    require(
        not unmatched,
        f"{label}: your app refused {sorted(found)}, the reference {sorted(expected)}: "
        f"nothing in your answer's errors concerns {sorted(unmatched)}.",
    )


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


@rule("api-2", hint="Keep the limits on a profile and on the user id as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """names, texts and ids at each limit are accepted or refused as by the reference"""
    profile = {"display_name": "Edge", "bio": "limits", "website": "w", "location": "here"}
    for method, path, kwargs in (
        ("PUT", "/users/{user_id}/profile", {"path_params": {"user_id": 2}, "body": profile}),
        ("PATCH", "/users/{user_id}/profile", {"path_params": {"user_id": 2}, "body": profile}),
        ("GET", "/users/{user_id}/profile", {"path_params": {"user_id": 10**6}}),
    ):
        expect_same_at_the_edges(
            learner_client, reference_client, reference_contract, method, path, **kwargs
        )


@rule("api-2", hint="A new app holds Ada and Grace; PUT replaces, PATCH changes what was sent.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, reads, replacements and patches answer as the reference's"""
    url = "/users/{}/profile"
    steps = [
        ("GET", url.format(1), {}),
        ("GET", url.format(2), {}),
        ("GET", url.format(3), {}),
        ("PATCH", url.format(1), {"json": {"bio": None}}),
        ("PATCH", url.format(2), {"json": {"location": "Arlington"}}),
        ("PUT", url.format(1), {"json": {"display_name": "Ada L."}}),
        ("GET", url.format(1), {}),
        ("GET", url.format(2), {}),
        ("PATCH", url.format(2), {"json": {"display_name": None}}),
        ("PUT", url.format(3), {"json": {"display_name": "Nobody"}}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("api-2", hint="Document what the reference documents: statuses, their bodies, a title.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status, error body and description the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)
