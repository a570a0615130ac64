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
