import json

from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.sec_headers import INTERNAL_WORDS, policy_problems
from autograder.engine.checkkit import fail, rule, same_answer, show
from autograder.engine.documented import expect_documented_like_the_reference
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import same_refusal
from autograder.engine.proptest import examples

# Note texts: plain, bold, and some with a lone `**` the renderer fails on; too long ones too.
texts = st.lists(
    st.sampled_from(["milk", "**", "<b>", " ", "ünïcode", "&amp;", "x" * 90]), max_size=6
).map("".join)
notes = st.fixed_dictionaries({"title": texts, "body": texts})
# Requests whose answer does not depend on what earlier checks created: notes 1 to 3 (3 is the
# one the renderer fails on), ids no app reaches, wrong types, unknown paths, every method.
paths = st.one_of(
    st.sampled_from(["/notes", "/notes/1", "/notes/2/preview", "/notes/3/preview", "/notes/0"]),
    st.integers(min_value=10**6, max_value=10**9).map(lambda n: f"/notes/{n}/preview"),
    st.sampled_from(["/notes/abc", "/notes/1/preview/", "/", "/nothing/here", "/notes/-4"]),
)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])


def _like_the_reference(mine, theirs, line, ignore_keys=("id",)):
    if mine.status_code != theirs.status_code:
        fail(f"{line}: your app answered {show(mine)}, the reference answered {show(theirs)}.")
    missing, expected = policy_problems(mine), policy_problems(theirs)
    if missing and not expected:
        fail(
            f"{line} answered {mine.status_code} without " + "; without ".join(missing) + ", "
            "which the reference sends on this answer too."
        )
    told = [word for word in INTERNAL_WORDS if word.lower() in mine.text.lower()]
    if mine.status_code >= 500 and told:
        fail(f"{line} answered {show(mine)}: it tells the client what failed ({', '.join(told)}).")
    kinds = [r.headers.get("content-type", "").split(";")[0].strip() for r in (mine, theirs)]
    if kinds[0] != kinds[1]:
        fail(
            f"{line} answered with `Content-Type: {kinds[0] or '(none)'}`, the reference with "
            f"`{kinds[1]}`: a middleware keeps the headers the app set, and adds its own."
        )
    if mine.is_success:
        same_answer(mine, theirs, line, ignore_keys=ignore_keys)
    else:
        same_refusal(mine, theirs, line)


@rule(
    "security-10",
    hint="Every answer, whatever the method, path or error, carries the headers.",
)
@examples
@given(method=methods, path=paths)
def test_any_request_is_answered_with_the_headers(learner_client, reference_client, method, path):
    """generated methods and paths get the reference's status, with its headers"""
    kwargs = {"json": {"title": "Plan", "body": "x"}} if method in ("POST", "PUT", "PATCH") else {}
    mine = learner_client.request(method, path, **kwargs)
    theirs = reference_client.request(method, path, **kwargs)
    _like_the_reference(mine, theirs, f"{method} {path}")


@rule(
    "security-10",
    hint="A note that fails to render is a 500 with the headers, like any other answer.",
)
@examples
@given(note=notes)
def test_any_note_and_its_page_are_answered_with_the_headers(
    learner_client, reference_client, note
):
    """generated notes, then their pages (some the renderer fails on), as the reference"""
    sent = f"POST /notes with {json.dumps(note, ensure_ascii=False)[:120]}"
    mine = learner_client.post("/notes", json=note)
    theirs = reference_client.post("/notes", json=note)
    _like_the_reference(mine, theirs, sent)
    if theirs.status_code != 201:
        return
    # Each app's own id: the learner's app has served the visible checks' notes as well.
    for suffix in ("", "/preview"):
        mine_page = learner_client.get(f"/notes/{mine.json()['id']}{suffix}")
        theirs_page = reference_client.get(f"/notes/{theirs.json()['id']}{suffix}")
        _like_the_reference(mine_page, theirs_page, f"GET the new note{suffix} ({sent})")


@rule("security-10", hint="Keep the limits on a note's title and text as they were.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """titles and texts at each limit are accepted or refused as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "POST",
        "/notes",
        body={"title": "Edge", "body": "plain"},
        compare_accepted=True,
        ignore_keys=("id",),
    )


@rule("api-5", hint="Document what the reference documents: the 404 of each note route.")
def test_documented_like_the_reference(learner_contract, reference_contract):
    """every status and error body the reference documents is there (any words)"""
    expect_documented_like_the_reference(learner_contract, reference_contract)


@rule("security-10", hint="The notes the app starts with answer as before, pages included.")
def test_the_first_notes_answer_like_the_reference(learner_client, reference_client):
    """the notes the app starts with, their pages and ids out of range, as the reference"""
    for url in (
        "/notes/1", "/notes/2", "/notes/3", "/notes/1/preview", "/notes/2/preview", "/notes/0",
        "/notes/-4", "/notes/3/preview",
    ):  # fmt: skip
        mine, theirs = learner_client.get(url), reference_client.get(url)
        _like_the_reference(mine, theirs, f"GET {url}", ignore_keys=())
