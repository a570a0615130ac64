import json

from autograder.engine.checkkit import body_of, expect_status, require, rule, show
from autograder.engine.conformance import expect_conformance

URL = "/users/1/profile"
FULL = {
    "display_name": "Ada",
    "bio": "Counts engines",
    "website": "https://example.org/ada",
    "location": "London",
}


def _baseline(client):
    """Put user 1's profile into a known, complete state (a PUT of every field means the same
    whether PUT replaces or merges)."""
    response = client.put(URL, json=FULL)
    expect_status(response, 200, f"PUT {URL} with every field")
    require(body_of(response) == FULL, f"PUT {URL} with every field answered {show(response)}.")


def _profile(client):
    response = client.get(URL)
    expect_status(response, 200, f"GET {URL}")
    return body_of(response)


@rule(
    "api-2",
    hint=(
        "PATCH changes only what the client sent: `patch.model_dump(exclude_unset=True)` holds "
        "just those fields, merged over the stored profile."
    ),
)
def test_a_patch_changes_only_what_it_sends(learner_client):
    """PATCH with one field changes that field and keeps every other"""
    _baseline(learner_client)
    response = learner_client.patch(URL, json={"bio": "Writes programs"})
    expect_status(response, 200, f'PATCH {URL} {{"bio": "Writes programs"}}')
    expected = FULL | {"bio": "Writes programs"}
    stored = _profile(learner_client)
    lost = sorted(key for key in FULL if key != "bio" and stored.get(key) != FULL[key])
    require(
        not lost,
        f'PATCH {URL} {{"bio": "Writes programs"}} turned the profile {json.dumps(FULL)} '
        f"into {json.dumps(stored)}: "
        f"{', '.join(lost)} changed although the client did not send them.",
    )
    require(
        stored == expected,
        f"After the PATCH, GET {URL} answered {json.dumps(stored)}; "
        f"expected {json.dumps(expected)}.",
    )


@rule(
    "api-2",
    hint=(
        "A field sent as null is a field the client set: `exclude_unset` keeps it, "
        "`exclude_none` would drop it and the old value would stay."
    ),
)
def test_a_patch_with_null_clears_an_optional_field(learner_client):
    """PATCH with an explicit null clears that optional field, and only it"""
    _baseline(learner_client)
    response = learner_client.patch(URL, json={"website": None})
    expect_status(response, 200, f'PATCH {URL} {{"website": null}}')
    expected = FULL | {"website": None}
    stored = _profile(learner_client)
    require(
        stored == expected,
        f'PATCH {URL} {{"website": null}} turned {json.dumps(FULL)} into {json.dumps(stored)}; '
        f"expected {json.dumps(expected)}: "
        "the client asked to clear the website, and nothing else.",
    )


@rule(
    "api-2",
    hint=(
        "display_name may be left out of a PATCH but not cleared: a model validator can tell "
        "a field sent as null (`model_fields_set`) from one not sent."
    ),
)
def test_a_patch_cannot_clear_the_display_name(learner_client):
    """PATCH with display_name null is refused with 422; the profile keeps its name"""
    _baseline(learner_client)
    response = learner_client.patch(URL, json={"display_name": None})
    require(
        response.status_code == 422,
        f'PATCH {URL} {{"display_name": null}} answered {show(response)}; a profile must keep '
        "its display name, so the request is invalid (422).",
    )
    stored = _profile(learner_client)
    require(stored == FULL, f"After the refused PATCH, GET {URL} answered {json.dumps(stored)}.")


@rule(
    "api-2",
    hint=(
        "PUT replaces the whole profile: store the validated body as it came; what the client "
        "left out goes back to its default (None), nothing old is kept."
    ),
)
def test_a_put_replaces_the_whole_profile(learner_client):
    """PUT with only display_name replaces the profile: the fields left out are cleared"""
    _baseline(learner_client)
    response = learner_client.put(URL, json={"display_name": "Ada L."})
    expect_status(response, 200, f'PUT {URL} {{"display_name": "Ada L."}}')
    expected = {"display_name": "Ada L.", "bio": None, "website": None, "location": None}
    stored = _profile(learner_client)
    kept = sorted(key for key in ("bio", "website", "location") if stored.get(key) is not None)
    require(
        not kept,
        f'PUT {URL} {{"display_name": "Ada L."}} left {", ".join(kept)} as they were: '
        f"{json.dumps(stored)}. "
        "A PUT sends the whole resource: what it leaves out is not there any more. Keeping "
        "old fields is what PATCH is for.",
    )
    require(
        stored == expected,
        f"After the PUT, GET {URL} answered {json.dumps(stored)}; expected {json.dumps(expected)}.",
    )


@rule(
    "api-2",
    hint="A PATCH that sends part of a profile must not crash: merge it over the stored one.",
)
def test_the_app_keeps_its_own_contract(learner_client, learner_contract):
    """schemathesis finds no server error and no undeclared answer"""
    expect_conformance(
        learner_client,
        learner_contract,
        operations=[
            "GET /users/{user_id}/profile",
            "PUT /users/{user_id}/profile",
            "PATCH /users/{user_id}/profile",
        ],
    )
