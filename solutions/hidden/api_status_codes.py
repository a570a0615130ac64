import httpx
from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    body_of,
    operation_of,
    require,
    rule,
    same_answer,
    show,
)
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

notes = st.fixed_dictionaries(
    {"title": st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=90)},
    optional={"body": st.text(max_size=40), "extra": st.integers()},
)


def _follow(client, created):
    location = created.headers.get("location", "")
    return client.get(httpx.URL(location).path) if location else None


@rule(
    "api-1", hint="Any note, valid or not, gets the reference's status; a created one its Location."
)
@examples
@given(note=notes)
def test_any_note_gets_the_reference_answer(learner_client, reference_client, note):
    """any note body gets the reference's status, and a created note can be followed"""
    mine, theirs = ask_both(learner_client, reference_client, "POST", "/notes", json=note)
    same_answer(mine, theirs, "POST /notes", ignore_keys={"id"})
    if theirs.status_code == 201:
        followed = _follow(learner_client, mine)
        require(
            followed is not None and body_of(followed) == body_of(mine),
            f"POST /notes answered {show(mine)}; following its Location gave "
            f"{show(followed) if followed is not None else 'nothing: no Location header'}.",
        )


@rule("api-1", hint="Deleting what is not there is 404; deleting what is there, 204.")
@examples
@given(note_id=st.integers(min_value=10_000, max_value=10**9))
def test_unknown_notes_are_404_for_read_and_delete(learner_client, reference_client, note_id):
    """unknown notes answer 404 to GET and DELETE, as in the reference"""
    for method in ("GET", "DELETE"):
        url = f"/notes/{note_id}"
        same_answer(*ask_both(learner_client, reference_client, method, url), f"{method} {url}")


@rule("api-1", hint="Document exactly the status codes each operation answers.")
def test_the_documented_status_codes_match_the_reference(learner_contract, reference_contract):
    """each operation documents the status codes the reference documents"""
    for method, path in (
        ("POST", "/notes"),
        ("GET", "/notes/{note_id}"),
        ("DELETE", "/notes/{note_id}"),
    ):
        mine = sorted(operation_of(learner_contract, method, path).get("responses", {}))
        theirs = sorted(operation_of(reference_contract, method, path).get("responses", {}))
        require(
            mine == theirs,
            f"{method} {path} documents the status codes {mine}; the reference documents {theirs}.",
        )


@rule("api-1", hint="Keep the limits on a note and on its id as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """titles, bodies and ids at each limit are accepted or refused as by the reference"""
    for method, path, kwargs in (
        ("POST", "/notes", {"body": {"title": "Edges", "body": "of the limits"}}),
        ("GET", "/notes/{note_id}", {"path_params": {"note_id": 2}}),
        ("DELETE", "/notes/{note_id}", {"path_params": {"note_id": 10**6}}),
    ):
        expect_same_at_the_edges(
            learner_client,
            reference_client,
            reference_contract,
            method,
            path,
            ignore_keys=("id",),
            **kwargs,
        )


@rule("api-1", hint="A new app holds its two notes; each status as before, in any order of calls.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, reads, creations and deletions answer as the reference's"""
    steps = [
        ("GET", "/notes/1", {}),
        ("GET", "/notes/2", {}),
        ("GET", "/notes/3", {}),
        ("POST", "/notes", {"json": {"title": "Third"}}),
        ("GET", "/notes/3", {}),
        ("DELETE", "/notes/1", {}),
        ("GET", "/notes/1", {}),
        ("DELETE", "/notes/1", {}),
        ("POST", "/notes", {"json": {"title": "Fourth", "body": "after a delete"}}),
        ("GET", "/notes/4", {}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("api-1", hint="Document what the reference documents: statuses, their bodies, a title.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status, error body and description the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)
